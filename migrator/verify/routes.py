"""Which handler serves a request path: routes read from the source with `ast`.

Read: decorators `@x.route(...)`, `@x.get/post/put/patch/delete/api_route(...)` (Flask,
FastAPI, Starlette, Quart, Sanic), with the `url_prefix=`/`prefix=` of the Blueprint or
router they hang on; Django `path()`/`re_path()` in `urlpatterns`, following `include()`.
A route this cannot read is simply not found; the report then names no handler.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

_VERBS = {"get", "post", "put", "patch", "delete", "head", "options"}
_PARAM = re.compile(r"<(?:[^:<>]+:)?[^<>]+>|\{[^{}]+\}")


@dataclass(frozen=True)
class Route:
    """A handler and the requests it serves."""

    pattern: re.Pattern[str]
    methods: frozenset[str]  # empty: any
    path: str  # file, relative to the root
    function: str
    line: int
    end_line: int
    shown: str  # the route as written, e.g. "/cart/<sku>"

    def serves(self, method: str, path: str) -> bool:
        return (not self.methods or method in self.methods) and bool(self.pattern.fullmatch(path))


def read_routes(root: Path, files: tuple[str, ...]) -> list[Route]:
    """Every route declared in `files` (Python files relative to `root`)."""
    trees = {}
    for rel in files:
        try:
            trees[rel] = ast.parse((root / rel).read_text("utf-8"))
        except (OSError, UnicodeDecodeError, SyntaxError, ValueError):
            continue
    routes = [r for rel, tree in trees.items() for r in _decorated(rel, tree)]
    modules = {
        rel.removesuffix(".py").removesuffix("/__init__").replace("/", "."): rel for rel in trees
    }
    included = {m for tree in trees.values() for m in _included(tree)}
    seen: set[str] = set()
    for module, rel in modules.items():
        if rel.endswith("urls.py") and module not in included:
            routes.extend(_django(rel, "/", trees, modules, seen))
    return routes


def route_for(routes: list[Route], method: str, path: str) -> Route | None:
    """The route that serves `method path` (its query left out), or None."""
    bare = path.split("?", 1)[0]
    return next((r for r in routes if r.serves(method, bare)), None)


def _decorated(rel: str, tree: ast.Module) -> Iterator[Route]:
    prefixes = _prefixes(tree)
    for node in ast.walk(tree):
        if not isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            continue
        for decorator in node.decorator_list:
            if not (isinstance(decorator, ast.Call) and isinstance(decorator.func, ast.Attribute)):
                continue
            verb, owner = decorator.func.attr, ast.unparse(decorator.func.value)
            if verb not in _VERBS | {"route", "api_route"} or not decorator.args:
                continue
            shown = _string(decorator.args[0])
            if shown is None:
                continue
            methods = {verb.upper()} if verb in _VERBS else _methods(decorator)
            full = prefixes.get(owner, "") + shown
            yield Route(
                _regex(full),
                frozenset(methods),
                rel,
                node.name,
                node.lineno,
                node.end_lineno or node.lineno,
                full,
            )


def _prefixes(tree: ast.Module) -> dict[str, str]:
    """`bp = Blueprint(..., url_prefix="/x")` / `router = APIRouter(prefix="/x")`: name -> prefix."""
    out = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.Assign) and isinstance(node.value, ast.Call):
            for keyword in node.value.keywords:
                if keyword.arg in ("url_prefix", "prefix") and (text := _string(keyword.value)):
                    for target in node.targets:
                        out[ast.unparse(target)] = text.rstrip("/")
    return out


def _methods(decorator: ast.Call) -> set[str]:
    for keyword in decorator.keywords:
        if keyword.arg == "methods" and isinstance(keyword.value, (ast.List, ast.Tuple, ast.Set)):
            return {s.upper() for e in keyword.value.elts if (s := _string(e))}
    route = isinstance(decorator.func, ast.Attribute) and decorator.func.attr == "route"
    return {"GET", "HEAD", "OPTIONS"} if route else set()


def _included(tree: ast.Module) -> Iterator[str]:
    """The modules `include("...")` names: they are not roots of the URL tree."""
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.args:
            if node.func.id == "include" and (module := _string(node.args[0])):
                yield module


def _django(
    rel: str, prefix: str, trees: dict[str, ast.Module], modules: dict[str, str], seen: set[str]
) -> Iterator[Route]:
    if rel in seen:  # an include cycle
        return
    seen.add(rel)
    tree = trees[rel]
    imports = _imports(tree)
    for node in ast.walk(tree):
        if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Name)):
            continue
        if node.func.id not in ("path", "re_path", "url") or len(node.args) < 2:
            continue
        shown = _string(node.args[0])
        if shown is None:
            continue
        target = node.args[1]
        if (
            isinstance(target, ast.Call)
            and isinstance(target.func, ast.Name)
            and target.func.id == "include"
        ):
            module = _string(target.args[0]) if target.args else None
            if module and module in modules:
                inner = prefix + (shown if node.func.id == "path" else shown.strip("^$"))
                yield from _django(modules[module], inner, trees, modules, seen)
            continue
        found = _function(target, imports, trees, modules)
        if found is None:
            continue
        where, function = found
        if node.func.id == "path":
            full = prefix + shown
            pattern = _regex(full)
        else:
            full = prefix + shown.lstrip("^")
            pattern = re.compile(re.escape(prefix) + shown.lstrip("^").rstrip("$"))
        yield Route(
            pattern,
            frozenset(),
            where,
            function.name,
            function.lineno,
            function.end_lineno or function.lineno,
            full,
        )


def _imports(tree: ast.Module) -> dict[str, str]:
    """Local name -> dotted module or object it stands for."""
    out = {}
    for node in tree.body:
        if isinstance(node, ast.ImportFrom) and node.module:
            for alias in node.names:
                out[alias.asname or alias.name] = f"{node.module}.{alias.name}"
        elif isinstance(node, ast.Import):
            for alias in node.names:
                out[alias.asname or alias.name.split(".")[0]] = alias.name
    return out


def _function(
    target: ast.expr, imports: dict[str, str], trees: dict[str, ast.Module], modules: dict[str, str]
) -> tuple[str, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef] | None:
    """The definition a Django view reference (`views.board`, `NoteView.as_view()`) names."""
    if isinstance(target, ast.Call):
        target = target.func.value if isinstance(target.func, ast.Attribute) else target.func
    dotted = ast.unparse(target)
    head, _, rest = dotted.partition(".")
    full = f"{imports.get(head, head)}.{rest}" if rest else imports.get(head, head)
    module, _, name = full.rpartition(".")
    rel = modules.get(module)
    if rel is None:
        return None
    for node in trees[rel].body:
        if (
            isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef))
            and node.name == name
        ):
            return rel, node
    return None


def _string(node: ast.expr) -> str | None:
    return node.value if isinstance(node, ast.Constant) and isinstance(node.value, str) else None


def _regex(route: str) -> re.Pattern[str]:
    """A route with `<param>`, `<int:param>` or `{param}` as a pattern of whole paths."""
    parts, at = [], 0
    for match in _PARAM.finditer(route):
        parts.append(re.escape(route[at : match.start()]))
        parts.append("[^/]+" if ":path" not in match[0] else ".+")
        at = match.end()
    parts.append(re.escape(route[at:]))
    return re.compile("".join(parts))
