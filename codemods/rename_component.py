"""Give a component of the generated runtime the name its flag says.

The component codemods name a component after its symbol (`kv("SESSIONS", {})`); when the plan
gives it another flag (two `SESSIONS` in two modules, or a team's rename in plan.json), the
runtime knows it by that flag's name, and so must the code::

    SESSIONS = kv("SESSIONS", {})          ->  SESSIONS = kv("CART_SESSIONS", {})
    if FLAGS["SESSIONS"].stage().reads_new ->  if FLAGS["CART_SESSIONS"].stage().reads_new

Only calls of the runtime's factories and subscripts of its `FLAGS` change; the Python names
stay as the target wrote them. `RenamedCodemod` runs a component codemod and then this one.
"""

from __future__ import annotations

import libcst as cst
from libcst.codemod import Codemod, CodemodContext
from libcst.metadata import PositionProvider, QualifiedNameProvider

from ._checked_codemod import CheckedCodemod
from .python_literal import string_node
from .runtime_calls import absolute, component_of, factory_of


class ComponentRenameCodemod(CheckedCodemod):
    """Rename component `old` to `new` where the runtime imported as `runtime` is called."""

    DESCRIPTION = "Rename a component of the generated runtime."
    METADATA_DEPENDENCIES = (PositionProvider, QualifiedNameProvider)

    def __init__(self, context: CodemodContext, runtime: str, old: str, new: str) -> None:
        super().__init__(context)
        self.runtimes = (runtime,)
        self.old = old
        self.new = new

    def leave_Call(self, original_node: cst.Call, updated_node: cst.Call) -> cst.Call:
        if component_of(original_node) != self.old:
            return updated_node
        names = self.get_metadata(QualifiedNameProvider, original_node.func, set())
        if factory_of(names, self.runtimes, self.context.full_package_name) is None:
            return updated_node
        first = updated_node.args[0].with_changes(value=string_node(self.new))
        return updated_node.with_changes(args=[first, *updated_node.args[1:]])

    def leave_Subscript(
        self, original_node: cst.Subscript, updated_node: cst.Subscript
    ) -> cst.Subscript:
        if len(original_node.slice) != 1 or not self._is_flags(original_node.value):
            return updated_node
        index = original_node.slice[0].slice
        if not isinstance(index, cst.Index) or not isinstance(index.value, cst.SimpleString):
            return updated_node
        if index.value.evaluated_value != self.old:
            return updated_node
        element = updated_node.slice[0].with_changes(slice=cst.Index(string_node(self.new)))
        return updated_node.with_changes(slice=[element])

    def _is_flags(self, node: cst.BaseExpression) -> bool:
        package = self.context.full_package_name
        return any(
            absolute(q.name, package) in {f"{r}.FLAGS" for r in self.runtimes}
            for q in self.get_metadata(QualifiedNameProvider, node, set())
        )


class RenamedCodemod(Codemod):
    """`codemod`, then `rename` on its result: one codemod to the code that runs them."""

    def __init__(self, codemod: Codemod, rename: ComponentRenameCodemod) -> None:
        super().__init__(codemod.context)
        self.codemod = codemod
        self.rename = rename

    def transform_module_impl(self, tree: cst.Module) -> cst.Module:
        for step in (self.codemod, self.rename):
            step.context = self.context  # one context: the caller reads its warnings
            tree = step.transform_module(tree)
        return tree
