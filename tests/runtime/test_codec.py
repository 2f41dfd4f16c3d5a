"""Values go through JSON with a small type envelope: what comes back equals what went in."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Callable
from decimal import Decimal
from types import ModuleType
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from migrator.runtime import Component

hashables = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.text(max_size=8),
    st.dates(),
    st.uuids(),
    st.decimals(allow_nan=False, allow_infinity=False),
    st.binary(max_size=8),
)
scalars = st.one_of(
    hashables,
    st.floats(allow_nan=False),
    st.datetimes(timezones=st.none() | st.just(dt.timezone.utc)),
    st.times(),
)
values = st.recursive(
    scalars,
    lambda inner: st.one_of(
        st.lists(inner, max_size=4),
        st.tuples(inner, inner),
        st.dictionaries(st.text(max_size=5), inner, max_size=4),
        st.dictionaries(st.integers() | st.tuples(st.integers()), inner, max_size=3),
        st.sets(hashables, max_size=4),
        st.frozensets(hashables, max_size=4),
    ),
    max_leaves=12,
)


def _same(a: Any, b: Any) -> bool:
    """Equal, and of the same types all the way down (a tuple must not come back a list)."""
    if type(a) is not type(b):
        return False
    if isinstance(a, (list, tuple)):
        return len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b, strict=True))
    if isinstance(a, dict):
        return list(a) == list(b) and all(_same(a[k], b[k]) for k in a)
    return bool(a == b)


@pytest.fixture
def codec(runtime: Callable[..., ModuleType]) -> ModuleType:
    package = runtime(Component("SESSIONS", "kv", "redis")).__name__
    return __import__(f"{package}.codec", fromlist=["codec"])


def test_every_envelope_type_round_trips_nested(codec: ModuleType) -> None:
    value = {
        "when": dt.datetime(2024, 5, 1, 12, 30, tzinfo=dt.timezone.utc),
        "day": dt.date(2024, 5, 1),
        "at": dt.time(8, 15, 30),
        "price": Decimal("19.99"),
        "id": uuid.UUID(int=7),
        "raw": b"\x00\xff",
        "tags": {"a", "b"},
        "frozen": frozenset({1, 2}),
        "pair": (1, ("x", [2, 3])),
        "by_number": {1: "one", (2, 3): {"$t": "not an envelope"}},
    }
    back = codec.decode("SESSIONS", "k", codec.encode("SESSIONS", "k", value))
    assert _same(back, value)


@settings(
    max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(value=values)
def test_any_supported_value_comes_back_equal_and_of_the_same_type(
    codec: ModuleType, value: Any
) -> None:
    assert _same(codec.decode("C", "k", codec.encode("C", "k", value)), value)


@settings(
    max_examples=100, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(key=hashables | st.tuples(hashables, hashables) | st.frozensets(hashables, max_size=3))
def test_any_hashable_key_comes_back_from_its_store_name(codec: ModuleType, key: Any) -> None:
    name = codec.encode_key("C", key)
    assert isinstance(name, str)
    assert _same(codec.decode_key("C", name), key)


def test_a_value_of_another_type_is_a_type_error_naming_component_key_and_type(
    codec: ModuleType,
) -> None:
    class Basket:
        pass

    with pytest.raises(TypeError, match=r"SESSIONS.*'cart-1'.*Basket"):
        codec.encode("SESSIONS", "cart-1", {"items": [Basket()]})


@pytest.mark.parametrize(
    "data",
    [b"\x80\x04\x95\x00", b"\xff\xfe garbage", b"{not json", b'{"$t": "pickle", "v": "x"}'],
    ids=["pickle-header", "invalid-utf8", "broken-json", "unknown-envelope"],
)
def test_bytes_this_runtime_did_not_write_are_rejected_as_a_value_error(
    codec: ModuleType, data: bytes
) -> None:
    with pytest.raises(ValueError, match=r"SESSIONS.*'sid-9'"):
        codec.decode("SESSIONS", "sid-9", data)
