"""Whether a value of a component escapes every rewrite: the verdict the scan and `apply` share.

`value_flows` says, one function at a time, where a value goes that no rewrite covers. Some of
those places are settled only across functions: a value passed to `helper(...)` is safe when
`helper` only reads that parameter; a value returned by `get_cart()` is safe when every caller
only reads the result (a request handler's answer is read by the framework). `EscapeCheck` follows those links through a `Sources`: the whole project for the
scan (`ProjectSources`, here), the module being rewritten and the modules it imports for a
codemod (`codemods/_escapes.py`). Both name an escape with the same sentence.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass
from typing import Protocol

from migrator.inventory.facts import Use
from migrator.inventory.symbols import Component, Project
from migrator.inventory.value_flows import Flow, value_flows

# How many calls deep a value is followed before it counts as gone.
FOLLOW_DEPTH = 4
# Components whose values a rewrite reads back from the store (kv): a value changed after it
# escapes is lost. The values of counters are numbers, and caches keep what can be recomputed.
VALUE_CATEGORIES = frozenset({"session_store", "app_data"})
DICT_KINDS = frozenset({"dict", "ordereddict", "defaultdict"})


class Sources(Protocol):
    """What `EscapeCheck` needs to know about the code around a flow."""

    def flows(self, module: str) -> tuple[Flow, ...]:
        """Every flow of a module (none when it cannot be read)."""

    def function(self, module: str, chain: str, cls: str) -> tuple[str, str, int] | None:
        """(module, function as the flows name it, parameters the call does not pass: 1 for
        a method called on an object) for a name called in `module`; None when unknown."""

    def callers(self, module: str, function: str) -> list[tuple[str, str, str]]:
        """(module, the called name as written, the calling function) of every known call."""

    def path(self, module: str) -> str:
        """The module's file, as messages show it."""

    def kept_unchanged(self, module: str, container: str, cls: str) -> bool | None:
        """Whether nothing changes the values of the container named `container` in `module`
        in place, so that a value kept there can only be read (a copy reads the same); None
        when the container is not the project's."""


@dataclass(frozen=True)
class Escape:
    """Where a component, or one of its values (`whole` False), goes that no rewrite covers."""

    path: str
    line: int
    why: str  # a phrase after the subject: "is passed to `helper`, which ..."
    whole: bool = False

    def sentence(self, symbol: str) -> str:
        """The escape as a sentence, the same in a finding and in a codemod's refusal."""
        subject = f"`{symbol}`" if self.whole else f"a value of `{symbol}`"
        return (
            f"{subject} {self.why} at `{self.path}:{self.line}`; a rewrite would lose what "
            "happens to it there"
        )


class EscapeCheck:
    """Settles the flows that `value_flows` leaves open (calls, returns) across functions."""

    def __init__(self, sources: Sources) -> None:
        self.sources = sources

    def why(self, module: str, flow: Flow, depth: int = FOLLOW_DEPTH) -> str | None:
        """Why the value in `flow` escapes every rewrite, or None when it does not."""
        if depth <= 0:
            return "goes through more calls than the codemods follow"
        if flow.kind == "escape":
            return flow.why
        if flow.kind == "mutate":
            return "is changed"
        if flow.kind == "call":
            return self.passed(module, flow, depth)
        if flow.kind == "return":
            return self.returned(module, flow, depth)
        if flow.kind == "store":
            kept = self.sources.kept_unchanged(module, flow.callee, flow.cls)
            if kept is None:
                return f"{flow.why}, which the codemods cannot follow"
            return None if kept else f"{flow.why}, whose values are changed in place"
        return None

    def passed(self, module: str, flow: Flow, depth: int) -> str | None:
        """A value passed to a function: what the function does with that parameter."""
        found = self.sources.function(module, flow.callee, flow.cls)
        if found is None:
            return f"{flow.why}, which the codemods cannot see into"
        home, function, skipped = found
        for param in self.sources.flows(home):
            if param.part != "param" or param.func != function:
                continue
            if not _is_argument(param, flow.arg, skipped):
                continue
            if param.kind == "return":  # handed back: what the caller does with the result
                for result in self._results(module, flow.callee, flow.func):
                    why = self.why(module, result, depth - 1)
                    if why:
                        where = f"`{self.sources.path(module)}:{result.line}`"
                        return f"{flow.why}, which hands it back, and the result ({where}) {why}"
                continue
            why = self.why(home, param, depth - 1)
            if why:
                where = f"`{self.sources.path(home)}:{param.line}`"
                return f"{flow.why}, where the parameter `{param.source}` ({where}) {why}"
        return None

    def returned(self, module: str, flow: Flow, depth: int) -> str | None:
        """A value returned: what the callers of the function do with it."""
        function = flow.func
        nested = function.count(".") > (1 if flow.cls else 0)
        if nested:
            return f"is returned by the nested function `{function}`"
        for caller, chain, caller_function in self.sources.callers(module, function):
            for result in self._results(caller, chain, caller_function):
                if min(flow.position, result.position) >= 0 and flow.position != result.position:
                    continue  # another element of the tuple the function returns
                why = self.why(caller, result, depth - 1)
                if why:
                    where = f"`{self.sources.path(caller)}:{result.line}`"
                    return f"is returned by `{function}`, and its caller's result ({where}) {why}"
        return None

    def _results(self, module: str, chain: str, function: str) -> list[Flow]:
        return [
            f
            for f in self.sources.flows(module)
            if f.part == "result" and f.source == chain and f.func == function
        ]


def _is_argument(param: Flow, arg: str, skipped: int) -> bool:
    """Whether a parameter's flow is about the argument `arg` ("0", a keyword, "*", "**")."""
    if arg.isdigit():
        return param.position == int(arg) + skipped
    if arg in ("*", "**"):
        return True
    return param.source == arg


class ProjectSources:
    """`Sources` over a scanned project: modules are parsed again only when a flow needs them."""

    def __init__(self, project: Project) -> None:
        self.project = project
        self._flows: dict[str, tuple[Flow, ...]] = {}
        self._callers: dict[tuple[str, str], list[tuple[str, str, str]]] | None = None

    def flows(self, module: str) -> tuple[Flow, ...]:
        found = self._flows.get(module)
        if found is None:
            found = self._flows[module] = self._read(module)
        return found

    def _read(self, module: str) -> tuple[Flow, ...]:
        facts = self.project.by_module.get(module)
        root = self.project.root
        if facts is None or root is None:
            return ()
        try:
            tree = ast.parse((root / facts.path).read_bytes())
        except (OSError, SyntaxError, ValueError):
            return ()
        names = {b.name for b in facts.bindings if b.scope == "module"} | set(facts.imports)
        return value_flows(tree, names, facts.imports)

    def function(self, module: str, chain: str, cls: str) -> tuple[str, str, int] | None:
        project = self.project
        root, _, rest = chain.partition(".")
        if root in ("self", "cls"):
            name = f"{cls}.{rest}"
            facts = project.by_module[module]
            if any(b.name == name and b.kind == "function" for b in facts.bindings):
                return module, name, 1 if root == "self" else 0
            return None
        target = project.resolve_chain(module, chain)
        found = project.find_binding(target) if target else None
        if found is None:
            return None
        qualname, binding, after = found
        if binding.kind == "function" and not after:
            home = qualname[: -len(binding.name) - 1]
            return home, binding.name, 0
        cls_qualname = project.class_of_instance.get(qualname)
        if cls_qualname is not None and after and "." not in after:  # `store.add(x)`
            cls_found = project.find_binding(f"{cls_qualname}.{after}")
            if cls_found is not None and cls_found[1].kind == "function" and not cls_found[2]:
                home = cls_found[0][: -len(cls_found[1].name) - 1]
                return home, cls_found[1].name, 1
        return None

    def callers(self, module: str, function: str) -> list[tuple[str, str, str]]:
        if self._callers is None:
            self._callers = {}
            for caller, facts in self.project.by_module.items():
                for use in facts.uses:
                    if use.ctx != "call":
                        continue
                    found = self.function(caller, use.chain, use.cls)
                    if found is not None:
                        key = (found[0], found[1])
                        self._callers.setdefault(key, []).append((caller, use.chain, use.func))
        return self._callers.get((module, function), [])

    def path(self, module: str) -> str:
        return self.project.by_module[module].path

    def kept_unchanged(self, module: str, container: str, cls: str) -> bool | None:
        hit = self.project.resolve_use(module, Use(container, 0, "load", "", cls))
        comp = self.project.components.get(hit[0]) if hit is not None and not hit[2] else None
        if comp is None:
            return None
        return not any(site.detail.startswith("nested") for site in comp.sites)


def escape_of(comp: Component, category: str, project: Project) -> Escape | None:
    """The first place (by path and line) where `comp` itself, or for a key-value component one
    of its values, goes where no rewrite can follow; None when every use is covered."""
    sources = project.memo.get(("escape-sources",))
    if not isinstance(sources, ProjectSources):
        sources = ProjectSources(project)
        project.memo[("escape-sources",)] = sources
    check = EscapeCheck(sources)
    values = category in VALUE_CATEGORIES and comp.binding.kind in DICT_KINDS
    found: list[Escape] = []
    for module in sorted({site.module for site in comp.sites}):
        for flow in sources.flows(module):
            if flow.part == "whole" or (flow.part == "item" and values):
                if not _names(project, module, flow, comp):
                    continue
                why = check.why(module, flow)
                if why:
                    path = sources.path(module)
                    found.append(Escape(path, flow.line, why, flow.part == "whole"))
    return min(found, key=lambda e: (e.path, e.line)) if found else None


def _names(project: Project, module: str, flow: Flow, comp: Component) -> bool:
    """Whether the flow's source is the component (and not something it holds)."""
    hit = project.resolve_use(module, Use(flow.source, flow.line, "load", flow.func, flow.cls))
    return hit is not None and hit[0] == comp.qualname and not hit[2]
