"""Calls of the generated runtime's factories, found by what they resolve to.

`kv("SESSIONS", {})`, `cache("list_products", None)`, `counter(...)`, `lock(...)`,
`broadcast(...)`, `blob(...)`: the first argument names the component. A call counts only
when its function resolves (imports, aliases, relative imports) to a factory of the runtime
package, so a target's own `cache(...)` is never taken for one.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable

import libcst as cst
from libcst.metadata import QualifiedName

# The keyword each factory's old side may be passed by (it is also its second positional).
OLD_KEYWORDS = {"kv": "old", "cache": "old", "counter": "old", "lock": "old", "blob": "old_dir"}
FACTORIES = frozenset({*OLD_KEYWORDS, "broadcast"})


def component_of(call: cst.Call) -> str | None:
    """The component a call names by its first argument (a plain string), if it does."""
    if not call.args or call.args[0].keyword or call.args[0].star:
        return None
    first = call.args[0].value
    if isinstance(first, cst.SimpleString) and isinstance(first.evaluated_value, str):
        return first.evaluated_value
    return None


def factory_of(
    names: Iterable[QualifiedName], runtimes: Collection[str], package: str | None
) -> str | None:
    """The runtime factory among a callee's qualified `names` (resolved in `package` when
    relative), or None; `runtimes` are the runtime package's importable names."""
    for qualified in names:
        module, _, factory = absolute(qualified.name, package).rpartition(".")
        if module in runtimes and factory in FACTORIES:
            return factory
    return None


def absolute(name: str, package: str | None) -> str:
    """`name` with a leading relative part (`._stateless.kv`) resolved in `package`."""
    if not name.startswith("."):
        return name
    dots = len(name) - len(name.lstrip("."))
    parts = [p for p in (package or "").split(".") if p]
    return ".".join([*parts[: len(parts) - dots + 1], name[dots:]])


def runtime_names(folder: str) -> tuple[str, ...]:
    """Every dotted name the runtime in `folder` (`src/shop/_stateless`) may be imported as,
    whichever folder is the import root: `_stateless`, `shop._stateless`, ..."""
    parts = [p for p in folder.split("/") if p]
    return tuple(".".join(parts[start:]) for start in range(len(parts)))
