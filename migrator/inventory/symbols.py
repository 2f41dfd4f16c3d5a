"""The project-wide symbol table: resolves names across modules and gathers each
component's evidence from every module that touches it.

A dict defined in `state.py` and changed in `views.py` through
`from shop.state import SESSIONS as S` is one component with sites in both.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import cached_property

from migrator.inventory.extract import MUTATING_METHODS
from migrator.inventory.facts import Binding, ModuleFacts, Use

# Method calls that remove entries, and those that walk the whole container.
DELETING_METHODS = frozenset({"pop", "popitem", "remove", "discard", "clear", "popleft", "get_nowait"})
ITERATING_METHODS = frozenset({"items", "keys", "values", "__iter__", "copy"})
MUTABLE_KINDS = frozenset({"dict", "list", "set", "call"})
SCALAR_KINDS = frozenset({"int", "float", "str", "bytes", "bool", "none", "tuple", "const"})
_CTX_ACCESS = {
    "load": ("read", ""),
    "call": ("read", "call"),
    "decorator": ("read", "decorator"),
    "with": ("read", "with"),
    "arg": ("read", "escape"),
    "iter": ("iterate", ""),
    "len": ("read", "len"),
    "is": ("read", "is"),
    "contains": ("read", "in"),
    "sub-load": ("read", ""),
    "store": ("write", "rebind"),
    "del": ("delete", "rebind"),
    "aug": ("mutate", "aug"),
    "sub-store": ("write", ""),
    "sub-del": ("delete", ""),
    "sub-aug": ("mutate", "aug-item"),
}


@dataclass(frozen=True)
class Site:
    """A resolved use of a component."""

    path: str
    line: int
    access: str  # read | write | delete | mutate | iterate
    detail: str  # method name, nested, aug, rebind, escape, ...
    func: str  # the enclosing function's qualified name within its module
    module: str

    @property
    def changes(self) -> bool:
        return self.access in ("write", "delete", "mutate")


@dataclass
class Component:
    """A module-, class- or instance-level name with every site that uses it."""

    qualname: str  # "shop.state.SESSIONS", "chat.ws.ConnectionManager.active"
    facts: ModuleFacts  # the defining module
    binding: Binding
    sites: list[Site] = field(default_factory=list)

    @property
    def symbol(self) -> str:
        return self.binding.name

    @property
    def changes(self) -> list[Site]:
        return [s for s in self.sites if s.changes]


def site_access(ctx: str, rest: str) -> tuple[str, str]:
    """(access, detail) of a use, given how the chain was used and what followed the component."""
    if ctx.startswith("nested-"):
        return "mutate", "nested" + (":" + ctx.partition(":")[2] if ":" in ctx else "")
    if not rest:
        return _CTX_ACCESS.get(ctx, ("read", ""))
    method = rest.partition(".")[0]
    if "." in rest:
        return ("mutate", "nested") if ctx in ("store", "aug", "del", "sub-store", "sub-aug") else ("read", rest)
    if ctx == "call":
        if method in DELETING_METHODS:
            return "delete", method
        if method in MUTATING_METHODS:
            return "mutate", method
        if method in ITERATING_METHODS:
            return "iterate", method
        return "read", method
    if ctx in ("store", "aug", "del", "sub-store", "sub-aug", "sub-del"):
        return "mutate", "attribute"
    if ctx == "iter":
        return "iterate", method
    return "read", method


class Project:
    """All modules' facts, with name resolution across them."""

    def __init__(self, modules: list[ModuleFacts]) -> None:
        self.by_module: dict[str, ModuleFacts] = {}
        for facts in sorted(modules, key=lambda m: m.path):
            # Two scripts of one name in unrelated folders: the later one keeps its path as name.
            name = facts.module if facts.module not in self.by_module else facts.path[:-3].replace("/", ".")
            self.by_module[name] = facts
        self.by_path = {m.path: m for m in modules}
        self._bindings: dict[str, dict[str, Binding]] = {
            name: {b.name: b for b in m.bindings} for name, m in self.by_module.items()
        }
        self._module_of_path = {m.path: name for name, m in self.by_module.items()}

    def module_name(self, facts: ModuleFacts) -> str:
        return self._module_of_path[facts.path]

    # ---- resolution --------------------------------------------------------

    def canonical(self, dotted: str) -> str:
        """Follow re-exports (`from .state import SESSIONS` in a package `__init__`)."""
        for _ in range(10):
            module, name = self._split_module(dotted)
            if module is None or not name:
                return dotted
            first, dot, rest = name.partition(".")
            facts = self.by_module[module]
            if first in self._bindings[module]:
                return dotted
            target = facts.imports.get(first)
            if target is None:
                for star in facts.star_imports:
                    if star in self._bindings and first in self._bindings[star]:
                        target = f"{star}.{first}"
                        break
            if target is None or target == dotted:
                return dotted
            dotted = target + dot + rest
        return dotted

    def _split_module(self, dotted: str) -> tuple[str | None, str]:
        parts = dotted.split(".")
        for cut in range(len(parts), 0, -1):
            head = ".".join(parts[:cut])
            if head in self.by_module:
                return head, ".".join(parts[cut:])
        return None, dotted

    def resolve_chain(self, module: str, chain: str) -> str | None:
        """The absolute dotted name a chain written in `module` refers to, if it is the project's."""
        facts = self.by_module[module]
        root, dot, rest = chain.partition(".")
        if root in facts.imports:
            target = facts.imports[root] + dot + rest
        elif root in self._bindings[module]:
            target = f"{module}.{chain}"
        else:
            for star in facts.star_imports:
                if star in self._bindings and root in self._bindings[star]:
                    target = f"{star}.{chain}"
                    break
            else:
                return None
        return self.canonical(target)

    def find_binding(self, dotted: str) -> tuple[str, Binding, str] | None:
        """(qualname, binding, rest) for the longest prefix of `dotted` that is a binding."""
        module, name = self._split_module(dotted)
        if module is None or not name:
            return None
        table = self._bindings[module]
        parts = name.split(".")
        for cut in range(min(len(parts), 3), 0, -1):
            head = ".".join(parts[:cut])
            binding = table.get(head)
            if binding is not None:
                return f"{module}.{head}", binding, ".".join(parts[cut:])
        return None

    def attribute_binding(self, module: str, cls: str, attr_chain: str) -> tuple[str, Binding, str] | None:
        """What `self.<attr_chain>` names inside a method of `cls`, looking through project bases."""
        seen = set()
        todo = [(module, cls)]
        attr, dot, rest = attr_chain.partition(".")
        while todo:
            mod, name = todo.pop()
            if (mod, name) in seen or mod not in self._bindings:
                continue
            seen.add((mod, name))
            binding = self._bindings[mod].get(f"{name}.{attr}")
            if binding is not None and binding.kind not in ("function", "class"):
                return f"{mod}.{name}.{attr}", binding, rest
            cls_binding = self._bindings[mod].get(name)
            for base in cls_binding.bases if cls_binding else ():
                found = self.find_binding(self.canonical(base))
                if found:
                    qual, _, _ = found
                    base_mod, _ = self._split_module(qual)
                    if base_mod:
                        todo.append((base_mod, qual[len(base_mod) + 1 :]))
        return None

    def resolve_use(self, module: str, use: Use) -> tuple[str, Binding, str] | None:
        root, _, rest = use.chain.partition(".")
        if root in ("self", "cls"):
            if not use.cls or not rest:
                return None
            return self.attribute_binding(module, use.cls, rest)
        target = self.resolve_chain(module, use.chain)
        if target is None:
            return None
        return self.find_binding(target)

    # ---- components --------------------------------------------------------

    @cached_property
    def components(self) -> dict[str, Component]:
        """Every binding that some function uses, with its sites, keyed by qualname."""
        found: dict[str, Component] = {}
        for module, facts in self.by_module.items():
            for use in facts.uses:
                hit = self.resolve_use(module, use)
                if hit is None:
                    continue
                qualname, binding, rest = hit
                if binding.kind in ("function", "class") and not rest:
                    continue
                comp = found.get(qualname)
                if comp is None:
                    def_module, _ = self._split_module(qualname)
                    comp = found[qualname] = Component(qualname, self.by_module[def_module or module], binding)
                access, detail = site_access(use.ctx, rest)
                comp.sites.append(Site(facts.path, use.line, access, detail, use.func, module))
        return found

    @cached_property
    def runtime_referenced(self) -> frozenset[str]:
        """Functions referenced from inside some function: they can run while serving."""
        out = set()
        for module, facts in self.by_module.items():
            for chain in facts.runtime_refs:
                target = self.resolve_chain(module, chain)
                if target:
                    out.add(target)
        return frozenset(out)

    @cached_property
    def import_time_only(self) -> frozenset[str]:
        """Functions called or used as decorators at import time, and never from a function."""
        called = set()
        for module, facts in self.by_module.items():
            for chain in facts.import_time_calls:
                target = self.canonical(chain) if "." in chain else f"{module}.{chain}"
                called.add(target)
        return frozenset(called - self.runtime_referenced)

    def runs_at_import_only(self, site: Site) -> bool:
        """Whether a site sits in a function that only runs while modules are imported."""
        top = site.func.split(".")[0]
        return f"{site.module}.{top}" in self.import_time_only

    def state_components(self) -> Iterator[Component]:
        """Components changed after import: by a function that can run while serving."""
        for comp in self.components.values():
            binding = comp.binding
            if binding.scope == "instance" and not self.is_singleton(comp):
                continue
            runtime_changes = [s for s in comp.changes if not self.runs_at_import_only(s)]
            if not runtime_changes:
                continue
            if binding.kind in SCALAR_KINDS and not any(s.detail in ("rebind", "aug") for s in runtime_changes):
                continue
            yield comp

    @cached_property
    def instantiated_classes(self) -> dict[str, list[str]]:
        """Class qualname -> module-level names bound to an instance of it."""
        out: dict[str, list[str]] = defaultdict(list)
        for module, facts in self.by_module.items():
            for b in facts.bindings:
                if b.kind == "call" and b.scope == "module" and b.ctor:
                    local = b.ctor.partition(".")[0] in self._bindings[module]
                    target = f"{module}.{b.ctor}" if local else b.ctor
                    found = self.find_binding(self.canonical(target))
                    if found and found[1].kind == "class":
                        out[found[0]].append(f"{module}.{b.name}")
        return out

    def is_singleton(self, comp: Component) -> bool:
        """Whether an instance attribute lives on an object made once at import time."""
        cls_qual = comp.qualname.rpartition(".")[0]
        return bool(self.instantiated_classes.get(cls_qual))
