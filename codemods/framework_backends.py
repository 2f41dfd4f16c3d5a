"""What the framework-configuration codemods share: the start-up switch and config sites.

Where a framework has its own Redis backend, the codemods switch its configuration instead of
generating an adapter. Every switched value reads, in the target::

    CACHE_TYPE = "RedisCache" if _cache_type_on_redis else "SimpleCache"

with the switch defined once, after the module's leading imports::

    # Migration switch, read at start-up: off keeps the old backend, complete uses Redis.
    _cache_type_on_redis = (
        os.environ.get("STATELESS_CACHE_TYPE", os.environ.get("STATELESS_MODE", "off"))
        == "complete"
    )

Two stages only: `off` (and every stage before `complete`) keeps the old value, `complete`
switches. The Redis URL always comes from `STATELESS_REDIS_URL`.

The key prefix (`[tool.migrator] key_prefix`, else the module's top package) and the flag come
from the target and its plan: they enter the code as literal nodes (`string_node`), never as
text that is parsed, so no value can become code.
"""

from __future__ import annotations

import keyword
import re
from collections.abc import Collection, Sequence
from typing import Any, ClassVar

import libcst as cst
import libcst.matchers as m
from libcst.codemod import CodemodContext
from libcst.metadata import ParentNodeProvider, PositionProvider, ProviderT

from ._checked_codemod import CheckedCodemod
from .python_literal import string_node, with_values

REDIS_URL = 'os.environ.get("STATELESS_REDIS_URL", "redis://127.0.0.1:6379/0")'
# Stands for the service's key prefix in the sources below; `fill` puts in a literal node.
PREFIX_PLACEHOLDER = "__stateless_key_prefix__"
# Every key carries the service's prefix, as the generated runtime's keys do.
KEY_PREFIX = f'os.environ.get("STATELESS_KEY_PREFIX", {PREFIX_PLACEHOLDER}) + ":"'
# For libraries that join the prefix to the key themselves (Django caches, limiters).
SERVICE_KEY_PREFIX = f'os.environ.get("STATELESS_KEY_PREFIX", {PREFIX_PLACEHOLDER})'
_FLAG = re.compile(r"[A-Z_][A-Z0-9_]*\Z")
_VARIABLE_PLACEHOLDER = "__stateless_flag_variable__"
SWITCH_COMMENT = (
    "# Migration switch, read at start-up: off keeps the old backend, complete uses Redis."
)
# A switched value that would make its line longer than this goes on lines of its own.
LINE_LIMIT = 99
# Every statement is one of these, which libcst's `BaseStatement` does not tell mypy.
_STATEMENT_KINDS = (cst.SimpleStatementLine, cst.BaseCompoundStatement)


class ConfigSwitchCodemod(CheckedCodemod):
    """Base: builds `new if <switch> else old` and defines the switch where it is used."""

    # Annotated again: subclasses ask for more providers than this base.
    METADATA_DEPENDENCIES: ClassVar[Collection[ProviderT]] = (PositionProvider, ParentNodeProvider)
    FLAG: ClassVar[str] = ""

    def __init__(
        self, context: CodemodContext, flag: str | None = None, key_prefix: str = ""
    ) -> None:
        """`flag` names the migration flag (env `STATELESS_<FLAG>`); the class picks one.
        `key_prefix` is the default of `STATELESS_KEY_PREFIX` (the module's top package when
        empty), as in the generated runtime."""
        super().__init__(context)
        self.key_prefix = key_prefix
        self.flag = (flag or self.FLAG).upper()
        if not _FLAG.match(self.flag) or keyword.iskeyword(self.flag.lower()):
            raise ValueError(f"{self.flag!r} cannot name a migration flag")
        self.switch_name = f"_{self.flag.lower()}_on_redis"
        self.switch_used = False
        self.source_lines: list[str] = []

    def visit_Module(self, node: cst.Module) -> None:
        self.source_lines = node.code.splitlines()

    def switched(
        self, old: cst.BaseExpression, new_source: str, at: cst.CSTNode
    ) -> cst.BaseExpression:
        """`new if <switch> else old`, on lines of its own when too long, indented from `at`."""
        self.switch_used = True
        self.add_needed_import("os")
        old_source = cst.Module(body=[]).code_for_node(old)
        inline = f"{new_source} if {self.switch_name} else {old_source}"
        line = self.source_lines[self.line_of(at) - 1]
        if "\n" in old_source or len(line) - len(old_source) + len(inline) <= LINE_LIMIT:
            return cst.parse_expression(inline)
        indent = line[: len(line) - len(line.lstrip())]
        inner = indent + "    "
        return absolute(
            cst.parse_expression(
                f"(\n{inner}{new_source}\n{inner}if {self.switch_name}\n"
                f"{inner}else {old_source}\n{indent})"
            )
        )

    def is_switched(self, node: cst.CSTNode) -> bool:
        """Whether `node` (as read) is already the old side of this codemod's switch."""
        parent = self.get_metadata(ParentNodeProvider, node, None)
        return isinstance(parent, cst.IfExp) and m.matches(parent.test, m.Name(self.switch_name))

    def expression(self, source: str) -> cst.BaseExpression:
        """A new expression from `source`, code of this package's own; any `os.` it uses gets
        its import, and `PREFIX_PLACEHOLDER` becomes the service's key prefix (`fill`)."""
        if "os." in source:
            self.add_needed_import("os")
        return self.fill(cst.parse_expression(source))

    def fill(self, node: cst.CSTNodeT) -> cst.CSTNodeT:
        """`node`, parsed from code of this package's own, with `PREFIX_PLACEHOLDER` replaced
        by the key prefix as a string literal: the one configured, else the module's top
        package. Never give it a tree that holds the target's code."""
        package = self.key_prefix or (self.context.full_module_name or "service").split(".")[0]
        return with_values(node, {PREFIX_PLACEHOLDER: string_node(package)})

    def leave_Module(self, original_node: cst.Module, updated_node: cst.Module) -> cst.Module:
        body = self.rewrite_body(original_node.body, updated_node.body)
        if self.switch_used and not _assigns(body, self.switch_name):
            at = _after_leading_imports(body)
            following = body[at] if at < len(body) else None
            if isinstance(following, _STATEMENT_KINDS) and not following.leading_lines:
                body[at] = following.with_changes(leading_lines=[cst.EmptyLine()])
            body.insert(at, self._switch_statement())
        return updated_node.with_changes(body=body)

    def leave_IndentedBlock(
        self, original_node: cst.IndentedBlock, updated_node: cst.IndentedBlock
    ) -> cst.IndentedBlock:
        body = self.rewrite_body(original_node.body, updated_node.body)
        return updated_node.with_changes(body=body)

    def rewrite_body(
        self, original: Sequence[cst.BaseStatement], body: Sequence[cst.BaseStatement]
    ) -> list[cst.BaseStatement]:
        """Hook for statement-level rewrites of one block (`original` as read, for
        positions); the default changes nothing."""
        return list(body)

    def _switch_statement(self) -> cst.BaseStatement:
        statement = cst.parse_statement(
            f"{self.switch_name} = (\n"
            f'    os.environ.get({_VARIABLE_PLACEHOLDER}, os.environ.get("STATELESS_MODE", "off"))\n'
            '    == "complete"\n'
            ")\n"
        )
        variable = string_node(f"STATELESS_{self.flag}")
        statement = with_values(statement, {_VARIABLE_PLACEHOLDER: variable})
        return statement.with_changes(
            leading_lines=[cst.EmptyLine(), cst.EmptyLine(comment=cst.Comment(SWITCH_COMMENT))]
        )


class ConfigKeySwitchCodemod(ConfigSwitchCodemod):
    """Base: switches one configuration key wherever it is written with a local value.

    Sites: `KEY = "old"` (module or class body), `x["KEY"] = "old"`, `x.KEY = "old"`,
    `f(..., KEY="old")` (`config.update`, `from_mapping`, `dict`, constructors) and
    `{"KEY": "old"}`. Each switched site also gets the `COMPANIONS` it lacks, in the same form.
    """

    KEYS: ClassVar[tuple[str, ...]] = ()
    OLD_VALUES: ClassVar[frozenset[str]] = frozenset()
    NEW_VALUE: ClassVar[str] = ""
    COMPANIONS: ClassVar[tuple[tuple[str, str], ...]] = ()  # (key, value source)
    IMPORTS: ClassVar[tuple[str, ...]] = ()  # modules the companions need

    def is_local(self, value: cst.BaseExpression) -> bool:
        """Whether `value` is one of the process-local settings this codemod replaces."""
        return isinstance(value, cst.SimpleString) and value.evaluated_value in self.OLD_VALUES

    def new_value(self, old: cst.BaseExpression, at: cst.CSTNode) -> cst.BaseExpression:
        for module in self.IMPORTS:
            self.add_needed_import(module)
        return self.switched(old, self.NEW_VALUE, at)

    def rewrite_body(
        self, original: Sequence[cst.BaseStatement], body: Sequence[cst.BaseStatement]
    ) -> list[cst.BaseStatement]:
        out: list[cst.BaseStatement] = []
        for as_read, statement in zip(original, body, strict=True):
            assign = _single_assign(statement)
            target = assign.targets[0].target if assign else None
            if assign is None or target is None or not self._is_key_target(target):
                out.append(statement)
                continue
            if not self.is_local(assign.value):
                out.append(statement)
                continue
            switched = assign.with_changes(value=self.new_value(assign.value, as_read))
            out.append(_replace_single(statement, switched))
            for key, source in self.COMPANIONS:
                companion = _retarget(target, key)
                if not _assigns_target(body, companion):
                    out.append(
                        cst.SimpleStatementLine(
                            [cst.Assign([cst.AssignTarget(companion)], self.expression(source))]
                        )
                    )
        return out

    def _is_key_target(self, target: cst.BaseExpression) -> bool:
        if isinstance(target, cst.Name):
            return target.value in self.KEYS
        if isinstance(target, cst.Attribute):
            return target.attr.value in self.KEYS
        if isinstance(target, cst.Subscript) and len(target.slice) == 1:
            index = target.slice[0].slice
            return isinstance(index, cst.Index) and _string(index.value) in self.KEYS
        return False

    def leave_Call(self, original_node: cst.Call, updated_node: cst.Call) -> cst.BaseExpression:
        return self.switch_keyword_values(original_node, updated_node)

    def switch_keyword_values(self, original_node: cst.Call, updated_node: cst.Call) -> cst.Call:
        """The call with its first process-local `KEYS=` argument switched and the companion
        arguments added; the call unchanged when it has none."""
        args = list(updated_node.args)
        for position, arg in enumerate(args):
            if arg.keyword and arg.keyword.value in self.KEYS and self.is_local(arg.value):
                value = self.new_value(arg.value, original_node.args[position])
                args[position] = arg.with_changes(value=value)
                present = {a.keyword.value for a in args if a.keyword}
                extra = [
                    cst.Arg(
                        self.expression(source),
                        keyword=cst.Name(key),
                        equal=cst.AssignEqual(cst.SimpleWhitespace(""), cst.SimpleWhitespace("")),
                    )
                    for key, source in self.COMPANIONS
                    if key not in present
                ]
                opening = updated_node.whitespace_before_args
                args = insert_after(args, position, extra, opening)
                return updated_node.with_changes(args=args)
        return updated_node

    def leave_Dict(self, original_node: cst.Dict, updated_node: cst.Dict) -> cst.Dict:
        elements = list(updated_node.elements)
        for position, element in enumerate(elements):
            if not isinstance(element, cst.DictElement):
                continue
            if _string(element.key) in self.KEYS and self.is_local(element.value):
                value = self.new_value(element.value, original_node.elements[position])
                elements[position] = element.with_changes(value=value)
                present = {_string(e.key) for e in elements if isinstance(e, cst.DictElement)}
                extra = [
                    cst.DictElement(cst.SimpleString(f'"{key}"'), self.expression(source))
                    for key, source in self.COMPANIONS
                    if key not in present
                ]
                opening = updated_node.lbrace.whitespace_after
                return updated_node.with_changes(
                    elements=insert_after(elements, position, extra, opening)  # type: ignore[arg-type]
                )
        return updated_node


def insert_after(
    elements: Sequence[Any],
    position: int,
    extra: Sequence[Any],
    opening: cst.BaseParenthesizableWhitespace,
) -> list[Any]:
    """`elements` (call arguments, dict or list elements) with `extra` after `position`,
    laid out like the elements around them."""
    if not extra:
        return list(elements)
    separators = [e.comma for e in elements[:-1] if isinstance(e.comma, cst.Comma)]
    if separators:
        separator = separators[0]
    elif isinstance(opening, cst.ParenthesizedWhitespace):
        separator = cst.Comma(whitespace_after=opening)
    else:
        separator = cst.Comma(whitespace_after=cst.SimpleWhitespace(" "))
    current = elements[position]
    if position < len(elements) - 1:
        separator = current.comma if isinstance(current.comma, cst.Comma) else separator
        added = [e.with_changes(comma=separator) for e in extra]
        return [*elements[: position + 1], *added, *elements[position + 1 :]]
    trailing = current.comma
    added = [e.with_changes(comma=separator) for e in extra[:-1]]
    last = extra[-1].with_changes(comma=trailing)
    if isinstance(current, cst.Arg) and isinstance(last, cst.Arg):
        last = last.with_changes(whitespace_after_arg=current.whitespace_after_arg)
        current = current.with_changes(whitespace_after_arg=cst.SimpleWhitespace(""))
    return [*elements[:position], current.with_changes(comma=separator), *added, last]


def absolute(expression: cst.BaseExpression) -> cst.BaseExpression:
    """`expression` with its line breaks indented as written, whatever block it lands in."""

    class Absolute(cst.CSTTransformer):
        def leave_ParenthesizedWhitespace(
            self,
            original_node: cst.ParenthesizedWhitespace,
            updated_node: cst.ParenthesizedWhitespace,
        ) -> cst.ParenthesizedWhitespace:
            return updated_node.with_changes(indent=False)

    result = expression.visit(Absolute())
    assert isinstance(result, cst.BaseExpression)
    return result


def _string(node: cst.CSTNode | None) -> str | None:
    if isinstance(node, cst.SimpleString):
        value = node.evaluated_value
        return value if isinstance(value, str) else None
    return None


def _single_assign(statement: cst.BaseStatement) -> cst.Assign | None:
    if isinstance(statement, cst.SimpleStatementLine) and len(statement.body) == 1:
        small = statement.body[0]
        if isinstance(small, cst.Assign) and len(small.targets) == 1:
            return small
    return None


def _replace_single(
    statement: cst.BaseStatement, small: cst.BaseSmallStatement
) -> cst.BaseStatement:
    assert isinstance(statement, cst.SimpleStatementLine)
    return statement.with_changes(body=[small])


def _retarget(target: cst.BaseAssignTargetExpression, key: str) -> cst.BaseAssignTargetExpression:
    """The same kind of assignment target as `target`, for another key."""
    if isinstance(target, cst.Name):
        return cst.Name(key)
    if isinstance(target, cst.Attribute):
        return target.with_changes(attr=cst.Name(key))
    assert isinstance(target, cst.Subscript)
    return target.with_changes(
        slice=[cst.SubscriptElement(cst.Index(cst.SimpleString(f'"{key}"')))]
    )


def _assigns(body: Sequence[cst.BaseStatement], name: str) -> bool:
    return _assigns_target(body, cst.Name(name))


def _assigns_target(body: Sequence[cst.BaseStatement], target: cst.BaseExpression) -> bool:
    code = cst.Module(body=[]).code_for_node
    wanted = code(target)
    for statement in body:
        assign = _single_assign(statement)
        if assign and code(assign.targets[0].target) == wanted:
            return True
    return False


def _after_leading_imports(body: Sequence[cst.BaseStatement]) -> int:
    position = 0
    if body and m.matches(body[0], m.SimpleStatementLine([m.Expr(m.SimpleString())])):
        position = 1
    while position < len(body) and m.matches(
        body[position], m.SimpleStatementLine([m.Import() | m.ImportFrom()])
    ):
        position += 1
    return position
