"""The codemods' view for `EscapeCheck`: the module being rewritten and the modules it imports.

The scan settles an escape over the whole project (`migrator.inventory.escapes`); a codemod
sees less, so it settles what it can see the same way and leaves the rest to the scan, whose
finding is `manual` then and never reaches it: a codemod refuses a subset of what the scan
refuses, never more.
"""

from __future__ import annotations

import ast
from collections.abc import Callable
from pathlib import Path

from libcst.codemod import CodemodContext

from migrator.inventory.escapes import Escape, EscapeCheck
from migrator.inventory.value_flows import Flow, module_imports, module_names, value_flows

from ._support import module_file


class ModuleSources:
    """`Sources` over one module's text and, on demand, the project files it imports from."""

    def __init__(self, context: CodemodContext, source: str) -> None:
        self.context = context
        self.module = context.full_module_name or "<module>"
        self.package = context.full_package_name or ""
        self._trees: dict[str, ast.Module | None] = {}
        self._flows: dict[str, tuple[Flow, ...]] = {}
        self._imports: dict[str, dict[str, str]] = {}
        self._paths: dict[str, str] = {}
        self._store(self.module, source, self.package)

    def _store(self, module: str, source: str | bytes | None, package: str) -> None:
        try:
            tree = ast.parse(source) if source is not None else None
        except (SyntaxError, ValueError):
            tree = None
        self._trees[module] = tree
        if tree is None:
            self._flows[module], self._imports[module] = (), {}
            return
        imports = module_imports(tree, package)
        self._imports[module] = imports
        self._flows[module] = value_flows(tree, module_names(tree) | set(imports), imports)

    def _load(self, module: str) -> bool:
        if module not in self._trees:
            path = module_file(self.context, module)
            text = path.read_bytes() if path is not None else None
            package = module if path is not None and path.name == "__init__.py" else ""
            self._store(module, text, package or module.rpartition(".")[0])
            if path is not None:
                self._paths[module] = self._relative(path)
        return self._trees[module] is not None

    def _relative(self, path: Path) -> str:
        here = Path(self.context.filename or path)
        depth = len(self.module.split(".")) - (0 if here.name == "__init__.py" else 1)
        root = here.parents[depth] if depth < len(here.parents) else here.parent
        try:
            return path.relative_to(root).as_posix()
        except ValueError:
            return path.as_posix()

    def imports(self) -> dict[str, str]:
        """The rewritten module's imports, local name -> qualified name."""
        return self._imports[self.module]

    def flows(self, module: str) -> tuple[Flow, ...]:
        return self._flows[module] if self._load(module) else ()

    def function(self, module: str, chain: str, cls: str) -> tuple[str, str, int] | None:
        if not self._load(module):
            return None
        root, _, rest = chain.partition(".")
        if root in ("self", "cls"):
            name = f"{cls}.{rest}"
            return (
                (module, name, 1 if root == "self" else 0) if self._defines(module, name) else None
            )
        if not rest and self._defines(module, root):
            return module, root, 0
        imported = self._imports[module].get(root)
        target = f"{imported}.{rest}" if imported and rest else imported
        for _ in range(4):  # through the re-exports of a package's `__init__`
            home, _, name = (target or "").rpartition(".")
            if not home or not self._load(home):
                return None
            if self._defines(home, name):
                return home, name, 0
            target = self._imports[home].get(name)
        return None

    def _defines(self, module: str, name: str) -> bool:
        tree = self._trees.get(module)
        body: list[ast.stmt] = tree.body if tree is not None else []
        *classes, function = name.split(".")
        for cls in classes:
            found = [n for n in body if isinstance(n, ast.ClassDef) and n.name == cls]
            body = found[0].body if found else []
        return any(
            isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef)) and n.name == function
            for n in body
        )

    def callers(self, module: str, function: str) -> list[tuple[str, str, str]]:
        """Calls in the rewritten module only: callers elsewhere are the scan's to judge."""
        found = []
        for flow in self.flows(self.module):
            called = (
                self.function(self.module, flow.source, flow.cls) if flow.part == "result" else None
            )
            if called is not None and called[:2] == (module, function):
                found.append((self.module, flow.source, flow.func))
        return found

    def path(self, module: str) -> str:
        if module == self.module:
            here = Path(self.context.filename) if self.context.filename else None
            return self._relative(here) if here is not None else module.replace(".", "/") + ".py"
        return self._paths.get(module, module.replace(".", "/") + ".py")

    def kept_unchanged(self, module: str, container: str, cls: str) -> bool | None:
        return True  # what another container does with its values is the scan's to judge


def first_escape(
    context: CodemodContext, source: str, refers: Callable[[str], bool], values: bool
) -> Escape | None:
    """The first escape in the module `source` of the component (a dotted name as written,
    `S` or `state.SESSIONS`, for which `refers` is true), or of one of its values when `values`;
    None when none is seen."""
    sources = ModuleSources(context, source)
    check = EscapeCheck(sources)
    found = []
    for flow in sources.flows(sources.module):
        if flow.part not in ("whole", "item") or not refers(flow.source):
            continue
        if flow.part == "item" and not values:
            continue
        why = check.why(sources.module, flow)
        if why:
            found.append(Escape(sources.path(sources.module), flow.line, why, flow.part == "whole"))
    return min(found, key=lambda e: e.line) if found else None
