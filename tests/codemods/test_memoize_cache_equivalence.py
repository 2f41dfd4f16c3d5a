"""Property: a module rewritten by MemoizeCacheCodemod answers what the original module
answers, for random call sequences, at every flag stage and as the stages move forward, on
real Redis (the runtime rendered beside it)."""

from __future__ import annotations

import itertools
import textwrap
import uuid
from collections.abc import Callable, Sequence

import libcst as cst
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from libcst.codemod import CodemodContext
from migrator.codemods.memoize_cache import MemoizeCacheCodemod

from migrator.runtime import Component

from .conftest import RewrittenPackage

STAGES = ("off", "dualwrite", "shadow", "live", "rampdown", "complete")
ORIGINAL = textwrap.dedent(
    """
    import functools

    RATES = {"eur": 1, "usd": 2, "gbp": 3}


    @functools.lru_cache(maxsize=2)
    def quote(currency: str, amount: int = 1) -> dict:
        return {"currency": currency, "total": RATES[currency] * amount, "at": (currency,)}


    def set_rate(currency, rate):
        RATES[currency] = rate
        quote.cache_clear()
    """
)
CALLS = st.tuples(st.just("call"), st.sampled_from(["eur", "usd", "gbp"]), st.integers(1, 3))
OPERATIONS = st.lists(
    st.one_of(
        CALLS,
        st.tuples(st.just("set_rate"), st.sampled_from(["eur", "usd"]), st.integers(0, 9)),
        st.tuples(st.just("forward")),
    ),
    max_size=25,
)
_examples = itertools.count()


def _rewritten(package: str = "shop") -> str:
    codemod = MemoizeCacheCodemod(CodemodContext(), "quote", f"{package}._stateless", ttl=60)
    return codemod.transform_module(cst.parse_module(ORIGINAL)).code


@pytest.fixture
def package(
    rewritten_package: Callable[[str, Sequence[Component], dict[str, str], str], RewrittenPackage],
) -> RewrittenPackage:
    name = f"memo_{uuid.uuid4().hex[:10]}"  # a package of its own: runtimes differ by test
    components = [Component("quote", "cache", "redis", ttl=60)]
    return rewritten_package(name, components, {"pricing.py": _rewritten(name)}, "off")


def test_the_rewrite_keeps_the_original_memo_under_the_store() -> None:
    assert '@cache("quote", None, ttl=60).memoize\n@functools.lru_cache(maxsize=2)' in _rewritten()


@settings(
    max_examples=50,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(start=st.sampled_from(STAGES), operations=OPERATIONS)
def test_the_rewritten_module_answers_as_the_original(
    package: RewrittenPackage,
    monkeypatch: pytest.MonkeyPatch,
    start: str,
    operations: list[tuple[object, ...]],
) -> None:
    label = f"r{next(_examples)}"
    monkeypatch.setenv("STATELESS_MODE", "complete")
    migrated = package.replica(label, "pricing.py")
    migrated.quote.cache_clear()  # a new generation: nothing from an earlier example answers
    original: dict[str, object] = {}
    exec(compile(ORIGINAL, f"original_{label}", "exec"), original)
    stage = STAGES.index(start)
    monkeypatch.setenv("STATELESS_MODE", STAGES[stage])
    for operation in operations:
        if operation[0] == "call":
            _, currency, amount = operation
            expected = original["quote"](currency, amount)  # type: ignore[operator]
            assert migrated.quote(currency, amount) == expected, STAGES[stage]
        elif operation[0] == "set_rate":
            _, currency, rate = operation
            migrated.set_rate(currency, rate)
            original["set_rate"](currency, rate)  # type: ignore[operator]
        elif stage + 1 < len(STAGES):
            stage += 1
            monkeypatch.setenv("STATELESS_MODE", STAGES[stage])
