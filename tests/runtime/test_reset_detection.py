"""A store that comes back empty: counters never go back, and `health()` says so."""

from __future__ import annotations

import time
from collections.abc import Callable
from types import ModuleType

import pytest
import redis

from migrator.runtime import Component

from .conftest import PrivateRedis


@pytest.fixture
def on_private_redis(
    runtime: Callable[..., ModuleType],
    private_redis: PrivateRedis,
    monkeypatch: pytest.MonkeyPatch,
) -> ModuleType:
    monkeypatch.setenv("STATELESS_REDIS_URL", private_redis.url)
    monkeypatch.setenv("STATELESS_MODE", "live")
    return runtime(Component("ORDER_SEQ", "counter", "redis"), Component("SESSIONS", "kv", "redis"))


def _next_answer(call: Callable[[], object], rt: ModuleType) -> object:
    """The first answer or error other than "unavailable" (the client reconnects meanwhile)."""
    deadline = time.monotonic() + 30
    while True:
        try:
            return call()
        except rt.StoreResetError as exc:
            return exc
        except rt.StoreUnavailableError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.1)


def test_a_counter_the_store_lost_raises_instead_of_issuing_a_number_again(
    on_private_redis: ModuleType, private_redis: PrivateRedis
) -> None:
    rt = on_private_redis
    orders = rt.counter("ORDER_SEQ", start=10000)
    assert [orders.incr(), orders.incr()] == [10001, 10002]
    assert rt.health()["ok"] is True

    private_redis.kill()
    private_redis.start()  # no persistence: it comes back empty

    answers = [_next_answer(orders.incr, rt) for _ in range(3)]
    assert all(isinstance(a, rt.StoreResetError) for a in answers), answers
    assert "ORDER_SEQ" in str(answers[0]) and "restore" in str(answers[0])
    report = rt.health()
    assert report["ok"] is False
    assert report["components"]["ORDER_SEQ"]["intact"] is False
    assert rt.metrics.get("ORDER_SEQ", "store_reset") >= 3

    orders.restore(last_value=10002)
    assert orders.incr() == 10003
    assert rt.health()["components"]["ORDER_SEQ"]["intact"] is True


def test_a_counter_evicted_alone_raises_and_a_new_one_starts_at_its_start(
    on_private_redis: ModuleType, private_redis: PrivateRedis
) -> None:
    rt = on_private_redis
    orders = rt.counter("ORDER_SEQ", start=100)
    assert orders.incr("eu") == 101
    client = redis.Redis.from_url(private_redis.url)
    (name,) = [n for n in client.scan_iter(match="*ORDER_SEQ}:*") if b"#" not in n]
    client.delete(name)  # what an `allkeys-lru` eviction does

    with pytest.raises(rt.StoreResetError):
        orders.incr("eu")
    assert orders.incr("us") == 101  # a counter never used before is new, not lost


def test_two_replicas_creating_one_counter_at_once_issue_distinct_numbers(
    on_private_redis: ModuleType,
) -> None:
    rt = on_private_redis
    replicas = [rt.counter("ORDER_SEQ"), rt.counter("ORDER_SEQ")]
    numbers = [replica.incr("new") for replica in replicas for _ in range(3)]
    assert sorted(numbers) == [1, 2, 3, 4, 5, 6]


def test_health_reports_a_session_store_that_came_back_empty_once(
    on_private_redis: ModuleType, private_redis: PrivateRedis
) -> None:
    rt = on_private_redis
    sessions = rt.kv("SESSIONS", {})
    sessions["s1"] = {"user": "ada"}
    assert rt.health()["components"]["SESSIONS"] == {
        "stage": "live",
        "reachable": True,
        "intact": True,
        "error": "",
    }
    private_redis.kill()
    assert rt.health()["components"]["SESSIONS"]["reachable"] is False

    private_redis.start()
    first = _next_answer(lambda: rt.health()["components"]["SESSIONS"]["intact"], rt)
    assert first is False
    assert rt.health()["components"]["SESSIONS"]["intact"] is True  # reported once
    assert rt.metrics.get("SESSIONS", "store_reset") == 1


def test_health_leaves_components_at_off_alone_and_does_not_fail_before_live(
    runtime: Callable[..., ModuleType], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("STATELESS_REDIS_URL", "redis://127.0.0.1:1/0")  # nothing listens
    rt = runtime(Component("SESSIONS", "kv", "redis"), Component("HITS", "counter", "redis"))
    rt.kv("SESSIONS", {})
    rt.counter("HITS")
    monkeypatch.setenv("STATELESS_HITS", "dualwrite")
    report = rt.health()
    assert report["ok"] is True
    assert report["components"]["SESSIONS"]["reachable"] is None
    assert report["components"]["HITS"]["reachable"] is False
    monkeypatch.setenv("STATELESS_HITS", "live")
    assert rt.health()["ok"] is False
