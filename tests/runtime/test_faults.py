"""A store that dies or stops answering, in every stage: no request waits longer than one
timeout (plus 10 %), nothing acknowledged is lost, no order number is issued twice, errors only
from `live` on and only while the store is out, and the store takes part again without a restart.
"""

from __future__ import annotations

import importlib.util
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from migrator.runtime import Component

from .conftest import DATABASE_URL, STAGES

TIMEOUT_MS = 500
TIMEOUT = TIMEOUT_MS / 1000
COOLDOWN_MS = 300
# The promise is one timeout plus 10 %; the rest allows for a loaded 2-core machine.
LONGEST_WAIT = TIMEOUT * 1.1 + 0.15


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


scenario = _support("fault_scenario")
redis_server = _support("redis_server")
tcp_proxy = _support("tcp_proxy")


@pytest.fixture
def limits(key_prefix: str, monkeypatch: pytest.MonkeyPatch) -> None:
    # After `key_prefix`, which clears every other STATELESS_ variable.
    monkeypatch.setenv("STATELESS_TIMEOUT_MS", str(TIMEOUT_MS))
    monkeypatch.setenv("STATELESS_BREAKER_COOLDOWN_MS", str(COOLDOWN_MS))


@pytest.fixture
def server(tmp_path: Path) -> Iterator[Any]:
    """A persistent redis-server of this test's own."""
    redis = redis_server.RedisServer(tmp_path / "redis")
    redis.start()
    yield redis
    redis.stop()


@pytest.fixture
def proxy() -> Iterator[Any]:
    """A pausable proxy in front of the test PostgreSQL."""
    host, _, port = DATABASE_URL.rpartition("@")[2].partition("/")[0].partition(":")
    forward = tcp_proxy.PausableProxy(host, int(port or 5432))
    yield forward
    forward.close()


def _through(url: str, port: int) -> str:
    """`url` with its host and port replaced by the proxy's."""
    user, _, rest = url.partition("@")
    return f"{user}@127.0.0.1:{port}/{rest.partition('/')[2]}"


def _runtime(runtime: Callable[..., ModuleType], store: str) -> ModuleType:
    return runtime(Component("SESSIONS", "kv", store), Component("ORDER_SEQ", "counter", store))


def _check(figures: Any) -> None:
    assert figures.longest_wait <= LONGEST_WAIT, figures
    assert figures.lost == 0, figures
    assert figures.duplicate_ids == 0, figures
    assert figures.recovered_after is not None, figures
    assert figures.errors_outside_fault == 0, figures
    if figures.stage in ("off", "dualwrite", "shadow"):
        assert figures.errors == 0, figures  # the old side answered through the outage
    else:
        assert figures.errors > 0, figures  # an outage is an error the service sees


@pytest.mark.usefixtures("limits")
@pytest.mark.parametrize("stage", STAGES)
@pytest.mark.parametrize("how", ["killed", "paused"])
def test_redis_fault_in_every_stage(
    runtime: Callable[..., ModuleType],
    server: Any,
    monkeypatch: pytest.MonkeyPatch,
    stage: str,
    how: str,
) -> None:
    monkeypatch.setenv("STATELESS_REDIS_URL", server.url)
    monkeypatch.setenv("STATELESS_MODE", stage)
    rt = _runtime(runtime, "redis")
    fault = (scenario.Killed if how == "killed" else scenario.Paused)(f"Redis {how}", server)
    _check(scenario.run_scenario(rt, stage, fault, fault_seconds=3 * TIMEOUT))


@pytest.mark.usefixtures("limits")
@pytest.mark.parametrize("stage", STAGES)
def test_paused_postgres_in_every_stage(
    runtime: Callable[..., ModuleType], proxy: Any, monkeypatch: pytest.MonkeyPatch, stage: str
) -> None:
    monkeypatch.setenv("STATELESS_DATABASE_URL", _through(DATABASE_URL, proxy.port))
    monkeypatch.setenv("STATELESS_MODE", stage)
    rt = _runtime(runtime, "postgres")
    fault = scenario.Paused("PostgreSQL paused", proxy)
    _check(scenario.run_scenario(rt, stage, fault, fault_seconds=3 * TIMEOUT))


@pytest.mark.usefixtures("limits")
@pytest.mark.parametrize("stage", ["dualwrite", "shadow"])
def test_before_live_one_request_waits_one_timeout_however_many_calls_it_makes(
    runtime: Callable[..., ModuleType], server: Any, monkeypatch: pytest.MonkeyPatch, stage: str
) -> None:
    monkeypatch.setenv("STATELESS_REDIS_URL", server.url)
    monkeypatch.setenv("STATELESS_MODE", stage)
    rt = _runtime(runtime, "redis")
    old: dict[str, object] = {}
    sessions, orders = rt.kv("SESSIONS", old), rt.counter("ORDER_SEQ")
    sessions["sid"] = {"user": 1}
    server.pause()
    try:
        started = time.monotonic()
        for _ in range(5):
            assert sessions["sid"]["user"] == 1
            sessions["other"] = "written while the store is down"
            with sessions.edit("sid") as value:
                value["cart"] = ["book"]
            orders.incr()
        assert time.monotonic() - started <= LONGEST_WAIT
    finally:
        server.resume()
    assert old["sid"] == {"user": 1, "cart": ["book"]}
    # One call failed and opened the breaker; the others skipped the store and were counted.
    failures = rt.metrics.get("SESSIONS", "new_side_failure")
    assert failures == 1
    skipped = rt.metrics.get("SESSIONS", "breaker_skip") + rt.metrics.get(
        "ORDER_SEQ", "breaker_skip"
    )
    assert skipped >= 5
    assert rt.metrics.get("SESSIONS", "breaker_trip") == 1


@pytest.mark.usefixtures("limits")
@pytest.mark.parametrize("stage", ["live", "rampdown", "complete"])
def test_from_live_on_an_open_breaker_fails_fast_and_closes_when_the_store_answers(
    runtime: Callable[..., ModuleType], server: Any, monkeypatch: pytest.MonkeyPatch, stage: str
) -> None:
    monkeypatch.setenv("STATELESS_REDIS_URL", server.url)
    monkeypatch.setenv("STATELESS_MODE", stage)
    rt = _runtime(runtime, "redis")
    sessions = rt.kv("SESSIONS", {})
    sessions["sid"] = "before"
    server.pause()
    try:
        with pytest.raises(rt.StoreUnavailableError, match=r"^SESSIONS: get failed"):
            sessions["sid"]
        started = time.monotonic()
        with pytest.raises(rt.StoreUnavailableError, match=r"^SESSIONS: skipped: Redis failed"):
            sessions["sid"]
        assert time.monotonic() - started < TIMEOUT / 2
    finally:
        server.resume()
    time.sleep(COOLDOWN_MS / 1000)
    assert sessions["sid"] == "before"
    sessions["sid"] = "after the outage"
    assert sessions["sid"] == "after the outage"


def test_a_timeout_in_milliseconds_wins_over_the_older_seconds_variable(
    runtime: Callable[..., ModuleType], server: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("STATELESS_REDIS_URL", server.url)
    monkeypatch.setenv("STATELESS_MODE", "complete")
    monkeypatch.setenv("STATELESS_TIMEOUT", "30")
    monkeypatch.setenv("STATELESS_TIMEOUT_MS", "300")
    sessions = _runtime(runtime, "redis").kv("SESSIONS", {})
    server.pause()
    try:
        started = time.monotonic()
        with pytest.raises(Exception, match="failed: TimeoutError"):
            sessions["sid"]
        assert time.monotonic() - started < 0.3 * 1.1 + 0.15
    finally:
        server.resume()


@pytest.mark.parametrize(
    ("variable", "value"),
    [
        ("STATELESS_TIMEOUT_MS", "0"),
        ("STATELESS_TIMEOUT", "soon"),
        ("STATELESS_BREAKER_FAILURES", "2.5"),
        ("STATELESS_BREAKER_COOLDOWN_MS", "-1"),
    ],
)
def test_a_limit_that_cannot_work_is_named_in_the_error(
    runtime: Callable[..., ModuleType], monkeypatch: pytest.MonkeyPatch, variable: str, value: str
) -> None:
    monkeypatch.setenv("STATELESS_MODE", "complete")
    sessions = _runtime(runtime, "redis").kv("SESSIONS", {})
    monkeypatch.setenv(variable, value)
    with pytest.raises(Exception, match=f"{variable}={value!r} must be"):
        sessions["sid"] = 1
