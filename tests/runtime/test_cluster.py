"""The runtime on a real Redis Cluster (3 primaries, 3 replicas on loopback): the store and
equivalence tests pass on it through `redis.cluster.RedisCluster`, and a primary killed during
traffic costs errors only while its replica takes over, loses nothing acknowledged, and keeps
every wait within one timeout (plus 10 %).
"""

from __future__ import annotations

import importlib.util
import shutil
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from migrator.runtime import Component

from . import test_kv_equivalence, test_stores
from .conftest import STAGES

TIMEOUT_MS = 1000
TIMEOUT = TIMEOUT_MS / 1000
# The promise is one timeout plus 10 %; the rest allows for a loaded 2-core machine.
LONGEST_WAIT = TIMEOUT * 1.1 + 0.15

pytestmark = pytest.mark.skipif(
    not (shutil.which("redis-server") and shutil.which("redis-cli")),
    reason="a Redis Cluster needs redis-server and redis-cli",
)


def _support(name: str) -> Any:
    """A module of tests/support/, loaded from its file (tests/ is not a package)."""
    full_name = f"migrator_tests_support_{name}"
    if full_name not in sys.modules:
        path = Path(__file__).resolve().parents[1] / "support" / f"{name}.py"
        spec = importlib.util.spec_from_file_location(full_name, path)
        assert spec is not None and spec.loader is not None
        module = importlib.util.module_from_spec(spec)
        sys.modules[full_name] = module
        spec.loader.exec_module(module)
    return sys.modules[full_name]


@pytest.fixture(scope="session")
def redis_cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    """Six nodes started once for the session and stopped after it."""
    cluster = _support("redis_cluster").RedisClusterNodes(tmp_path_factory.mktemp("cluster"))
    try:
        cluster.start()
        yield cluster
    finally:
        cluster.stop()


@pytest.fixture
def on_cluster(key_prefix: str, redis_cluster: Any, monkeypatch: pytest.MonkeyPatch) -> Any:
    # After `key_prefix`, which points every test at the single Redis.
    monkeypatch.setenv("STATELESS_REDIS_URL", redis_cluster.url)
    monkeypatch.setenv("STATELESS_REDIS_CLUSTER", "1")
    monkeypatch.setenv("STATELESS_TIMEOUT_MS", str(TIMEOUT_MS))
    return redis_cluster


# The store tests of test_stores.py, collected here again, run on the cluster through this `rt`.
globals().update(
    {name: test for name, test in vars(test_stores).items() if name.startswith("test_")}
)
complete = test_stores.complete


@pytest.fixture
def rt(on_cluster: Any, runtime: Callable[..., ModuleType]) -> ModuleType:
    module = runtime(*test_stores._components("redis"))
    client = module.backends.redis.redis_client(module.settings.load_settings())
    assert type(client).__name__ == "RedisCluster"
    return module


@pytest.mark.usefixtures("on_cluster")
@pytest.mark.parametrize("stage", STAGES)
def test_every_stage_answers_as_a_dict_does_on_the_cluster(
    runtime: Callable[..., ModuleType], stage: str
) -> None:
    test_kv_equivalence.test_every_stage_answers_as_a_dict_does(runtime, "redis", stage)


# Last in this file: it leaves the cluster with one primary that has no replica.
def test_a_primary_killed_during_traffic_fails_over_losing_nothing_acknowledged(
    on_cluster: Any, runtime: Callable[..., ModuleType], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("STATELESS_MODE", "complete")
    monkeypatch.setenv("STATELESS_BREAKER_COOLDOWN_MS", "300")
    rt = runtime(Component("SESSIONS", "kv", "redis"), Component("ORDER_SEQ", "counter", "redis"))
    sessions, orders = rt.kv("SESSIONS", {}), rt.counter("ORDER_SEQ", start=10000)
    prefix = rt.settings.load_settings().key_prefix
    victim = on_cluster.primary_of("{" + f"{prefix}:SESSIONS" + "}")

    acknowledged: dict[str, int] = {}
    failures: list[float] = []  # when each failed request started
    waits: list[float] = []
    stop = threading.Event()

    def traffic(worker: int) -> None:
        count = 0
        while not stop.is_set():
            sid = f"w{worker}-{count}"
            count += 1
            started = time.monotonic()
            try:
                sessions[sid] = {"cart": [count]}
                acknowledged[sid] = orders.incr()
            except rt.StoreError:
                failures.append(started)
            waits.append(time.monotonic() - started)
            time.sleep(0.005)

    workers = [threading.Thread(target=traffic, args=(n,)) for n in range(3)]
    for worker in workers:
        worker.start()
    time.sleep(0.5)
    killed_at = time.monotonic()
    on_cluster.kill(victim)
    on_cluster.wait_for_failover(victim)
    failed_over_at = time.monotonic()
    time.sleep(2.0)  # traffic goes on after the failover
    stop.set()
    for worker in workers:
        worker.join()

    assert failures, "killing the primary of SESSIONS went unnoticed"
    # Errors only while the replica takes over (and until the client has the new slot map).
    assert all(killed_at - TIMEOUT <= started <= failed_over_at + TIMEOUT for started in failures)
    assert len(acknowledged) > 100
    assert max(waits) <= LONGEST_WAIT
    lost = [sid for sid, _ in acknowledged.items() if sessions.get(sid) is None]
    assert lost == []
    assert len(set(acknowledged.values())) == len(acknowledged)  # no order number twice
