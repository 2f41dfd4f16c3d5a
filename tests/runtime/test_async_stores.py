"""The async API of counters, caches, locks and broadcast, at every stage, on Redis and
PostgreSQL: the same component object serves sync and async code under one flag."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable, Coroutine
from types import ModuleType
from typing import Any

import pytest

from migrator.runtime import Component

from .conftest import STAGES

STORES = ["redis", "postgres"]


def _run(rt: ModuleType, main: Callable[[], Coroutine[Any, Any, Any]]) -> Any:
    async def and_close() -> Any:
        try:
            return await main()
        finally:
            await rt.aclose_connections()

    return asyncio.run(and_close())


@pytest.mark.parametrize("stage", STAGES)
@pytest.mark.parametrize("store", STORES)
def test_concurrent_increments_and_edits_lose_nothing(
    runtime: Callable[..., ModuleType], monkeypatch: pytest.MonkeyPatch, store: str, stage: str
) -> None:
    rt = runtime(Component("SEQ", "counter", store), Component("CARTS", "kv", store))
    monkeypatch.setenv("STATELESS_MODE", stage)
    seq = rt.counter("SEQ", start=100)
    carts = rt.kv("CARTS", {})

    async def main() -> tuple[list[int], list[int], int]:
        async def one(i: int) -> int:
            async with carts.aedit("cart", default=[]) as cart:
                await asyncio.sleep(0)  # another task runs here; the edit still holds the key
                cart.append(i)
            return await seq.aincr()

        issued = await asyncio.gather(*(one(i) for i in range(20)))
        seq.incr()  # the sync API counts on the same counter
        return sorted(issued), await carts.agetitem("cart"), await seq.aget()

    issued, cart, last = _run(rt, main)
    assert issued == list(range(101, 121))
    assert sorted(cart) == list(range(20))
    assert last == 121
    # Tasks interleave between the two sides' increments, so where both are counted the two
    # answers of one increment may differ (a divergence, counted); nothing else may be.
    assert {k: v for k, v in rt.metrics.counts.items() if k != "SEQ.divergence"} == {}


@pytest.mark.parametrize("stage", STAGES)
@pytest.mark.parametrize("store", STORES)
def test_memoize_awaits_an_async_function_once_per_arguments(
    runtime: Callable[..., ModuleType], monkeypatch: pytest.MonkeyPatch, store: str, stage: str
) -> None:
    rt = runtime(Component("PRICES", "cache", store))
    monkeypatch.setenv("STATELESS_PRICES", stage)
    prices = rt.cache("PRICES")
    computed: list[int] = []

    @prices.memoize
    async def price(item: int) -> dict[str, int]:
        computed.append(item)
        await asyncio.sleep(0)
        return {"item": item, "cents": item * 100}

    async def main() -> list[dict[str, int]]:
        answers = [await price(1), await price(2), await price(1)]
        await price.acache_clear()
        answers.append(await price(1))
        return answers

    answers = _run(rt, main)
    assert answers == [{"item": i, "cents": i * 100} for i in (1, 2, 1, 1)]
    # Each side the stage reads computes a missing result once; a clear forgets it.
    sides = 2 if stage in ("shadow", "live") else 1
    assert sorted(computed) == sorted([1] * sides + [2] * sides + [1] * sides)
    assert rt.metrics.counts == {}


@pytest.mark.parametrize("stage", STAGES)
@pytest.mark.parametrize("old", ["asyncio", "threading"])
@pytest.mark.parametrize("store", STORES)
def test_a_lock_held_by_one_task_is_waited_for_by_the_others(
    runtime: Callable[..., ModuleType],
    monkeypatch: pytest.MonkeyPatch,
    store: str,
    old: str,
    stage: str,
) -> None:
    rt = runtime(Component("ORDER_LOCK", "lock", store))
    monkeypatch.setenv("STATELESS_ORDER_LOCK", stage)

    async def main() -> int:
        old_lock = asyncio.Lock() if old == "asyncio" else threading.Lock()
        lock = rt.lock("ORDER_LOCK", old_lock, timeout=5, wait=5)
        holders, most = 0, 0

        async def critical() -> None:
            nonlocal holders, most
            async with lock.aheld():
                holders += 1
                most = max(most, holders)
                await asyncio.sleep(0.01)
                holders -= 1

        await asyncio.gather(*(critical() for _ in range(5)))
        return most

    assert _run(rt, main) == 1
    assert rt.metrics.counts == {}


@pytest.mark.parametrize("store", STORES)
def test_a_lock_held_elsewhere_times_out_without_holding_the_loop(
    runtime: Callable[..., ModuleType], monkeypatch: pytest.MonkeyPatch, store: str
) -> None:
    rt = runtime(Component("ORDER_LOCK", "lock", store))
    monkeypatch.setenv("STATELESS_ORDER_LOCK", "complete")
    other_replica = rt.lock("ORDER_LOCK", timeout=30)
    lock = rt.lock("ORDER_LOCK", timeout=30, wait=0.5)

    async def main() -> int:
        ticks = 0

        async def tick() -> None:
            nonlocal ticks
            while True:
                await asyncio.sleep(0.01)
                ticks += 1

        ticker = asyncio.create_task(tick())
        with pytest.raises(rt.LockNotAcquiredError):
            async with lock.aheld():
                pass
        ticker.cancel()
        return ticks

    with other_replica:  # the sync API, as another process would hold it
        ticks = _run(rt, main)
    assert ticks >= 10  # the loop kept running while the lock was waited for


@pytest.mark.parametrize("stage", STAGES)
@pytest.mark.parametrize("store", STORES)
def test_a_published_message_reaches_an_async_subscriber(
    runtime: Callable[..., ModuleType], monkeypatch: pytest.MonkeyPatch, store: str, stage: str
) -> None:
    rt = runtime(Component("ROOM", "broadcast", store))
    monkeypatch.setenv("STATELESS_ROOM", stage)
    room = rt.broadcast("ROOM")

    async def main() -> list[Any]:
        async with room.asubscribe() as messages:
            if stage in ("shadow", "live", "rampdown", "complete"):
                assert await room.await_until_listening(10)
            await room.apublish({"text": "hi", "n": 1})
            room.publish(["from", "sync"])
            return [
                await asyncio.wait_for(messages.__anext__(), 10),
                await asyncio.wait_for(messages.__anext__(), 10),
            ]

    try:
        assert _run(rt, main) == [{"text": "hi", "n": 1}, ["from", "sync"]]
    finally:
        room.close()
    assert rt.metrics.counts == {}
