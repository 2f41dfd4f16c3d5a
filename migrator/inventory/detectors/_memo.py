"""When a memo is state: its values depend on data that changes while the service runs.

A memo of a pure function of its arguments is right in every process and is not a
component; one over a database, another service or state the service changes goes
stale on every replica but the one that changed the data.
"""

from __future__ import annotations

from migrator.inventory.symbols import Component, Project

# Libraries whose calls read data that other processes change: databases, HTTP, caches.
DATA_SOURCES = (
    "sqlalchemy", "django.db", "requests", "httpx", "urllib.request", "aiohttp", "redis",
    "psycopg", "psycopg2", "pymongo", "motor", "boto3", "asyncpg", "sqlite3", "peewee",
)
_ORM_PARTS = frozenset({"objects", "query", "execute", "session", "select", "scalars"})


def reads_changing_data(
    project: Project, module: str, func: str, depth: int = 3, exclude: str = ""
) -> bool:
    """Whether a function's result can change while the service runs: it reads state that
    the service changes (other than `exclude`), a database or another service (directly or
    through what it calls)."""
    key = ("reads_changing_data", module, func, depth, exclude)
    known = project.memo.get(key)  # the same fillers and callees are asked about again
    if known is None:
        known = project.memo[key] = _reads_changing_data(project, module, func, depth, exclude)
    return bool(known)


def _reads_changing_data(
    project: Project, module: str, func: str, depth: int, exclude: str
) -> bool:
    facts = project.by_module[module]
    state = project.state_qualnames
    for use in project.uses_in(module, func):
        root, _, rest = use.chain.partition(".")
        target = facts.imports.get(root, "")
        resolved = f"{target}.{rest}" if target and rest else target
        if resolved.startswith(DATA_SOURCES) or _ORM_PARTS & set(rest.split(".")):
            return True
        hit = project.resolve_use(module, use)
        if hit is not None and hit[0] in state and hit[0] != exclude:
            return True
    if depth:
        for callee_module, callee in project.call_graph.get((module, func), ()):
            if (callee_module, callee) != (module, func) and reads_changing_data(
                project, callee_module, callee, depth - 1, exclude
            ):
                return True
    return False


def pure_memo(comp: Component, project: Project) -> bool:
    """Whether a container is a memo of a pure computation: each function that fills it
    looks the key up first and computes the value from what does not change while serving
    (no state the service changes, no database or other service), and nothing removes
    entries (which would say the values go stale)."""
    if comp.binding.kind in ("int", "float", "str", "bytes", "bool", "none", "tuple", "const"):
        return False
    if any(s.access == "mutate" or s.detail == "rebind" for s in comp.sites if s.changes):
        return False  # grown in place or replaced whole: accumulated data, not looked-up values
    fillers = {s.func for s in comp.sites if s.access == "write" or s.detail == "setdefault"}
    looked_up = {s.func for s in comp.sites if s.detail in ("in", "get")}
    if not fillers or not fillers <= looked_up:
        return False
    if any(s.access == "delete" for s in comp.sites):
        return False  # entries are invalidated: the values they hold go stale
    for func in fillers:
        module = next(s.module for s in comp.sites if s.func == func)
        if reads_changing_data(project, module, func, exclude=comp.qualname):
            return False
    return True
