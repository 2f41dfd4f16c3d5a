"""`memoize` over a function's own memo, and a dict memo's `get_or_set`, at every stage, on
real Redis: the old memo stays what it was (its `maxsize`, `cache_info()`, `cache_clear()`)
and alone answers at `off`, with no store in reach."""

from __future__ import annotations

import functools
from collections.abc import Callable
from types import ModuleType

import pytest

from migrator.runtime import Component

NO_STORE = "redis://127.0.0.1:1/0"  # nothing listens: any store call would fail


@pytest.fixture
def rt(runtime: Callable[..., ModuleType]) -> ModuleType:
    return runtime(Component("rates", "cache", "redis", ttl=60))


def _rates(calls: list[str], table: dict[str, float]) -> Callable[[str], float]:
    @functools.lru_cache(maxsize=2)
    def rates(currency: str) -> float:
        calls.append(currency)
        return table[currency]

    return rates


def test_at_off_the_original_lru_cache_answers_alone_with_its_bound_and_statistics(
    rt: ModuleType, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("STATELESS_REDIS_URL", NO_STORE)
    calls: list[str] = []
    rates = rt.cache("rates").memoize(_rates(calls, {"eur": 1.0, "usd": 1.1, "gbp": 0.8}))
    assert [rates("eur"), rates("eur"), rates("usd"), rates("gbp"), rates("eur")] == [
        1.0,
        1.0,
        1.1,
        0.8,
        1.0,
    ]
    assert calls == ["eur", "usd", "gbp", "eur"]  # maxsize=2 evicted "eur"
    assert rates.cache_info().hits == 1 and rates.cache_info().currsize == 2
    assert rates.cache_parameters()["maxsize"] == 2
    rates.cache_clear()  # the store is not asked
    assert rates.cache_info().currsize == 0
    assert rates.__name__ == "rates" and rates.__wrapped__.__wrapped__.__name__ == "rates"


def test_over_a_plain_function_the_old_side_is_an_lru_cache(rt: ModuleType) -> None:
    calls: list[int] = []

    @rt.cache("rates").memoize
    def square(n: int) -> int:
        calls.append(n)
        return n * n

    assert [square(3), square(3)] == [9, 9] and calls == [3]
    assert square.cache_parameters()["maxsize"] == 128


def test_dualwrite_answers_from_the_memo_and_stores_what_it_computes(
    rt: ModuleType, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("STATELESS_MODE", "dualwrite")
    table = {"eur": 1.0}
    first_calls: list[str] = []
    first = rt.cache("rates").memoize(_rates(first_calls, table))
    assert first("eur") == 1.0 and first("eur") == 1.0 and first_calls == ["eur"]
    monkeypatch.setenv("STATELESS_MODE", "complete")
    second_calls: list[str] = []
    second = rt.cache("rates").memoize(_rates(second_calls, table))  # another replica
    assert second("eur") == 1.0 and second_calls == []  # the store answered


def test_a_clear_on_one_replica_reaches_the_other_from_live_on(
    rt: ModuleType, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("STATELESS_MODE", "live")
    table = {"eur": 1.0}
    a = rt.cache("rates").memoize(_rates([], table))
    b = rt.cache("rates").memoize(_rates([], table))
    assert a("eur") == b("eur") == 1.0
    table["eur"] = 2.0
    a.cache_clear()  # the admin edit ran on replica a
    assert b("eur") == 2.0  # b's own memo is stale, the store answers
    assert rt.metrics.get("rates", "divergence") == 1  # and the difference is reported


def test_shadow_answers_from_the_memo_and_reports_a_stale_one(
    rt: ModuleType, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("STATELESS_MODE", "shadow")
    table = {"eur": 1.0}
    a = rt.cache("rates").memoize(_rates([], table))
    b = rt.cache("rates").memoize(_rates([], table))
    assert a("eur") == b("eur") == 1.0
    table["eur"] = 2.0
    a.cache_clear()
    assert b("eur") == 1.0  # the old side is still the truth
    assert rt.metrics.get("rates", "divergence") == 1


def test_complete_never_runs_the_old_memo_and_entries_expire(
    runtime: Callable[..., ModuleType], monkeypatch: pytest.MonkeyPatch
) -> None:
    rt = runtime(Component("rates", "cache", "redis", ttl=1))
    monkeypatch.setenv("STATELESS_MODE", "complete")
    calls: list[str] = []
    rates = rt.cache("rates").memoize(_rates(calls, {"eur": 1.0}))
    assert rates("eur") == rates("eur") == 1.0 and calls == ["eur"]
    assert rates.cache_info().currsize == 0  # the old memo is not used
    rates.cache_clear()
    assert rates("eur") == 1.0 and calls == ["eur", "eur"]


def test_a_result_the_store_cannot_keep_is_reported_before_live_and_raised_from_live(
    rt: ModuleType, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("STATELESS_MODE", "dualwrite")

    @rt.cache("rates").memoize
    @functools.lru_cache
    def parse(text: str) -> object:
        return object()

    assert parse("a") is parse("a")  # the old memo is the truth; the failure is counted
    assert rt.metrics.get("rates", "new_side_failure") == 1
    monkeypatch.setenv("STATELESS_MODE", "live")
    with pytest.raises(rt.UnserializableError):
        parse("b")


def test_a_dict_memo_at_off_is_the_dict_alone(
    rt: ModuleType, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("STATELESS_REDIS_URL", NO_STORE)
    old: dict[str, float] = {}
    memo = rt.cache("rates", old)
    assert memo.get_or_set("eur", lambda: 1.0) == 1.0
    assert memo.get_or_set("eur", lambda: pytest.fail("computed twice")) == 1.0
    assert old == {"eur": 1.0}
    memo.clear()
    assert old == {}


def test_a_dict_memo_fills_the_store_with_a_fresh_value_not_the_old_entry(
    rt: ModuleType, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("STATELESS_MODE", "shadow")
    memo = rt.cache("rates", {"eur": 1.0})  # filled before the data changed
    assert memo.get_or_set("eur", lambda: 2.0) == 1.0  # the old side is still the truth
    assert rt.metrics.get("rates", "divergence") == 1  # and the stale entry is reported
    monkeypatch.setenv("STATELESS_MODE", "complete")
    assert memo.get_or_set("eur", lambda: pytest.fail("computed again")) == 2.0
