"""The project-wide symbol table: resolves names across modules and gathers each
component's evidence from every module that touches it.

A dict defined in `state.py` and changed in `views.py` through
`from shop.state import SESSIONS as S` is one component with sites in both.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

from migrator.inventory.constructors import KNOWN_STATE_CTORS
from migrator.inventory.extract import APP_CTORS, MUTATING_METHODS
from migrator.inventory.facts import Binding, ModuleFacts, Use
from migrator.inventory.primitives import lock_classes

# Method calls that remove entries, and those that walk the whole container.
DELETING_METHODS = frozenset(
    {"pop", "popitem", "remove", "discard", "clear", "popleft", "get_nowait"}
)
ITERATING_METHODS = frozenset({"items", "keys", "values", "__iter__", "copy"})
# Names of the methods of dicts, lists, sets and queues: `x.get()` on an object of unknown
# type is far more often a dict's than the project's own `get`, which is followed only when
# the object is known (a singleton, an attribute made by a project class).
CONTAINER_METHODS = frozenset(
    """get update pop popitem setdefault clear copy items keys values append extend insert
    remove index count sort reverse add discard difference_update intersection_update
    symmetric_difference_update appendleft popleft extendleft rotate""".split()
)
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
    "next": ("mutate", "next"),
    "sub-store": ("write", ""),
    "sub-del": ("delete", ""),
    "sub-aug": ("mutate", "aug-item"),
    "stamp": ("mutate", "timestamps"),
    "work": ("mutate", "work"),
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
        return (
            ("mutate", "nested")
            if ctx in ("store", "aug", "del", "sub-store", "sub-aug")
            else ("read", rest)
        )
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

    def __init__(self, modules: list[ModuleFacts], root: Path | None = None) -> None:
        self.root = root  # where the sources are, for what the facts do not keep (escapes.py)
        self.by_module: dict[str, ModuleFacts] = {}
        for facts in sorted(modules, key=lambda m: m.path):
            # Two scripts of one name in unrelated folders: the later one keeps its path as name.
            name = (
                facts.module
                if facts.module not in self.by_module
                else facts.path[:-3].replace("/", ".")
            )
            self.by_module[name] = facts
        self.by_path = {m.path: m for m in modules}
        self._bindings: dict[str, dict[str, Binding]] = {
            name: {b.name: b for b in m.bindings} for name, m in self.by_module.items()
        }
        self._module_of_path = {m.path: name for name, m in self.by_module.items()}
        self._top_packages = frozenset(name.partition(".")[0] for name in self.by_module)
        self._splits: dict[str, tuple[str | None, str]] = {}
        self._resolved: dict[tuple[str, str], str | None] = {}
        # component qualname -> the project class it is made from, when that class extends
        # a library container, queue or lock (filled with `components`)
        self.subclass_instances: dict[str, str] = {}
        self._attributes: dict[tuple[str, str, str], tuple[str, Binding, str] | None] = {}
        self._found: dict[str, tuple[str, Binding, str] | None] = {}
        # Answers that detectors compute from the project and ask for again, for one scan.
        self.memo: dict[tuple[object, ...], object] = {}

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
        """(the longest prefix that is a project module, the rest); memoised: names repeat."""
        found = self._splits.get(dotted)
        if found is None:
            found = self._splits[dotted] = self._split_module_uncached(dotted)
        return found

    def _split_module_uncached(self, dotted: str) -> tuple[str | None, str]:
        parts = dotted.split(".")
        for cut in range(len(parts), 0, -1):
            head = ".".join(parts[:cut])
            if head in self.by_module:
                return head, ".".join(parts[cut:])
        return None, dotted

    def resolve_chain(self, module: str, chain: str) -> str | None:
        """The absolute dotted name a chain written in `module` refers to, if it is the project's."""
        key = (module, chain)
        if key not in self._resolved:
            self._resolved[key] = self._resolve_chain_uncached(module, chain)
        return self._resolved[key]

    def _resolve_chain_uncached(self, module: str, chain: str) -> str | None:
        facts = self.by_module[module]
        root, dot, rest = chain.partition(".")
        if root in facts.imports:
            target = facts.imports[root] + dot + rest
            if target.partition(".")[0] not in self._top_packages:
                return None  # a third-party or standard-library name
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
        try:
            return self._found[dotted]  # memoised: the same names are looked up again and again
        except KeyError:
            found = self._found[dotted] = self._find_binding(dotted)
            return found

    def _find_binding(self, dotted: str) -> tuple[str, Binding, str] | None:
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

    def attribute_binding(
        self, module: str, cls: str, attr_chain: str
    ) -> tuple[str, Binding, str] | None:
        """What `self.<attr_chain>` names inside a method of `cls`, looking through project bases."""
        key = (module, cls, attr_chain)
        try:
            return self._attributes[key]  # memoised: a class's methods use the same attributes
        except KeyError:
            found = self._attributes[key] = self._attribute_binding(module, cls, attr_chain)
            return found

    def _attribute_binding(
        self, module: str, cls: str, attr_chain: str
    ) -> tuple[str, Binding, str] | None:
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
        if root == "@app":
            key, _, after = rest.partition(".")
            slot = self.app_slots.get(key)
            return (slot[0], slot[1], after) if slot is not None else None
        if root in ("self", "cls"):
            if not use.cls or not rest:
                return None
            found = self.attribute_binding(module, use.cls, rest)
            if (
                found is not None
                and root == "self"
                and found[1].scope == "class"
                and not found[2]
                and use.ctx in ("store", "aug", "del")
            ):
                return (
                    None  # `self.x = v` makes an instance attribute; the class's value is untouched
                )
            if (
                found is not None
                and root == "self"
                and found[1].annotated
                and found[0].rpartition(".")[0] in self.record_classes
            ):
                return None  # a field of a dataclass, pydantic or msgspec record: each object's own
            return found
        target = self.resolve_chain(module, use.chain)
        if target is None:
            return None
        found = self.find_binding(target)
        if found is not None and found[2] and found[1].kind == "call":
            # `store.sessions[k] = v` on `store = Store()`: the attribute of the singleton's class.
            cls_qual = self.class_of_instance.get(found[0])
            if cls_qual is not None:
                cls_module, cls_name = self._split_module(cls_qual)
                attribute = self.attribute_binding(cls_module or module, cls_name, found[2])
                if attribute is not None:
                    return attribute
        return found

    @cached_property
    def app_slots(self) -> dict[str, tuple[str, Binding]]:
        """Key -> (qualname, binding) of each value put on the application object by start-up
        code (a factory, a start-up hook, module level), and of each attribute that an
        application subclass sets on itself (Tornado's `self.clients = set()`)."""
        slots: dict[str, tuple[str, Binding]] = {}
        for module, facts in sorted(self.by_module.items()):
            for slot in facts.app_slots:
                owner = self.owner(module, slot.func)
                if slot.key in slots or (
                    owner in self.handlers and not STARTUP_NAME.match(owner[1].rpartition(".")[2])
                ):
                    continue  # set while serving a request: not where it is made
                binding = Binding(slot.display, slot.line, slot.kind, "app", slot.ctor)
                slots[slot.key] = (f"{module}.{slot.display}", binding)
        for cls in sorted(self.app_classes):
            cls_module, name = self._split_module(cls)
            if cls_module is None:
                continue
            for b in self.by_module[cls_module].bindings:
                cls_name, _, attr = b.name.rpartition(".")
                if cls_name == name and b.scope == "instance" and attr not in slots:
                    slots[attr] = (f"{cls_module}.{b.name}", b)
        return slots

    @cached_property
    def app_classes(self) -> frozenset[str]:
        """The project's subclasses of an application class (`tornado.web.Application`)."""
        out = set()
        for module, facts in self.by_module.items():
            for b in facts.bindings:
                if b.kind == "class" and any(base in APP_CTORS for base in b.bases):
                    out.add(f"{module}.{b.name}")
        return frozenset(out)

    @cached_property
    def class_of_instance(self) -> dict[str, str]:
        """Module-level instance qualname -> the project class it is an instance of."""
        return {inst: cls for cls, insts in self.instantiated_classes.items() for inst in insts}

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
                    if binding.kind == "call" and binding.ctor not in KNOWN_STATE_CTORS:
                        # `class JobQueue(queue.Queue)`: made like the library object it extends
                        base = self.state_base(def_module or module, binding.ctor)
                        if base:
                            self.subclass_instances[qualname] = binding.ctor
                            binding = binding._replace(ctor=base)
                    comp = found[qualname] = Component(
                        qualname, self.by_module[def_module or module], binding
                    )
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

    @cached_property
    def handlers(self) -> frozenset[tuple[str, str]]:
        """(module, function) pairs that serve requests: routes, views, handler classes' methods."""
        out = set()
        for module, facts in self.by_module.items():
            views_module = module.rpartition(".")[2] in (
                "views",
                "handlers",
                "routes",
                "api",
                "endpoints",
            )
            handler_classes = {
                b.name
                for b in facts.bindings
                if b.kind == "class" and any(_handler_base(base) for base in b.bases)
            }
            # A metaclass's `__call__(cls, *args, **kwargs)` makes objects; it serves nothing.
            metaclasses = {
                b.name for b in facts.bindings if b.kind == "class" and "type" in b.bases
            }
            for b in facts.bindings:
                if b.kind != "function":
                    continue
                owner = b.name.rpartition(".")[0]
                if (
                    any(_route_decorator(d) for d in b.decorators)
                    or owner in handler_classes
                    or (views_module and not b.name.startswith("_"))
                    or (_wsgi_or_asgi_entry(b) and owner not in metaclasses)
                ):
                    out.add((module, b.name))
        return frozenset(out)

    def owner(self, module: str, func: str) -> tuple[str, str]:
        """The module-level function or method a (possibly nested) function belongs to."""
        parts = func.split(".")
        first = self._bindings[module].get(parts[0])
        if first is not None and first.kind == "class" and len(parts) > 1:
            return module, f"{parts[0]}.{parts[1]}"
        return module, parts[0]

    @cached_property
    def call_graph(self) -> dict[tuple[str, str], set[tuple[str, str]]]:
        """Caller -> callees among the project's functions; also callbacks handed to a call."""
        graph: dict[tuple[str, str], set[tuple[str, str]]] = defaultdict(set)
        for module, facts in self.by_module.items():
            for use in facts.uses:
                if use.ctx not in ("call", "arg"):
                    continue
                caller = self.owner(module, use.func)
                root, _, rest = use.chain.partition(".")
                if root == "self" and use.cls:
                    if "." not in rest:
                        graph[caller].add((module, f"{use.cls}.{rest}"))
                    elif use.ctx == "call" and rest.count(".") == 1:  # `self.store.save()`
                        attr, _, name = rest.partition(".")
                        found = self.attribute_binding(module, use.cls, attr)
                        method = self._method_of_instance(found[0], name) if found else None
                        if method is not None:
                            graph[caller].add(method)
                    continue
                target = self.resolve_chain(module, use.chain)
                found = self.find_binding(target) if target else None
                if found and found[1].kind == "function" and not found[2]:
                    def_module, _ = self._split_module(found[0])
                    graph[caller].add((def_module or module, found[1].name))
                elif use.ctx == "call" and found and found[1].kind == "call":
                    method = self._method_of_instance(found[0], found[2])
                    if method is not None:
                        graph[caller].add(method)
        return graph

    def _method_of_instance(self, qualname: str, method: str) -> tuple[str, str] | None:
        """(module, "Class.method") that `store.save()` calls, where `store = Store()` is bound
        at module level or on `self` to an instance of a project class; else None."""
        if not method or "." in method:
            return None
        cls = self.class_of_instance.get(qualname)
        if cls is None:
            module, name = self._split_module(qualname)
            binding = self._bindings[module].get(name) if module else None
            if binding is None or binding.scope != "instance":
                return None
            cls = self.class_named(module, binding.ctor)  # type: ignore[arg-type]
        return self._method_in_class(cls, method)

    def _method_in_class(self, cls: str | None, method: str) -> tuple[str, str] | None:
        """(module, "Class.method") of a project class's method, looking through its
        project bases; None when it has none of that name."""
        for _ in range(8):
            if cls is None:
                return None
            cls_module, cls_name = self._split_module(cls)
            if cls_module is None:
                return None
            binding = self._bindings[cls_module].get(f"{cls_name}.{method}")
            if binding is not None and binding.kind == "function":
                return cls_module, binding.name
            own = self._bindings[cls_module].get(cls_name)
            bases = own.bases if own is not None else ()
            cls = next(
                (c for c in (self.class_named(cls_module, b) for b in bases) if c is not None),
                None,
            )
        return None

    @cached_property
    def callbacks(self) -> frozenset[tuple[str, str]]:
        """Functions handed to some call as an argument: they run later, not at import."""
        out = set()
        for module, facts in self.by_module.items():
            for use in facts.uses:
                if use.ctx == "arg":
                    found = self.find_binding(self.resolve_chain(module, use.chain) or "")
                    if found and found[1].kind == "function" and not found[2]:
                        out.add((self._split_module(found[0])[0] or module, found[1].name))
        return frozenset(out)

    @cached_property
    def serving(self) -> frozenset[tuple[str, str]] | None:
        """Functions that run while serving: handlers, callbacks, and what they call.

        None when the project has no recognisable handler: then anything may serve."""
        if not self.handlers:
            return None
        seen = set(self.handlers) | set(self.callbacks)
        todo = list(seen)
        graph = self.call_graph
        methods = self._methods_by_name
        called = self._method_names_called
        names_done: set[str] = set()
        while todo:
            caller = todo.pop()
            # `obj.refresh()` may reach any project method of that name: the objects' types
            # are unknown, so every such method counts as reached (over, never under).
            names = called.get(caller, ())
            fresh = [
                name
                for name in names
                if name not in names_done
                and name not in CONTAINER_METHODS
                and not STARTUP_NAME.match(name)
                and not RUNNING_NAME.match(name)
            ]
            names_done.update(fresh)
            reached = [m for name in fresh for m in methods.get(name, ())]
            for name in names:
                if "()." in name:  # `Feed().add(x)`: the method of the class the call makes
                    maker, _, method_name = name.partition("().")
                    made = self._method_in_class(
                        self._class_named(caller[0], maker, resolved=True), method_name
                    )
                    reached += [made] if made else []
            dispatched = [n[1:] for n in names if n.startswith("*")]
            if dispatched and "." in caller[1]:  # `getattr(self, "do_" + verb)()`
                cls = caller[1].partition(".")[0]
                prefixes = tuple(f"{cls}.{prefix}" for prefix in dispatched)
                reached += [
                    (caller[0], b.name)
                    for b in self.by_module[caller[0]].bindings
                    if b.kind == "function" and b.name.startswith(prefixes)
                ]
            for callee in (*graph.get(caller, ()), *reached):
                if callee not in seen:
                    seen.add(callee)
                    todo.append(callee)
        return frozenset(seen)

    @cached_property
    def _methods_by_name(self) -> dict[str, list[tuple[str, str]]]:
        """Method name -> every project method of that name, as (module, "Class.method")."""
        out: dict[str, list[tuple[str, str]]] = defaultdict(list)
        for module, facts in self.by_module.items():
            for b in facts.bindings:
                if b.kind == "function" and b.scope == "class" and b.name.count(".") == 1:
                    out[b.name.partition(".")[2]].append((module, b.name))
        return out

    @cached_property
    def _method_names_called(self) -> dict[tuple[str, str], set[str]]:
        """Function -> names of the methods it calls on objects (`self.x()` included)."""
        out: dict[tuple[str, str], set[str]] = defaultdict(set)
        for module, facts in self.by_module.items():
            for func, names in facts.method_calls:
                out[self.owner(module, func)].update(names)
        return out

    def serves_function(self, module: str, func: str) -> bool:
        """Whether a function (module-level or a method) can run while serving a request."""
        serving = self.serving
        return serving is None or self.owner(module, func) in serving

    def serves(self, site: Site) -> bool:
        """Whether a site runs while serving a request: in a handler or something it calls."""
        module, func = self.owner(site.module, site.func)
        if (module, func) in self.handlers or (module, func) in self.called_by_handlers:
            return True  # a route named `load_user` serves, whatever its name suggests
        if STARTUP_NAME.match(func.rpartition(".")[2]):
            return False  # by convention run once while the application starts
        serving = self.serving
        if serving is None:
            return True
        return (module, func) in serving

    @cached_property
    def called_by_handlers(self) -> frozenset[tuple[str, str]]:
        """Functions and methods a request handler calls itself: they serve, whatever their
        names say (`manager.register_receiver(self)` called when a websocket opens). A method
        called on an object of unknown type counts only when its name is the project's only
        method of that name and more than a bare verb (`register`, `load`)."""
        graph = self.call_graph
        methods = self._methods_by_name
        called = self._method_names_called
        out: set[tuple[str, str]] = set()
        for handler in self.handlers:
            out.update(graph.get(handler, ()))
            for name in called.get(handler, ()):
                found = methods.get(name, ())
                if (
                    len(found) == 1
                    and name not in CONTAINER_METHODS
                    and not STARTUP_NAME.fullmatch(name)
                ):
                    out.update(found)
        return frozenset(out)

    def is_command(self, module: str, func: str) -> bool:
        """Whether a function is a command-line command (click, typer, management commands)."""
        facts = self.by_module.get(module)
        if facts is not None and COMMAND_PATH.search(facts.path):
            return True  # a module of a command-line tool (cli/, scripts/, management commands)
        binding = self._bindings.get(module, {}).get(func.split(".")[0])
        if binding is None:
            return False
        for dec in binding.decorators:
            name = str(dec[1]) if dec[0] in ("name", "call") else ""
            if name.startswith(("click.", "typer.")) or name.rpartition(".")[2] in (
                "command",
                "group",
            ):
                return True
        return False

    def runs_at_import_only(self, site: Site) -> bool:
        """Whether a site sits in a function that only runs while modules are imported."""
        top = site.func.split(".")[0]
        owner = self._bindings[site.module].get(top)
        if owner is not None and owner.kind == "class":
            return False  # a method runs whenever the object is used
        return f"{site.module}.{top}" in self.import_time_only

    def uses_in(self, module: str, func: str) -> list[Use]:
        """The uses inside a function of `module` and the functions nested in it."""
        by_func = self._uses_by_function.get(module, {})
        found = list(by_func.get(func, ()))
        prefix = func + "."
        for name, uses in by_func.items():
            if name.startswith(prefix):
                found.extend(uses)
        return found

    @cached_property
    def _uses_by_function(self) -> dict[str, dict[str, list[Use]]]:
        out: dict[str, dict[str, list[Use]]] = {}
        for module, facts in self.by_module.items():
            table: dict[str, list[Use]] = defaultdict(list)
            for use in facts.uses:
                table[use.func].append(use)
            out[module] = table
        return out

    @cached_property
    def state_qualnames(self) -> frozenset[str]:
        """The qualnames of `state_components()`."""
        return frozenset(c.qualname for c in self.state_components())

    def state_components(self) -> list[Component]:
        """Components changed after import: by a function that can run while serving."""
        return self._state_components

    @cached_property
    def _state_components(self) -> list[Component]:
        return list(self._find_state_components())

    def _find_state_components(self) -> Iterator[Component]:
        for comp in self.components.values():
            binding = comp.binding
            if binding.scope == "instance" and not self.lives_with_process(comp):
                continue
            if binding.scope == "class" and binding.ctor.startswith("traitlets."):
                # a trait declared on the class holds each object's own value
                if not self.lives_with_process(comp):
                    continue
            runtime_changes = [
                s
                for s in comp.changes
                if not self.runs_at_import_only(s) and not s.func.endswith(".__init__")
            ]
            if not runtime_changes:
                continue
            if binding.kind in SCALAR_KINDS and not any(
                s.detail in ("rebind", "aug") for s in runtime_changes
            ):
                continue
            if handles_kept_for_shutdown(comp):
                continue
            if binding.scope != "module" and comp.qualname.rpartition(".")[0] in self.lock_classes:
                continue  # the inside of a lock the project wrote: the lock is the component
            yield comp

    @cached_property
    def changed_in(self) -> dict[tuple[str, str], list[Component]]:
        """(module, function) -> the components it changes, each once."""
        out: dict[tuple[str, str], list[Component]] = defaultdict(list)
        for comp in self.components.values():
            for where in {(s.module, s.func) for s in comp.changes}:
                out[where].append(comp)
        return out

    @cached_property
    def record_classes(self) -> frozenset[str]:
        """The project's dataclasses and the subclasses of pydantic, msgspec, attrs and typing
        records: `engines: set[str] = set()` in their body declares a field that every
        object gets its own copy of, not a value shared through the class."""
        found: dict[str, bool] = {}

        def is_record(qualname: str, depth: int = 0) -> bool:
            if qualname in found or depth > 8:
                return found.get(qualname, False)
            found[qualname] = False  # a cycle of bases is no record
            module, name = self._split_module(qualname)
            binding = self._bindings[module].get(name) if module else None
            if binding is None or binding.kind != "class":
                return False
            record = any(
                str(d[1]).rpartition(".")[2] in RECORD_DECORATORS for d in binding.decorators
            ) or any(base in RECORD_BASES for base in binding.bases)
            for base in binding.bases:
                if record:
                    break
                cls = self.class_named(module, base)  # type: ignore[arg-type]
                record = cls is not None and is_record(cls, depth + 1)
            found[qualname] = record
            return record

        return frozenset(
            f"{module}.{b.name}"
            for module, facts in self.by_module.items()
            for b in facts.bindings
            if b.kind == "class" and is_record(f"{module}.{b.name}")
        )

    @cached_property
    def lock_classes(self) -> frozenset[str]:
        """The project's own lock classes (see `primitives.lock_classes`)."""
        return lock_classes(self)

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

    def lives_with_process(self, comp: Component) -> bool:
        """Whether an instance attribute lives on an object that lives as long as the process."""
        return comp.qualname.rpartition(".")[0] in self.lifetime_classes

    @cached_property
    def lifetime_classes(self) -> frozenset[str]:
        """Classes whose instances live as long as the process: made at import, by start-up
        code (a factory, a start-up hook, `main`), by a memoised provider or into a global;
        application subclasses; and what such an object makes in its `__init__`. A class
        that a request handler makes is per request, wherever else it is made."""
        made_by: dict[str, set[tuple[str, str]]] = defaultdict(set)
        for module, facts in self.by_module.items():
            for use in facts.uses:
                # Classes are named in CapWords: a cheap test that skips most calls.
                if use.ctx != "call" or not use.chain.rpartition(".")[2][:1].isupper():
                    continue
                if use.chain.partition(".")[0] in ("self", "cls", "@app"):
                    continue
                cls = self._class_named(module, use.chain)
                if cls is not None:
                    made_by[cls].add(self.owner(module, use.func))
            for chain in facts.import_time_calls:
                if not chain.rpartition(".")[2][:1].isupper():
                    continue
                cls = self._class_named(module, chain)
                if cls is not None:
                    made_by[cls].add((module, ""))
        lifetime = set(self.instantiated_classes) | set(self.app_classes) | self._singletons()
        globals_set = {
            (module, func.split(".")[0])
            for module, facts in self.by_module.items()
            for func, _ in facts.globals_declared
        }
        for cls, makers in made_by.items():
            kept = [self._lifetime_maker(m, f, globals_set) for m, f in makers]
            if "kept" in kept:  # into a global, by a memoised provider, at import
                lifetime.add(cls)
            elif "started" in kept and not any(self._per_request_maker(*m) for m in makers):
                lifetime.add(cls)
        # What a class makes in `__init__` or its start-up methods lives as long as its object.
        made_in_methods: dict[tuple[str, str], set[str]] = defaultdict(set)
        for cls, makers in made_by.items():
            for module, func in makers:
                owner, dot, method = func.partition(".")
                if dot and (STARTUP_NAME.match(method) or RUNNING_NAME.match(method)):
                    made_in_methods[(module, owner)].add(cls)
        todo = list(lifetime)
        while todo:  # what a process-lifetime object makes for itself lives as long
            cls = todo.pop()
            split, name = self._split_module(cls)
            if split is None:
                continue
            module = split
            made = set()
            for b in self.by_module[module].bindings:
                if b.scope == "instance" and b.kind == "call" and b.name.startswith(name + "."):
                    found = self._class_named(module, b.ctor, resolved=True)
                    if found is not None:
                        made.add(found)
            made |= made_in_methods.get((module, name), set())
            made |= self._declared_factories(module, name)
            # Attributes a base class sets in its `__init__` live on the subclass's objects.
            binding = self._bindings[module].get(name)
            for base in binding.bases if binding else ():
                found = self._class_named(module, base, resolved=True)
                if found is not None:
                    made.add(found)
            for found in made - lifetime:
                makers = made_by.get(found, set())
                # Made in `__init__`, it lives as long as its maker, wherever else it is made.
                if (module, f"{name}.__init__") in makers or not any(
                    self._per_request_maker(*m) for m in makers
                ):
                    lifetime.add(found)
                    todo.append(found)
        return frozenset(lifetime)

    def _singletons(self) -> set[str]:
        """Classes whose one object a classmethod hands out (`ServerApp.instance()`,
        `main = App.launch_instance`, `Config.get_instance()`): the singleton idiom."""
        out = set()
        for module, facts in self.by_module.items():
            # (chain, whether it is already resolved through the module's imports)
            chains = [(u.chain, False) for u in facts.uses if u.ctx in ("call", "load")]
            chains += [(c, True) for c in facts.import_time_calls]
            chains += [
                (b.ctor, True) for b in facts.bindings if b.kind == "alias" and b.scope == "module"
            ]
            for chain, resolved in chains:
                owner, _, last = chain.rpartition(".")
                if last not in SINGLETON_GETTERS or not owner.rpartition(".")[2][:1].isupper():
                    continue
                cls = self._class_named(module, owner, resolved=resolved)
                if cls is not None:
                    out.add(cls)
        return out

    def _declared_factories(self, module: str, cls: str) -> set[str]:
        """Project classes a class declares as what it makes for itself (traitlets
        `kernel_manager_class = Type(klass=MappingKernelManager)`, `Instance(Store)`)."""
        out = set()
        prefix = cls + "."
        for b in self.by_module[module].bindings:
            if (
                b.scope != "class"
                or b.ctor not in DECLARED_FACTORIES
                or not b.name.startswith(prefix)
            ):
                continue
            named = [*b.value[2], b.value[3].get("klass"), b.value[3].get("default_value")]
            for summary in named:
                if summary is not None and summary[0] == "name":
                    found = self._class_named(module, str(summary[1]), resolved=True)
                    if found is not None:
                        out.add(found)
        return out

    def state_base(self, module: str, ctor: str, depth: int = 5) -> str:
        """The library class that holds state (`queue.Queue`, `dict`) a project class named
        by `ctor` extends, directly or through other project classes; '' when none."""
        if not ctor or not depth:
            return ""
        key = ("state_base", module, ctor, depth)
        if key not in self.memo:  # many components are made by the same few constructors
            self.memo[key] = self._state_base(module, ctor, depth)
        return str(self.memo[key])

    def _state_base(self, module: str, ctor: str, depth: int) -> str:
        root = ctor.partition(".")[0]
        if root not in self._bindings[module] and root not in self._top_packages:
            return ""  # a library's own constructor (`logging.getLogger`): not ours to open
        cls = self._class_named(module, ctor, resolved=True)
        if cls is None:
            made = self._function_named(module, ctor)  # a factory function: what it returns
            if made is None or not made[1].ctor:
                return ""
            returned = made[1].ctor
            if returned in KNOWN_STATE_CTORS or returned in ("dict", "list", "set"):
                return returned
            return self.state_base(made[0], returned, depth - 1)
        cls_module, name = self._split_module(cls)
        binding = self._bindings[cls_module or module].get(name)
        for base in binding.bases if binding else ():
            if base in KNOWN_STATE_CTORS:
                return base
            found = self.state_base(cls_module or module, base, depth - 1)
            if found:
                return found
        return ""

    def _function_named(self, module: str, chain: str) -> tuple[str, Binding] | None:
        """(defining module, binding) of the module-level project function a chain names."""
        local = chain.partition(".")[0] in self._bindings[module]
        found = self.find_binding(self.canonical(f"{module}.{chain}" if local else chain))
        if found is None or found[1].kind != "function" or found[2]:
            return None
        def_module, _ = self._split_module(found[0])
        return (def_module or module), found[1]

    def class_named(self, module: str, ctor: str) -> str | None:
        """The qualname of the project class a binding's constructor (resolved through the
        imports of `module`, where it is bound) names, or None."""
        return self._class_named(module, ctor, resolved=True) if ctor else None

    def _class_named(self, module: str, chain: str, resolved: bool = False) -> str | None:
        """The qualname of the project class a chain written in `module` names, or None."""
        if resolved:
            local = chain.partition(".")[0] in self._bindings[module]
            target: str | None = self.canonical(f"{module}.{chain}" if local else chain)
        else:
            target = self.resolve_chain(module, chain)
        found = self.find_binding(target) if target else None
        if found is None or found[1].kind != "class" or found[2]:
            return None
        return found[0]

    def _per_request_maker(self, module: str, func: str) -> bool:
        """Whether what a function makes is made per request: a handler, or a function or
        method that handlers reach (`connect()` making a device's connection), other than
        start-up code (`setup`, `create_app`, `run`)."""
        if (module, func) in self.handlers:
            return True
        serving = self.serving
        name = func.rpartition(".")[2]
        return (
            serving is not None
            and (module, func) in serving
            and not STARTUP_NAME.match(name)
            and not self.is_factory(module, func)
            and not RUNNING_NAME.match(name)
        )

    def is_factory(self, module: str, func: str) -> bool:
        """Whether a function builds the application: named so (`create_app`, `main`), or a
        module-level function that returns the application object (`return app`)."""
        if FACTORY_NAME.match(func.rpartition(".")[2]):
            return True
        binding = self._bindings[module].get(func)
        return binding is not None and binding.kind == "function" and binding.ctor == "@app"

    def starts_with_service(self, module: str, func: str) -> bool:
        """Whether a function runs once as the service starts: a factory, a start-up hook,
        `main`, or a function only called at import; not one a request handler calls
        (`init_http_context()` at the top of each request)."""
        last = func.rpartition(".")[2]
        if (module, func) in self.handlers or (module, func) in self.called_by_handlers:
            return False
        if STARTUP_NAME.match(last) or self.is_factory(module, func):
            return True
        return f"{module}.{func}" in self.import_time_only

    def _lifetime_maker(self, module: str, func: str, globals_set: set[tuple[str, str]]) -> str:
        """How long what a function makes lives: "kept" when it is made at import, into a
        global or by a memoised provider (a singleton, whoever asks for it); "started" when
        made by start-up code (a factory, a start-up hook, `main`); '' otherwise."""
        if not func:
            return "kept"
        if "." in func:
            return ""  # a method: what it makes lives as long as its object (see above)
        binding = self._bindings[module].get(func)
        if (module, func) in globals_set or (
            binding is not None
            and any(str(d[1]).rpartition(".")[2] in ("lru_cache", "cache") for d in binding.decorators)
        ):
            return "kept"
        if STARTUP_NAME.match(func) or self.is_factory(module, func):
            return "started"
        return "started" if f"{module}.{func}" in self.import_time_only else ""


def handles_kept_for_shutdown(comp: Component) -> bool:
    """Whether a container of threads, tasks or futures is read only by code that stops,
    cancels or waits for them (`stop()`, `close()`, `__aexit__`): bookkeeping for a clean
    shutdown, not work another replica needs to see (`workers` read by a status page is)."""
    if not any(s.detail == "work" for s in comp.sites):
        return False
    reads = [s for s in comp.sites if not s.changes and not s.func.endswith(".__init__")]
    return bool(reads) and all(SHUTDOWN_NAME.match(s.func.rpartition(".")[2]) for s in reads)


STARTUP_NAME = re.compile(
    r"_*(init_app|init|initiali[sz]e|setup|set_up|configure|register|load|bootstrap|install|"
    r"startup|on_startup|create_app|ready|lifespan|__init_subclass__|__set_name__)"
)
FACTORY_NAME = re.compile(
    r"_*(create|make|build|get|new)_(app|application|server|api)|app_factory|main|serve|run_app|"
    r"run_server|lifespan"
)
# Methods a long-lived object runs once to start serving (`Server.run()` makes the managers).
RUNNING_NAME = re.compile(r"_*(run|start|serve|serve_forever|main)$")
# Code that stops, closes or waits for what an object started (`close`, `_stop_tasks`, `__aexit__`).
SHUTDOWN_NAME = re.compile(
    r"_*(close|aclose|stop|shutdown|cleanup|clean_up|teardown|tear_down|terminate|dispose|"
    r"cancel|wait|join|exit|aexit|del)(_|$)"
)
COMMAND_PATH = re.compile(
    r"(^|/)(cli|commands|scripts|bin|management)(/|$)|(^|/)(cli|__main__|manage)\.py$|_cli\.py$"
)
ROUTE_DECORATORS = frozenset(
    """route get post put patch delete head options websocket websocket_route api_route
    view_config api_view endpoint before_request after_request errorhandler on_event middleware
    exception_handler require_http_methods require_GET require_POST login_required csrf_exempt
    action expose has_access has_access_api protect
    event on message block_action shortcut view_submission""".split()
)
# Classmethods that hand out a class's one object.
SINGLETON_GETTERS = frozenset(
    {"instance", "get_instance", "launch_instance", "initialized_instance"}
)
# Trait types that name the class of an object its owner makes (traitlets).
DECLARED_FACTORIES = frozenset({"traitlets.Type", "traitlets.Instance"})
# Classes whose annotated class attributes are per-object fields.
RECORD_BASES = frozenset(
    """pydantic.BaseModel pydantic.main.BaseModel pydantic_settings.BaseSettings msgspec.Struct
    typing.NamedTuple typing.TypedDict typing_extensions.TypedDict sqlmodel.SQLModel""".split()
)
RECORD_DECORATORS = frozenset({"dataclass", "define", "frozen", "mutable", "attrs", "s"})
HANDLER_BASES = frozenset(
    """View MethodView RequestHandler WebSocketHandler HTTPEndpoint WebSocketEndpoint APIView
    SockJSConnection Namespace AsyncNamespace
    GenericAPIView ViewSet ModelViewSet GenericViewSet Resource TemplateView FormView ListView
    DetailView CreateView UpdateView DeleteView RedirectView APIHandler HTTPMethodView
    ActivityHandler TeamsActivityHandler""".split()
)


def _wsgi_or_asgi_entry(binding: Binding) -> bool:
    """`__call__(self, environ, start_response)` or `__call__(self, scope, receive, send)`:
    an application object that serves every request."""
    params = binding.value[1] if binding.value[0] == "params" else 0
    return binding.name.endswith(".__call__") and params in (2, 3)


def _route_decorator(summary: tuple) -> bool:
    name = str(summary[1]) if summary[0] in ("name", "call") else ""
    return name.rpartition(".")[2] in ROUTE_DECORATORS


def _handler_base(base: str) -> bool:
    last = base.rpartition(".")[2]
    return last in HANDLER_BASES or last.endswith(
        ("Handler", "View", "Endpoint", "Consumer", "Api", "API", "Resource")
    )
