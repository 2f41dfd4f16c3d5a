"""Move a module-level ``threading.Lock`` behind the runtime's ``lock`` factory (a store lock).

Rewrites the definition ``ORDER_LOCK = threading.Lock()`` (or ``Lock()`` imported from
``threading``) into ``ORDER_LOCK = lock("ORDER_LOCK", threading.Lock(), timeout=10)``, the old
lock kept as the old side, with ``from <runtime> import lock`` added once. ``with ORDER_LOCK:``
needs no change. ``ORDER_LOCK.acquire()`` / ``.release()`` are left as they are, with a comment
above each ``acquire()`` (and a warning in ``context.warnings``): with a store lock an exception
between the two leaves the lock held until its timeout, so ``with`` is the safer form.

Refuses the module (``SkipFile`` with the reason, nothing written) when the lock is an ``RLock``
(the store lock is not re-entrant), an ``asyncio.Lock`` (used with ``async with``) or anything
but a ``threading.Lock``; when it is passed around (``Condition(LOCK)``, ``helper(LOCK)``),
stored, returned, aliased or rebound; or when ``LOCK.locked()`` or another method is used.
"""

from __future__ import annotations

import libcst as cst
from libcst.codemod import CodemodContext

from ._support import ComponentCodemod, code_of, factory_call, with_comment

LOCK_CONSTRUCTORS = frozenset({"threading.Lock", "Lock"})


class DistributedLockCodemod(ComponentCodemod):
    """Bind a process lock to ``lock(...)``; ``with LOCK:`` keeps working across replicas."""

    FACTORY = "lock"

    def __init__(
        self,
        context: CodemodContext,
        symbol: str,
        module: str,
        runtime: str,
        timeout: int = 10,
    ) -> None:
        super().__init__(context, symbol, module, runtime)
        self.timeout = timeout

    def start_module(self, tree: cst.Module) -> None:
        self.definition: cst.Assign | None = None
        self.noted: set[int] = set()  # ids of statements that call ``acquire()``
        if self.defines_here:
            if self.top_level_definition(tree) is None:
                self.refuse(f"`{self.symbol}` is not assigned at the top level of this module")
            self.require_factory_name_free(tree)

    def classify(self, ref: cst.Name | cst.Attribute) -> None:
        parent = self.parent(ref)
        where = f"`{self.describe_use(ref)}` (line {self.line_of(ref)})"
        if isinstance(parent, cst.WithItem) and parent.item is ref:
            statement = self.parent(parent)
            if isinstance(statement, cst.With) and statement.asynchronous is not None:
                self.refuse(
                    f"{where} uses `{self.symbol}` with `async with`; the store lock is synchronous"
                )
            return
        if isinstance(parent, cst.Attribute) and parent.value is ref:
            method = parent.attr.value
            if method == "acquire":
                statement = self.enclosing_statement(ref)
                if statement is not None and id(statement) not in self.noted:
                    self.noted.add(id(statement))
                    self.warn(
                        f"line {self.line_of(ref)}: `{self.symbol}.acquire()` is left as it "
                        f"is; an exception before `release()` holds the store lock until "
                        f"its timeout"
                    )
                return
            if method == "release":
                return
            self.refuse(
                f"{where} uses `{self.symbol}.{method}`, which a store lock does not "
                f"offer; only `with`, `acquire()` and `release()` move"
            )
        if self.is_definition(ref):
            return
        if isinstance(parent, (cst.AssignTarget, cst.AugAssign, cst.AnnAssign, cst.Del)):
            self.refuse(f"`{self.symbol}` is rebound in {where}; the lock must stay one object")
        self.refuse(
            f"`{self.symbol}` is passed around in {where} (an argument, a stored or "
            f"returned value, an alias), so the codemod cannot follow it"
        )

    def is_definition(self, ref: cst.CSTNode) -> bool:
        target = self.parent(ref)
        small = self.parent(target)
        line = self.parent(small) if small is not None else None
        if not (
            self.defines_here
            and self.definition is None
            and isinstance(target, cst.AssignTarget)
            and isinstance(small, cst.Assign)
            and isinstance(line, cst.SimpleStatementLine)
            and isinstance(self.parent(line), cst.Module)
        ):
            return False
        value = small.value
        if not self.already_bound(value):
            made = code_of(value.func) if isinstance(value, cst.Call) else code_of(value)
            if made.endswith("RLock"):
                self.refuse(
                    f"`{self.symbol}` is an `RLock`; the store lock is not re-entrant, so "
                    f"code that takes it twice would wait for itself"
                )
            if not (isinstance(value, cst.Call) and made in LOCK_CONSTRUCTORS and not value.args):
                self.refuse(
                    f"`{self.symbol}` is made by `{code_of(value)}`; only a "
                    f"`threading.Lock()` becomes a store lock"
                )
        self.definition = small
        return True

    def leave_Assign(self, original_node: cst.Assign, updated_node: cst.Assign) -> cst.Assign:
        if original_node is self.definition and not self.already_bound(original_node.value):
            self.add_needed_import(self.runtime, self.FACTORY)
            call = factory_call(
                self.FACTORY,
                self.symbol,
                original_node.value,
                timeout=cst.Integer(str(self.timeout)),
            )
            return updated_node.with_changes(value=call)
        return updated_node

    # One hook for every kind of statement that can hold ``acquire()`` (a line, an ``if``, ...).
    def on_leave(  # type: ignore[override]
        self, original_node: cst.CSTNode, updated_node: cst.CSTNode
    ) -> cst.CSTNode | cst.RemovalSentinel | cst.FlattenSentinel[cst.CSTNode]:
        updated = super().on_leave(original_node, updated_node)
        if id(original_node) in self.noted and isinstance(updated, cst.BaseStatement):
            return with_comment(
                updated,
                f"stateless: {self.symbol} is a store lock; `with {self.symbol}:` always "
                f"releases it",
            )
        return updated
