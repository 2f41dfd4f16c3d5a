"""Pinned components: once the cleanup phase removed the old path, only the store answers."""

from __future__ import annotations

from collections.abc import Callable
from types import ModuleType

import pytest
import redis

from migrator.runtime import Component, render_runtime

from .conftest import REDIS_URL

PINNED = (
    Component("SESSIONS", "kv", "redis", ttl=60, pinned=True),
    Component("ORDER_SEQ", "counter", "redis", pinned=True),
    Component("ORDER_LOCK", "lock", "redis", pinned=True),
    Component("CARTS", "kv", "redis"),
)


@pytest.fixture
def pinned(runtime: Callable[..., ModuleType], monkeypatch: pytest.MonkeyPatch) -> ModuleType:
    """The runtime with the environment sending every flag back to the old side."""
    monkeypatch.setenv("STATELESS_MODE", "off")
    return runtime(*PINNED)


def test_a_pinned_kv_ignores_stateless_mode_off_and_reads_the_store(
    pinned: ModuleType, key_prefix: str
) -> None:
    sessions = pinned.kv("SESSIONS")
    sessions["sid"] = {"user": 7}
    # Another instance has a process-local fallback of its own: only the store can answer it.
    assert pinned.kv("SESSIONS")["sid"] == {"user": 7}
    client = redis.Redis.from_url(REDIS_URL)
    try:
        assert client.exists("{" + key_prefix + ":SESSIONS}:sid") == 1
        assert 0 < client.ttl("{" + key_prefix + ":SESSIONS}:sid") <= 60
    finally:
        client.close()


def test_a_pinned_kv_never_writes_an_old_side_it_is_still_given(pinned: ModuleType) -> None:
    old: dict[str, object] = {}
    sessions = pinned.kv("SESSIONS", old)
    sessions["sid"] = {"cart": []}
    with sessions.edit("sid") as value:
        value["cart"].append("book")
    sessions.setdefault("other", 1)
    assert pinned.kv("SESSIONS")["sid"] == {"cart": ["book"]}
    del sessions["other"]
    assert old == {}


def test_a_pinned_flag_wins_over_its_own_setting_even_one_that_names_no_stage(
    pinned: ModuleType, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("STATELESS_SESSIONS", "off")
    assert pinned.FLAGS["SESSIONS"].stage() is pinned.Stage.COMPLETE
    monkeypatch.setenv("STATELESS_SESSIONS", "not-a-stage")
    assert pinned.FLAGS["SESSIONS"].stage() is pinned.Stage.COMPLETE
    assert pinned.FLAGS["CARTS"].stage() is pinned.Stage.OFF


def test_an_unpinned_component_still_follows_the_environment(pinned: ModuleType) -> None:
    old: dict[str, str] = {}
    pinned.kv("CARTS", old)["cart"] = "in memory"
    assert old == {"cart": "in memory"}
    assert "cart" not in pinned.kv("CARTS")


def test_a_pinned_counter_counts_on_the_store_from_its_start(pinned: ModuleType) -> None:
    assert pinned.counter("ORDER_SEQ", start=10000).incr() == 10001
    assert pinned.counter("ORDER_SEQ", start=10000).incr() == 10002


def test_a_pinned_lock_is_held_on_the_store_not_in_the_process(pinned: ModuleType) -> None:
    first, second = pinned.lock("ORDER_LOCK", timeout=5), pinned.lock("ORDER_LOCK", timeout=5)
    assert first.acquire(blocking=False)
    try:
        assert not second.acquire(blocking=False)
    finally:
        first.release()
    assert second.acquire(blocking=False)
    second.release()


def test_pinning_is_rendered_only_for_pinned_components() -> None:
    files = render_runtime("shop", list(PINNED))
    assert '"SESSIONS": Flag("SESSIONS", pinned=True),' in files["_stateless/flags.py"]
    assert '"CARTS": Flag("CARTS"),' in files["_stateless/flags.py"]
    components = files["_stateless/components.py"]
    assert 'ComponentSpec("SESSIONS", "kv", "redis", 60, pinned=True)' in components
    assert 'ComponentSpec("CARTS", "kv", "redis", None)' in components

