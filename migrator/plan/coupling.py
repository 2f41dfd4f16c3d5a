"""Which findings are used together, from their evidence sites.

Two findings are coupled when both change state in the same function, or in a function and one
it calls directly; a lock is coupled to what changes where it is used, since it guards that.
Changing two things together is what must not straddle two phases. Merely reading one (a
session lookup, a cache hit) beside a change does not tie their migrations, or every component
a handler reads would ship in the last phase. Module-level code does not couple either: it runs
once at import, so what it touches together (two settings) is set up together, not changed
together. Where a source file cannot be read, the whole file is the scope (coupling too much
only merges phases; too little could split a consistent update across two phases).
"""

from __future__ import annotations

import ast
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from migrator.model import Finding

CHANGES = frozenset({"write", "delete", "mutate"})
MODULE_SCOPE = "<module>"
FILE_SCOPE = "<file>"  # the whole file, when its source cannot be read


@dataclass(frozen=True)
class _Function:
    qualname: str
    start: int
    end: int
    calls: frozenset[str]  # bare names called in the body


@dataclass(frozen=True)
class _Module:
    functions: tuple[_Function, ...]
    imports: dict[str, tuple[str, str]]  # local name -> (module, name) from `from m import n`

    def scope_at(self, line: int) -> str:
        best: _Function | None = None
        for fn in self.functions:
            if fn.start <= line <= fn.end and (best is None or fn.start >= best.start):
                best = fn
        return best.qualname if best else MODULE_SCOPE


def _parse(path: Path, dotted: str) -> _Module | None:
    try:
        tree = ast.parse(path.read_text(encoding="utf-8"))
    except (OSError, SyntaxError, UnicodeDecodeError, ValueError):
        return None
    functions: list[_Function] = []
    imports: dict[str, tuple[str, str]] = {}

    def visit(node: ast.AST, prefix: str) -> None:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef):
                qual = f"{prefix}{child.name}"
                calls = frozenset(
                    n.func.id
                    for n in ast.walk(child)
                    if isinstance(n, ast.Call) and isinstance(n.func, ast.Name)
                )
                start = min([child.lineno, *(d.lineno for d in child.decorator_list)])
                functions.append(_Function(qual, start, child.end_lineno or child.lineno, calls))
                visit(child, f"{qual}.")
            elif isinstance(child, ast.ClassDef):
                visit(child, f"{prefix}{child.name}.")
            elif isinstance(child, ast.ImportFrom):
                base = _resolve_from(dotted, child.module, child.level)
                for alias in child.names:
                    imports[alias.asname or alias.name] = (base, alias.name)
            else:
                visit(child, prefix)

    visit(tree, "")
    return _Module(tuple(functions), imports)


def _resolve_from(dotted: str, module: str | None, level: int) -> str:
    if not level:
        return module or ""
    package = dotted.split(".")[:-level] if dotted else []
    return ".".join([*package, module] if module else package)


def _dotted(path: str) -> str:
    parts = path.removesuffix(".py").split("/")
    if parts[-1] == "__init__":
        parts = parts[:-1]
    return ".".join(parts)


class _Scopes:
    """Maps evidence sites to the function that holds them, parsing each file once."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.modules: dict[str, _Module | None] = {}
        self.by_dotted: dict[str, str] = {}

    def module(self, path: str) -> _Module | None:
        if path not in self.modules:
            self.modules[path] = _parse(self.root / path, _dotted(path))
            self.by_dotted[_dotted(path)] = path
        return self.modules[path]

    def scope(self, path: str, line: int) -> tuple[str, str]:
        module = self.module(path)
        return (path, module.scope_at(line) if module else FILE_SCOPE)

    def callees(self, path: str, scope: str) -> set[tuple[str, str]]:
        """Functions that `scope` calls directly, as (path, qualname) of top-level defs."""
        module = self.modules.get(path)
        if module is None:
            return set()
        out: set[tuple[str, str]] = set()
        for fn in module.functions:
            if fn.qualname != scope:
                continue
            for name in fn.calls:
                if name in module.imports:
                    target_mod, target_name = module.imports[name]
                    target = self.by_dotted.get(target_mod)
                    if target is not None:
                        out.add((target, target_name))
                else:
                    out.add((path, name))
        return out


def _uses(finding: Finding, scopes: _Scopes) -> dict[tuple[str, str], bool]:
    """Each scope the finding is used in -> whether it changes state there."""
    uses: dict[tuple[str, str], bool] = {}
    for site in finding.evidence:
        key = scopes.scope(site.path, site.line)
        uses[key] = uses.get(key, False) or site.access in CHANGES
    return uses


def coupled_pairs(findings: Iterable[Finding], root: Path) -> list[tuple[str, str, str]]:
    """Pairs of coupled finding ids, each with the reason in a phrase (`both used in x.py:f`)."""
    items = sorted(findings, key=lambda f: f.id)
    scopes = _Scopes(root)
    uses = {f.id: _uses(f, scopes) for f in items}
    # Resolving imports needs every module's dotted name known first.
    for path in {p for u in uses.values() for p, _ in u}:
        scopes.module(path)
    pairs: list[tuple[str, str, str]] = []
    for i, a in enumerate(items):
        for b in items[i + 1 :]:
            reason = _link(a, uses[a.id], b, uses[b.id], scopes)
            if reason:
                pairs.append((a.id, b.id, reason))
    return pairs


def _together(a: Finding, changes_a: bool, b: Finding, changes_b: bool) -> bool:
    if changes_a and changes_b:
        return True
    return (a.category == "lock" and changes_b) or (b.category == "lock" and changes_a)


def _link(
    a: Finding,
    ua: dict[tuple[str, str], bool],
    b: Finding,
    ub: dict[tuple[str, str], bool],
    scopes: _Scopes,
) -> str:
    for key in sorted(ua.keys() & ub.keys()):
        if key[1] == MODULE_SCOPE:
            continue
        if _together(a, ua[key], b, ub[key]):
            return f"{_pair(a, ua[key], b, ub[key])} in {_where(key)}"
    for first, ufirst, second, usecond in ((a, ua, b, ub), (b, ub, a, ua)):
        for key, changes in sorted(ufirst.items()):
            for callee in sorted(scopes.callees(*key) & usecond.keys()):
                if _together(first, changes, second, usecond[callee]):
                    return (
                        f"{_where(key)} {_verb(first, changes)} `{first.symbol}` and calls "
                        f"{_where(callee)}, which {_verb(second, usecond[callee])} "
                        f"`{second.symbol}`"
                    )
    return ""


def _pair(a: Finding, changes_a: bool, b: Finding, changes_b: bool) -> str:
    if changes_a and changes_b:
        return f"`{a.symbol}` and `{b.symbol}` are changed together"
    lock, other = (a, b) if a.category == "lock" and changes_b else (b, a)
    return f"`{lock.symbol}` guards a change to `{other.symbol}`"


def _verb(finding: Finding, changes: bool) -> str:
    if finding.category == "lock" and not changes:
        return "takes"
    return "changes" if changes else "uses"


def _where(key: tuple[str, str]) -> str:
    path, scope = key
    if scope == FILE_SCOPE:
        return f"`{path}`"
    return f"`{path}:{scope}`"
