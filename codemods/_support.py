"""What the component codemods share: finding a component's references, refusing, checking output.

A component is one module-level name (``SESSIONS``, ``ORDER_SEQ``, ``ORDER_LOCK``) defined in one
module and used from any module that imports it. ``ComponentCodemod`` resolves every spelling of it
(``S``, ``T`` from ``from m import S as T``, ``m.S``, ``y.S`` from ``import m as y``, relative
imports) with libcst's ``QualifiedNameProvider``, refuses a module by raising ``SkipFile(reason)``,
and re-parses and compiles its output before handing it back.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import ClassVar, NoReturn

import libcst as cst
from libcst.codemod import CodemodContext, SkipFile, VisitorBasedCodemodCommand
from libcst.metadata import (
    ParentNodeProvider,
    PositionProvider,
    QualifiedNameProvider,
    QualifiedNameSource,
)

from migrator.inventory.mutations import WHOLE_READERS

OUTCOME_STATUSES = ("changed", "unchanged", "refused", "withheld")


@dataclass(frozen=True)
class CodemodOutcome:
    """What a codemod did to one file; ``reason`` says why when it was refused or withheld."""

    path: str
    status: str  # one of OUTCOME_STATUSES
    reason: str = ""
    notes: tuple[str, ...] = ()

    @property
    def refused(self) -> bool:
        return self.status == "refused"


# Builtins that read a mapping (or a lock, a number) without keeping or changing it: the
# scanner's notion, so a use it lets through is one the codemods rewrite.
SAFE_READERS = WHOLE_READERS


def code_of(node: cst.CSTNode) -> str:
    """The source text of ``node`` as it would be printed."""
    return cst.Module(body=[]).code_for_node(node)


def single_key(node: cst.Subscript) -> cst.BaseExpression | None:
    """The key of ``X[key]`` (a tuple for ``X[a, b]``), or None for slices."""
    values: list[cst.BaseExpression] = []
    for element in node.slice:
        if not isinstance(element.slice, cst.Index) or element.slice.star is not None:
            return None
        values.append(element.slice.value)
    if len(values) == 1:
        return values[0]
    return cst.Tuple([cst.Element(value) for value in values])


def comment_line(text: str) -> cst.EmptyLine:
    """A line holding only ``# text``, indented like the statement it precedes."""
    return cst.EmptyLine(indent=True, comment=cst.Comment(f"# {text}"))


def with_comment(statement: cst.BaseStatement, text: str) -> cst.BaseStatement:
    """``statement`` with ``# text`` above it, unless that comment is already there."""
    leading: Sequence[cst.EmptyLine] = getattr(statement, "leading_lines", ())
    if any(line.comment is not None and line.comment.value == f"# {text}" for line in leading):
        return statement
    return statement.with_changes(leading_lines=(*leading, comment_line(text)))


def names_in(node: cst.CSTNode) -> set[str]:
    """Every identifier written anywhere under ``node``."""
    found: set[str] = set()

    class _Names(cst.CSTVisitor):
        def visit_Name(self, name: cst.Name) -> None:
            found.add(name.value)

    node.visit(_Names())
    return found


def bound_by(target: cst.BaseExpression) -> set[str]:
    """The plain names an assignment target binds (``a``, ``a, b``), not ``x[i]`` or ``x.y``."""
    if isinstance(target, cst.Name):
        return {target.value}
    if isinstance(target, (cst.Tuple, cst.List)):
        return set().union(*(bound_by(element.value) for element in target.elements))
    if isinstance(target, cst.StarredElement):
        return bound_by(target.value)
    return set()


def assigned_names(node: cst.CSTNode) -> set[str]:
    """Names bound by assignment (=, +=, :=, for, with ... as) anywhere under ``node``."""
    found: set[str] = set()

    class _Bound(cst.CSTVisitor):
        def visit_AssignTarget(self, target: cst.AssignTarget) -> None:
            found.update(bound_by(target.target))

        def visit_AugAssign(self, stmt: cst.AugAssign) -> None:
            found.update(bound_by(stmt.target))

        def visit_AnnAssign(self, stmt: cst.AnnAssign) -> None:
            found.update(bound_by(stmt.target))

        def visit_NamedExpr(self, expr: cst.NamedExpr) -> None:
            found.update(bound_by(expr.target))

        def visit_For(self, stmt: cst.For) -> None:
            found.update(bound_by(stmt.target))

        def visit_AsName(self, asname: cst.AsName) -> None:
            if isinstance(asname.name, cst.BaseExpression):
                found.update(bound_by(asname.name))

    node.visit(_Bound())
    return found


class ComponentCodemod(VisitorBasedCodemodCommand):
    """Base of the codemods that move one module-level component behind a runtime factory.

    ``symbol`` is the name as written at the definition, ``module`` the defining module's dotted
    name, ``runtime`` the import path of the generated runtime (``shop._stateless``). The module
    being rewritten is named by ``context.full_module_name`` (set by the driver); without it a
    module that assigns ``symbol`` at top level is taken to be the defining module.
    """

    METADATA_DEPENDENCIES = (QualifiedNameProvider, ParentNodeProvider, PositionProvider)
    FACTORY: ClassVar[str] = ""  # the runtime factory this codemod binds the component to

    def __init__(self, context: CodemodContext, symbol: str, module: str, runtime: str) -> None:
        super().__init__(context)
        self.symbol = symbol
        self.defining_module = module
        self.runtime = runtime
        self.qualname = f"{module}.{symbol}"
        self.defines_here = False
        self.module_names: set[str] = set()
        self.aliases: set[str] = set()
        self._parsed_definitions: dict[Path, cst.SimpleStatementLine | None] = {}

    # -- per-module set-up, output check -------------------------------------------------------

    def transform_module(self, tree: cst.Module) -> cst.Module:
        """The rewritten module, re-parsed and compiled; ``SkipFile(reason)`` when refused."""
        new = super().transform_module(tree)
        if new.code == tree.code:
            return new
        try:
            cst.parse_module(new.code)
            compile(new.code, self.context.filename or "<rewritten module>", "exec")
        except (SyntaxError, cst.ParserSyntaxError) as error:
            raise SkipFile(
                f"the rewritten module would not compile ({error}); left as it was"
            ) from error
        return new

    def transform_module_impl(self, tree: cst.Module) -> cst.Module:
        self.module_names = names_in(tree)
        self.defines_here = self._is_defining_module(tree)
        self.aliases = self._local_aliases(tree)
        self.start_module(tree)
        return tree.visit(self)

    def start_module(self, tree: cst.Module) -> None:
        """Reset per-module state; the driver runs one instance over many modules."""

    def _is_defining_module(self, tree: cst.Module) -> bool:
        if self.context.full_module_name is not None:
            return self.context.full_module_name == self.defining_module
        return self.top_level_definition(tree) is not None

    def _local_aliases(self, tree: cst.Module) -> set[str]:
        """Top-level names bound to the component: ``S`` here, ``T`` from ``import S as T``."""
        found = {self.symbol} if self.defines_here else set()
        for statement in tree.body:
            if not isinstance(statement, cst.SimpleStatementLine):
                continue
            for small in statement.body:
                if not isinstance(small, cst.ImportFrom) or isinstance(small.names, cst.ImportStar):
                    continue
                dots = "." * len(small.relative)
                module = dots + (code_of(small.module) if small.module is not None else "")
                for alias in small.names:
                    if f"{self._absolute(module)}.{code_of(alias.name)}" == self.qualname:
                        found.add(code_of(alias.asname.name) if alias.asname else self.symbol)
        return found

    def visit_Global(self, node: cst.Global) -> None:
        """Refuse ``global S`` in a function that assigns ``S``: the component is rebound."""
        names = {item.name.value for item in node.names} & self.aliases
        function = next((a for a in self.ancestors(node) if isinstance(a, cst.FunctionDef)), None)
        if names and function is not None:
            self.check_global_assignments(function, names)

    def check_global_assignments(self, function: cst.FunctionDef, names: set[str]) -> None:
        """Called for ``global S``; by default any assignment to ``S`` there is refused."""
        rebound = assigned_names(function.body) & names
        if rebound:
            self.refuse(
                f"`{sorted(rebound)[0]}` is rebound in `{function.name.value}` through `global`; "
                f"the component must stay one object"
            )

    def top_level_definition(self, tree: cst.Module) -> cst.SimpleStatementLine | None:
        """The top-level ``symbol = ...`` (or ``symbol: T = ...``) line, if the module has one."""
        for statement in tree.body:
            if not isinstance(statement, cst.SimpleStatementLine):
                continue
            for small in statement.body:
                if isinstance(small, cst.Assign) and any(
                    isinstance(t.target, cst.Name) and t.target.value == self.symbol
                    for t in small.targets
                ):
                    return statement
                if (
                    isinstance(small, cst.AnnAssign)
                    and isinstance(small.target, cst.Name)
                    and small.target.value == self.symbol
                    and small.value is not None
                ):
                    return statement
        return None

    def definition_value(self, tree: cst.Module) -> cst.BaseExpression | None:
        """The value ``symbol`` is assigned at its definition, as written (``kv(...)`` on a rerun).

        Read from ``tree`` in the defining module, else from the defining module's file, found
        from ``context.filename`` and ``context.full_module_name``; None when neither shows it.
        """
        if self.defines_here:
            line = self.top_level_definition(tree)
        else:
            line = self._definition_elsewhere()
        for small in line.body if line is not None else ():
            if isinstance(small, cst.Assign) and any(
                code_of(t.target) == self.symbol for t in small.targets
            ):
                return small.value
            if isinstance(small, cst.AnnAssign) and code_of(small.target) == self.symbol:
                return small.value
        return None

    def _definition_elsewhere(self) -> cst.SimpleStatementLine | None:
        path = module_file(self.context, self.defining_module)
        if path is None:
            return None
        if path not in self._parsed_definitions:
            try:
                tree = cst.parse_module(path.read_text(encoding="utf-8"))
            except (OSError, UnicodeDecodeError, cst.ParserSyntaxError):
                self._parsed_definitions[path] = None
            else:
                self._parsed_definitions[path] = self.top_level_definition(tree)
        return self._parsed_definitions[path]

    def already_bound(self, value: cst.BaseExpression) -> bool:
        """True when ``value`` is already ``<FACTORY>("<symbol>", ...)``: a second run."""
        return (
            isinstance(value, cst.Call)
            and isinstance(value.func, cst.Name)
            and value.func.value == self.FACTORY
            and bool(value.args)
            and isinstance(value.args[0].value, cst.SimpleString)
            and value.args[0].value.evaluated_value == self.symbol
        )

    def require_factory_name_free(self, tree: cst.Module) -> None:
        """Refuse when the factory's name already means something else in the module."""
        if self.FACTORY not in self.module_names:
            return
        for statement in tree.body:
            if isinstance(statement, cst.SimpleStatementLine):
                for small in statement.body:
                    if (
                        isinstance(small, cst.ImportFrom)
                        and small.module is not None
                        and code_of(small.module) == self.runtime
                    ):
                        return
        self.refuse(
            f"the name `{self.FACTORY}` is already used in this module; rename it first so "
            f"`from {self.runtime} import {self.FACTORY}` cannot shadow it"
        )

    # -- references ----------------------------------------------------------------------------

    def visit_Name(self, node: cst.Name) -> None:
        if self.refers_to_component(node):
            self.classify(node)

    def visit_Attribute(self, node: cst.Attribute) -> None:
        if self.refers_to_component(node):
            self.classify(node)

    def classify(self, ref: cst.Name | cst.Attribute) -> None:
        """Record how `ref` (a reference to the component) is used; each codemod says."""

    def refers_to_component(self, node: cst.CSTNode) -> bool:
        """True when the Name or Attribute ``node`` names the component in this module."""
        if not isinstance(node, (cst.Name, cst.Attribute)):
            return False
        for qualified in self.get_metadata(QualifiedNameProvider, node, set()):
            name = self._absolute(qualified.name)
            if name == self.qualname:
                return True
            if (
                self.defines_here
                and qualified.source == QualifiedNameSource.LOCAL
                and name == self.symbol
            ):
                return True
        return False

    def _absolute(self, name: str) -> str:
        """Resolve a relative qualified name (``.state.S``) against this module's package."""
        if not name.startswith("."):
            return name
        dots = len(name) - len(name.lstrip("."))
        package = (self.context.full_package_name or "").split(".")
        base = package[: len(package) - (dots - 1)] if dots > 1 else package
        return ".".join([*[part for part in base if part], name[dots:]])

    def parent(self, node: cst.CSTNode | None) -> cst.CSTNode | None:
        """The node holding ``node`` in the original tree (None for the module, or for None)."""
        return None if node is None else self.get_metadata(ParentNodeProvider, node, None)

    def ancestors(self, node: cst.CSTNode) -> Iterator[cst.CSTNode]:
        current = self.parent(node)
        while current is not None:
            yield current
            current = self.parent(current)

    def enclosing_statement(self, node: cst.CSTNode) -> cst.BaseStatement | None:
        """The innermost statement line or compound statement holding ``node``."""
        for ancestor in self.ancestors(node):
            if isinstance(ancestor, cst.BaseStatement):
                return ancestor
        return None

    def line_of(self, node: cst.CSTNode) -> int:
        return self.get_metadata(PositionProvider, node).start.line

    def refuse(self, reason: str) -> NoReturn:
        """Leave this module unchanged and tell the caller why."""
        raise SkipFile(reason)

    def is_safe_reader_argument(self, node: cst.CSTNode) -> bool:
        """True for ``len(S)``, ``list(S)``, ``sorted(S)`` ...: a builtin that only reads."""
        arg = self.parent(node)
        call = self.parent(arg) if isinstance(arg, cst.Arg) else None
        return (
            isinstance(call, cst.Call)
            and isinstance(call.func, cst.Name)
            and call.func.value in SAFE_READERS
        )

    def describe_use(self, node: cst.CSTNode) -> str:
        """A short quote of the statement using ``node``, for refusal reasons."""
        statement = self.enclosing_statement(node)
        text = code_of(node) if statement is None else code_of(statement).strip()
        first = text.splitlines()[0] if text else ""
        return first if len(first) <= 60 else first[:57] + "..."


def module_file(context: CodemodContext, module: str) -> Path | None:
    """The file of the dotted ``module`` in the project of the module being rewritten.

    The project root is ``context.filename`` less one folder per part of
    ``context.full_module_name``; None when the context lacks them or no such file exists.
    """
    if not context.filename or not context.full_module_name:
        return None
    here = Path(context.filename)
    depth = len(context.full_module_name.split("."))
    if here.name != "__init__.py":
        depth -= 1
    if depth >= len(here.parents):
        return None
    base = here.parents[depth].joinpath(*module.split("."))
    for candidate in (base.with_name(base.name + ".py"), base / "__init__.py"):
        if candidate.is_file():
            return candidate
    return None


def build_call(
    func: cst.BaseExpression, args: Sequence[cst.BaseExpression], **keywords: cst.BaseExpression
) -> cst.Call:
    """``func(arg, ..., key=value, ...)`` with the usual ``, `` spacing."""
    built = [cst.Arg(value) for value in args]
    built += [
        cst.Arg(
            value,
            keyword=cst.Name(key),
            equal=cst.AssignEqual(
                whitespace_before=cst.SimpleWhitespace(""),
                whitespace_after=cst.SimpleWhitespace(""),
            ),
        )
        for key, value in keywords.items()
    ]
    return cst.Call(func=func, args=built)


def factory_call(
    factory: str, symbol: str, old: cst.BaseExpression | None, **keywords: cst.BaseExpression
) -> cst.Call:
    """``factory("SYMBOL", old, key=value)``: the definition rebound to the runtime."""
    args: list[cst.BaseExpression] = [cst.SimpleString(f'"{symbol}"')]
    if old is not None:
        args.append(old)
    return build_call(cst.Name(factory), args, **keywords)


def fresh_name(preferred: Sequence[str], taken: set[str]) -> str:
    """The first of ``preferred`` not in ``taken``, else the last one with a number appended."""
    for name in preferred:
        if name not in taken:
            return name
    number = 2
    while f"{preferred[-1]}{number}" in taken:
        number += 1
    return f"{preferred[-1]}{number}"
