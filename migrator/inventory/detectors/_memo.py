"""When a memo is state, and when what it keeps can move to a store.

A memo of a pure function of its arguments is right in every process and is not a
component; one over a database, another service or state the service changes goes
stale on every replica but the one that changed the data. Such a memo moves onto the
runtime's store only when its values can be stored there (see `results.py`); otherwise it
is left to a person, with the type that stands in the way.
"""

from __future__ import annotations

from migrator.inventory.results import OK, Results, Verdict
from migrator.inventory.symbols import Component, Project

# Libraries whose every call reads data that other processes change: databases and caches.
DATA_LIBRARIES = (
    "sqlalchemy", "django.db", "redis", "psycopg", "psycopg2", "pymongo", "motor", "boto3",
    "asyncpg", "sqlite3", "peewee",
)  # fmt: skip
# HTTP clients read another service through their requests and sessions only; the rest of
# them (URL parsing, SSL contexts, status codes, exceptions) computes nothing that changes.
HTTP_REQUESTS = {
    "requests": frozenset("get post put patch delete head options request Session session".split()),
    "httpx": frozenset(
        "get post put patch delete head options request stream Client AsyncClient".split()
    ),
    "aiohttp": frozenset({"ClientSession", "request"}),
    "urllib.request": frozenset({"urlopen", "build_opener", "OpenerDirector", "Request"}),
}
_ORM_PARTS = frozenset({"objects", "query", "execute", "session", "select", "scalars"})
# What the runtime's codec carries, for messages.
STORABLE_TYPES = (
    "None, bool, int, float, str, list, dict, tuple, set, datetime, Decimal, UUID, bytes"
)


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
        if reads_a_data_source(resolved) or _ORM_PARTS & set(rest.split(".")):
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


def reads_a_data_source(name: str) -> bool:
    """Whether a resolved library name reads data others change: any part of a database or
    cache client, the request functions and sessions of an HTTP client."""
    if name.startswith(DATA_LIBRARIES):
        return True
    for library, requests in HTTP_REQUESTS.items():
        if name == library or name.startswith(library + "."):
            rest = name[len(library) + 1 :]
            return not rest or rest.partition(".")[0] in requests
    return False


def pure_memo(comp: Component, project: Project) -> bool:
    """Whether a container is a memo of a pure computation: each function that fills it
    looks the key up first and computes the value from what does not change while serving
    (no state the service changes, no database or other service), and nothing removes
    entries (which would say the values go stale). Its definition in `__init__`
    (`self.cache = {}`) is not a use; made again by another method, it is emptied."""
    if comp.binding.kind in ("int", "float", "str", "bytes", "bool", "none", "tuple", "const"):
        return False
    defined = (comp.facts.path, comp.binding.line)
    sites = [
        s for s in comp.sites if (s.path, s.line) != defined or not s.func.endswith(".__init__")
    ]
    if any(s.access == "mutate" or s.detail == "rebind" for s in sites if s.changes):
        return False  # grown in place or replaced whole: accumulated data, not looked-up values
    fillers = {s.func for s in sites if s.access == "write" or s.detail == "setdefault"}
    looked_up = {s.func for s in sites if s.detail in ("in", "get")}
    if not fillers or not fillers <= looked_up:
        return False
    if any(s.access == "delete" for s in sites):
        return False  # entries are invalidated: the values they hold go stale
    for func in fillers:
        module = next(s.module for s in sites if s.func == func)
        if reads_changing_data(project, module, func, exclude=comp.qualname):
            return False
    return True


def unstorable_results(project: Project, module: str, func: str) -> str:
    """'' when the runtime can store what the function returns; else why not, as a clause
    ("its results of type `ParsedQuery` cannot be stored")."""
    return _clause(_results_verdict(project, module, func, depth=2))


def unstorable_values(comp: Component, project: Project, shown: bool = True) -> str:
    """'' when the runtime can store every value the functions that fill the container
    `comp` put into it; else why not, as a clause. `shown=False` asks only whether some value
    is known not to be storable (an instance of a class, a generator), not that all are."""
    last = comp.symbol.rpartition(".")[2]
    verdicts: list[Verdict] = []
    # Entries are put in by key; a rebinding (`self._memo = {}`) empties it and stores nothing.
    fillers = {
        s.func
        for s in comp.sites
        if (s.access == "write" and s.detail != "rebind")
        or s.detail == "setdefault"
        or (s.access == "mutate" and s.detail.startswith("nested"))
    }
    for func in sorted(fillers):
        module = next(s.module for s in comp.sites if s.func == func)
        results = _results_of(project, module, func)
        if results is None:
            verdicts.append(("unknown", f"what `{func}` stores"))
            continue
        for owner, verdict in results.stores:
            if owner.rpartition(".")[2] == last:
                verdicts.append(_resolved(project, module, verdict, depth=2))
    worst = _worst(verdicts) if verdicts else ("unknown", "what is stored")
    return _clause(worst if shown or worst[0] == "no" else OK, "values")


def _results_of(project: Project, module: str, func: str) -> Results | None:
    found = project.find_binding(f"{module}.{func}")
    if found is None or found[2] or found[1].kind != "function":
        return None
    value = found[1].value
    return value[2] if len(value) > 2 and isinstance(value[2], Results) else None


def _results_verdict(project: Project, module: str, func: str, depth: int) -> Verdict:
    results = _results_of(project, module, func)
    if results is None:
        return ("unknown", f"{func}(...)")
    returns = [_resolved(project, module, v, depth) for v in results.returns]
    refused = next((v for v in returns if v[0] == "no"), None)
    if refused is not None:
        return refused
    if results.annotation is not None:
        if results.annotation[0] == "no":
            return results.annotation
        if results.annotation == OK:
            return OK  # the annotation vouches for what the scan cannot follow
    return _worst(returns)


def _resolved(project: Project, module: str, verdict: Verdict, depth: int) -> Verdict:
    """A call's verdict from what the project's function returns, or its class."""
    if verdict[0] != "calls":
        return verdict
    callee = verdict[1]
    found = project.find_binding(callee if "." in callee else f"{module}.{callee}")
    if found is None:
        return ("unknown", f"{callee}(...)")
    qualname, binding, rest = found
    if rest:  # `Product.objects.get(...)`: a call on what the project defines
        return ("unknown", f"{binding.name}.{rest}(...)")
    if binding.kind == "class":
        return ("no", binding.name)
    if binding.kind != "function" or depth == 0:
        return ("unknown", f"{callee}(...)")
    owner = qualname[: -len(binding.name) - 1]
    return _results_verdict(project, owner, binding.name, depth - 1)


def _worst(verdicts: list[Verdict]) -> Verdict:
    for kind in ("no", "unknown", "calls"):
        found = next((v for v in verdicts if v[0] == kind), None)
        if found is not None:
            return found if kind != "calls" else ("unknown", f"{found[1]}(...)")
    return OK


def _clause(verdict: Verdict, noun: str = "results") -> str:
    kind, what = verdict
    if kind == "ok":
        return ""
    if kind == "no":
        return f"its {noun} of type `{what}` cannot be stored"
    return f"its {noun} (`{what}`) cannot be shown to be storable"
