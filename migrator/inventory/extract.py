"""One pass over a module's `ast` that records its facts (see `facts.py`).

The walk is hand-written rather than an `ast.NodeVisitor` because each
expression is visited knowing how its parent uses it (stored into, deleted,
iterated, mutated through a method, ...), which is what tells state from
constants, and because this is the hot loop of the scan.

Dispatch is on `t = type(node)`, compared with `is`: the fastest test, but one mypy cannot
narrow `node` through. So a dispatcher views its node once as `Any` and each branch binds it
to a local annotated with the type `t` selected (`typing.cast` would cost a call a node).
"""

from __future__ import annotations

import ast
import builtins
import re
from typing import Any

from migrator.inventory.facts import (
    Allow,
    AppSlot,
    Binding,
    CallSite,
    ConfigItem,
    ModuleFacts,
    Summary,
    Use,
)
from migrator.inventory.mutations import MUTATING_METHODS
from migrator.inventory.results import function_results, is_memoised

_BUILTINS = frozenset(dir(builtins))
# Library roots whose calls can create or touch process-local state.
WATCHED_ROOTS = frozenset(
    """functools cachetools threading multiprocessing asyncio queue shelve dbm pickle sqlite3
    flask_caching flask_session flask_limiter slowapi limits apscheduler celery werkzeug cachelib
    django collections concurrent aiofiles shutil tempfile diskcache joblib sqlitedict tinydb
    fastapi starlette flask aiohttp tornado json os pathlib io flask_socketio socketio""".split()
)
# Methods whose call on anything may write local files or start local work.
WATCHED_METHODS = frozenset(
    """save write_text write_bytes start create_task ensure_future add_task add_job
    run_in_executor submit init_app call_later spawn_callback""".split()
)
ITERATING_BUILTINS = frozenset(
    "list sorted tuple set frozenset sum any all max min enumerate".split()
)
# How a builtin uses its argument: `next(ids)` advances an iterator, `len(s)` only reads.
CALL_ARG_CONTEXTS = {"len": "len", "next": "next", "isinstance": "load", "id": "is"}
CONFIG_METHODS = frozenset({"update", "from_mapping", "setdefault"})
# Application objects, by constructor: what is put on them lives as long as the process.
APP_CTORS = frozenset(
    """flask.Flask quart.Quart aiohttp.web.Application fastapi.FastAPI sanic.Sanic
    starlette.applications.Starlette tornado.web.Application falcon.App falcon.API
    falcon.asgi.App bottle.Bottle litestar.Litestar""".split()
)
# How handlers reach the application: `request.app`, `self.application`, `request.config_dict`.
_APP_ATTRS = frozenset({"app", "application", "config_dict"})
# Namespaces the frameworks give for user values: `app.state.x` (Starlette), `app.ctx.x` (Sanic).
_APP_NAMESPACES = frozenset({"state", "ctx"})
_CURRENT_APPS = frozenset({"flask.current_app", "quart.current_app"})
WORK_HANDLES = frozenset(
    """threading.Thread threading.Timer multiprocessing.Process asyncio.create_task
    asyncio.ensure_future""".split()
)
CLOCKS = frozenset(
    """time.time time.monotonic time.perf_counter time.time_ns time.monotonic_ns
    datetime.datetime.now datetime.datetime.utcnow datetime.now datetime.utcnow""".split()
)
_ALLOW = re.compile(r"#\s*migrator:\s*allow\[([a-z_]+)\]\s*(.*)")

_LITERAL_KINDS = {
    dict: "dict",
    list: "list",
    set: "set",
    int: "int",
    float: "float",
    str: "str",
    bytes: "bytes",
    bool: "bool",
    tuple: "tuple",
    type(None): "none",
}
_NOT_SHARED_THROUGH_SELF = frozenset(
    {
        "function",
        "class",
        "int",
        "float",
        "str",
        "bytes",
        "bool",
        "none",
        "tuple",
        "const",
        "lambda",
    }
)
# Values of locals worth remembering: they may name a file path later written to.
_PATH_LIKE = frozenset(
    {ast.Call, ast.Subscript, ast.BinOp, ast.Constant, ast.JoinedStr, ast.Attribute}
)
_NODE_KINDS: dict[type, str] = {
    ast.Dict: "dict",
    ast.DictComp: "dict",
    ast.List: "list",
    ast.ListComp: "list",
    ast.Set: "set",
    ast.SetComp: "set",
    ast.Tuple: "tuple",
    ast.Lambda: "lambda",
    ast.JoinedStr: "str",
}


def dotted(node: ast.AST) -> str | None:
    """`a.b.c` for a pure chain of attributes on a name, else None."""
    t = type(node)
    any_node: Any = node
    if t is ast.Name:
        name: ast.Name = any_node
        return name.id
    if t is not ast.Attribute:
        return None
    attribute: ast.Attribute = any_node
    value = attribute.value
    if type(value) is ast.Name:  # the common `obj.attr`, without building a list
        return f"{value.id}.{attribute.attr}"
    parts = []
    while type(node) is ast.Attribute:
        parts.append(node.attr)
        node = node.value
    if type(node) is ast.Name:
        parts.append(node.id)
        return ".".join(reversed(parts))
    return None


class _Scope:
    __slots__ = ("name", "cls", "locals", "globals", "uses", "values", "apps", "methods", "returns")
    # uses: (chain, line, ctx) of names the function does not bind; filtered on closing

    def __init__(self, name: str, cls: str) -> None:
        self.name = name
        self.cls = cls
        self.locals: set[str] = set()
        self.globals: set[str] = set()
        self.uses: list[tuple[str, int, str]] = []
        self.values: dict[str, list[Summary]] = {}  # what a local was assigned, for paths
        self.apps: set[str] = set()  # locals bound to a new application object
        self.methods: set[str] = set()  # names of methods called on objects
        self.returns = ""  # what the function returns when it is a container: "dict", "set", a ctor


class FactExtractor:
    """Collects the facts of one module; call `run(tree)` once."""

    def __init__(self, module: str, path: str, is_package: bool) -> None:
        self.module = module
        self.path = path
        self.package = module if is_package else module.rpartition(".")[0]
        self.imports: dict[str, str] = {}
        self.star_imports: list[str] = []
        self.bindings: list[Binding] = []
        self.uses: list[Use] = []
        self.calls: list[CallSite] = []
        self.config: list[ConfigItem] = []
        self.globals_declared: list[tuple[str, str]] = []
        self.import_time_calls: set[str] = set()
        self.runtime_refs: set[str] = set()
        self.scope: _Scope | None = None  # the innermost function, None at import time
        self.module_names: set[str] = set()  # bound at module level, shadowing builtins
        self.class_stack: list[str] = []
        self.app_slots: list[AppSlot] = []
        self.app_names: set[str] = set()  # module names bound to an application object
        self.late_attributes: list[Binding] = []  # `self.x = {}` outside `__init__`
        self.method_calls: list[tuple[str, tuple[str, ...]]] = []

    # ---- entry -------------------------------------------------------------

    def run(self, tree: ast.Module, source: str) -> ModuleFacts:
        self.body(tree.body)
        bound = {b.name: i for i, b in enumerate(self.bindings)}
        for late in self.late_attributes:
            at = bound.get(late.name)
            if at is None:  # set up lazily, by a method other than `__init__`
                bound[late.name] = len(self.bindings)
                self.bindings.append(late)
            elif self.bindings[at].kind == "none" and self.bindings[at].scope == "instance":
                self.bindings[at] = late  # `self._dict = None` in `__init__`, a dict in `open()`
        defined = {b.name for b in self.bindings if b.scope == "module"}
        known_roots = defined | set(self.imports)
        functions = {b.name for b in self.bindings if b.scope == "module" and b.kind == "function"}
        # `self.x = v` on a class-level scalar makes an instance attribute: only containers and
        # objects bound on a class can be shared state reached through `self`/`cls`.
        shared = {
            b.name.rpartition(".")[2]
            for b in self.bindings
            if b.scope != "module" and b.kind not in _NOT_SHARED_THROUGH_SELF
        }
        on_class = {
            b.name.rpartition(".")[2]
            for b in self.bindings
            if b.scope == "class" and b.kind not in ("function", "class")
        }
        methods = {
            b.name.rpartition(".")[2]
            for b in self.bindings
            if b.scope == "class" and b.kind == "function"
        }
        # Classes extending a class of this package kept elsewhere: what `self.x` names may be
        # bound by that base (`self.lock` from `DataStore.__init__` in `store/base.py`).
        top = self.module.partition(".")[0] + "."
        inheriting = {
            b.name
            for b in self.bindings
            if b.kind == "class" and any(base.startswith(top) for base in b.bases)
        }
        uses = tuple(
            u
            for u in self.uses
            if _worth_keeping(u, known_roots, functions, shared, on_class, methods)
            or (u.cls in inheriting and u.chain.startswith("self."))
        )
        refs = frozenset(r for r in self.runtime_refs if r.partition(".")[0] in known_roots)
        allows = tuple(_allows(source)) if "migrator:" in source else ()
        return ModuleFacts(
            module=self.module,
            path=self.path,
            lines=source.count("\n") + (1 if source and not source.endswith("\n") else 0),
            imports=self.imports,
            star_imports=tuple(self.star_imports),
            bindings=tuple(self.bindings),
            uses=uses,
            calls=tuple(self.calls),
            config=tuple(self.config),
            globals_declared=tuple(self.globals_declared),
            import_time_calls=frozenset(self.import_time_calls),
            runtime_refs=refs,
            allows=allows,
            app_slots=tuple(self.app_slots),
            method_calls=tuple(self.method_calls),
        )

    # ---- names and values --------------------------------------------------

    def resolve(self, chain: str) -> str:
        """A chain with its first name replaced by what this module imported it as."""
        root, dot, rest = chain.partition(".")
        target = self.imports.get(root)
        if target is None:
            return chain
        return target + dot + rest if rest else target

    def summarize(self, node: ast.AST | None, depth: int = 0, limit: int = 2) -> Summary:
        t = type(node)
        any_node: Any = node
        if t is ast.Constant:
            constant: ast.Constant = any_node
            return ("const", constant.value)
        if t is ast.Name and self.scope is not None:
            name: ast.Name = any_node
            if name.id in self.scope.values:
                values = self.scope.values[name.id]
                return values[0] if len(values) == 1 else ("alts", tuple(values))
        if t is ast.Name or t is ast.Attribute:
            chain = dotted(any_node)
            if chain is not None:
                return ("name", self.resolve(chain))
        if depth < limit:
            deeper = depth + 1
            if t is ast.Dict:
                mapping: ast.Dict = any_node
                items = {}
                for k, v in zip(mapping.keys, mapping.values, strict=False):
                    if type(k) is ast.Constant and isinstance(k.value, str):
                        items[k.value] = self.summarize(v, deeper, limit)
                return ("dict", items)
            if t is ast.List or t is ast.Tuple:
                sequence: ast.List | ast.Tuple = any_node
                return ("list", [self.summarize(e, deeper, limit) for e in sequence.elts])
            if t is ast.Call:
                call: ast.Call = any_node
                func = dotted(call.func)
                return (
                    "call",
                    self.resolve(func) if func else "",
                    [self.summarize(a, deeper, limit) for a in call.args],
                    {k.arg: self.summarize(k.value, deeper, limit) for k in call.keywords if k.arg},
                )
            if t is ast.BoolOp:  # `os.environ.get("DATABASE_URL") or "sqlite:///app.db"`
                either: ast.BoolOp = any_node
                return ("alts", tuple(self.summarize(v, deeper, limit) for v in either.values))
            if t is ast.IfExp:
                choice: ast.IfExp = any_node
                return (
                    "alts",
                    (
                        self.summarize(choice.body, deeper, limit),
                        self.summarize(choice.orelse, deeper, limit),
                    ),
                )
            if t is ast.BinOp:
                operation: ast.BinOp = any_node
                if type(operation.op) in (ast.Add, ast.Mod):
                    return (
                        "fstr",
                        [
                            self.summarize(operation.left, deeper, limit),
                            self.summarize(operation.right, deeper, limit),
                        ],
                    )
                if type(operation.op) is ast.Div:
                    # pathlib joins: BASE_DIR / "media"
                    return (
                        "path",
                        self.summarize(operation.left, depth + 1),
                        self.summarize(operation.right, depth + 1),
                    )
            if t is ast.Subscript:
                subscript: ast.Subscript = any_node
                owner = dotted(subscript.value)
                key = subscript.slice
                if owner and type(key) is ast.Constant:
                    return ("item", self.resolve(owner), key.value)
            if t is ast.JoinedStr:
                joined: ast.JoinedStr = any_node
                return (
                    "fstr",
                    [
                        self.summarize(v.value, depth + 1)
                        for v in joined.values
                        if type(v) is ast.FormattedValue
                    ],
                )
        return ("expr",)

    def value_kind(self, node: ast.AST | None) -> tuple[str, str]:
        """(kind, ctor) of an assigned value."""
        t = type(node)
        any_node: Any = node
        if t is ast.Constant:
            constant: ast.Constant = any_node
            return _LITERAL_KINDS.get(type(constant.value), "const"), ""
        kind = _NODE_KINDS.get(t)
        if kind:
            return kind, ""
        if t is ast.Call:
            call: ast.Call = any_node
            func = dotted(call.func)
            if func:
                return "call", self.resolve(func)
            return "call", ""
        if t is ast.Name or t is ast.Attribute:
            chain = dotted(any_node)
            return "alias", self.resolve(chain) if chain else ""
        return "expr", ""

    # ---- statements --------------------------------------------------------

    def body(self, stmts: list[ast.stmt]) -> None:
        for stmt in stmts:
            self.stmt(stmt)

    def stmt(self, node: ast.stmt) -> None:
        t = type(node)
        any_node: Any = node
        if t is ast.Expr:
            expression: ast.Expr = any_node
            self.expr(expression.value, "load")
        elif t is ast.Assign:
            assign: ast.Assign = any_node
            self.assign(assign.targets, assign.value, assign.lineno)
        elif t is ast.AnnAssign:
            annotated: ast.AnnAssign = any_node
            if annotated.value is not None:
                self.assign([annotated.target], annotated.value, annotated.lineno)
                if self.class_stack and self.scope is None:  # a field of a dataclass-like class
                    self.bindings[-1] = self.bindings[-1]._replace(annotated=True)
        elif t is ast.AugAssign:
            augmented: ast.AugAssign = any_node
            self.expr(augmented.value, "load")
            target = augmented.target
            if type(target) is ast.Name and self.scope is not None:
                if target.id not in self.scope.globals:
                    self.scope.locals.add(target.id)
            self.expr(target, "aug")
        elif t is ast.FunctionDef or t is ast.AsyncFunctionDef:
            self.function(any_node)
        elif t is ast.ClassDef:
            self.classdef(any_node)
        elif t is ast.Return:
            returned: ast.Return = any_node
            if returned.value is not None:
                self.expr(returned.value, "load")
                if self.scope is not None and not self.scope.returns:
                    kind, ctor = self.value_kind(returned.value)
                    if kind in ("dict", "list", "set") or (kind == "call" and ctor):
                        self.scope.returns = ctor or kind
                    elif type(returned.value) is ast.Name and self.is_app(returned.value.id):
                        self.scope.returns = "@app"  # an application factory
        elif t is ast.If or t is ast.While:
            branch: ast.If | ast.While = any_node
            self.expr(branch.test, "load")
            self.body(branch.body)
            self.body(branch.orelse)
        elif t is ast.For or t is ast.AsyncFor:
            loop: ast.For | ast.AsyncFor = any_node
            self.expr(loop.iter, "iter")
            self.target(loop.target)
            self.body(loop.body)
            self.body(loop.orelse)
        elif t is ast.With or t is ast.AsyncWith:
            block: ast.With | ast.AsyncWith = any_node
            for item in block.items:
                self.expr(item.context_expr, "with")
                if item.optional_vars is not None:
                    self.target(item.optional_vars, item.context_expr)
            self.body(block.body)
        elif t is ast.Try or t is ast.TryStar:
            attempt: ast.Try | ast.TryStar = any_node
            self.body(attempt.body)
            for handler in attempt.handlers:
                if handler.type is not None:
                    self.expr(handler.type, "load")
                if handler.name and self.scope is not None:
                    self.scope.locals.add(handler.name)
                self.body(handler.body)
            self.body(attempt.orelse)
            self.body(attempt.finalbody)
        elif t is ast.Delete:
            deletion: ast.Delete = any_node
            for deleted in deletion.targets:
                self.expr(deleted, "del")
        elif t is ast.Import:
            self.import_(any_node)
        elif t is ast.ImportFrom:
            self.import_from(any_node)
        elif t is ast.Global or t is ast.Nonlocal:
            declaration: ast.Global | ast.Nonlocal = any_node
            if self.scope is not None:
                self.scope.globals.update(declaration.names)
                if t is ast.Global:
                    for name in declaration.names:
                        self.globals_declared.append((self.scope.name, name))
        elif t is ast.Match:
            matching: ast.Match = any_node
            self.expr(matching.subject, "load")
            for case in matching.cases:
                if case.guard is not None:
                    self.expr(case.guard, "load")
                self.body(case.body)
        elif t is ast.Raise:
            raised: ast.Raise = any_node
            if raised.exc is not None:
                self.expr(raised.exc, "load")
        elif t is ast.Assert:
            assertion: ast.Assert = any_node
            self.expr(assertion.test, "load")

    def import_(self, node: ast.Import) -> None:
        for alias in node.names:
            if alias.asname:
                self.bind_import(alias.asname, alias.name)
            else:
                root = alias.name.partition(".")[0]
                self.bind_import(root, root)

    def import_from(self, node: ast.ImportFrom) -> None:
        base = node.module or ""
        if node.level:
            parts = self.package.split(".") if self.package else []
            keep = len(parts) - (node.level - 1)
            prefix = ".".join(parts[: max(keep, 0)])
            base = f"{prefix}.{base}".strip(".") if base else prefix
        for alias in node.names:
            if alias.name == "*":
                self.star_imports.append(base)
                continue
            self.bind_import(
                alias.asname or alias.name, f"{base}.{alias.name}" if base else alias.name
            )

    def bind_import(self, local: str, target: str) -> None:
        if self.scope is None:
            self.imports[local] = target
        elif self.imports.setdefault(local, target) != target:
            self.scope.locals.add(local)  # another module's name under a name already taken
        # else: an import inside a function (`from .server import Server` in a factory) names
        # the same thing as at module level, so its uses are kept and resolved like those

    def assign(self, targets: list[ast.expr], value: ast.expr, line: int) -> None:
        self.expr(value, "load")
        for target in targets:
            self.target(target, value, line)

    def target(self, node: ast.expr, value: ast.expr | None = None, line: int = 0) -> None:
        """An assignment target: a binding at import time, a store inside a function."""
        t = type(node)
        any_node: Any = node
        if self.scope is not None and type(value) is ast.Call:
            self.name_call(node, value)
        if t is ast.Name:
            bound: ast.Name = any_node
            name = bound.id
            if self.scope is not None and name not in self.scope.globals:
                self.scope.locals.add(name)
                if value is not None and type(value) in _PATH_LIKE:
                    self.scope.values.setdefault(name, []).append(self.summarize(value))
                    if type(value) is ast.Call and self.value_kind(value)[1] in APP_CTORS:
                        self.scope.apps.add(name)
                return
            if self.scope is None:
                self.define(name, value, line or node.lineno)
                return
            self.expr(node, "store")
        elif t is ast.Tuple or t is ast.List:
            unpacked: ast.Tuple | ast.List = any_node
            for elt in unpacked.elts:
                self.target(elt)
        elif t is ast.Starred:
            starred: ast.Starred = any_node
            self.target(starred.value)
        else:
            if value is not None and (t is ast.Subscript or t is ast.Attribute):
                self.define_app_slot(node, value)
            if value is not None and t is ast.Subscript:
                self.config_subscript(any_node, value)
            if value is not None and t is ast.Attribute and self.scope is not None:
                self.instance_attribute(any_node, value)
            self.expr(node, "store")

    def name_call(self, node: ast.expr, value: ast.expr) -> None:
        """Name the watched call just recorded after what a function keeps its result in
        (`ticker = Thread(...)`, `self._task = create_task(...)` -> `Worker._task`)."""
        last = self.calls[-1] if self.calls else None
        scope = self.scope
        if last is None or last.target or last.line != value.lineno or scope is None:
            return
        chain = dotted(node)
        if chain is None or last.func != scope.name:
            return
        owner, _, attr = chain.rpartition(".")
        name = f"{scope.cls}.{attr}" if owner == "self" and scope.cls else attr
        self.calls[-1] = last._replace(target=name)

    def define(self, name: str, value: ast.expr | None, line: int) -> None:
        if not self.class_stack:
            self.module_names.add(name)
        kind, ctor = self.value_kind(value)
        if ctor in APP_CTORS and not self.class_stack:
            self.app_names.add(name)
        qual = f"{self.class_stack[-1]}.{name}" if self.class_stack else name
        scope = "class" if self.class_stack else "module"
        # Settings nest (`DATABASES["default"]["ENGINE"]` from an env lookup): look deeper.
        limit = 4 if name.isupper() else 2
        summary = self.summarize(value, 0, limit) if value is not None else ("expr",)
        self.bindings.append(Binding(qual, line, kind, scope, ctor, summary))
        if name.isupper() and value is not None and kind != "lambda":
            where = f"class:{self.class_stack[-1]}" if self.class_stack else "module"
            self.config.append(ConfigItem(name, summary, line, where))
        last = self.calls[-1] if self.calls else None
        if (
            kind == "call"
            and last is not None
            and last.callee == ctor
            and value is not None  # always so when kind is "call"; said for mypy
            and last.line == value.lineno
        ):
            self.calls[-1] = last._replace(target=qual)  # the call recorded just before, named

    def instance_attribute(self, node: ast.Attribute, value: ast.expr) -> None:
        """`self.x = <container>` in a method: a per-instance attribute worth knowing. One made
        in `__init__` is bound at once; one made elsewhere only if `__init__` makes none."""
        scope = self.scope
        if (
            scope is not None
            and scope.cls
            and type(node.value) is ast.Name
            and node.value.id == "self"
        ):
            kind, ctor = self.value_kind(value)
            binding = Binding(
                f"{scope.cls}.{node.attr}", node.lineno, kind, "instance", ctor, self.summarize(value)
            )
            if scope.name.endswith(".__init__"):
                self.bindings.append(binding)
            elif kind not in _NOT_SHARED_THROUGH_SELF and kind not in ("alias", "expr"):
                self.late_attributes.append(binding)

    def config_subscript(self, node: ast.Subscript, value: ast.expr) -> None:
        """`app.config["KEY"] = value`."""
        owner = dotted(node.value)
        key = node.slice
        if (
            owner
            and owner.rpartition(".")[2] in ("config", "settings")
            and type(key) is ast.Constant
            and isinstance(key.value, str)
        ):
            self.config.append(ConfigItem(key.value, self.summarize(value, 0, 4), node.lineno, "config"))

    def function(self, node: ast.FunctionDef | ast.AsyncFunctionDef) -> None:
        for dec in node.decorator_list:
            self.expr(dec, "decorator")
        args = node.args
        for default in args.defaults + [d for d in args.kw_defaults if d is not None]:
            self.expr(default, "load")
        cls = self.class_stack[-1] if self.class_stack else ""
        if self.scope is None:
            qual = f"{cls}.{node.name}" if cls else node.name
            decorators = tuple(self.summarize(d) for d in node.decorator_list)
            params = [a.arg for a in args.posonlyargs + args.args + args.kwonlyargs]
            if cls and params and params[0] in ("self", "cls"):
                params = params[1:]
            takes = ("params", len(params) + bool(args.vararg) + bool(args.kwarg))
            self.bindings.append(
                Binding(
                    qual,
                    node.lineno,
                    "function",
                    "class" if cls else "module",
                    "",
                    takes,
                    decorators,
                )
            )
        else:
            self.scope.locals.add(node.name)
            qual = f"{self.scope.name}.{node.name}"
        outer = self.scope
        scope = _Scope(qual, cls if outer is None else outer.cls)
        for a in args.posonlyargs + args.args + args.kwonlyargs:
            scope.locals.add(a.arg)
        if args.vararg:
            scope.locals.add(args.vararg.arg)
        if args.kwarg:
            scope.locals.add(args.kwarg.arg)
        self.scope = scope
        saved_classes = self.class_stack
        self.class_stack = []
        self.body(node.body)
        self.class_stack = saved_classes
        self.scope = outer
        self.close(scope)
        if outer is None and scope.returns:  # a factory: `def tree(): return defaultdict(tree)`
            for i in range(len(self.bindings) - 1, -1, -1):
                if self.bindings[i].name == qual and self.bindings[i].kind == "function":
                    self.bindings[i] = self.bindings[i]._replace(ctor=scope.returns)
                    break
        if outer is None:
            self.function_results(qual, node, scope)

    def function_results(
        self, qual: str, node: ast.FunctionDef | ast.AsyncFunctionDef, scope: _Scope
    ) -> None:
        """Add what a memo, or a function that fills one, returns and stores by key to its
        binding's `value` (only those: reading every function would slow the scan)."""
        for i in range(len(self.bindings) - 1, -1, -1):
            binding = self.bindings[i]
            if binding.name == qual and binding.kind == "function":
                if is_memoised(binding.decorators) or _fills_by_key(scope.uses):
                    value = (*binding.value, function_results(node, self.resolve))
                    self.bindings[i] = binding._replace(value=value)
                break

    def close(self, scope: _Scope) -> None:
        """Keep the uses of names that are not the function's own."""
        if scope.methods:
            self.method_calls.append((scope.name, tuple(sorted(scope.methods))))
        local = scope.locals - scope.globals
        enclosing = self.scope.locals if self.scope is not None else ()
        name, cls = scope.name, scope.cls
        for chain, line, ctx in scope.uses:
            root = chain.partition(".")[0]
            if root in ("self", "cls"):
                if cls:
                    self.uses.append(Use(chain, line, ctx, name, cls))
            elif root == "@app":
                self.uses.append(Use(chain, line, ctx, name, cls))
            elif root not in local and root not in enclosing:  # nor a closure variable
                if root in _BUILTINS and root not in self.module_names and root not in self.imports:
                    continue
                self.uses.append(Use(chain, line, ctx, name, cls))
                self.runtime_refs.add(chain)

    def classdef(self, node: ast.ClassDef) -> None:
        for dec in node.decorator_list:
            self.expr(dec, "decorator")
        bases = []
        for base in node.bases:
            self.expr(base, "load")
            chain = dotted(base)
            if chain:
                bases.append(self.resolve(chain))
        for kw in node.keywords:
            self.expr(kw.value, "load")
        if self.scope is None:
            qual = f"{self.class_stack[-1]}.{node.name}" if self.class_stack else node.name
            decorators = tuple(self.summarize(d) for d in node.decorator_list)
            self.bindings.append(
                Binding(
                    qual, node.lineno, "class", "module", "", ("expr",), decorators, tuple(bases)
                )
            )
            self.class_stack.append(qual)
            self.body(node.body)
            self.class_stack.pop()
        else:
            self.scope.locals.add(node.name)
            self.body(node.body)

    # ---- expressions -------------------------------------------------------

    def use(self, chain: str, ctx: str, line: int) -> None:
        scope = self.scope
        if scope is None:
            if ctx in ("call", "decorator"):
                self.import_time_calls.add(self.resolve(chain))
            return
        if "app" in chain and chain[0] != "@":
            chain = self.app_slot_chain(chain) or chain
        scope.uses.append((chain, line, ctx))  # a Use is made only for what `close` keeps

    # ---- the application object ----------------------------------------------

    def is_app(self, chain: str) -> bool:
        """Whether a dotted chain names the application object."""
        if "." in chain:
            return chain.rpartition(".")[2] in _APP_ATTRS
        if chain in self.app_names or (self.scope is not None and chain in self.scope.apps):
            return True
        # `app` / `application`: the factory's local, a start-up hook's parameter, the global
        return chain in ("app", "application") or self.imports.get(chain) in _CURRENT_APPS

    def app_slot_chain(self, chain: str) -> str | None:
        """`request.app.state.pool.get` -> `@app.pool.get`; None when no app is in the chain."""
        parts = chain.split(".")
        for i in range(len(parts) - 1):
            if (i == 0 and not self.is_app(parts[0])) or (i and parts[i] not in _APP_ATTRS):
                continue
            rest = parts[i + 1 :]
            if rest[0] in _APP_NAMESPACES:
                rest = rest[1:]
            return "@app." + ".".join(rest) if rest else None
        return None

    def app_subscript(self, node: ast.Subscript) -> str | None:
        """`app["clients"]`, `request.app["clients"]` -> `@app.clients`."""
        key = node.slice
        if type(key) is not ast.Constant or not isinstance(key.value, str):
            return None
        base = dotted(node.value)
        if base is None or not self.is_app(base):
            return None
        return "@app." + key.value

    def chain_of(self, node: ast.expr) -> str | None:
        """`dotted`, and also chains that start at an app subscript: `app["ws"].add`."""
        chain = dotted(node)
        if chain is not None:
            return chain
        attrs = []
        while type(node) is ast.Attribute:
            attrs.append(node.attr)
            node = node.value
        if type(node) is not ast.Subscript:
            return None
        slot = self.app_subscript(node)
        if slot is None:
            return None
        return ".".join([slot, *reversed(attrs)])

    def define_app_slot(self, node: ast.expr, value: ast.expr) -> None:
        """`app["clients"] = set()` and the like: a value put on the application object."""
        if type(node) is ast.Subscript:
            slot = self.app_subscript(node)
            shown = '["{}"]'
        else:
            chain = dotted(node)
            slot = self.app_slot_chain(chain) if chain and "app" in chain else None
            namespace = chain.split(".")[-2] if chain else ""
            shown = f".{namespace}.{{}}" if namespace in _APP_NAMESPACES else ".{}"
        key = slot[5:] if slot else ""
        if not key or "." in key:
            return  # not on the app, or deeper than the value put there
        kind, ctor = self.value_kind(value)
        func = self.scope.name if self.scope is not None else ""
        display = "app" + shown.format(key)
        self.app_slots.append(
            AppSlot(key, display, node.lineno, kind, ctor, func, self.summarize(value))
        )

    def expr(self, node: ast.expr, ctx: str) -> None:
        t = type(node)
        any_node: Any = node
        if t is ast.Name:
            name: ast.Name = any_node
            self.use(name.id, ctx, name.lineno)
        elif t is ast.Attribute:
            chain = self.chain_of(node)
            if chain is not None:
                self.use(chain, ctx, node.lineno)
            else:
                attribute: ast.Attribute = any_node
                self.expr(attribute.value, _through_attribute(ctx, attribute.attr))
        elif t is ast.Subscript:
            subscript: ast.Subscript = any_node
            slot = self.app_subscript(subscript) if self.scope is not None else None
            if slot is not None:
                self.use(slot, ctx, subscript.lineno)
                return
            self.expr(subscript.value, _through_subscript(ctx))
            self.expr(subscript.slice, "load")
        elif t is ast.Call:
            self.call(any_node)
        elif t is ast.Constant:
            return
        elif t is ast.Compare:
            compare: ast.Compare = any_node
            ops = compare.ops
            identity = any(type(op) in (ast.Is, ast.IsNot) for op in ops)
            left_ctx = "is" if identity else "load"
            self.expr(compare.left, left_ctx)
            for op, comp in zip(ops, compare.comparators, strict=False):
                if type(op) in (ast.In, ast.NotIn):
                    self.expr(comp, "contains")
                else:
                    self.expr(comp, "is" if identity else "load")
        elif t in (ast.ListComp, ast.SetComp, ast.GeneratorExp, ast.DictComp):
            comprehension: ast.ListComp | ast.SetComp | ast.GeneratorExp | ast.DictComp = any_node
            for gen in comprehension.generators:
                self.expr(gen.iter, "iter")
                self.comprehension_target(gen.target)
                for cond in gen.ifs:
                    self.expr(cond, "load")
            if t is ast.DictComp:
                dict_comprehension: ast.DictComp = any_node
                self.expr(dict_comprehension.key, "load")
                self.expr(dict_comprehension.value, "load")
            else:
                element_comprehension: ast.ListComp | ast.SetComp | ast.GeneratorExp = any_node
                self.expr(element_comprehension.elt, "load")
        elif t is ast.Lambda:
            function: ast.Lambda = any_node
            outer = self.scope
            scope = _Scope(
                f"{outer.name}.<lambda>" if outer else "<lambda>", outer.cls if outer else ""
            )
            args = function.args
            for a in args.posonlyargs + args.args + args.kwonlyargs:
                scope.locals.add(a.arg)
            self.scope = scope
            self.expr(function.body, "load")
            self.scope = outer
            self.close(scope)
        elif t is ast.NamedExpr:
            walrus: ast.NamedExpr = any_node
            self.expr(walrus.value, "load")
            if self.scope is not None:
                self.scope.locals.add(walrus.target.id)
        elif t is ast.Starred:
            starred: ast.Starred = any_node
            self.expr(starred.value, ctx)
        elif t is ast.BinOp:
            operation: ast.BinOp = any_node
            self.expr(operation.left, "load")
            self.expr(operation.right, "load")
        elif t is ast.BoolOp or t is ast.JoinedStr:
            joined: ast.BoolOp | ast.JoinedStr = any_node
            for value in joined.values:
                self.expr(value, "load")
        elif t is ast.Tuple or t is ast.List or t is ast.Set:
            collection: ast.Tuple | ast.List | ast.Set = any_node
            for elt in collection.elts:
                self.expr(elt, ctx if ctx in ("store", "del") else "load")
        elif t is ast.UnaryOp:
            unary: ast.UnaryOp = any_node
            self.expr(unary.operand, "load")
        elif t is ast.Await or t is ast.FormattedValue:
            wrapper: ast.Await | ast.FormattedValue = any_node
            self.expr(wrapper.value, "load")
        elif t is ast.Dict:
            mapping: ast.Dict = any_node
            for key in mapping.keys:
                if key is not None:
                    self.expr(key, "load")
            for value in mapping.values:
                self.expr(value, "load")
        elif t is ast.IfExp:
            choice: ast.IfExp = any_node
            self.expr(choice.test, "load")
            self.expr(choice.body, "load")
            self.expr(choice.orelse, "load")
        else:
            for child in ast.iter_child_nodes(node):
                if isinstance(child, ast.expr):
                    self.expr(child, "load")

    def comprehension_target(self, node: ast.expr) -> None:
        if self.scope is None:
            return
        for sub in ast.walk(node):
            if type(sub) is ast.Name:
                self.scope.locals.add(sub.id)

    def call(self, node: ast.Call) -> None:
        func = node.func
        chain = self.chain_of(func)
        if chain is not None:
            self.use(chain, "call", node.lineno)
            builtin = chain if "." not in chain else ""
            if builtin == "" and self.scope is not None:
                self.scope.methods.add(chain.rpartition(".")[2])
            callee = self.resolve(chain)
            method = chain.rpartition(".")[2]
            if (
                callee.partition(".")[0] in WATCHED_ROOTS
                or callee == "open"
                or ("." in chain and method in WATCHED_METHODS)
            ):
                self.record_call(
                    node,
                    callee
                    if callee.partition(".")[0] in WATCHED_ROOTS or callee == "open"
                    else "." + method,
                )
            elif (method == "open" or "write" in method) and method != "write":
                mode = _write_mode(node)
                if mode is not None:  # `dest.open("wb")`, `atomic_write(path, "wt")`
                    self.record_call(node, "." + method)
                    if mode == 0 and type(func) is ast.Attribute:  # the receiver is the path
                        last = self.calls[-1]
                        receiver = self.summarize(func.value)
                        self.calls[-1] = last._replace(args=(receiver, *last.args))
            if "." in chain and method in CONFIG_METHODS:
                owner = chain.rpartition(".")[0].rpartition(".")[2]
                if owner == "config":
                    for kw in node.keywords:
                        if kw.arg:
                            self.config.append(
                                ConfigItem(kw.arg, self.summarize(kw.value, 0, 4), node.lineno, "config")
                            )
                    for arg in node.args:
                        if type(arg) is ast.Dict:
                            for key, value in zip(arg.keys, arg.values, strict=False):
                                if type(key) is ast.Constant and isinstance(key.value, str):
                                    self.config.append(
                                        ConfigItem(
                                            key.value, self.summarize(value, 0, 4), node.lineno, "config"
                                        )
                                    )
        else:
            builtin = ""
            if type(func) is ast.Attribute and self.scope is not None:
                self.scope.methods.add(func.attr)  # `Feed().add(x)`, `get_db().refresh()`
                made = func.value
                maker = dotted(made.func) if type(made) is ast.Call else None
                if maker is not None:  # `Feed().add(x)`: the method of what the call makes
                    self.scope.methods.add(f"{self.resolve(maker)}().{func.attr}")
            self.expr(func, "call")
        if (
            self.scope is not None
            and type(func) is ast.Attribute
            and func.attr in ("append", "appendleft", "add", "insert")
            and node.args
        ):
            # What is added says what the container holds: times of events per key (a rate
            # limit), or threads, tasks and futures (work running in this process).
            held = (
                "stamp"
                if any(self.is_clock(a) for a in node.args)
                else "work"
                if any(self.is_work(a) for a in node.args)
                else ""
            )
            holder = _receiver_chain(func.value) if held else None
            if holder is not None:
                self.use(holder, held, node.lineno)
        if builtin == "getattr" and self.scope is not None and node.args:
            first = node.args[0]
            if type(first) is ast.Name and first.id == "self":
                self.scope.methods.add(_dispatched_name(node))
        arg_ctx = CALL_ARG_CONTEXTS.get(builtin, "iter" if builtin in ITERATING_BUILTINS else "arg")
        for arg in node.args:
            self.expr(arg, arg_ctx)
        for kw in node.keywords:
            self.expr(kw.value, "arg")

    def is_clock(self, node: ast.expr) -> bool:
        """`time.time()`, `time.monotonic()`, `datetime.now()` and the like."""
        if type(node) is not ast.Call:
            return False
        chain = dotted(node.func)
        return chain is not None and self.resolve(chain) in CLOCKS

    def is_work(self, node: ast.expr) -> bool:
        """A thread, process, task or future: `Thread(...)`, `executor.submit(f)`,
        `asyncio.create_task(c)`, or a local bound to one."""
        summary = self.summarize(node)
        if summary[0] != "call":
            return False
        callee = str(summary[1])
        return callee in WORK_HANDLES or callee.endswith((".submit", ".create_task"))

    def record_call(self, node: ast.Call, callee: str, target: str = "") -> None:
        self.calls.append(
            CallSite(
                callee=callee,
                line=node.lineno,
                args=tuple(self.summarize(a) for a in node.args),
                kwargs=tuple((k.arg, self.summarize(k.value)) for k in node.keywords if k.arg),
                func=self.scope.name if self.scope else "",
                target=target,
            )
        )


def _fills_by_key(uses: list[tuple[str, int, str]]) -> bool:
    """Whether a function puts values into a container by key (`C[k] = v`, `C.setdefault(k, v)`)
    or into one of its values (`C[k]["x"] = v`, `C[k].append(v)`)."""
    return any(
        ctx == "sub-store" or ctx.startswith("nested-") or chain.endswith(".setdefault")
        for chain, _, ctx in uses
    )


def _dispatched_name(node: ast.Call) -> str:
    """What `getattr(self, name)` may reach: the name itself when it is a constant
    (`getattr(self, "pool", None)`), `*do_` for `"do_" + verb` or `f"do_{verb}"` (methods with
    that prefix), `*` when the name is computed whole (any method of the class)."""
    name = node.args[1] if len(node.args) > 1 else None
    if type(name) is ast.Constant and isinstance(name.value, str):
        return name.value
    head = (
        name.left
        if type(name) is ast.BinOp
        else (name.values[0] if type(name) is ast.JoinedStr and name.values else None)
    )
    if type(head) is ast.Constant and isinstance(head.value, str):
        return "*" + head.value
    return "*"


def _write_mode(node: ast.Call) -> int | None:
    """The position of a constant file mode that writes (`"wb"`, `"a"`) among a call's
    arguments (-1 for `mode=`), or None when it has none."""
    for i, arg in enumerate(node.args):
        if type(arg) is ast.Constant and _writes(arg.value):
            return i
    for kw in node.keywords:
        if kw.arg == "mode" and type(kw.value) is ast.Constant and _writes(kw.value.value):
            return -1
    return None


def _writes(mode: object) -> bool:
    return (
        isinstance(mode, str)
        and 0 < len(mode) <= 4
        and set(mode) <= _MODE_CHARS
        and bool(set(mode) & _WRITE_CHARS)
    )


_MODE_CHARS = frozenset("rwabxt+")
_WRITE_CHARS = frozenset("wax+")


def _worth_keeping(
    use: Use,
    roots: set[str],
    functions: set[str],
    shared: set[str],
    on_class: set[str],
    methods: set[str],
) -> bool:
    """Whether a use can reach state (module names, imports, attributes bound on a class),
    or links functions into the call graph (calls, callbacks handed to a call)."""
    root, _, rest = use.chain.partition(".")
    if root == "@app":
        return True
    if root == "self" or root == "cls":
        attr = rest.partition(".")[0]
        # `cls.x += 1` changes the class; `self.x += 1` on a scalar makes an instance attribute.
        reachable = shared if root == "self" else shared | on_class
        return attr in reachable or (use.ctx == "call" and attr == rest and attr in methods)
    if root in functions:
        return rest.startswith("cache_") or (not rest and use.ctx in ("call", "arg"))
    return root in roots


def _receiver_chain(node: ast.expr) -> str | None:
    """The container a mutation reaches: `HITS` in `HITS[ip].append(...)` and in
    `HITS.setdefault(ip, []).append(...)`."""
    while True:
        chain = dotted(node)
        if chain is not None:
            return chain
        if type(node) is ast.Subscript:
            node = node.value
        elif type(node) is ast.Call and type(node.func) is ast.Attribute:
            node = node.func.value
        else:
            return None


def _through_subscript(ctx: str) -> str:
    """How `x` is used when `x[...]` is used as ctx."""
    if ctx in ("store", "del", "aug"):
        return "sub-" + ctx
    if ctx.startswith(("sub-", "nested-")) and ctx != "sub-load":
        return "nested-" + ctx.partition("-")[2]
    if ctx.startswith("mcall:"):
        method = ctx[6:]
        return f"nested-call:{method}" if method in MUTATING_METHODS else "sub-load"
    if ctx == "attr-store":
        return "nested-store"
    return "sub-load"


def _through_attribute(ctx: str, attr: str) -> str:
    """How `x` is used when `x.attr` is used as ctx (x not a plain name chain)."""
    if ctx == "call":
        return "mcall:" + attr
    if ctx in ("store", "aug", "del"):
        return "attr-store"
    return "load"


def _allows(source: str) -> list[Allow]:
    out = []
    for number, text in enumerate(source.splitlines(), start=1):
        if "migrator:" in text:
            match = _ALLOW.search(text)
            if match:
                out.append(Allow(number, match.group(1), match.group(2).strip()))
    return out


def extract_facts(
    tree: ast.Module, source: str, module: str, path: str, is_package: bool
) -> ModuleFacts:
    """The facts of one parsed module."""
    return FactExtractor(module, path, is_package).run(tree, source)


def summary_parts(summary: Summary) -> Any:
    """A summary and every summary nested in it (call arguments, dict values, alternatives)."""
    yield summary
    for part in summary[1:]:
        if isinstance(part, tuple) and part and isinstance(part[0], str):
            if summary[0] in ("name", "item"):
                continue  # a chain or a key, not a nested summary
            yield from summary_parts(part)
        elif isinstance(part, (list, tuple)):
            for item in part:
                if isinstance(item, tuple) and item:
                    yield from summary_parts(item)
        elif isinstance(part, dict):
            for item in part.values():
                yield from summary_parts(item)


def strings_in(summary: Summary) -> list[str]:
    """Every string constant anywhere in a summary."""
    return [p[1] for p in summary_parts(summary) if p[0] == "const" and isinstance(p[1], str)]


def calls_in(summary: Summary) -> list[str]:
    """The callee of every call anywhere in a summary."""
    return [str(p[1]) for p in summary_parts(summary) if p[0] == "call"]


def literal(summary: Summary) -> Any:
    """The plain Python value of a summary made only of constants, dicts and lists, else None."""
    tag = summary[0]
    if tag == "const":
        return summary[1]
    if tag == "dict":
        return {k: literal(v) for k, v in summary[1].items()}
    if tag == "list":
        return [literal(v) for v in summary[1]]
    return None
