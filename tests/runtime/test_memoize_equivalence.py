"""Property: behind `memoize`, a memoised function answers what the original memo answers, at
every stage and as the stages move forward, on real Redis.

The service's contract with its memo is kept: data changes are followed by `cache_clear()`
(the admin edit). The reference is the same function under a plain `functools.lru_cache`
with the same `maxsize`, over its own copy of the data.
"""

from __future__ import annotations

import functools
import uuid
from collections.abc import Callable
from types import ModuleType

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from migrator.runtime import Component

from .conftest import STAGES

KEYS = st.sampled_from(["eur", "usd", "gbp", "chf"])
OPERATIONS = st.lists(
    st.one_of(
        st.tuples(st.just("call"), KEYS),
        st.tuples(st.just("update"), KEYS, st.integers(-5, 5)),
        st.tuples(st.just("clear")),
        st.tuples(st.just("forward")),  # the flag moves to the next stage
    ),
    max_size=30,
)


def _memoised(table: dict[str, int], maxsize: int) -> Callable[[str], dict[str, object]]:
    def rates(currency: str) -> dict[str, object]:
        return {"currency": currency, "rate": table[currency], "pair": (currency, "eur")}

    rates.__qualname__ = f"rates_{uuid.uuid4().hex}"  # each example its own entries
    return functools.lru_cache(maxsize=maxsize)(rates)


@pytest.fixture
def rt(runtime: Callable[..., ModuleType]) -> ModuleType:
    return runtime(Component("rates", "cache", "redis", ttl=60))


@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(
    start=st.sampled_from(STAGES),
    maxsize=st.integers(1, 4),
    operations=OPERATIONS,
)
def test_results_equal_the_original_memo_at_every_stage(
    rt: ModuleType,
    monkeypatch: pytest.MonkeyPatch,
    start: str,
    maxsize: int,
    operations: list[tuple[object, ...]],
) -> None:
    stage = STAGES.index(start)
    monkeypatch.setenv("STATELESS_MODE", STAGES[stage])
    data = {"eur": 1, "usd": 2, "gbp": 3, "chf": 4}
    reference_data = dict(data)
    reference = _memoised(reference_data, maxsize)
    migrated = rt.cache("rates").memoize(_memoised(data, maxsize))
    for operation in operations:
        if operation[0] == "call":
            assert migrated(operation[1]) == reference(operation[1]), STAGES[stage]
        elif operation[0] == "update":
            _, key, rate = operation
            data[key] = reference_data[key] = rate  # type: ignore[index]
            migrated.cache_clear()
            reference.cache_clear()
        elif operation[0] == "clear":
            migrated.cache_clear()
            reference.cache_clear()
        elif stage + 1 < len(STAGES):
            stage += 1
            monkeypatch.setenv("STATELESS_MODE", STAGES[stage])
    assert rt.metrics.get("rates", "new_side_failure") == 0
