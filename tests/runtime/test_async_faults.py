"""A Redis that dies or stops answering (SIGKILL, SIGSTOP), seen through the async API: no call
waits longer than one timeout (plus 10 %), the event loop never stalls meanwhile, errors only from
`live` on, and the store takes part again once it is back."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable, Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from migrator.runtime import Component

from .test_faults import COOLDOWN_MS, redis_server

FAULT_SECONDS = 1.5
# A longer timeout than the sync fault tests', so that the bound on the loop's ticks can leave
# room for a loaded 2-core machine and still be far below one timeout: a loop blocked on the
# store would miss its ticks for a whole second.
TIMEOUT_MS = 1000
LONGEST_WAIT = TIMEOUT_MS / 1000 * 1.1 + 0.15
LONGEST_TICK_GAP = 0.5
CONCURRENT_CALLS = 20


@pytest.fixture
def server(tmp_path: Path) -> Iterator[Any]:
    redis = redis_server.RedisServer(tmp_path / "redis", persistent=False)
    redis.start()
    yield redis
    redis.stop()


@pytest.mark.parametrize("stage", ["dualwrite", "live", "complete"])
@pytest.mark.parametrize("fault", ["paused", "killed"])
def test_calls_are_bounded_and_the_loop_keeps_running(
    runtime: Callable[..., ModuleType],
    monkeypatch: pytest.MonkeyPatch,
    server: Any,
    fault: str,
    stage: str,
) -> None:
    monkeypatch.setenv("STATELESS_REDIS_URL", server.url)
    monkeypatch.setenv("STATELESS_TIMEOUT_MS", str(TIMEOUT_MS))
    monkeypatch.setenv("STATELESS_BREAKER_COOLDOWN_MS", str(COOLDOWN_MS))
    monkeypatch.setenv("STATELESS_SESSIONS", stage)
    rt = runtime(Component("SESSIONS", "kv", "redis"))
    old: dict[str, Any] = {}
    sessions = rt.kv("SESSIONS", old)
    waits: list[float] = []
    errors = 0

    async def timed(operation: Callable[[], Awaitable[Any]]) -> None:
        nonlocal errors
        started = time.monotonic()
        try:
            await operation()
        except rt.StoreError:
            errors += 1
        finally:
            waits.append(time.monotonic() - started)

    async def edit() -> None:
        async with sessions.aedit("cart", default=0):
            pass

    async def call(value: int) -> None:
        # One timeout is the promise for each store call, not for a request that makes several.
        await timed(lambda: sessions.aset("cart", value))
        await timed(edit)
        await timed(lambda: sessions.aget("cart"))

    async def main() -> tuple[float, float]:
        await sessions.aset("cart", -1)  # connected before the fault
        gaps: list[float] = []

        async def tick() -> None:
            last = time.monotonic()
            while True:
                await asyncio.sleep(0.01)
                now = time.monotonic()
                gaps.append(now - last)
                last = now

        ticker = asyncio.create_task(tick())
        server.pause() if fault == "paused" else server.kill()
        ends = time.monotonic() + FAULT_SECONDS
        value = 0
        while time.monotonic() < ends:
            await asyncio.gather(*(call(value + i) for i in range(CONCURRENT_CALLS)))
            value += CONCURRENT_CALLS
        server.resume() if fault == "paused" else server.start()
        back_at = time.monotonic()
        while True:  # the store answers again, without a restart of the service
            try:
                await sessions.aset("cart", "back")
                break
            except rt.StoreError:
                assert time.monotonic() - back_at < 5, "the store did not take part again"
                await asyncio.sleep(0.05)
        ticker.cancel()
        return max(gaps), time.monotonic() - back_at

    gap, _ = asyncio.run(_closing(rt, main()))
    assert max(waits) <= LONGEST_WAIT, f"a call waited {max(waits):.3f}s"
    assert gap <= LONGEST_TICK_GAP, f"the event loop stalled for {gap:.3f}s"
    if stage == "dualwrite":
        assert errors == 0  # the old side is the truth and answered
        assert old["cart"] == "back"
    else:
        assert errors > 0  # from `live` on an outage is an error the service sees


async def _closing(rt: ModuleType, main: Any) -> Any:
    try:
        return await main
    finally:
        await rt.aclose_connections()
