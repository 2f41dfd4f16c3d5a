"""What one module says about state, as plain data: the output of the per-file pass.

A worker parses a file once with the stdlib `ast` and keeps only what the
detectors need: module- and class-level bindings, imports, how functions use
names that are not their own (reads, writes, mutations, iteration), calls to
libraries that keep state, and framework configuration. Facts are small,
picklable and cached by content hash, so a re-scan skips unchanged files.
The many small records are NamedTuples: immutable like frozen dataclasses, but
several times cheaper to create and to pickle, and the scan makes tens of thousands.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, NamedTuple

# A literal summary of an argument or value: ("const", v) | ("name", chain) |
# ("call", chain, args, kwargs) | ("dict", {k: summary}) | ("list", [...]) | ("expr",)
Summary = tuple[Any, ...]


class Binding(NamedTuple):
    """A name defined at module level, on a class body, or on `self` in `__init__`."""

    name: str  # "SESSIONS", "Manager.active" (class or instance attribute)
    line: int
    kind: str  # dict, list, set, int, str, none, call, function, class, ...
    scope: str  # module | class | instance
    ctor: str = ""  # for kind "call": the callee, resolved through this module's imports
    value: Summary = ("expr",)  # the assigned value, summarised
    decorators: tuple[Summary, ...] = ()  # for functions and classes
    bases: tuple[str, ...] = ()  # for classes: resolved base names
    annotated: bool = False  # a class attribute written `name: type = value`


class Use(NamedTuple):
    """One place inside a function where a non-local dotted name is used."""

    chain: str  # as written, maximal dotted chain: "S", "state.SESSIONS.get", "self.active"
    line: int
    ctx: str  # load, store, del, aug, call, arg, iter, len, is, contains, sub-load, sub-store,
    # sub-del, sub-aug, nested-store, nested-del, nested-aug, nested-call:<m>
    func: str  # enclosing function, e.g. "add_to_cart" or "Manager.connect"
    cls: str = ""  # enclosing class when the chain starts with self/cls


class CallSite(NamedTuple):
    """A call to a watched library or method, with its arguments summarised."""

    callee: str  # resolved through imports: "shelve.open", "open", ".save" for a method call;
    # a call given a writing mode: `p.open("wb")` as ".open" with `p` put first in args,
    # `atomic_write(path, "wt")` as ".atomic_write"
    line: int
    args: tuple[Summary, ...]
    kwargs: tuple[tuple[str, Summary], ...]
    func: str  # enclosing function, "" at module level
    target: str = ""  # the name the result is assigned to, when it is


class ConfigItem(NamedTuple):
    """A framework setting: `KEY = value` at module/class level, `app.config[KEY] = v`, ..."""

    key: str
    value: Summary
    line: int
    where: str  # module | class:<Name> | config


class AppSlot(NamedTuple):
    """A value put on the application object: `app["clients"] = set()`, `app.state.pool = p`,
    `app.ctx.cache = {}`, `app.registry = {}` (Flask, Tornado). Uses of it anywhere, through
    `request.app[...]`, `current_app.x` or `self.application.x`, are recorded as `@app.<key>`."""

    key: str
    display: str  # as a person would write it: app["clients"], app.state.pool
    line: int
    kind: str
    ctor: str
    func: str  # the function that puts it there, "" at module level
    value: Summary = ("expr",)


class Allow(NamedTuple):
    """A `# migrator: allow[category] reason` comment."""

    line: int
    category: str
    reason: str


@dataclass(frozen=True)
class ModuleFacts:
    module: str  # dotted module name
    path: str  # relative to the scan root, '/' separators
    lines: int
    imports: dict[str, str] = field(default_factory=dict)  # local name -> qualified name
    star_imports: tuple[str, ...] = ()
    bindings: tuple[Binding, ...] = ()
    uses: tuple[Use, ...] = ()
    calls: tuple[CallSite, ...] = ()
    config: tuple[ConfigItem, ...] = ()
    globals_declared: tuple[tuple[str, str], ...] = ()  # (function, name)
    import_time_calls: frozenset[str] = frozenset()  # chains called or used as decorators at import
    runtime_refs: frozenset[str] = frozenset()  # chains loaded inside functions (imports/defs)
    allows: tuple[Allow, ...] = ()
    app_slots: tuple[AppSlot, ...] = ()
    # function -> names of the methods it calls on any object (`ds.refresh()` -> "refresh")
    method_calls: tuple[tuple[str, tuple[str, ...]], ...] = ()
