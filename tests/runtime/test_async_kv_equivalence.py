"""In every stage, the kv store's async API answers a random sequence of operations exactly as a
dict does, on real Redis and PostgreSQL: the sync equivalence test, awaited."""

from __future__ import annotations

import asyncio
import copy
import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from types import ModuleType
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from migrator.runtime import Component

from .conftest import STAGES
from .test_kv_equivalence import keys, values

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
        st.tuples(st.just("edit_or_none"), keys, values),
        st.tuples(st.just("augment"), keys, values),
        st.just(("len",)),
        st.just(("keys",)),
        st.just(("copy",)),
        st.just(("clear",)),
    ),
    max_size=20,
)


def _model(op: tuple[Any, ...], model: dict[Any, Any]) -> Any:
    """What a dict answers (or the exception type it raises)."""
    name, *args = op
    try:
        if name == "set":
            model[args[0]] = args[1]
            return None
        if name == "get":
            return model[args[0]]
        if name == "get_or_none":
            return model.get(args[0])
        if name == "delete":
            del model[args[0]]
            return None
        if name == "pop":
            return model.pop(args[0], "<default>")
        if name == "setdefault":
            return model.setdefault(args[0], args[1])
        if name == "contains":
            return args[0] in model
        if name == "edit":
            value = model.get(args[0], [])
            if isinstance(value, list):
                value.append(args[1])
            model[args[0]] = value
            return None
        if name == "edit_or_none":  # `default=None`: a missing key stays missing
            if isinstance(model.get(args[0]), list):
                model[args[0]].append(args[1])
            return None
        if name == "augment":
            current = model.get(args[0], [])
            current += [args[1]]
            model[args[0]] = current
            return current
        if name == "len":
            return len(model)
        if name == "keys":
            return set(model)
        if name == "copy":
            return dict(model)
        model.clear()
        return None
    except (KeyError, TypeError) as exc:
        return type(exc)


async def _store(op: tuple[Any, ...], store: Any) -> Any:
    """The same operation through the async API."""
    name, *args = op
    try:
        if name == "set":
            return await store.aset(args[0], args[1])
        if name == "get":
            return await store.agetitem(args[0])
        if name == "get_or_none":
            return await store.aget(args[0])
        if name == "delete":
            return await store.adelete(args[0])
        if name == "pop":
            return await store.apop(args[0], "<default>")
        if name == "setdefault":
            return await store.asetdefault(args[0], args[1])
        if name == "contains":
            return await store.acontains(args[0])
        if name == "edit":
            async with store.aedit(args[0], default=[]) as value:
                if isinstance(value, list):
                    value.append(args[1])
            return None
        if name == "edit_or_none":
            async with store.aedit(args[0], default=None) as value:
                if isinstance(value, list):
                    value.append(args[1])
            return None
        if name == "augment":
            return await store.aaugment(args[0], "+=", [args[1]], default=[])
        if name == "len":
            return await store.alen()
        if name == "keys":
            return set(await store.akeys())
        if name == "copy":
            return await store.acopy()
        return await store.aclear()
    except (KeyError, TypeError) as exc:
        return type(exc)


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
    loop = asyncio.new_event_loop()

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

        async def compare() -> None:
            for op in ops:
                # Each side gets its own copy, as a value read back from a store would be.
                expected = _model(copy.deepcopy(op), model)
                assert await _store(copy.deepcopy(op), sessions) == expected, op

        with _stage("STATELESS_SESSIONS", stage):
            loop.run_until_complete(compare())
        assert rt.metrics.counts == {}
        if stage != "complete":
            assert old == model
        if stage != "off":
            with _stage("STATELESS_SESSIONS", "complete"):
                assert dict(sessions.items()) == model  # the sync API reads what async wrote

    try:
        run()
    finally:
        loop.run_until_complete(rt.aclose_connections())
        loop.close()
