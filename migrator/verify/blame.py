"""The finding most likely responsible for a step that differs: the components its handler
touches, from the scan's evidence.

From the route's handler, calls are followed by name through the project's functions (three
calls deep). A component is touched when one of its evidence sites lies in a function reached,
or when a function reached names it (its symbol, or the settings key as a string). Framework
settings (a cache or session backend, a media folder) have no site in a handler: they are
touched by handlers that use what they configure (`cache`, `session`/`login`, files).
Among the touched components, the nearest comes first, and the category that best explains
the difference breaks ties (a 401 points at sessions, a 429 at counters).
"""

from __future__ import annotations

import ast
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from migrator.model import Finding
from migrator.verify.compare import Difference
from migrator.verify.routes import Route, read_routes, route_for

DEPTH = 3
# What a handler names when it uses what a framework setting configures, per category.
_USES = {
    "cache": {"cache", "caches", "cached", "memoize"},
    "server_session_config": {"session", "login", "logout", "login_required", "authenticate"},
    "session_store": {"session", "login", "logout", "login_required", "authenticate"},
    "local_file": {
        "open",
        "save",
        "FileResponse",
        "send_file",
        "send_from_directory",
        "FILES",
        "files",
    },
    "counter_ratelimit": {"limit", "limiter", "throttle", "ratelimit"},
}
_BY_STATUS = {
    401: ("session_store", "server_session_config"),
    403: ("session_store", "server_session_config"),
    302: ("session_store", "server_session_config"),
    429: ("counter_ratelimit",),
    404: ("local_file", "app_data"),
    500: ("local_file", "app_data"),
}
_DEFAULT_ORDER = ("cache", "counter_ratelimit", "app_data", "session_store", "server_session_config",
                  "queue_background", "connection_registry", "local_file", "lock", "other")  # fmt: skip


@dataclass(frozen=True)
class Suspect:
    """A component the step's handler touches, and how near."""

    finding: Finding
    distance: int  # 0: in the handler itself


@dataclass(frozen=True)
class Blame:
    """The handler of a step that differs and the components it touches, likeliest first."""

    handler: str  # "shop/views.py:89 show_cart", or "" when no route matched
    suspects: tuple[Suspect, ...]


@dataclass(frozen=True)
class _Function:
    path: str
    name: str
    start: int
    end: int
    calls: frozenset[str]
    names: frozenset[str]  # names, attributes and short strings it mentions


def index_functions(root: Path, files: Sequence[str]) -> dict[str, list[_Function]]:
    """Every function and method in `files`, by name."""
    out: dict[str, list[_Function]] = {}
    for rel in files:
        try:
            tree = ast.parse((root / rel).read_text("utf-8"))
        except (OSError, UnicodeDecodeError, SyntaxError, ValueError):
            continue
        for node in ast.walk(tree):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                start = min([node.lineno, *(d.lineno for d in node.decorator_list)])
                calls, names = set(), set()
                for inner in ast.walk(node):
                    if isinstance(inner, ast.Call):
                        func = inner.func
                        calls.add(
                            func.attr
                            if isinstance(func, ast.Attribute)
                            else getattr(func, "id", "")
                        )
                    if isinstance(inner, ast.Name):
                        names.add(inner.id)
                    elif isinstance(inner, ast.Attribute):
                        names.add(inner.attr)
                    elif (
                        isinstance(inner, ast.Constant)
                        and isinstance(inner.value, str)
                        and len(inner.value) < 60
                    ):
                        names.add(inner.value)
                for decorator in node.decorator_list:
                    names.update(n.id for n in ast.walk(decorator) if isinstance(n, ast.Name))
                    names.update(
                        n.attr for n in ast.walk(decorator) if isinstance(n, ast.Attribute)
                    )
                function = _Function(
                    rel,
                    node.name,
                    start,
                    node.end_lineno or node.lineno,
                    frozenset(calls),
                    frozenset(names),
                )
                out.setdefault(node.name, []).append(function)
    return out


def blame(
    difference: Difference,
    method: str,
    path: str,
    routes: list[Route],
    functions: dict[str, list[_Function]],
    findings: Sequence[Finding],
) -> Blame:
    """The handler of `method path` and the findings it touches, likeliest first."""
    route = route_for(routes, method, path)
    if route is None:
        return Blame("", ())
    handler = next(
        (
            f
            for f in functions.get(route.function, [])
            if f.path == route.path and f.start <= route.line <= f.end
        ),
        None,
    )
    if handler is None:
        return Blame(f"{route.path}:{route.line} {route.function}", ())
    reached = _reach(handler, functions)
    suspects = []
    for finding in findings:
        distance = _distance(finding, reached)
        if distance is not None:
            suspects.append(Suspect(finding, distance))
    first = _BY_STATUS.get(_status(difference), ())
    if "counter_ratelimit" not in first:  # a limiter on the route explains refusals only
        suspects = [
            Suspect(s.finding, s.distance + DEPTH + 1) if _limiter(s.finding) else s
            for s in suspects
        ]
    order = first + _DEFAULT_ORDER

    def likelihood(suspect: Suspect) -> tuple[bool, int, int, str]:
        category = suspect.finding.category
        rank = order.index(category) if category in order else len(order)
        return category not in first, suspect.distance, rank, suspect.finding.qualname

    suspects.sort(key=likelihood)
    return Blame(f"{route.path}:{route.line} {route.function}", tuple(suspects))


def _reach(handler: _Function, functions: dict[str, list[_Function]]) -> dict[_Function, int]:
    reached = {handler: 0}
    frontier = [handler]
    for depth in range(1, DEPTH + 1):
        following = []
        for function in frontier:
            for name in function.calls:
                for callee in functions.get(name, []):
                    if callee not in reached:
                        reached[callee] = depth
                        following.append(callee)
        frontier = following
    return reached


def _distance(finding: Finding, reached: dict[_Function, int]) -> int | None:
    found = []
    for function, depth in reached.items():
        sites = any(
            e.path == function.path and function.start <= e.line <= function.end
            for e in finding.evidence
        )
        named = finding.symbol in function.names
        uses = (
            finding.automation == "config"
            or finding.category in ("server_session_config",)
            or finding.category == "local_file"
        )
        if sites or named or (uses and function.names & _USES.get(finding.category, set())):
            found.append(depth)
    return min(found) if found else None


def _limiter(finding: Finding) -> bool:
    return finding.category == "counter_ratelimit" and finding.automation == "config"


def _status(difference: Difference) -> int:
    for text in (difference.one, difference.several):  # what one replica said first
        if text.isdigit() and int(text) in _BY_STATUS:
            return int(text)
    return 0


def blame_all(root: Path, differences: Sequence[Difference]) -> dict[int, Blame]:
    """Per differing step, its handler and the components it touches, from a fresh scan."""
    from migrator.inventory import ScanError, scan_project
    from migrator.inventory.files import list_project_files
    from migrator.settings import SettingsError

    try:
        findings = scan_project(root, display_root=str(root)).findings
    except (ScanError, SettingsError):
        findings = ()
    files = list_project_files(root).python
    routes = read_routes(root, files)
    functions = index_functions(root, files)
    out = {}
    for difference in differences:
        method, _, path = difference.request.partition(" ")
        out[difference.step] = blame(difference, method, path, routes, functions, findings)
    return out
