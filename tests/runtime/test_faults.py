"""A store outage mid-run: tolerated and counted before `live`, a clear error from `live` on,
and over without a restart once the server is back."""

from __future__ import annotations

import time
from collections.abc import Callable
from types import ModuleType

import pytest

from migrator.runtime import Component

from .conftest import PrivateRedis

TIMEOUT = 1.0


@pytest.fixture
def rt(
    runtime: Callable[..., ModuleType],
    private_redis: PrivateRedis,
    monkeypatch: pytest.MonkeyPatch,
) -> ModuleType:
    monkeypatch.setenv("STATELESS_REDIS_URL", private_redis.url)
    monkeypatch.setenv("STATELESS_TIMEOUT", str(TIMEOUT))
    return runtime(Component("SESSIONS", "kv", "redis"), Component("HITS", "counter", "redis"))


@pytest.mark.parametrize("stage", ["dualwrite", "shadow"])
def test_before_live_the_old_side_answers_through_an_outage_and_failures_are_counted(
    rt: ModuleType, private_redis: PrivateRedis, monkeypatch: pytest.MonkeyPatch, stage: str
) -> None:
    monkeypatch.setenv("STATELESS_MODE", stage)
    old: dict[str, object] = {}
    sessions, hits = rt.kv("SESSIONS", old), rt.counter("HITS")
    sessions["sid"] = {"user": 1}
    private_redis.kill()

    started = time.monotonic()
    assert sessions["sid"] == {"user": 1}
    sessions["other"] = "written while the store is down"
    with sessions.edit("sid") as value:
        value["cart"] = ["book"]
    assert hits.incr() == 1
    assert time.monotonic() - started < 4 * (TIMEOUT + 0.5)

    assert old == {"sid": {"user": 1, "cart": ["book"]}, "other": "written while the store is down"}
    # dualwrite does not read the new side: only the set and the edit's write fail there.
    assert rt.metrics.get("SESSIONS", "new_side_failure") == {"dualwrite": 2, "shadow": 3}[stage]
    assert rt.metrics.get("HITS", "new_side_failure") == 1

    private_redis.start()
    sessions["sid"] = "after the outage"
    assert sessions["sid"] == "after the outage"
    monkeypatch.setenv("STATELESS_MODE", "complete")
    assert sessions["sid"] == "after the outage"


@pytest.mark.parametrize("stage", ["live", "rampdown", "complete"])
def test_from_live_on_an_outage_is_a_clear_error_within_the_timeout(
    rt: ModuleType, private_redis: PrivateRedis, monkeypatch: pytest.MonkeyPatch, stage: str
) -> None:
    monkeypatch.setenv("STATELESS_MODE", stage)
    sessions, hits = rt.kv("SESSIONS", {}), rt.counter("HITS")
    sessions["sid"] = "before"
    private_redis.kill()

    for operation in (
        lambda: sessions["sid"],
        lambda: sessions.__setitem__("sid", "during"),
        hits.incr,
    ):
        started = time.monotonic()
        with pytest.raises(rt.StoreUnavailableError, match=r"^(SESSIONS|HITS): .*failed"):
            operation()
        assert time.monotonic() - started < TIMEOUT + 0.5

    private_redis.start()
    sessions["sid"] = "after the outage"
    assert sessions["sid"] == "after the outage"
    assert hits.incr() == 1
