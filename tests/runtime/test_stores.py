"""What each kind of store promises beyond a dict: TTL, edit, memoize, rate limits, locks,
broadcast — on real Redis and PostgreSQL."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from types import ModuleType

import pytest

from migrator.runtime import Component


def _components(store: str) -> list[Component]:
    return [
        Component("SESSIONS", "kv", store, ttl=1),
        Component("list_products", "cache", store, ttl=60),
        Component("HITS", "counter", store),
        Component("ORDER_LOCK", "lock", store),
        Component("ROOM", "broadcast", store),
    ]


@pytest.fixture(params=["redis", "postgres"])
def rt(request: pytest.FixtureRequest, runtime: Callable[..., ModuleType]) -> ModuleType:
    return runtime(*_components(request.param))


@pytest.fixture
def complete(rt: ModuleType, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("STATELESS_MODE", "complete")


@pytest.mark.usefixtures("complete")
def test_a_value_past_its_ttl_reads_as_absent(rt: ModuleType) -> None:
    sessions = rt.kv("SESSIONS", ttl=0.3)
    sessions["sid"] = "short-lived"
    assert sessions["sid"] == "short-lived"
    time.sleep(0.5)
    assert "sid" not in sessions
    assert len(sessions) == 0
    assert sessions.setdefault("sid", "again") == "again"


@pytest.mark.usefixtures("complete")
def test_edit_needs_the_key_or_a_default_and_an_error_in_the_block_writes_nothing(
    rt: ModuleType,
) -> None:
    sessions = rt.kv("SESSIONS")
    with pytest.raises(KeyError):
        with sessions.edit("missing"):
            pass
    with sessions.edit("cart", default={"items": []}) as cart:
        cart["items"].append("book")
    with pytest.raises(RuntimeError):
        with sessions.edit("cart") as cart:
            cart["items"].append("never stored")
            raise RuntimeError("the handler failed")
    assert sessions["cart"] == {"items": ["book"]}
    with sessions.edit("cart") as cart:  # the key is free again after the failed block
        cart["items"].append("pen")
    assert sessions["cart"] == {"items": ["book", "pen"]}


@pytest.mark.parametrize("stage", ["dualwrite", "complete"])
def test_records_loaded_at_import_are_copied_into_the_store_once(
    rt: ModuleType, stage: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("STATELESS_MODE", stage)
    seeded = {"pen": {"price": 1.5}, "ink": {"price": 4.0}}
    first = rt.kv("SESSIONS", dict(seeded))  # a replica that imported the module
    assert first["pen"] == {"price": 1.5}
    monkeypatch.setenv("STATELESS_MODE", "complete")
    assert sorted(first) == ["ink", "pen"]  # now answered by the store alone
    del first["ink"]
    second = rt.kv("SESSIONS", dict(seeded))  # a replica started later, same seed
    assert sorted(second) == ["pen"]  # the deleted record is not brought back


@pytest.mark.parametrize("stage", ["off", "dualwrite", "complete"])
def test_edit_with_default_none_leaves_a_missing_key_missing(
    rt: ModuleType, stage: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("STATELESS_MODE", stage)
    old: dict[str, dict[str, int]] = {}
    sessions = rt.kv("SESSIONS", old)
    with sessions.edit("gone", default=None) as value:
        assert value is None
    assert "gone" not in sessions
    assert "gone" not in old
    sessions["kept"] = {"n": 1}
    with sessions.edit("kept", default=None) as value:
        value["n"] += 1
    assert sessions["kept"] == {"n": 2}


@pytest.mark.parametrize("stage", ["off", "dualwrite", "shadow", "live", "complete"])
def test_a_scalar_counter_continues_from_its_start_in_every_stage(
    rt: ModuleType, stage: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("STATELESS_MODE", stage)
    orders = rt.counter("HITS", start=10000)
    assert orders.get() == 10000
    assert orders.incr() == 10001
    assert orders.incr() == 10002
    assert orders.get() == 10002
    assert rt.metrics.get("HITS", "divergence") == 0
    assert rt.metrics.get("HITS", "new_side_failure") == 0


@pytest.mark.usefixtures("complete")
def test_memoize_shares_results_and_cache_clear_reaches_every_replica(rt: ModuleType) -> None:
    calls: list[int] = []

    def list_products(page: int) -> list[str]:
        calls.append(page)
        return [f"product-{page}-{len(calls)}"]

    replica_a = rt.cache("list_products").memoize(list_products)
    replica_b = rt.cache("list_products").memoize(list_products)
    first = replica_a(1)
    assert replica_b(1) == first and calls == [1]
    replica_b.cache_clear()
    assert replica_a(1) != first and calls == [1, 1]
    assert replica_a.__name__ == "list_products"


def test_memoize_in_stage_off_calls_through_like_lru_cache(rt: ModuleType) -> None:
    calls: list[int] = []

    @rt.cache("list_products").memoize
    def square(n: int) -> int:
        calls.append(n)
        return n * n

    assert [square(3), square(3), square(4)] == [9, 9, 16] and calls == [3, 4]
    square.cache_clear()
    assert square(3) == 9 and calls == [3, 4, 3]


@pytest.mark.usefixtures("complete")
def test_get_or_set_computes_once(rt: ModuleType) -> None:
    products = rt.cache("list_products")
    assert products.get_or_set("p1", lambda: {"name": "pen"}) == {"name": "pen"}
    assert products.get_or_set("p1", lambda: pytest.fail("computed twice")) == {"name": "pen"}


@pytest.mark.usefixtures("complete")
def test_counters_count_and_a_fixed_window_limits(rt: ModuleType) -> None:
    hits = rt.counter("HITS")
    assert [hits.incr("home"), hits.incr("home", 5), hits.decr("home")] == [1, 6, 5]
    assert hits.get("home") == 5 and hits.get("never") == 0
    window = 1.0
    time.sleep(window - time.time() % window + 0.05)  # start at the beginning of a window
    assert [hits.hit("10.0.0.1", limit=3, window=window) for _ in range(4)] == [True] * 3 + [False]
    time.sleep(window)
    assert hits.hit("10.0.0.1", limit=3, window=window)


@pytest.mark.usefixtures("complete")
def test_a_lock_is_exclusive_across_replicas_and_released_only_by_its_holder(
    rt: ModuleType,
) -> None:
    replica_a = rt.lock("ORDER_LOCK", threading.Lock(), timeout=0.5)
    replica_b = rt.lock("ORDER_LOCK", threading.Lock(), timeout=0.5)
    assert replica_a.acquire()
    assert not replica_b.acquire(timeout=0.1)
    time.sleep(0.7)  # replica_a outlives its timeout; the lock is free for another
    assert replica_b.acquire(timeout=0.1)
    replica_a.release()  # must not release replica_b's lock
    assert rt.metrics.get("ORDER_LOCK", "lock_lost") == 1
    assert not rt.lock("ORDER_LOCK", threading.Lock()).acquire(timeout=0.1)
    replica_b.release()
    with rt.lock("ORDER_LOCK", threading.Lock(), wait=0.5):
        pass


def test_before_live_a_lock_held_elsewhere_is_reported_not_waited_for(
    rt: ModuleType, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("STATELESS_MODE", "shadow")
    elsewhere = rt.lock("ORDER_LOCK", threading.Lock())
    here = rt.lock("ORDER_LOCK", threading.Lock())
    assert elsewhere.acquire()
    started = time.monotonic()
    with here:
        assert time.monotonic() - started < 1
    assert rt.metrics.get("ORDER_LOCK", "divergence") == 1
    elsewhere.release()


@pytest.mark.parametrize("stage", ["off", "live"])
def test_broadcast_reaches_every_replica_from_live_on_and_only_this_one_before(
    rt: ModuleType, monkeypatch: pytest.MonkeyPatch, stage: str
) -> None:
    monkeypatch.setenv("STATELESS_MODE", stage)
    replica_a, replica_b = rt.broadcast("ROOM"), rt.broadcast("ROOM")
    received_a: list[object] = []
    received_b: list[object] = []
    both = threading.Event()

    def on_b(message: object) -> None:
        received_b.append(message)
        both.set()

    replica_a.subscribe(received_a.append)
    replica_b.subscribe(on_b)
    try:
        if stage == "live":
            assert replica_a.wait_until_listening(5) and replica_b.wait_until_listening(5)
        replica_a.publish({"text": "hello", "at": (1, 2)})
        assert both.wait(3 if stage == "live" else 0.5) is (stage == "live")
        deadline = time.monotonic() + 3
        while stage == "live" and not received_a and time.monotonic() < deadline:
            time.sleep(0.01)
        assert received_a == [{"text": "hello", "at": (1, 2)}]
        assert received_b == ([{"text": "hello", "at": (1, 2)}] if stage == "live" else [])
    finally:
        replica_a.close()
        replica_b.close()


@pytest.mark.parametrize("store", ["redis", "postgres"])
@pytest.mark.parametrize("stage", ["off", "dualwrite", "shadow", "live", "rampdown", "complete"])
def test_copy_is_a_plain_dict_of_what_the_stage_reads(
    runtime: Callable[..., ModuleType], store: str, stage: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    rt = runtime(Component("USER_SESSIONS", "kv", store))
    old = {"s1": {"user": "ada"}}
    sessions = rt.kv("USER_SESSIONS", old)
    monkeypatch.setenv("STATELESS_MODE", "dualwrite")
    sessions["s2"] = {"user": "bob"}  # both sides: the store also got `s1`, copied on first use
    monkeypatch.setenv("STATELESS_MODE", "complete")
    sessions["s3"] = {"user": "eve"}  # the store alone
    monkeypatch.setenv("STATELESS_MODE", stage)

    saved = sessions.copy()

    assert type(saved) is dict
    reads_store = stage in ("live", "rampdown", "complete")
    expected = {"s1": {"user": "ada"}, "s2": {"user": "bob"}}
    assert saved == ({**expected, "s3": {"user": "eve"}} if reads_store else expected)
    saved["s1"]["user"] = "changed"
    monkeypatch.setenv("STATELESS_MODE", "complete")
    assert sessions["s1"] == {"user": "ada"}
