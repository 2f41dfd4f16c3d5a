"""In every stage, the kv store answers a random sequence of operations exactly as a dict does."""

from __future__ import annotations

import copy
import datetime as dt
import os
from collections.abc import Callable, Iterator, MutableMapping
from contextlib import AbstractContextManager, contextmanager
from types import ModuleType
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from migrator.runtime import Component

from .conftest import STAGES

keys = st.sampled_from(["a", "b", "sid:1", "=looks-encoded", 7, (1, "x")])
leaves = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-5, 5),
    st.text(max_size=4),
    st.dates(),
    st.just(dt.datetime(2024, 1, 2, 3, 4, 5)),
)
values = st.recursive(
    leaves,
    lambda inner: (
        st.lists(inner, max_size=3)
        | st.tuples(inner)
        | st.dictionaries(st.text(max_size=3), inner, max_size=3)
    ),
    max_leaves=6,
)
operations = st.lists(
    st.one_of(
        st.tuples(st.just("set"), keys, values),
        st.tuples(st.just("get"), keys),
        st.tuples(st.just("get_or_none"), keys),
        st.tuples(st.just("delete"), keys),
        st.tuples(st.just("pop"), keys),
        st.tuples(st.just("setdefault"), keys, values),
        st.tuples(st.just("contains"), keys),
        st.tuples(st.just("edit"), keys, values),
        st.tuples(st.just("update"), st.dictionaries(keys, values, max_size=3)),
        st.just(("len",)),
        st.just(("keys",)),
        st.just(("items",)),
        st.just(("clear",)),
    ),
    max_size=20,
)

Editor = Callable[[Any, Any], AbstractContextManager[Any]]


@contextmanager
def _dict_edit(model: dict[Any, Any], key: Any, default: Any) -> Iterator[Any]:
    value = model[key] if key in model else default
    yield value
    model[key] = value


def _apply(op: tuple[Any, ...], mapping: MutableMapping[Any, Any], edit: Editor) -> Any:
    """The observable outcome of one operation: its answer, or the exception it raised."""
    name, *args = op
    try:
        if name == "set":
            mapping[args[0]] = args[1]
            return None
        if name == "get":
            return mapping[args[0]]
        if name == "get_or_none":
            return mapping.get(args[0])
        if name == "delete":
            del mapping[args[0]]
            return None
        if name == "pop":
            return mapping.pop(args[0], "<default>")
        if name == "setdefault":
            return mapping.setdefault(args[0], args[1])
        if name == "contains":
            return args[0] in mapping
        if name == "edit":
            with edit(args[0], []) as value:
                if isinstance(value, list):
                    value.append(args[1])
            return None
        if name == "update":
            mapping.update(args[0])
            return None
        if name == "len":
            return len(mapping)
        if name == "keys":
            return set(mapping)
        if name == "items":
            return {k: v for k, v in mapping.items()}
        mapping.clear()
        return None
    except KeyError:
        return KeyError


@contextmanager
def _stage(variable: str, stage: str) -> Iterator[None]:
    os.environ[variable] = stage
    try:
        yield
    finally:
        del os.environ[variable]


@pytest.mark.parametrize("stage", STAGES)
@pytest.mark.parametrize("store", ["redis", "postgres"])
def test_every_stage_answers_as_a_dict_does(
    runtime: Callable[..., ModuleType], store: str, stage: str
) -> None:
    rt = runtime(Component("SESSIONS", "kv", store))

    @settings(
        max_examples=30,
        deadline=None,
        suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    )
    @given(ops=operations)
    def run(ops: list[tuple[Any, ...]]) -> None:
        old: dict[Any, Any] = {}
        sessions = rt.kv("SESSIONS", old)
        with _stage("STATELESS_SESSIONS", "complete"):
            sessions.clear()
        rt.metrics.reset()
        model: dict[Any, Any] = {}
        with _stage("STATELESS_SESSIONS", stage):
            for op in ops:
                # Each side gets its own copy, as a value read back from a store would be.
                expected = _apply(copy.deepcopy(op), model, lambda k, d: _dict_edit(model, k, d))
                assert _apply(copy.deepcopy(op), sessions, sessions.edit) == expected, op
        assert rt.metrics.counts == {}
        if stage != "complete":
            assert old == model
        if stage != "off":
            with _stage("STATELESS_SESSIONS", "complete"):
                assert dict(sessions.items()) == model

    run()
