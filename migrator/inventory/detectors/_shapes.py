"""What kind of container or value a binding is, by how it was made."""

from __future__ import annotations

from migrator.inventory.constructors import (  # noqa: F401 - the detectors' names for them
    CACHE_CTORS,
    CONTAINER_CTORS,
    LOCK_CTORS,
    QUEUE_CTORS,
)
from migrator.inventory.facts import Binding
from migrator.inventory.symbols import Component

SCALAR_KINDS = frozenset({"int", "float", "str", "bytes", "bool", "none", "tuple", "const"})


def container_kind(binding: Binding) -> str:
    """'dict', 'list', 'set', 'defaultdict', 'counter', 'deque', ... or '' when not a container."""
    if binding.kind in ("dict", "list", "set"):
        return binding.kind
    if binding.kind == "call" and binding.ctor in CONTAINER_CTORS:
        return binding.ctor.rpartition(".")[2].lower()
    return ""


def defaultdict_factory(binding: Binding) -> str:
    """The factory of `defaultdict(int)` ('int'), or ''."""
    value = binding.value
    if binding.ctor == "collections.defaultdict" and value[0] == "call" and value[2]:
        first = value[2][0]
        if first[0] == "name":
            return str(first[1])
        if first[0] == "expr":
            return "lambda"
    return ""


def details(comp: Component) -> set[str]:
    return {s.detail for s in comp.sites}


def accesses(comp: Component) -> set[str]:
    return {s.access for s in comp.sites}


def increments(comp: Component) -> bool:
    """Whether the component (or its items) is incremented: `n += 1`, `hits[k] += 1`."""
    return any(s.detail in ("aug", "aug-item") for s in comp.changes)
