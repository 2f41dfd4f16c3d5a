"""Inside ``async def``, a migrated component is used through its async methods, so a slow
store never stalls the event loop (the runtime's sync methods block the thread they run on).

Runs after the component's own codemod, on its result, over the same files. In the body of an
``async def`` (not in a plain ``def`` or ``lambda`` nested in it, which run where they are
called), uses of the component ``symbol`` defined in ``module`` become:

- a key-value store (``kind="kv"``): ``S[k]`` -> ``await S.agetitem(k)``, ``S[k] = v`` ->
  ``await S.aset(k, v)``, ``del S[k]`` -> ``await S.adelete(k)``, ``k in S`` -> ``await
  S.acontains(k)``, ``S.get/pop/setdefault(...)`` -> ``await S.aget/apop/asetdefault(...)``,
  ``S.augment(...)`` -> ``await S.aaugment(...)``, ``with S.edit(k) as v:`` -> ``async with
  S.aedit(k) as v:``;
- a counter (``kind="counter"``): ``C.incr(...)`` / ``C.get(...)`` -> ``await C.aincr(...)`` /
  ``await C.aget(...)``;
- a lock (``kind="lock"``): ``with L:`` -> ``async with L.aheld():``.

Any other use inside ``async def`` (iterating the store, ``len(S)``, passing it on, a lock's
``acquire()``) has no async form here and is refused (``SkipFile``, nothing written): it would
block the event loop on every call.
"""

from __future__ import annotations

import libcst as cst
from libcst.codemod import Codemod, CodemodContext, SkipFile
from libcst.metadata import ParentNodeProvider, QualifiedNameProvider

from ._checked_codemod import CheckedCodemod

# Methods with an async twin, by component kind: sync name -> async name.
ASYNC_METHODS = {
    "kv": {
        "get": "aget",
        "pop": "apop",
        "setdefault": "asetdefault",
        "augment": "aaugment",
        "edit": "aedit",
    },
    "counter": {"incr": "aincr", "decr": "adecr", "get": "aget", "hit": "ahit"},
    "lock": {},
}


class AsyncStoreCallsCodemod(CheckedCodemod):
    DESCRIPTION = "Use a migrated component's async methods inside async functions."
    METADATA_DEPENDENCIES = (
        *CheckedCodemod.METADATA_DEPENDENCIES,
        QualifiedNameProvider,
        ParentNodeProvider,
    )

    def __init__(self, context: CodemodContext, symbol: str, module: str, kind: str) -> None:
        """`symbol` defined at the top of `module`; `kind` is kv, counter or lock."""
        super().__init__(context)
        self.qualname = f"{module}.{symbol}"
        self.symbol = symbol
        self.methods = ASYNC_METHODS[kind]
        self.kind = kind
        self.functions: list[bool] = []  # for each enclosing function: is it `async def`?
        self.handled: set[int] = set()  # references rewritten or known to be fine

    # -- where we are ---------------------------------------------------------------------------

    def in_async(self) -> bool:
        return bool(self.functions) and self.functions[-1]

    def visit_FunctionDef(self, node: cst.FunctionDef) -> None:
        self.functions.append(node.asynchronous is not None)

    def leave_FunctionDef(
        self, original_node: cst.FunctionDef, updated_node: cst.FunctionDef
    ) -> cst.FunctionDef:
        self.functions.pop()
        return updated_node

    def visit_Lambda(self, node: cst.Lambda) -> None:
        self.functions.append(False)

    def leave_Lambda(self, original_node: cst.Lambda, updated_node: cst.Lambda) -> cst.Lambda:
        self.functions.pop()
        return updated_node

    def is_component(self, node: cst.CSTNode) -> bool:
        if not isinstance(node, (cst.Name, cst.Attribute)):
            return False
        names = self.get_metadata(QualifiedNameProvider, node, set())
        return any(self.absolute(q.name) == self.qualname for q in names)

    def absolute(self, name: str) -> str:
        """`name` as QualifiedNameProvider gives it (`S`, `.state.S`, `shop.state.S`), made
        absolute from this module's place."""
        here = self.context.full_module_name or ""
        if name.startswith("."):
            dots = len(name) - len(name.lstrip("."))
            package = (self.context.full_package_name or "").split(".")
            base = package[: len(package) - (dots - 1)] if dots > 1 else package
            return ".".join([*base, name[dots:]])
        if "." not in name:
            return f"{here}.{name}"
        return name

    # -- the rewrites ---------------------------------------------------------------------------

    def leave_Subscript(
        self, original_node: cst.Subscript, updated_node: cst.Subscript
    ) -> cst.BaseExpression:
        if not (self.kind == "kv" and self.in_async() and self.is_component(original_node.value)):
            return updated_node
        parent = self.get_metadata(ParentNodeProvider, original_node)
        if isinstance(parent, (cst.AssignTarget, cst.Del)):
            return updated_node  # the statement becomes `aset` / `adelete` below
        self.handled.add(id(original_node.value))
        key = _single_key(updated_node)
        return _awaited(updated_node.value, "agetitem", [cst.Arg(key)], parent)

    def leave_SimpleStatementLine(
        self, original_node: cst.SimpleStatementLine, updated_node: cst.SimpleStatementLine
    ) -> cst.SimpleStatementLine:
        if not (self.kind == "kv" and self.in_async()):
            return updated_node
        body = []
        for original, small in zip(original_node.body, updated_node.body, strict=True):
            body.append(self.whole_entry(original, small))
        return updated_node.with_changes(body=body)

    def whole_entry(
        self, original: cst.BaseSmallStatement, small: cst.BaseSmallStatement
    ) -> cst.BaseSmallStatement:
        """`S[k] = v` -> `await S.aset(k, v)`; `del S[k]` -> `await S.adelete(k)`."""
        if isinstance(original, cst.Assign) and isinstance(small, cst.Assign):
            target = original.targets[0].target
            if (
                len(original.targets) == 1
                and isinstance(target, cst.Subscript)
                and self.is_component(target.value)
            ):
                self.handled.add(id(target.value))
                new_target = small.targets[0].target
                assert isinstance(new_target, cst.Subscript)
                args = [cst.Arg(_single_key(new_target)), cst.Arg(small.value)]
                return cst.Expr(_awaited(new_target.value, "aset", args, None))
        if isinstance(original, cst.Del) and isinstance(original.target, cst.Subscript):
            if self.is_component(original.target.value):
                self.handled.add(id(original.target.value))
                assert isinstance(small, cst.Del) and isinstance(small.target, cst.Subscript)
                args = [cst.Arg(_single_key(small.target))]
                return cst.Expr(_awaited(small.target.value, "adelete", args, None))
        return small

    def leave_Comparison(
        self, original_node: cst.Comparison, updated_node: cst.Comparison
    ) -> cst.BaseExpression:
        if not (self.kind == "kv" and self.in_async() and len(original_node.comparisons) == 1):
            return updated_node
        target = original_node.comparisons[0]
        if not (
            isinstance(target.operator, (cst.In, cst.NotIn)) and self.is_component(target.comparator)
        ):
            return updated_node
        self.handled.add(id(target.comparator))
        parent = self.get_metadata(ParentNodeProvider, original_node)
        comparator = updated_node.comparisons[0].comparator
        if isinstance(target.operator, cst.NotIn):
            check = _awaited(comparator, "acontains", [cst.Arg(updated_node.left)], None)
            return cst.UnaryOperation(cst.Not(), check)
        return _awaited(comparator, "acontains", [cst.Arg(updated_node.left)], parent)

    def leave_Call(self, original_node: cst.Call, updated_node: cst.Call) -> cst.BaseExpression:
        func = original_node.func
        if not (
            self.in_async() and isinstance(func, cst.Attribute) and self.is_component(func.value)
        ):
            return updated_node
        twin = self.methods.get(func.attr.value)
        if twin is None or twin == "aedit":
            return updated_node  # refused in leave_Module unless a `with` took it
        self.handled.add(id(func.value))
        new_func = updated_node.func
        assert isinstance(new_func, cst.Attribute)
        parent = self.get_metadata(ParentNodeProvider, original_node)
        return _awaited(new_func.value, twin, list(updated_node.args), parent)

    def leave_With(self, original_node: cst.With, updated_node: cst.With) -> cst.BaseStatement:
        if not self.in_async() or original_node.asynchronous is not None:
            return updated_node
        items = []
        changed = False
        for original, item in zip(original_node.items, updated_node.items, strict=True):
            held = self.held(original.item, item.item)
            if held is not None:
                changed = True
                item = item.with_changes(item=held)
            items.append(item)
        if not changed:
            return updated_node
        if len(items) > 1:
            raise SkipFile(
                f"line {self.line_of(original_node)}: `{self.symbol}` shares a `with` with other "
                "context managers; split it before it can become `async with`"
            )
        return updated_node.with_changes(items=items, asynchronous=cst.Asynchronous())

    def held(self, original: cst.BaseExpression, item: cst.BaseExpression) -> cst.Call | None:
        """The async form of a `with` item on the component, or None."""
        if self.kind == "lock" and self.is_component(original):
            self.handled.add(id(original))
            return cst.Call(func=cst.Attribute(item, cst.Name("aheld")))
        if (
            self.kind == "kv"
            and isinstance(original, cst.Call)
            and isinstance(original.func, cst.Attribute)
            and original.func.attr.value == "edit"
            and self.is_component(original.func.value)
            and isinstance(item, cst.Call)
            and isinstance(item.func, cst.Attribute)
        ):
            self.handled.add(id(original.func.value))
            return item.with_changes(func=item.func.with_changes(attr=cst.Name("aedit")))
        return None

    # -- what is left -----------------------------------------------------------------------------

    def visit_Name(self, node: cst.Name) -> None:
        self.note_use(node)

    def visit_Attribute(self, node: cst.Attribute) -> None:
        self.note_use(node)

    def note_use(self, node: cst.Name | cst.Attribute) -> None:
        if self.in_async() and self.is_component(node):
            self.uses.append(node)

    def visit_Module(self, node: cst.Module) -> None:
        self.uses: list[cst.CSTNode] = []

    def leave_Module(self, original_node: cst.Module, updated_node: cst.Module) -> cst.Module:
        # An Attribute chain `m.S` is noted as a whole and by its parts: keep the outermost.
        left = [u for u in self.uses if id(u) not in self.handled and not self.inner(u)]
        if left:
            first = left[0]
            raise SkipFile(
                f"line {self.line_of(first)}: `{self.symbol}` is used in an `async def` in a way "
                f"that has no async form (`{_code(self.around(first))}`"
                "); left as it is, it would block the event loop on every call"
            )
        return updated_node

    def around(self, node: cst.CSTNode) -> cst.CSTNode:
        """The call or statement a use sits in, to quote: `len(S)`, `S.items()`, `for k in S:`."""
        for _ in range(4):
            parent = self.get_metadata(ParentNodeProvider, node, None)
            if parent is None or isinstance(parent, (cst.IndentedBlock, cst.Module)):
                return node
            node = parent
            if isinstance(node, (cst.Call, cst.Comparison, cst.BaseSmallStatement)):
                return node
        return node

    def inner(self, node: cst.CSTNode) -> bool:
        parent = self.get_metadata(ParentNodeProvider, node)
        return isinstance(parent, cst.Attribute) and parent.value is node and self.is_component(parent)


def _single_key(subscript: cst.Subscript) -> cst.BaseExpression:
    element = subscript.slice[0].slice if len(subscript.slice) == 1 else None
    if not isinstance(element, cst.Index):
        raise SkipFile(f"`{_code(subscript)}` is not one key; rewrite it by hand")
    return element.value


def _parentheses(parent: cst.CSTNode | None) -> tuple[list[cst.LeftParen], list[cst.RightParen]]:
    # `await` binds looser than a call, an attribute or a subscript on its result.
    if isinstance(parent, (cst.Attribute, cst.Subscript, cst.Call)):
        return [cst.LeftParen()], [cst.RightParen()]
    return [], []


def _awaited(
    receiver: cst.BaseExpression,
    method: str,
    args: list[cst.Arg],
    parent: cst.CSTNode | None,
) -> cst.Await:
    args = [a.with_changes(comma=cst.MaybeSentinel.DEFAULT) for a in args]
    call = cst.Call(func=cst.Attribute(receiver, cst.Name(method)), args=args)
    lpar, rpar = _parentheses(parent)
    return cst.Await(expression=call, lpar=lpar, rpar=rpar)


def _code(node: cst.CSTNode | None) -> str:
    if node is None:
        return ""
    return cst.Module(body=[]).code_for_node(node).strip()


class AwaitedCodemod(Codemod):
    """`codemod` (a component's own rewrite), then `AsyncStoreCallsCodemod` on its result."""

    def __init__(self, codemod: Codemod, symbol: str, module: str, kind: str) -> None:
        super().__init__(codemod.context)
        self.codemod = codemod
        self.component = (symbol, module, kind)

    def transform_module_impl(self, tree: cst.Module) -> cst.Module:
        awaited = AsyncStoreCallsCodemod(self.context, *self.component)
        for step in (self.codemod, awaited):
            step.context = self.context  # one context: the caller reads its warnings
            tree = step.transform_module(tree)
        return tree
