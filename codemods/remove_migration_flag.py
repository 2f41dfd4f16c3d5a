"""Remove a finished migration's flag and its old path: the plan's cleanup phase.

Run it once the component's flag has been `complete` everywhere. For a component of the
generated runtime (`flag=None`), each call of the runtime's factory for `symbol` loses its old
side, and an import only that old side used goes::

    SESSIONS = kv("SESSIONS", {}, ttl=3600)        ->  SESSIONS = kv("SESSIONS", ttl=3600)
    HITS = counter("HITS", defaultdict(int))       ->  HITS = counter("HITS")
    LOCK = lock("LOCK", threading.Lock(), timeout=10)  ->  LOCK = lock("LOCK", timeout=10)
    UPLOADS = blob("UPLOADS", old_dir="uploads")   ->  UPLOADS = blob("UPLOADS")

The runtime must then pin the component (`Component(..., pinned=True)`), so that no setting
can send its calls to a local fallback. Unchanged: `start=` (the store's offset), an old side
that is `None` (`@cache("list_products", None, ttl=300).memoize`), `broadcast("ROOM")`.

For a framework switch (`flag="CACHE_TYPE"`, written by `framework_backends`), every
`new if _cache_type_on_redis else old` becomes `new` (inside its parentheses only when it
would not fit on one line), and the switch's definition, its comment and any import only the
old values used go::

    CACHE_TYPE = "RedisCache" if _cache_type_on_redis else "SimpleCache"
    CACHE_TYPE = "RedisCache"

Refuses the module (`SkipFile` with the reason, nothing written) when an old side holds
records (`{"admin": ...}`: a fresh store would start without them), is a variable or anything
else but an empty dict, `defaultdict`, `OrderedDict`, `Counter`, `threading.Lock()` or (for a
blob) a literal path; when the factory call spreads `*args`/`**kwargs`; when the switch is used
other than as the test of `new if switch else old`, or defined other than as `apply` wrote it.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import NoReturn

import libcst as cst
from libcst.codemod import CodemodContext, SkipFile
from libcst.metadata import ParentNodeProvider, PositionProvider, QualifiedNameProvider

from ._checked_codemod import CheckedCodemod
from ._support import code_of
from .framework_backends import LINE_LIMIT, SWITCH_COMMENT
from .runtime_calls import OLD_KEYWORDS, component_of, factory_of

# Constructors whose result, called without arguments, holds nothing.
EMPTY_WITHOUT_ARGUMENTS = frozenset(
    {"builtins.dict", "collections.OrderedDict", "collections.Counter", "threading.Lock"}
)
DEFAULTDICT = "collections.defaultdict"


def switch_value(flag: str) -> str:
    """The switch's value as `framework_backends` writes it, without whitespace."""
    return f'os.environ.get("STATELESS_{flag}",os.environ.get("STATELESS_MODE","off"))=="complete"'


def _compact(source: str) -> str:
    return "".join(source.split()).replace("'", '"')


class RemoveMigrationFlagCodemod(CheckedCodemod):
    """Drop the old side of `symbol`'s runtime factory calls, or collapse `flag`'s switch.

    `runtime` is the import path of the generated runtime (`shop._stateless`), or every name
    it may be imported as; `flag` names a framework switch by its environment name without
    `STATELESS_` (`"CACHE_TYPE"`), or is None for a runtime component. `found` counts what
    was recognised (factory calls of `symbol`, or uses and the definition of the switch), so
    a caller can tell "nothing to remove here" from "already without an old side".
    """

    DESCRIPTION = "Remove a finished migration flag and its old path."
    METADATA_DEPENDENCIES = (PositionProvider, ParentNodeProvider, QualifiedNameProvider)

    def __init__(
        self,
        context: CodemodContext,
        symbol: str,
        runtime: str | Iterable[str],
        flag: str | None = None,
    ) -> None:
        super().__init__(context)
        self.symbol = symbol
        self.runtimes = frozenset((runtime,) if isinstance(runtime, str) else runtime)
        self.flag = flag.upper() if flag else None
        self.switch_name = f"_{self.flag.lower()}_on_redis" if self.flag else ""
        self.source = ""
        self.found = 0

    def reject(self, node: cst.CSTNode, reason: str) -> NoReturn:
        """Leave the module as it is: `reason` says what was not recognised at `node`."""
        raise SkipFile(f"line {self.line_of(node)}: {reason}")

    def transform_module(self, tree: cst.Module) -> cst.Module:
        result = super().transform_module(tree)
        if result is tree or not result.body or _starts_blank(tree):
            return result
        # An import dropped from the top must not leave the module opening on a blank line.
        first = result.body[0]
        lines = list(getattr(first, "leading_lines", ()))
        while lines and lines[0].comment is None:
            lines.pop(0)
        return result.with_changes(body=[first.with_changes(leading_lines=lines), *result.body[1:]])

    def visit_Module(self, node: cst.Module) -> None:
        self.source = node.code

    # -- runtime components -------------------------------------------------------------------

    def leave_Call(self, original_node: cst.Call, updated_node: cst.Call) -> cst.Call:
        factory = None if self.flag else self._factory_of(original_node)
        if factory is None:
            return updated_node
        self.found += 1
        if factory == "broadcast":
            return updated_node  # a broadcast has no old side: pinning is all it needs
        if any(arg.star for arg in original_node.args):
            self.reject(original_node, f"`{factory}(...)` spreads its arguments; edit it by hand.")
        position = self._old_side(original_node, OLD_KEYWORDS[factory])
        if position is None:
            return updated_node
        old = original_node.args[position].value
        if isinstance(old, cst.Name) and old.value == "None":
            return updated_node
        self._require_empty(factory, old)
        self.remove_unused_import_by_node(old)
        return updated_node.with_changes(args=_without(updated_node.args, position))

    def _factory_of(self, call: cst.Call) -> str | None:
        """The runtime factory `call` makes `symbol` with, if it is one."""
        if component_of(call) != self.symbol:
            return None
        names = self.get_metadata(QualifiedNameProvider, call.func, set())
        return factory_of(names, self.runtimes, self.context.full_package_name)

    @staticmethod
    def _old_side(call: cst.Call, keyword: str) -> int | None:
        for position, arg in enumerate(call.args):
            if arg.keyword is not None and arg.keyword.value == keyword:
                return position
        positional = [i for i, arg in enumerate(call.args) if arg.keyword is None]
        return positional[1] if len(positional) > 1 else None

    def _require_empty(self, factory: str, old: cst.BaseExpression) -> None:
        if factory == "blob":
            if not isinstance(old, (cst.SimpleString, cst.ConcatenatedString)):
                self.reject(
                    old,
                    f"the old directory of `{self.symbol}` (`{_abridged(old)}`) is computed, and "
                    "dropping it may leave what computes it behind; drop it by hand.",
                )
            return
        if isinstance(old, cst.Dict) and not old.elements:
            return
        if isinstance(old, cst.Call) and not any(a.star for a in old.args):
            names = {q.name for q in self.get_metadata(QualifiedNameProvider, old.func, set())}
            if names & EMPTY_WITHOUT_ARGUMENTS and not old.args:
                return
            if DEFAULTDICT in names and len(old.args) <= 1 and not any(a.keyword for a in old.args):
                return
        if isinstance(old, (cst.Dict, cst.Call, cst.DictComp)):
            self.reject(
                old,
                f"the old side of `{self.symbol}` (`{_abridged(old)}`) holds records that only "
                "a store filled from it has, so a fresh store (a new environment, a test) would "
                "start without them; seed the store another way, then drop the old side by hand.",
            )
        self.reject(
            old,
            f"the old side of `{self.symbol}` (`{_abridged(old)}`) is not an empty container "
            "this cleanup recognises, and dropping it may leave its definition or other uses "
            "behind; remove it and them by hand.",
        )

    # -- framework switches -------------------------------------------------------------------

    def visit_Name(self, node: cst.Name) -> None:
        if not self.flag or node.value != self.switch_name:
            return
        parent = self.get_metadata(ParentNodeProvider, node)
        if isinstance(parent, cst.IfExp) and parent.test is node:
            self.found += 1
            return
        if self._switch_definition(node) is not None:
            self.found += 1
            return
        self.reject(
            node,
            f"`{self.switch_name}` is used other than as `new if {self.switch_name} else old`; "
            "remove that use by hand, then run the cleanup again.",
        )

    def _switch_definition(self, name: cst.Name) -> cst.Assign | None:
        """The module-level `switch = ...` whose target is `name`; rejects another value."""
        target = self.get_metadata(ParentNodeProvider, name)
        assign = self.get_metadata(ParentNodeProvider, target)
        if not isinstance(target, cst.AssignTarget) or not isinstance(assign, cst.Assign):
            return None
        line = self.get_metadata(ParentNodeProvider, assign)
        if not isinstance(self.get_metadata(ParentNodeProvider, line), cst.Module):
            return None
        value = _compact(code_of(assign.value))
        if len(assign.targets) != 1 or value.strip("()") != switch_value(self.flag or ""):
            self.reject(
                assign,
                f"`{self.switch_name}` is not defined as `migrator apply` wrote it; remove the "
                "switch by hand.",
            )
        return assign

    def leave_IfExp(self, original_node: cst.IfExp, updated_node: cst.IfExp) -> cst.BaseExpression:
        test = original_node.test
        if not self.flag or not (isinstance(test, cst.Name) and test.value == self.switch_name):
            return updated_node
        self.remove_unused_import_by_node(original_node.orelse)
        body = updated_node.body
        inline = code_of(body.with_changes(lpar=[], rpar=[]))
        if not updated_node.lpar:
            return body
        if "\n" not in inline and not self._parens_keep_short(original_node, len(inline)):
            return body
        return body.with_changes(
            lpar=[*updated_node.lpar, *body.lpar], rpar=[*body.rpar, *updated_node.rpar]
        )

    def _parens_keep_short(self, node: cst.IfExp, width: int) -> bool:
        """Whether `node`'s parentheses are what keeps its lines within the limit once only
        the new side, `width` characters, is left inside them."""
        span = self.get_metadata(PositionProvider, node)
        lines = self.source.splitlines(keepends=True)
        start = sum(len(line) for line in lines[: span.start.line - 1]) + span.start.column
        end = sum(len(line) for line in lines[: span.end.line - 1]) + span.end.column
        opening = _paren(self.source, start, -1, "(", len(node.lpar))
        closing = _paren(self.source, end - 1, 1, ")", len(node.rpar))
        if opening is None or closing is None:
            return True  # a comment sits inside the parentheses: keep them
        before = opening - (self.source.rfind("\n", 0, opening) + 1)
        line_end = self.source.find("\n", closing)
        after = (len(self.source) if line_end < 0 else line_end) - closing - 1
        if before + width + after <= LINE_LIMIT:
            return False
        return before + 1 <= LINE_LIMIT and 1 + after <= LINE_LIMIT

    def leave_Module(self, original_node: cst.Module, updated_node: cst.Module) -> cst.Module:
        if not self.flag:
            return updated_node
        body = list(updated_node.body)
        carried: list[cst.EmptyLine] = []
        kept: list[cst.BaseStatement] = []
        for as_read, statement in zip(original_node.body, body, strict=True):
            if self._defines_switch(as_read):
                self.remove_unused_import_by_node(as_read)
                carried += _own_comments(statement.leading_lines)
                continue
            if carried:
                statement = statement.with_changes(
                    leading_lines=[*carried, *statement.leading_lines]
                )
                carried = []
            kept.append(statement)
        if len(kept) == len(body):
            return updated_node
        return updated_node.with_changes(body=kept, footer=[*carried, *updated_node.footer])

    def _defines_switch(self, statement: cst.BaseStatement) -> bool:
        if not isinstance(statement, cst.SimpleStatementLine) or len(statement.body) != 1:
            return False
        assign = statement.body[0]
        return (
            isinstance(assign, cst.Assign)
            and len(assign.targets) == 1
            and isinstance(assign.targets[0].target, cst.Name)
            and assign.targets[0].target.value == self.switch_name
        )


def _without(args: Sequence[cst.Arg], position: int) -> list[cst.Arg]:
    """`args` without the one at `position`; the last one left keeps the trailing comma."""
    kept = [*args[:position], *args[position + 1 :]]
    if position == len(args) - 1 and kept:
        kept[-1] = kept[-1].with_changes(comma=args[position].comma)
    return kept


def _paren(source: str, offset: int, step: int, paren: str, count: int) -> int | None:
    """The offset of the `count`th `paren` from `offset` going `step`, across blanks only."""
    found = None
    while count:
        offset += step
        if not 0 <= offset < len(source):
            return None
        if source[offset] == paren:
            found, count = offset, count - 1
        elif source[offset] not in " \t\r\n\\":
            return None
    return found


def _own_comments(lines: Sequence[cst.EmptyLine]) -> list[cst.EmptyLine]:
    """The comments above the switch that `apply` did not write."""
    return [
        line for line in lines if line.comment is not None and line.comment.value != SWITCH_COMMENT
    ]


def _starts_blank(module: cst.Module) -> bool:
    leading: Sequence[cst.EmptyLine] = (
        getattr(module.body[0], "leading_lines", ()) if module.body else ()
    )
    return bool(leading) and leading[0].comment is None


def _abridged(node: cst.CSTNode) -> str:
    text = " ".join(code_of(node).split())
    return text if len(text) <= 40 else text[:37] + "..."
