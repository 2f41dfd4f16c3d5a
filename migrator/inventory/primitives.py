"""Project classes that are synchronisation primitives themselves (a reader/writer lock).

Such a class is a lock: an instance that lives as long as the process is one component
of category `lock`, and the dicts, counters and conditions inside it are how it works,
not state of their own.
"""

from __future__ import annotations

from collections import defaultdict
from typing import TYPE_CHECKING

from migrator.inventory.constructors import LOCK_CTORS

if TYPE_CHECKING:
    from migrator.inventory.symbols import Project


def lock_classes(project: Project) -> frozenset[str]:
    """Qualnames of the project classes with a method that acquires (`acquire`,
    `acquire_read`), one named `release`, and a library lock or condition inside."""
    found = set()
    for module, facts in project.by_module.items():
        methods: dict[str, set[str]] = defaultdict(set)
        holding_a_lock = set()
        for b in facts.bindings:
            owner, _, attr = b.name.rpartition(".")
            if not owner or "." in owner:
                continue
            if b.kind == "function" and b.scope == "class":
                methods[owner].add(attr)
            elif b.kind == "call" and b.ctor in LOCK_CTORS:
                holding_a_lock.add(owner)
        for cls in holding_a_lock:
            names = methods[cls]
            if "release" in names and any(n.startswith("acquire") for n in names):
                found.add(f"{module}.{cls}")
    return frozenset(found)
