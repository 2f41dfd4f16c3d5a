"""What a slow store does to an unrelated endpoint of an async service, with the async API and
with the sync API called from an async handler (what `apply` produced before the async runtime).

A Starlette app served by uvicorn (one process, one event loop) has `/ping`, which touches
nothing, and `/slow`, which either holds a lock component for a while (other `/slow` requests
wait for it) or reads a kv component from a private redis-server paused with SIGSTOP. `/ping`'s
latency is measured idle, then while a few clients keep `/slow` busy; the table gives p50 and p99
of each, the longest loaded ping, and the p99's growth. The target: the async API keeps `/ping`'s p99 within 10 ms of idle.

    python benchmarks/event_loop.py [--seconds 4] [--slow-clients 4]

Needs redis-server on PATH; uses a private one on a free port and removes nothing else.
"""

from __future__ import annotations

import argparse
import asyncio
import importlib
import importlib.util
import logging
import os
import statistics
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from types import ModuleType
from typing import Any

import httpx
import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import PlainTextResponse
from starlette.routing import Route

from migrator.runtime import Component, render_runtime

SUPPORT = Path(__file__).resolve().parents[1] / "tests" / "support"
TIMEOUT_MS = 1000
HOLD_SECONDS = 1.0
SYNC_WAIT_SECONDS = 2.0
MIN_PINGS = 30
TARGET_MS = 10.0


def _support(name: str) -> Any:
    spec = importlib.util.spec_from_file_location(f"event_loop_{name}", SUPPORT / f"{name}.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


redis_server_module = _support("redis_server")


def _runtime(root: Path) -> ModuleType:
    package = f"bench_{uuid.uuid4().hex[:8]}"
    components = [Component("SESSIONS", "kv", "redis"), Component("JOBS_LOCK", "lock", "redis")]
    for relative, text in render_runtime(package, components).items():
        path = root / package / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    (root / package / "__init__.py").write_text("")
    sys.path.insert(0, str(root))
    return importlib.import_module(f"{package}._stateless")


def _app(rt: ModuleType, scenario: str, api: str) -> Starlette:
    sessions = rt.kv("SESSIONS", {})
    lock = rt.lock("JOBS_LOCK", asyncio.Lock() if api == "async" else None, timeout=30, wait=5)

    async def ping(request: Request) -> PlainTextResponse:
        return PlainTextResponse("pong")

    async def slow(request: Request) -> PlainTextResponse:
        try:
            if scenario == "lock" and api == "async":
                async with lock.aheld():
                    await asyncio.sleep(HOLD_SECONDS)
            elif scenario == "lock":
                # Blocks the loop while another request holds the lock (`with lock:` would wait
                # for ever: the holder cannot run to release it).
                if not lock.acquire(timeout=SYNC_WAIT_SECONDS):
                    return PlainTextResponse("busy", status_code=503)
                try:
                    await asyncio.sleep(HOLD_SECONDS)
                finally:
                    lock.release()
            elif api == "async":
                await sessions.aget("cart")
            else:
                sessions.get("cart")  # blocks the loop for up to one timeout
        except rt.StoreError as exc:
            return PlainTextResponse(str(exc), status_code=503)
        return PlainTextResponse("done")

    return Starlette(routes=[Route("/ping", ping), Route("/slow", slow)])


def _serve(app: Starlette, port: int) -> Callable[[], None]:
    server = uvicorn.Server(
        uvicorn.Config(app, host="127.0.0.1", port=port, log_level="error", lifespan="off")
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    while not server.started:
        time.sleep(0.01)

    def stop() -> None:
        server.should_exit = True
        thread.join(timeout=10)

    return stop


def _pings(client: httpx.Client, seconds: float) -> list[float]:
    """`/ping` latencies in ms, one request after another, ~200 a second, `MIN_PINGS` at least."""
    latencies: list[float] = []
    ends = time.monotonic() + seconds
    while time.monotonic() < ends or len(latencies) < MIN_PINGS:
        started = time.perf_counter()
        client.get("/ping").raise_for_status()
        latencies.append((time.perf_counter() - started) * 1000)
        time.sleep(0.005)
    return latencies


def _keep_busy(base: str, stop: threading.Event) -> None:
    with httpx.Client(base_url=base, timeout=60) as client:
        while not stop.is_set():
            started = time.monotonic()
            try:
                client.get("/slow")
            except httpx.HTTPError:
                pass
            # A /slow the breaker failed at once is sent again soon, not in a tight loop: the
            # point is requests waiting on the store, not a flood of them.
            stop.wait(max(0.0, 0.05 - (time.monotonic() - started)))


def _p(values: list[float], q: float) -> float:
    return statistics.quantiles(values, n=100, method="inclusive")[q - 1]


def measure(rt: ModuleType, redis: Any, scenario: str, api: str, args: argparse.Namespace) -> str:
    port = redis_server_module.free_port()
    base = f"http://127.0.0.1:{port}"
    stop_server = _serve(_app(rt, scenario, api), port)
    try:
        with httpx.Client(base_url=base, timeout=60) as client:
            client.get("/slow")  # connect to the store before the fault
            _pings(client, 0.5)  # warm up
            idle = _pings(client, args.seconds)
            if scenario == "paused store":
                redis.pause()
            stop = threading.Event()
            busy = [
                threading.Thread(target=_keep_busy, args=(base, stop), daemon=True)
                for _ in range(args.slow_clients)
            ]
            for thread in busy:
                thread.start()
            time.sleep(0.3)  # the /slow requests are in flight
            loaded = _pings(client, args.seconds)
            stop.set()
            if scenario == "paused store":
                redis.resume()
            for thread in busy:
                thread.join(timeout=30)
    finally:
        stop_server()
    growth = _p(loaded, 99) - _p(idle, 99)
    verdict = ""
    if api == "async":
        verdict = "ok" if growth <= TARGET_MS else f"over the {TARGET_MS:.0f} ms target"
    return (
        f"{scenario:<13}  {api + ' API':<9}  {_p(idle, 50):8.2f}  {_p(idle, 99):8.2f}  "
        f"{_p(loaded, 50):10.2f}  {_p(loaded, 99):10.2f}  {max(loaded):10.2f}  {growth:+10.2f}  "
        f"{verdict}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=4.0, help="of pings, idle and loaded")
    parser.add_argument("--slow-clients", type=int, default=4, help="/slow requests in flight")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        redis = redis_server_module.RedisServer(Path(tmp) / "redis", persistent=False)
        redis.start()
        os.environ.update(
            STATELESS_MODE="complete",
            STATELESS_REDIS_URL=redis.url,
            STATELESS_KEY_PREFIX=f"bench{uuid.uuid4().hex[:8]}",
            STATELESS_TIMEOUT_MS=str(TIMEOUT_MS),
        )
        try:
            rt = _runtime(Path(tmp))
            # The breaker's warnings would interleave with the table; the table says it all.
            logging.getLogger(rt.__name__).setLevel(logging.ERROR)
            print(
                f"/ping latency in ms; {args.slow_clients} clients keep /slow busy; "
                f"lock held {HOLD_SECONDS:g} s per /slow; store timeout {TIMEOUT_MS} ms"
            )
            print(
                "scenario       API        idle p50  idle p99  loaded p50  loaded p99  "
                "loaded max   p99 growth"
            )
            for scenario in ("lock", "paused store"):
                for api in ("async", "sync"):
                    print(measure(rt, redis, scenario, api, args), flush=True)
        finally:
            redis.stop()


if __name__ == "__main__":
    main()
