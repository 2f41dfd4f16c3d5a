"""Values from the target become literal nodes, never code.

A key prefix from `[tool.migrator]`, a flag from plan.json or a name from the target's source
that reaches generated code goes in as a string literal node built here: whatever it holds
(quotes, newlines, `"; import os`), the generated code reads it as data.
"""

from __future__ import annotations

import libcst as cst


def python_string(value: str) -> str:
    """`value` as a Python string literal, double-quoted where it can be (the house style)."""
    text = repr(value)
    if text.startswith("'") and '"' not in value:
        text = '"' + text[1:-1] + '"'
    return text


def python_literal(value: object) -> str:
    """`value` (a string, number, bool or None) as Python source that evaluates to it: the
    `pyrepr` filter of the runtime's templates."""
    if isinstance(value, str):
        return python_string(value)
    if value is None or isinstance(value, (bool, int, float)):
        return repr(value)
    raise TypeError(f"{type(value).__name__} values are not written into generated code")


def string_node(value: str) -> cst.SimpleString:
    """A string literal node that evaluates to exactly `value`."""
    node = cst.SimpleString(python_string(value))
    if node.evaluated_value != value:  # repr is exact; this guards the quote swap above
        raise ValueError(f"cannot write {value!r} as a string literal")
    return node


def with_values(node: cst.CSTNodeT, values: dict[str, cst.BaseExpression]) -> cst.CSTNodeT:
    """`node` (parsed from code of our own) with each placeholder name in `values` replaced by
    its node: the way a target's value joins a template without being parsed."""

    class Fill(cst.CSTTransformer):
        def leave_Name(self, original_node: cst.Name, updated_node: cst.Name) -> cst.BaseExpression:
            return values.get(original_node.value, updated_node)

    result = node.visit(Fill())
    assert isinstance(result, type(node))
    return result
