"""Statements moved under one ``with S.edit(k) as value:``, where every read of ``S[k]`` sees the
value being edited: what makes a read-modify-write of a key-value store atomic.

The key-value codemod decides which statements a span holds; the helpers here rewrite the
statements it hands over (already rewritten inside, so matched by their code, not by node):

- every ``S[k]``, ``S.get(k)``, ``S.setdefault(k, ...)`` (and, for a defaultdict,
  ``S.get(k, <empty>)``) of the same receiver and key becomes the edited value's name, outside nested functions, which run
  later and must read the store again;
- an ``edit`` of the same key inside the span is the same edit: its body joins the span's.
"""

from __future__ import annotations

from collections.abc import Sequence

import libcst as cst

from ._support import code_of, single_key


class ReplaceSameKey(cst.CSTTransformer):
    """``S[k]`` (and the calls that read the same entry) -> ``value``, for one receiver and key."""

    def __init__(
        self, receiver: str, key: str, name: str, empty: cst.BaseExpression | None
    ) -> None:
        super().__init__()
        self.receiver = receiver
        self.key = key
        self.name = name
        self.empty = code_of(empty) if empty is not None else None
        self.targets: set[int] = set()  # ``S[k] = v`` / ``del S[k]``: the runtime's to hold

    def visit_FunctionDef(self, node: cst.FunctionDef) -> bool:
        return False

    def visit_Lambda(self, node: cst.Lambda) -> bool:
        return False

    def visit_AssignTarget(self, node: cst.AssignTarget) -> None:
        self.targets.add(id(node.target))

    def visit_Del(self, node: cst.Del) -> None:
        self.targets.add(id(node.target))

    def leave_Subscript(
        self, original_node: cst.Subscript, updated_node: cst.Subscript
    ) -> cst.BaseExpression:
        key = single_key(updated_node)
        if (
            id(original_node) not in self.targets
            and key is not None
            and code_of(updated_node.value) == self.receiver
            and code_of(key) == self.key
        ):
            return cst.Name(self.name)
        return updated_node

    def leave_Call(self, original_node: cst.Call, updated_node: cst.Call) -> cst.BaseExpression:
        func = updated_node.func
        if not (
            isinstance(func, cst.Attribute)
            and code_of(func.value) == self.receiver
            and updated_node.args
            and code_of(updated_node.args[0].value) == self.key
        ):
            return updated_node
        method = func.attr.value
        if method == "setdefault":
            return cst.Name(self.name)
        # `edit` yields None for a missing key, as `get` answers: `S.get(k) or {}` keeps its sense.
        if method == "get" and len(updated_node.args) == 1:
            return cst.Name(self.name)
        if (
            method == "get"
            and self.empty is not None
            and len(updated_node.args) == 2
            and code_of(updated_node.args[1].value) == self.empty
        ):
            return cst.Name(self.name)
        return updated_node


class JoinSameEdit(cst.CSTTransformer):
    """``with S.edit(k) as inner:`` inside an edit of the same key: its statements, in place."""

    def __init__(
        self, receiver: str, key: str, name: str, generated: str, rewritten: bool = False
    ) -> None:
        super().__init__()
        self.receiver = receiver
        self.key = key
        self.name = name
        self.generated = generated
        self.rewritten = rewritten  # the span assigns or deletes the entry as a whole

    def visit_FunctionDef(self, node: cst.FunctionDef) -> bool:
        return False

    def statements(self, body: Sequence[cst.BaseStatement]) -> list[cst.BaseStatement]:
        out: list[cst.BaseStatement] = []
        for statement in body:
            inner = self.inner_name(statement)
            if inner is None:
                out.append(statement)
                continue
            assert isinstance(statement, cst.With) and isinstance(statement.body, cst.IndentedBlock)
            joined = list(statement.body.body)
            # After `S[k] = v` the entry is another value: read it as the edit holds it.
            outer = f"{self.receiver}[{self.key}]" if self.rewritten else self.name
            if inner == self.generated:  # a name the codemod made: it becomes the outer one
                rename = _Rename(inner, cst.parse_expression(outer))
                renamed = [s.visit(rename) for s in joined]
                joined = [s for s in renamed if isinstance(s, cst.BaseStatement)]
            elif inner != outer:  # the inner block's own name keeps meaning the value
                joined.insert(0, cst.parse_statement(f"{inner} = {outer}"))
            joined[0] = joined[0].with_changes(leading_lines=statement.leading_lines)
            out.extend(joined)
        return out

    def inner_name(self, statement: cst.BaseStatement) -> str | None:
        if not (isinstance(statement, cst.With) and len(statement.items) == 1):
            return None
        item = statement.items[0]
        call = item.item
        if not (
            isinstance(call, cst.Call)
            and isinstance(call.func, cst.Attribute)
            and call.func.attr.value == "edit"
            and code_of(call.func.value) == self.receiver
            and call.args
            and code_of(call.args[0].value) == self.key
            and item.asname is not None
            and isinstance(item.asname.name, cst.Name)
        ):
            return None
        return item.asname.name.value

    def leave_IndentedBlock(
        self, original_node: cst.IndentedBlock, updated_node: cst.IndentedBlock
    ) -> cst.IndentedBlock:
        return updated_node.with_changes(body=self.statements(updated_node.body))


class _Rename(cst.CSTTransformer):
    """Every ``Name`` spelled ``old`` -> ``new``; only for a name the codemod made itself."""

    def __init__(self, old: str, new: cst.BaseExpression) -> None:
        super().__init__()
        self.old = old
        self.new = new

    def leave_Name(self, original_node: cst.Name, updated_node: cst.Name) -> cst.BaseExpression:
        return self.new if updated_node.value == self.old else updated_node


def span_body(
    statements: Sequence[cst.BaseStatement],
    receiver: str,
    key: str,
    name: str,
    empty: cst.BaseExpression | None,
    generated: str,
) -> list[cst.BaseStatement]:
    """The statements of a span over ``receiver[key]``, reading the edited value ``name``
    (``generated``: the name the codemod gives an edited value, free in the module)."""
    # After `S[k] = v` or `del S[k]` the entry is another value than the edit's: there
    # `S[k]` stays as written, and the runtime answers it with the entry the edit holds.
    rewritten = any(_writes_entry(s, receiver, key) for s in statements)
    replace = ReplaceSameKey(receiver, key, name, empty)
    join = JoinSameEdit(receiver, key, name, generated, rewritten)
    visited = []
    for statement in statements:
        replaced = statement if rewritten else statement.visit(replace)
        assert isinstance(replaced, cst.BaseStatement)
        joined = replaced.visit(join)
        assert isinstance(joined, cst.BaseStatement)
        visited.append(joined)
    return join.statements(visited)


def _writes_entry(statement: cst.CSTNode, receiver: str, key: str) -> bool:
    """Whether ``statement`` assigns or deletes ``receiver[key]`` as a whole."""
    found = False

    class _Targets(cst.CSTVisitor):
        def visit_AssignTarget(self, node: cst.AssignTarget) -> None:
            self.check(node.target)

        def visit_Del(self, node: cst.Del) -> None:
            self.check(node.target)

        def check(self, target: cst.BaseExpression) -> None:
            nonlocal found
            index = single_key(target) if isinstance(target, cst.Subscript) else None
            if isinstance(target, cst.Subscript) and index is not None:
                found = found or (code_of(target.value), code_of(index)) == (receiver, key)

    statement.visit(_Targets())
    return found
