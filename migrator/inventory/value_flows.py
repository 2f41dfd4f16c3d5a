"""Where a value of a container goes inside one function, when no rewrite can follow it.

The scanner (`escapes.py`, over the whole project) and the codemods (over the module they
rewrite) run this same walk on a module's `ast`, so a scan that says "codemod" and an `apply`
that refuses cannot disagree about an escape.

A value read from a module-level container (`S[k]`, `S.get(k)`, `S.setdefault(k, d)`) is a copy
once the container lives in a store: a change made to it outside a read-modify-write (`edit`)
is lost. `value_flows` follows each such value, each parameter and each call's result through
one function and keeps, as a `Flow`, every place it goes that a rewrite cannot cover: passed
to a call that is not known to only read it, returned, stored elsewhere, captured by a closure
that changes it, or changed through a local the rewrite cannot wrap. Plain reads, and changes
made in place where the rewrite can wrap them (`S[k]["cart"].append(x)`, `s = S[k]` then
`s["n"] += 1` in the same block, `bisect.insort(S[k], x)`), are not kept.
"""

from __future__ import annotations

import ast
import sys
from collections.abc import Iterable, Iterator
from typing import NamedTuple

from migrator.inventory.mutations import (
    CONTAINER_HOLDER_METHODS,
    COPIERS,
    HOLDER_METHODS,
    KEY_METHODS,
    MUTATING_FUNCTIONS,
    MUTATING_METHODS,
    PART_METHODS,
    PICKERS,
    PURE_READER_METHODS,
    READ_ONLY_METHODS,
    STORING_METHODS,
    VALUE_METHODS,
    is_pure_reader,
)


class Flow(NamedTuple):
    """One place a value goes that a rewrite cannot cover, found in one function.

    `source` is what the value comes from: a non-local name as written (`SESSIONS`,
    `state.SESSIONS`, `self.carts`) for `part` "whole" (the container) or "item" (one of its
    values), a parameter's name for "param", the called name for "result". `kind` is
    "escape" (see `why`), "call" (passed as argument `arg` to `callee`, which another module may
    define), "return", "store" (kept in the container `callee`, which is safe when nothing
    changes that container's values in place), or "mutate" (for a parameter or a result:
    changed in place).
    """

    source: str
    part: str  # whole | item | param | result
    kind: str  # escape | call | return | store | mutate
    line: int
    func: str  # the enclosing function as the facts name it: "view", "Cart.add", "outer.inner"
    cls: str = ""  # the enclosing class, for `self.x` sources
    why: str = ""  # a phrase after the value: "is passed to `helper`"
    callee: str = ""  # for kind "call": the called name as written; "store": the container
    arg: str = ""  # for kind "call": the argument's position ("0") or keyword
    # for part "param": the parameter's position; else the element of a tuple returned
    # (kind "return") or unpacked from a result that the flow is about, -1 for the whole
    position: int = -1


class _Verdict(NamedTuple):
    kind: str  # read | mutate | escape | call | return | store
    line: int
    why: str = ""
    callee: str = ""
    arg: str = ""
    slot: int = -1  # the element of a returned (or unpacked) tuple the verdict is about


# Methods that store the elements of their argument, not the argument itself.
ELEMENT_STORING_METHODS = frozenset({"extend", "update", "extendleft"})
# Roots whose functions are not the project's: their results are not followed.
_NOT_THE_PROJECT = frozenset(sys.stdlib_module_names) | frozenset(
    """flask quart django fastapi starlette aiohttp tornado sanic bottle falcon werkzeug
    jinja2 pydantic sqlalchemy requests httpx redis psycopg psycopg2 celery boto3 jwt yaml
    click typer numpy pandas""".split()
)
_FUNCTIONS = (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)
_BLOCK_FIELDS = ("body", "orelse", "finalbody")


def dotted(node: ast.AST) -> str | None:
    """`a.b.c` for a pure chain of attributes on a name, else None."""
    parts: list[str] = []
    while isinstance(node, ast.Attribute):
        parts.append(node.attr)
        node = node.value
    if not isinstance(node, ast.Name):
        return None
    parts.append(node.id)
    return ".".join(reversed(parts))


def module_imports(tree: ast.Module, package: str) -> dict[str, str]:
    """Local name -> qualified name for the module's top-level imports (relative ones against
    `package`, the package the module is in)."""
    found: dict[str, str] = {}
    for node in tree.body:
        if isinstance(node, ast.Import):
            for alias in node.names:
                if alias.asname:
                    found[alias.asname] = alias.name
                else:
                    root = alias.name.partition(".")[0]
                    found[root] = root
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parts = package.split(".") if package else []
                keep = ".".join(parts[: max(len(parts) - (node.level - 1), 0)])
                base = f"{keep}.{base}".strip(".") if base else keep
            for alias in node.names:
                if alias.name != "*":
                    found[alias.asname or alias.name] = f"{base}.{alias.name}".lstrip(".")
    return found


def module_names(tree: ast.Module) -> set[str]:
    """Names bound at the top level of a module (assignments, defs, classes, imports)."""
    names: set[str] = set()
    for node in tree.body:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            names.add(node.name)
        elif isinstance(node, (ast.Import, ast.ImportFrom)):
            for alias in node.names:
                names.add((alias.asname or alias.name).partition(".")[0])
        else:
            for sub in ast.walk(node):
                if isinstance(sub, ast.Name) and isinstance(sub.ctx, ast.Store):
                    names.add(sub.id)
    return names


def value_flows(tree: ast.Module, names: set[str], imports: dict[str, str]) -> tuple[Flow, ...]:
    """Every `Flow` of the module: values of non-local names in `names` (the module's own
    bindings and imports; `self.x` too), parameters, and results of calls of those names."""
    return tuple(_ModuleFlows(tree, names, imports).run())


class _Function:
    """What one walk of the module learns about a function: its own nodes (lambdas included,
    nested functions not), the names it binds, and where each name is read or bound (nested
    functions included, for closures)."""

    __slots__ = ("node", "own", "locals", "declared", "loads", "stores", "nested")

    def __init__(self, node: ast.FunctionDef | ast.AsyncFunctionDef) -> None:
        self.node = node
        self.own: list[ast.AST] = []
        args = node.args
        self.locals = {a.arg for a in (*args.posonlyargs, *args.args, *args.kwonlyargs)}
        self.locals.update(a.arg for a in (args.vararg, args.kwarg) if a is not None)
        self.declared: set[str] = set()
        self.loads: dict[str, list[ast.Name]] = {}
        self.stores: dict[str, int] = {}
        self.nested: list[ast.FunctionDef | ast.AsyncFunctionDef] = []


# Fields that never hold a node to follow (names, flags, contexts, operators, a lambda's
# parameters); each node type's other fields, found once.
_SCALAR_FIELDS = frozenset(
    """id attr name arg asname module level kind type_comment conversion is_async lineno ctx op
    ops value_constant""".split()
)
_CHILD_FIELDS: dict[type, tuple[str, ...]] = {
    ast.Constant: (),
    ast.Lambda: ("body",),
    ast.Global: (),
    ast.Nonlocal: (),
    ast.Import: (),
    ast.ImportFrom: (),
}
_SELF = frozenset({"self", "cls"})


class _ModuleFlows:
    def __init__(self, tree: ast.Module, names: set[str], imports: dict[str, str]) -> None:
        self.tree = tree
        self.names = names
        self.imports = imports
        self.parents: dict[ast.AST, ast.AST] = {}
        self.functions: dict[ast.AST, _Function] = {}
        self.classes = {n.name for n in tree.body if isinstance(n, ast.ClassDef)}
        self.functions_defined = {
            n.name for n in tree.body if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef))
        }
        # Imported names whose roots are not the project's are never followed into.
        ours = {
            local
            for local, target in imports.items()
            if target.partition(".")[0] not in _NOT_THE_PROJECT
        }
        top_imports = [n for n in tree.body if isinstance(n, (ast.Import, ast.ImportFrom))]
        plain = {
            (alias.asname or alias.name).partition(".")[0]
            for n in top_imports
            if isinstance(n, ast.Import)
            for alias in n.names
        }
        self.imported_modules = plain & ours
        self.imported_names = ours - plain

    def run(self) -> Iterator[Flow]:
        yield from self.block(self.tree.body, "", "", self.tree)

    def walk(self, top: ast.FunctionDef | ast.AsyncFunctionDef) -> None:
        """One pass over a module-level function or method: parents, and the `_Function` of it
        and of every function nested in it. Code that runs at import is not walked."""
        parents = self.parents
        fields = _CHILD_FIELDS
        relevant = self.names
        stack: list[tuple[ast.AST, _Function | None, tuple[_Function, ...]]] = [(top, None, ())]
        while stack:
            node, owner, enclosing = stack.pop()
            t = type(node)
            if t is ast.Name:
                name = node.id  # type: ignore[attr-defined]
                if type(node.ctx) is ast.Load:  # type: ignore[attr-defined]
                    for function in enclosing:
                        function.loads.setdefault(name, []).append(node)  # type: ignore[arg-type]
                    if owner is not None and (name in relevant or name in _SELF):
                        owner.own.append(node)
                else:
                    for function in enclosing:
                        function.stores[name] = function.stores.get(name, 0) + 1
                    if owner is not None:
                        owner.locals.add(name)
                continue
            if t is ast.FunctionDef or t is ast.AsyncFunctionDef:
                self.enter(node, owner, enclosing, stack)  # type: ignore[arg-type]
                continue
            if owner is not None:
                if t is ast.ClassDef:
                    owner.locals.add(node.name)  # type: ignore[attr-defined]
                    owner = None  # a class body's own names are not the function's
                elif t is ast.Global or t is ast.Nonlocal:
                    owner.declared.update(node.names)  # type: ignore[attr-defined]
                elif t is ast.Import or t is ast.ImportFrom:
                    for alias in node.names:  # type: ignore[attr-defined]
                        owner.locals.add((alias.asname or alias.name).partition(".")[0])
                elif t is ast.ExceptHandler and node.name:  # type: ignore[attr-defined]
                    owner.locals.add(node.name)  # type: ignore[attr-defined]
            names = fields.get(t)
            if names is None:
                names = fields[t] = tuple(f for f in t._fields if f not in _SCALAR_FIELDS)
            for field in names:
                value = getattr(node, field, None)
                if type(value) is list:
                    for item in value:
                        if item is not None and type(item) is not str:
                            parents[item] = node
                            stack.append((item, owner, enclosing))
                elif isinstance(value, ast.AST):
                    parents[value] = node
                    stack.append((value, owner, enclosing))
        for function in self.functions.values():
            function.locals -= function.declared

    def enter(
        self,
        node: ast.FunctionDef | ast.AsyncFunctionDef,
        owner: _Function | None,
        enclosing: tuple[_Function, ...],
        stack: list[tuple[ast.AST, _Function | None, tuple[_Function, ...]]],
    ) -> None:
        """A function: its decorators and defaults belong to the enclosing code, its body to it."""
        function = self.functions[node] = _Function(node)
        if owner is not None:
            owner.locals.add(node.name)
            owner.nested.append(node)
        args = node.args
        outer = [*node.decorator_list, *args.defaults]
        outer += [d for d in args.kw_defaults if d is not None]
        for child in outer:
            self.parents[child] = node
            stack.append((child, owner, enclosing))
        inner = (*enclosing, function)
        for statement in node.body:
            self.parents[statement] = node
            stack.append((statement, function, inner))

    def block(self, body: list[ast.stmt], prefix: str, cls: str, holder: ast.AST) -> Iterator[Flow]:
        for node in body:
            self.parents[node] = holder
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                self.walk(node)
                yield from _FunctionFlows(self, node, f"{prefix}{node.name}", cls).run()
            elif isinstance(node, ast.ClassDef) and not prefix:
                yield from self.block(node.body, f"{node.name}.", node.name, node)
            elif not isinstance(node, ast.ClassDef):
                for field in _BLOCK_FIELDS:
                    yield from self.block(getattr(node, field, []) or [], prefix, cls, node)

    def locals_of(self, node: ast.AST) -> set[str]:
        """The names a function binds (a lambda: its parameters)."""
        function = self.functions.get(node)
        if function is not None:
            return function.locals
        if isinstance(node, ast.Lambda):
            args = node.args
            return {a.arg for a in (*args.posonlyargs, *args.args, *args.kwonlyargs)}
        return set()

    def resolve(self, chain: str) -> str:
        root, dot, rest = chain.partition(".")
        target = self.imports.get(root)
        if target is None:
            return chain
        return target + dot + rest if rest else target


class _FunctionFlows:
    """The flows of one function; nested functions are walked on their own, as closures."""

    def __init__(
        self,
        module: _ModuleFlows,
        node: ast.FunctionDef | ast.AsyncFunctionDef,
        qual: str,
        cls: str,
    ) -> None:
        self.module = module
        self.parents = module.parents
        self.node = node
        self.qual = qual
        self.cls = cls
        self.function = module.functions[node]
        self.locals = self.function.locals
        self.method = bool(cls) and "." not in qual.removeprefix(cls + ".")
        self.source = ""  # the container whose value is being followed, if any
        self._aliases: dict[tuple[str, int, bool, bool], list[_Verdict]] = {}

    def run(self) -> Iterator[Flow]:
        node = self.node
        args = node.args
        params = [a.arg for a in (*args.posonlyargs, *args.args, *args.kwonlyargs)]
        if "." not in self.qual or self.method:  # what a caller elsewhere can pass in
            for index, name in enumerate(params):
                if index == 0 and self.method and name in ("self", "cls"):
                    continue
                yield from self.kept(name, "param", self.param_uses(name), index)
        for start in self.function.own:
            source = self.source_of(start)  # type: ignore[arg-type]
            if source is None:
                continue
            expr, chain, part = source
            self.source = chain
            if part == "whole":
                verdicts = self.use_of_whole(expr)
            elif part == "stored":
                part, verdicts = "item", self.stored(expr)
            elif part == "holder":
                part, verdicts = "item", self.use(expr, holder=True)
            elif part == "item" and _get_with_default(expr):
                verdicts = _default_not_stored(self.use(expr, holder=False), chain)
            else:
                verdicts = self.use(expr, holder=False)
            yield from self.kept(chain, part, verdicts)
        for inner in self.nested_functions():
            yield from _FunctionFlows(
                self.module, inner, f"{self.qual}.{inner.name}", self.cls
            ).run()

    def kept(
        self, source: str, part: str, verdicts: Iterable[_Verdict], index: int = -1
    ) -> Iterator[Flow]:
        """The verdicts a rewrite cannot cover, once each; a change in place of a container's
        value is the rewrite's own work (`edit`)."""
        seen: set[tuple[str, str, str, str, int]] = set()
        for v in verdicts:
            if v.kind == "read" or (v.kind == "mutate" and part == "item"):
                continue
            key = (v.kind, v.why, v.callee, v.arg, v.slot)
            if key not in seen:
                seen.add(key)
                yield Flow(
                    source,
                    part,
                    v.kind,
                    v.line,
                    self.qual,
                    self.cls,
                    v.why,
                    v.callee,
                    v.arg,
                    index if part == "param" else v.slot,
                )

    # -- where values come from --------------------------------------------------------------

    def nested_functions(self) -> list[ast.FunctionDef | ast.AsyncFunctionDef]:
        return self.function.nested

    def non_local(self, chain: str) -> bool:
        root = chain.partition(".")[0]
        if root in ("self", "cls"):
            return bool(self.cls) and "." in chain
        return root not in self.locals and root in self.module.names

    def source_of(self, name: ast.Name) -> tuple[ast.AST, str, str] | None:
        """(node, chain, part) when the chain that starts with `name` starts a value worth
        following: `S[k]`, `S.get(k)`, `S.values()`, `S` itself, `helper(...)`'s result."""
        if name.id in self.locals and name.id not in _SELF:
            return None
        parents = self.parents
        node: ast.AST = name
        parent = parents.get(node)
        while type(parent) is ast.Attribute:
            node, parent = parent, parents.get(parent)
        chain = dotted(node)
        if chain is None or not self.non_local(chain) and type(parent) is not ast.Call:
            return None
        t = type(parent)
        if t is ast.Subscript and parent.value is node:  # type: ignore[union-attr]
            ctx = type(parent.ctx)  # type: ignore[union-attr]
            if not self.non_local(chain):
                return None
            if ctx is ast.Load:
                return parent, chain, "item"  # type: ignore[return-value]
            return (parent, chain, "stored") if ctx is ast.Store else None  # type: ignore[return-value]
        if t is ast.Call and parent.func is node:  # type: ignore[union-attr]
            if type(node) is ast.Attribute:
                owner = chain.rpartition(".")[0]
                method = node.attr  # type: ignore[attr-defined]
                if self.non_local(owner):
                    if method in VALUE_METHODS:
                        return parent, owner, "item"  # type: ignore[return-value]
                    if method in CONTAINER_HOLDER_METHODS:
                        return parent, owner, "holder"  # type: ignore[return-value]
            if self.names_a_function(chain):
                return parent, chain, "result"  # type: ignore[return-value]
            return None
        if not self.non_local(chain):
            return None
        return node, chain, "whole"

    def names_a_function(self, chain: str) -> bool:
        """Whether a called name may be one of the project's functions: a function of this
        module, one imported by name, or one reached through an imported module or `self`."""
        root, _, rest = chain.partition(".")
        if chain.rpartition(".")[2][:1].isupper() or root in self.locals and root not in _SELF:
            return False
        if root in _SELF:
            return bool(self.cls) and bool(rest) and "." not in rest
        if not rest:
            return root in self.module.functions_defined or root in self.module.imported_names
        return "." not in rest and root in self.module.imported_modules

    def stored(self, target: ast.AST) -> Iterator[_Verdict]:
        """`S[k] = v`: a local `v` changed after it is stored changes the stored value too."""
        statement = self.parents.get(target)
        value = getattr(statement, "value", None)
        if not isinstance(statement, (ast.Assign, ast.AnnAssign)) or value is None:
            return
        for name in _bare_names(value):
            if name not in self.locals:
                continue
            for use in self.name_uses(name):
                if use.lineno <= statement.lineno:
                    continue
                if any(_changes(v) for v in self.use(use, holder=False)):
                    yield _Verdict(
                        "escape",
                        use.lineno,
                        f"is stored from `{name}`, which is changed afterwards (line {use.lineno})",
                    )
                    return

    # -- where values go ---------------------------------------------------------------------

    def use_of_whole(self, node: ast.AST) -> Iterator[_Verdict]:
        """The container itself used as a plain value: no rewrite can follow where it goes.
        (Passing it to a call is the scanner's `escape` use already.)"""
        parent = self.parents.get(node)
        line = getattr(node, "lineno", 0)
        if isinstance(parent, ast.Return):
            yield _Verdict("escape", line, "is returned")
        elif (
            isinstance(parent, (ast.Assign, ast.AnnAssign, ast.NamedExpr)) and parent.value is node
        ):
            yield _Verdict("escape", line, "is bound to another name")
        elif isinstance(parent, (ast.List, ast.Tuple, ast.Set, ast.Dict, ast.Starred)):
            if not isinstance(getattr(parent, "ctx", None), ast.Store):
                yield _Verdict("escape", line, "is stored in a container")
        elif isinstance(parent, (ast.Yield, ast.YieldFrom, ast.Await, ast.Lambda)):
            yield _Verdict("escape", line, "is handed out by `yield`, `await` or a lambda")

    def use(
        self, node: ast.AST, holder: bool, depth: int = 0, part: bool = False
    ) -> Iterator[_Verdict]:
        """How the value at `node` is used. `holder`: the node holds the value (a shallow copy,
        a dict display) rather than being it, so changing the holder itself changes nothing.
        `part`: the node is a part of a value (`S[k]["user"]`), which may be kept elsewhere
        (it is usually a name or a number); changing it still changes the value."""
        parent = self.parents.get(node)
        line = getattr(node, "lineno", 0) or getattr(parent, "lineno", 0)
        if depth > 16:
            yield _Verdict("escape", line, "goes further than the codemods follow")
            return
        deeper = depth + 1
        if isinstance(parent, ast.Subscript) and parent.value is node:
            if isinstance(parent.ctx, ast.Load):
                yield from self.use(parent, False, deeper, part=True)
            elif not holder:
                yield _Verdict("mutate", line)
        elif isinstance(parent, ast.Attribute) and parent.value is node:
            yield from self.method_use(parent, holder, line, deeper, part)
        elif isinstance(parent, ast.keyword):
            call = self.parents.get(parent)
            if isinstance(call, ast.Call):
                yield from self.argument(call, parent.arg or "**", holder, line, deeper, part)
        elif isinstance(parent, ast.Starred):
            yield from self.use(parent, True, deeper, part)
        elif isinstance(parent, ast.Call):
            if parent.func is node:
                yield _Verdict("escape", line, "is called")
            else:
                position = str(parent.args.index(node)) if node in parent.args else "*"
                yield from self.argument(parent, position, holder, line, deeper, part)
        elif isinstance(parent, ast.Return):
            yield _Verdict("return", line, "is returned")
        elif isinstance(parent, (ast.Yield, ast.YieldFrom, ast.Await)):
            yield _Verdict("escape", line, "is handed out by `yield` or `await`")
        elif (
            isinstance(parent, (ast.Assign, ast.AnnAssign, ast.NamedExpr)) and parent.value is node
        ):
            targets = parent.targets if isinstance(parent, ast.Assign) else [parent.target]
            for target in targets:
                yield from self.assigned(target, parent, holder, line, deeper, part)
            if isinstance(parent, ast.NamedExpr):
                yield from self.use(parent, holder, deeper, part)
        elif isinstance(parent, ast.Tuple) and isinstance(self.parents.get(parent), ast.Return):
            slot = next(i for i, element in enumerate(parent.elts) if element is node)
            yield _Verdict("return", line, "is returned", slot=slot)
        elif isinstance(parent, (ast.List, ast.Tuple, ast.Set)):
            if not isinstance(getattr(parent, "ctx", None), ast.Store):
                yield from self.use(parent, True, deeper, part)
        elif isinstance(parent, ast.Dict):
            if any(value is node for value in parent.values):
                yield from self.use(parent, True, deeper, part)
        elif isinstance(parent, (ast.IfExp, ast.BoolOp)):
            if getattr(parent, "test", None) is not node:
                yield from self.use(parent, holder, deeper, part)
        elif isinstance(parent, (ast.For, ast.AsyncFor)) and parent.iter is node:
            for name in _bare_names(parent.target):
                yield from self.alias(name, None, False, deeper, part=True)
        elif isinstance(parent, ast.comprehension) and parent.iter is node:
            comprehension = self.parents.get(parent)
            for name in _bare_names(parent.target):
                for use in self.name_uses(name, within=comprehension):
                    yield from self.use(use, False, deeper, part=True)
        elif isinstance(parent, ast.withitem) and parent.context_expr is node:
            yield _Verdict("escape", line, "is used as a context manager")
        elif isinstance(parent, (ast.ListComp, ast.SetComp, ast.GeneratorExp)):
            if parent.elt is node:
                yield from self.use(parent, True, deeper, part)
        elif isinstance(parent, ast.DictComp) and parent.value is node:
            yield from self.use(parent, True, deeper, part)
        # anything else (compared, computed with, formatted, tested, a key) only reads it

    def method_use(
        self, attribute: ast.Attribute, holder: bool, line: int, depth: int, part: bool
    ) -> Iterator[_Verdict]:
        """`value.attr` or `value.method(...)`."""
        if not isinstance(attribute.ctx, ast.Load):
            if not holder:  # data a store holds has no attributes to set: a live object
                yield _Verdict("escape", line, f"has its attribute `{attribute.attr}` set")
            return
        call = self.parents.get(attribute)
        if not (isinstance(call, ast.Call) and call.func is attribute):
            if not holder:
                yield from self.use(attribute, False, depth, part=True)
            return
        method = attribute.attr
        if holder:  # a method of the copy: only what it hands back may be a part
            if method in PART_METHODS or method in ("pop", "setdefault", "popitem"):
                yield from self.use(call, False, depth, part)
            elif method in HOLDER_METHODS:
                yield from self.use(call, True, depth, part)
        elif method in MUTATING_METHODS:
            yield _Verdict("mutate", line)
            if method == "setdefault":
                yield from self.use(call, False, depth, part=True)
        elif method in PART_METHODS:
            yield from self.use(call, False, depth, part=True)
        elif method in HOLDER_METHODS:
            yield from self.use(call, True, depth, part=True)
        elif method not in READ_ONLY_METHODS:
            yield _Verdict("escape", line, f"has its method `{method}` called, which may change it")

    def argument(
        self, call: ast.Call, position: str, holder: bool, line: int, depth: int, part: bool
    ) -> Iterator[_Verdict]:
        """The value passed to `call` as argument `position` (a number, a keyword or "*")."""
        func = call.func
        written = dotted(func)
        local = written is not None and written.partition(".")[0] in self.locals
        callee = self.module.resolve(written) if written is not None and not local else ""
        method = func.attr if isinstance(func, ast.Attribute) else ""
        if callee and is_pure_reader(callee):
            return
        if callee in COPIERS:
            yield from self.use(call, True, depth, part)
        elif callee in PICKERS:
            yield from self.use(call, False, depth, part=True)
        elif callee in MUTATING_FUNCTIONS:
            if position != str(MUTATING_FUNCTIONS[callee]):
                if not part:
                    yield _Verdict("escape", line, f"is stored by `{written}`")
            elif not holder:
                yield _Verdict("mutate", line)
        elif method in PURE_READER_METHODS or (method in KEY_METHODS and position == "0"):
            return
        elif method in STORING_METHODS and isinstance(func, ast.Attribute):
            receiver = dotted(func.value)
            container = receiver if receiver is not None else _innermost(func)
            part = part or (holder and method in ELEMENT_STORING_METHODS)
            if receiver is not None and "." not in receiver and receiver in self.locals:
                yield from self.alias(receiver, None, True, depth, part)
            elif not part and container != self.source:
                yield _stored_in(container, func.value, line)
        elif written is None or local:
            yield _Verdict("escape", line, f"is passed to `{_short(func)}`")
        else:
            yield _Verdict("call", line, f"is passed to `{written}`", written, position)

    def assigned(
        self,
        target: ast.AST,
        statement: ast.AST,
        holder: bool,
        line: int,
        depth: int,
        part: bool,
    ) -> Iterator[_Verdict]:
        if isinstance(target, ast.Name):
            if target.id not in self.locals:
                if not part:
                    yield _Verdict("escape", line, f"is stored in the global `{target.id}`")
                return
            alone = isinstance(statement, ast.Assign) and len(statement.targets) == 1
            binding = statement if alone and self.bound_once(target.id) else None
            yield from self.alias(target.id, binding, holder, depth, part)
        elif isinstance(target, (ast.Tuple, ast.List)):
            starred = False
            for slot, element in enumerate(target.elts):
                starred = starred or isinstance(element, ast.Starred)
                for name in _bare_names(element):
                    for verdict in self.alias(name, None, False, depth, part=True):
                        known = starred or verdict.slot >= 0
                        yield verdict if known else verdict._replace(slot=slot)
        elif isinstance(target, ast.Starred):
            for name in _bare_names(target):
                yield from self.alias(name, None, False, depth, part=True)
        elif isinstance(target, (ast.Subscript, ast.Attribute)):
            base = _innermost(target)
            if base is not None and "." not in base and base in self.locals:
                yield from self.alias(base, None, True, depth, part)
            elif base != self.source and not part:  # back into its own container: an edit
                yield _stored_in(base, target, line)

    def bound_once(self, name: str) -> bool:
        return self.function.stores.get(name, 0) == 1

    def alias(
        self, name: str, binding: ast.AST | None, holder: bool, depth: int, part: bool = False
    ) -> list[_Verdict]:
        """The uses of a local that is (or holds) the value. A change through it is covered only
        when it was bound alone, once (`s = S[k]`), and is changed in a later statement of the
        same block: that is the span a read-modify-write can wrap."""
        key = (name, id(binding), holder, part)
        known = self._aliases.get(key)
        if known is not None:
            return known
        self._aliases[key] = []  # a local bound from itself, through others, ends here
        found: list[_Verdict] = []
        for use in self.name_uses(name):
            if binding is not None and use.lineno < getattr(binding, "lineno", 0):
                continue
            closure = self.closure_of(use)
            for verdict in self.use(use, holder, depth + 1, part):
                if verdict.kind == "read":
                    continue
                if closure is not None:
                    verdict = _Verdict(
                        "escape",
                        verdict.line,
                        f"is captured by `{closure}`, which changes it or passes it on "
                        f"(line {verdict.line})",
                    )
                elif verdict.kind == "mutate" and not (
                    binding is not None and self.later_in_block(use, binding)
                ):
                    verdict = _Verdict(
                        "escape",
                        verdict.line,
                        f"is changed through `{name}` (line {verdict.line}), where no "
                        f"read-modify-write can wrap the change",
                    )
                if verdict not in found:
                    found.append(verdict)
        self._aliases[key] = found
        return found

    def param_uses(self, name: str) -> Iterator[_Verdict]:
        """What a function does with a parameter: changes, passes on, returns or captures it."""
        for use in self.name_uses(name):
            closure = self.closure_of(use)
            for verdict in self.use(use, holder=False):
                if verdict.kind != "read" and closure is not None:
                    yield _Verdict("escape", verdict.line, f"is captured by `{closure}`")
                else:
                    yield verdict

    def name_uses(self, name: str, within: ast.AST | None = None) -> list[ast.Name]:
        """The loads of the local `name` in this function (closures included)."""
        if within is not None:
            return [
                n
                for n in ast.walk(within)
                if type(n) is ast.Name and n.id == name and type(n.ctx) is ast.Load
            ]
        return [n for n in self.function.loads.get(name, ()) if not self.shadowed(n, name)]

    def shadowed(self, node: ast.AST, name: str) -> bool:
        """Whether a nested function between `node` and this function binds `name` itself."""
        current = self.parents.get(node)
        while current is not None and current is not self.node:
            if isinstance(current, _FUNCTIONS) and name in self.module.locals_of(current):
                return True
            current = self.parents.get(current)
        return False

    def closure_of(self, node: ast.AST) -> str | None:
        current = self.parents.get(node)
        while current is not None and current is not self.node:
            if isinstance(current, (ast.FunctionDef, ast.AsyncFunctionDef)):
                return current.name
            if isinstance(current, ast.Lambda):
                return "a lambda"
            current = self.parents.get(current)
        return None

    def later_in_block(self, use: ast.AST, binding: ast.AST) -> bool:
        """Whether `use` sits in a statement after `binding`, in the same block."""
        block = _block_containing(self.parents.get(binding), binding)
        if block is None:
            return False
        later = {id(s) for s in block[block.index(binding) + 1 :]}  # type: ignore[arg-type]
        current: ast.AST | None = use
        while current is not None and current is not self.node:
            if id(current) in later:
                return True
            current = self.parents.get(current)
        return False


def _stored_in(container: str | None, target: ast.AST, line: int) -> _Verdict:
    """The value kept in another container: safe only where that container's values are never
    changed in place, which only the whole project can tell (kind "store")."""
    if container is None:
        return _Verdict("escape", line, f"is stored in `{_short(target)}`")
    return _Verdict("store", line, f"is stored in `{_short(target)}`", container)


def _changes(verdict: _Verdict) -> bool:
    """A change seen in place: a mutation, or a method that may be one."""
    return verdict.kind == "mutate" or verdict.why.startswith("has its method")


def _get_with_default(node: ast.AST) -> bool:
    """`S.get(k, default)`: a value that may be a fresh default, never stored."""
    return (
        isinstance(node, ast.Call)
        and isinstance(node.func, ast.Attribute)
        and node.func.attr == "get"
        and len(node.args) + len(node.keywords) > 1
    )


def _default_not_stored(verdicts: Iterable[_Verdict], chain: str) -> Iterator[_Verdict]:
    for verdict in verdicts:
        if verdict.kind == "mutate":
            yield _Verdict(
                "escape",
                verdict.line,
                f"is changed after `{chain}.get(key, default)`, whose default is never stored "
                f"(line {verdict.line})",
            )
        else:
            yield verdict


def _innermost(target: ast.AST) -> str | None:
    """The container an assignment target writes into: `S` in `S[k]["a"]`, `self.x` in
    `self.x[k]`, `d` in `d["a"]`."""
    node = target
    while isinstance(node, (ast.Subscript, ast.Attribute)):
        node = node.value
        chain = dotted(node)
        if chain is not None:
            return chain
    return None


def _block_containing(parent: ast.AST | None, statement: ast.AST) -> list[ast.stmt] | None:
    for field in (*_BLOCK_FIELDS, "handlers"):
        block = getattr(parent, field, None)
        if isinstance(block, list) and any(s is statement for s in block):
            return block
    return None


def _bare_names(node: ast.AST) -> list[str]:
    """Plain names in a target or a value: `a`, `a, b`, `[a, *b]`."""
    if isinstance(node, ast.Name):
        return [node.id]
    if isinstance(node, (ast.Tuple, ast.List)):
        return [n for element in node.elts for n in _bare_names(element)]
    if isinstance(node, ast.Starred):
        return _bare_names(node.value)
    if isinstance(node, ast.Dict):
        return [n for value in node.values for n in _bare_names(value)]
    return []


def _short(node: ast.AST) -> str:
    text = ast.unparse(node)
    return text if len(text) <= 40 else text[:37] + "..."
