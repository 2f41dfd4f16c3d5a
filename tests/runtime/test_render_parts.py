"""A runtime carries only the parts its components use: no lock, counter or broadcast code for
a key-value component, and each kind brings its own operations back."""

from __future__ import annotations

import pytest

from migrator.runtime import Component, render_runtime

# The operations and protocol of each kind, as the rendered backends spell them.
PARTS = {
    "counter": ("def incr(", "def read_count(", "class CounterBackend("),
    "lock": ("def acquire(", "def release(", "class LockBackend("),
    "broadcast": ("def publish(", "def listen(", "class BroadcastBackend("),
    "blob": ("class BlobBackend(",),
}


def _code(components: list[Component]) -> str:
    return "\n".join(render_runtime("shop", components).values())


@pytest.mark.parametrize("store", ["redis", "postgres", "dynamodb"])
def test_a_key_value_runtime_has_no_counter_lock_broadcast_or_blob_part(store: str) -> None:
    code = _code([Component("SESSIONS", "kv", store)])
    for kind, parts in PARTS.items():
        for part in parts:
            assert part not in code, f"{part} ({kind}) rendered for a kv component on {store}"
    assert "def edit(" in code and "class KeyValueBackend(" in code


@pytest.mark.parametrize(
    ("kind", "store"),
    [("counter", "redis"), ("lock", "postgres"), ("broadcast", "postgres"), ("lock", "dynamodb")],
)
def test_each_kind_brings_its_own_part_and_no_other(kind: str, store: str) -> None:
    code = _code([Component("THING", kind, store)])
    for part in PARTS[kind]:
        assert part in code
    for other, parts in PARTS.items():
        if other != kind:
            assert not any(part in code for part in parts), other
