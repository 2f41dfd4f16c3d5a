"""Property: a module rewritten by DictMemoCodemod answers what the original module answers,
for random call sequences, at every flag stage and as the stages move forward, on real Redis
(the runtime rendered beside it)."""

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
from migrator.codemods.dict_memo import DictMemoCodemod

from migrator.runtime import Component

from .conftest import RewrittenPackage

STAGES = ("off", "dualwrite", "shadow", "live", "rampdown", "complete")
ORIGINAL = textwrap.dedent(
    """
    RATES = {"eur": 1, "usd": 2, "gbp": 3}
    _QUOTE_CACHE = {}


    def quote(currency):
        if currency in _QUOTE_CACHE:
            return _QUOTE_CACHE[currency]
        value = {"currency": currency, "rate": RATES[currency], "at": (currency,)}
        _QUOTE_CACHE[currency] = value
        return value


    def set_rate(currency, rate):
        RATES[currency] = rate
        _QUOTE_CACHE.pop(currency, None)


    def reset():
        _QUOTE_CACHE.clear()
    """
)
OPERATIONS = st.lists(
    st.one_of(
        st.tuples(st.just("call"), st.sampled_from(["eur", "usd", "gbp"])),
        st.tuples(st.just("set_rate"), st.sampled_from(["eur", "usd"]), st.integers(0, 9)),
        st.tuples(st.just("reset")),
        st.tuples(st.just("forward")),
    ),
    max_size=25,
)
_examples = itertools.count()


def _rewritten(package: str = "shop") -> str:
    codemod = DictMemoCodemod(CodemodContext(), "_QUOTE_CACHE", f"{package}._stateless", 60)
    return codemod.transform_module(cst.parse_module(ORIGINAL)).code


@pytest.fixture
def package(
    rewritten_package: Callable[[str, Sequence[Component], dict[str, str], str], RewrittenPackage],
) -> RewrittenPackage:
    name = f"memo_{uuid.uuid4().hex[:10]}"  # a package of its own: runtimes differ by test
    components = [Component("_QUOTE_CACHE", "cache", "redis", ttl=60)]
    return rewritten_package(name, components, {"pricing.py": _rewritten(name)}, "off")


def test_the_rewrite_reads_through_get_or_set() -> None:
    assert "return _QUOTE_CACHE.get_or_set(currency, lambda: {" in _rewritten()


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
    label = f"d{next(_examples)}"
    monkeypatch.setenv("STATELESS_MODE", "complete")
    migrated = package.replica(label, "pricing.py")
    migrated.reset()  # nothing from an earlier example answers
    original: dict[str, object] = {}
    exec(compile(ORIGINAL, f"original_{label}", "exec"), original)
    stage = STAGES.index(start)
    monkeypatch.setenv("STATELESS_MODE", STAGES[stage])
    for operation in operations:
        if operation[0] == "call":
            expected = original["quote"](operation[1])  # type: ignore[operator]
            assert migrated.quote(operation[1]) == expected, STAGES[stage]
        elif operation[0] == "set_rate":
            _, currency, rate = operation
            migrated.set_rate(currency, rate)
            original["set_rate"](currency, rate)  # type: ignore[operator]
        elif operation[0] == "reset":
            migrated.reset()
            original["reset"]()  # type: ignore[operator]
        elif stage + 1 < len(STAGES):
            stage += 1
            monkeypatch.setenv("STATELESS_MODE", STAGES[stage])
