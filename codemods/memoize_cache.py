"""Move a function's in-process memo decorator onto the shared cache store.

Rewrites, on a module-level function::

    @functools.lru_cache(maxsize=128)        @cache("list_products", None, ttl=300).memoize
    @lru_cache / @cache / @functools.cache   (the same)
    @cached(TTLCache(maxsize=100, ttl=60))   @cache("list_products", None, ttl=60).memoize
    @cachetools.func.ttl_cache(ttl=60)       (the same)

`list_products.cache_clear()` keeps working (the runtime clears every replica's view). The
ttl is the decorator's own when it has one, else the one given. `maxsize` is dropped: the store
bounds entries by ttl. The functools or cachetools import goes only where this rewrite left
it unused.

Refuses, with the reason as a warning: methods and functions nested in functions (the key
would include `self` or miss enclosing variables), `async def` (it caches coroutine objects),
`cached_property` (per-instance state), `typed=True`, cachetools' `key=`/`info=` or a cache
object shared by name, parameters annotated with a type whose values JSON cannot key, and a
module that calls `cache_info()` on the function.
"""

from __future__ import annotations

from dataclasses import dataclass

import libcst as cst
import libcst.matchers as m
from libcst.codemod import CodemodContext
from libcst.codemod.visitors import RemoveImportsVisitor
from libcst.metadata import (
    ImportAssignment,
    ParentNodeProvider,
    PositionProvider,
    QualifiedNameProvider,
    ScopeProvider,
)

from ._checked_codemod import CheckedCodemod

LRU_DECORATORS = {"functools.lru_cache", "functools.cache"}
CACHETOOLS_FUNC = {
    f"cachetools.func.{name}"
    for name in ("ttl_cache", "lru_cache", "lfu_cache", "fifo_cache", "rr_cache", "mru_cache")
}
CACHETOOLS_CACHED = {"cachetools.cached"}
CACHETOOLS_CLASSES = {
    f"cachetools.{name}" for name in ("TTLCache", "LRUCache", "LFUCache", "RRCache", "FIFOCache")
}
PER_INSTANCE = {"functools.cached_property", "cachetools.cachedmethod"}
# Annotations whose values the store can put in a JSON key.
JSON_KEY_TYPES = {
    "int", "float", "str", "bool", "bytes", "None", "tuple", "Tuple", "frozenset",
    "FrozenSet", "Optional", "Union", "Literal", "typing",
}  # fmt: skip
FALLBACK_LOCAL_NAME = "stateless_cache"


@dataclass(frozen=True)
class _Rewrite:
    """What one recognised decorator becomes."""

    ttl: cst.BaseExpression | None


class MemoizeCacheCodemod(CheckedCodemod):
    DESCRIPTION = "Replace lru_cache/cache/cachetools memo decorators with the store's memoize."
    METADATA_DEPENDENCIES = (
        PositionProvider,
        QualifiedNameProvider,
        ScopeProvider,
        ParentNodeProvider,
    )

    def __init__(
        self,
        context: CodemodContext,
        symbol: str | None,
        runtime_package: str,
        ttl: int | None = None,
    ) -> None:
        """`symbol` names the function to rewrite (None: every eligible one in the module)."""
        super().__init__(context)
        self.symbol = symbol
        self.runtime_package = runtime_package
        self.ttl = ttl
        self.rewrites: dict[cst.Decorator, _Rewrite] = {}
        self.imports_to_drop: set[cst.ImportAlias] = set()
        self.local_name = "cache"

    # The decisions are made on the whole module first: the local name of the runtime's
    # `cache` depends on which functools imports the rewrite leaves unused.
    def visit_Module(self, node: cst.Module) -> None:
        for function in m.findall(node, m.FunctionDef()):
            assert isinstance(function, cst.FunctionDef)
            if self.symbol is None or function.name.value == self.symbol:
                self._decide(node, function)
        self._choose_local_name(node)

    def _decide(self, module: cst.Module, function: cst.FunctionDef) -> None:
        for decorator in function.decorators:
            names = self._names(decorator.decorator)
            if names & PER_INSTANCE:
                self.refuse(
                    decorator,
                    f"`{function.name.value}` uses a per-instance cache; its state lives on the "
                    "object, move the object's data instead.",
                )
                return
            rewrite = self._recognise(decorator)
            if rewrite is None:
                continue
            reason = self._reason_to_refuse(module, function)
            if isinstance(rewrite, str) or reason:
                self.refuse(decorator, f"`{function.name.value}`: {reason or rewrite}")
                return
            self.rewrites[decorator] = rewrite
            return

    def _names(self, expression: cst.BaseExpression) -> set[str]:
        target = expression.func if isinstance(expression, cst.Call) else expression
        return {q.name for q in self.get_metadata(QualifiedNameProvider, target, set())}

    def _recognise(self, decorator: cst.Decorator) -> _Rewrite | str | None:
        """The rewrite for a memo decorator, a refusal sentence, or None when it is not one."""
        expression = decorator.decorator
        names = self._names(expression)
        call = expression if isinstance(expression, cst.Call) else None
        if names & LRU_DECORATORS:
            if call and any(_is_true(a) for a in call.args if _keyword(a) == "typed"):
                return "`typed=True` keeps 1 and 1.0 apart; the store's JSON keys do not."
            return _Rewrite(ttl=None)
        if names & CACHETOOLS_FUNC:
            ttl = next((a.value for a in call.args if _keyword(a) == "ttl"), None) if call else None
            if call and any(_keyword(a) in ("timer", "typed") for a in call.args):
                return "a custom `timer` or `typed=True` has no equivalent in the store."
            return _Rewrite(ttl=ttl)
        if names & CACHETOOLS_CACHED and call:
            return self._recognise_cached(call)
        return None

    def _recognise_cached(self, call: cst.Call) -> _Rewrite | str:
        extra = [_keyword(a) for a in call.args[1:] if _keyword(a) not in ("lock", "cache")]
        if any(k in ("key", "info") or k is None for k in extra):
            return "a custom `key=` or `info=` changes what is cached; the store cannot follow it."
        store = next((a.value for a in call.args if _keyword(a) in (None, "cache")), None)
        if isinstance(store, cst.Dict) and not store.elements:
            return _Rewrite(ttl=None)
        if not isinstance(store, cst.Call) or not (self._names(store) & CACHETOOLS_CLASSES):
            return "the cache object is shared by name, so other code may read or clear it."
        ttl = None
        if self._names(store) & {"cachetools.TTLCache"}:
            positional = [a.value for a in store.args if a.keyword is None]
            ttl = next((a.value for a in store.args if _keyword(a) == "ttl"), None)
            ttl = ttl or (positional[1] if len(positional) > 1 else None)
        return _Rewrite(ttl=ttl)

    def _reason_to_refuse(self, module: cst.Module, function: cst.FunctionDef) -> str:
        name = function.name.value
        enclosing = self.get_metadata(ParentNodeProvider, function)
        if isinstance(enclosing, cst.IndentedBlock):
            owner = self.get_metadata(ParentNodeProvider, enclosing)
            if isinstance(owner, cst.ClassDef):
                return "a method: the cache key would include `self`, one per object."
            if isinstance(owner, cst.FunctionDef):
                return "nested in a function: its result may depend on enclosing variables."
        if function.asynchronous:
            return "`async def` caches a coroutine object, which cannot be stored."
        for param in _all_params(function.params):
            unsafe = _unsafe_annotation(param.annotation)
            if unsafe:
                return (
                    f"parameter `{param.name.value}` is annotated `{unsafe}`, an object the "
                    "store cannot put in a JSON key."
                )
        calls = m.findall(
            module,
            m.Attribute(value=m.Name(name), attr=m.Name("cache_info") | m.Name("cache_parameters")),
        )
        if calls:
            return "the module calls `cache_info()`/`cache_parameters()`, which the store lacks."
        return ""

    def _choose_local_name(self, module: cst.Module) -> None:
        if not self.rewrites:
            return
        scope = self.get_metadata(ScopeProvider, module)
        replaced = {_callee(d.decorator) for d in self.rewrites}
        for assignment in scope["cache"] if scope else ():
            if not isinstance(assignment, ImportAssignment):
                self.local_name = FALLBACK_LOCAL_NAME
                return
            node = assignment.node
            module_name = _import_module(node)
            if module_name == self.runtime_package:
                continue
            uses = {reference.node for reference in assignment.references}
            if module_name == "functools" and uses <= replaced:
                self.imports_to_drop.update(
                    a
                    for a in _aliases(node)
                    if a.evaluated_alias is None and a.evaluated_name == "cache"
                )
                continue
            self.local_name = FALLBACK_LOCAL_NAME
            return

    def leave_Decorator(
        self, original_node: cst.Decorator, updated_node: cst.Decorator
    ) -> cst.Decorator:
        rewrite = self.rewrites.get(original_node)
        if rewrite is None:
            return updated_node
        parent = self.get_metadata(ParentNodeProvider, original_node)
        assert isinstance(parent, cst.FunctionDef)
        args = [cst.Arg(cst.SimpleString(f'"{parent.name.value}"')), cst.Arg(cst.Name("None"))]
        ttl = rewrite.ttl if rewrite.ttl is not None else _literal(self.ttl)
        if ttl is not None:
            args.append(_keyword_arg("ttl", ttl))
        RemoveImportsVisitor.remove_unused_import_by_node(self.context, original_node)
        asname = None if self.local_name == "cache" else self.local_name
        self.add_needed_import(self.runtime_package, "cache", asname)
        call = cst.Call(func=cst.Name(self.local_name), args=_with_commas(args))
        return updated_node.with_changes(decorator=cst.Attribute(call, cst.Name("memoize")))

    def leave_ImportFrom(
        self, original_node: cst.ImportFrom, updated_node: cst.ImportFrom
    ) -> cst.ImportFrom | cst.RemovalSentinel:
        if isinstance(original_node.names, cst.ImportStar):
            return updated_node
        kept = [
            new
            for old, new in zip(original_node.names, updated_node.names, strict=True)  # type: ignore[arg-type]
            if old not in self.imports_to_drop
        ]
        if len(kept) == len(original_node.names):
            return updated_node
        if not kept:
            return cst.RemoveFromParent()
        kept[-1] = kept[-1].with_changes(comma=cst.MaybeSentinel.DEFAULT)
        return updated_node.with_changes(names=kept)


def _keyword(arg: cst.Arg) -> str | None:
    return arg.keyword.value if arg.keyword else None


def _is_true(arg: cst.Arg) -> bool:
    return m.matches(arg.value, m.Name("True"))


def _callee(expression: cst.BaseExpression) -> cst.CSTNode:
    node = expression.func if isinstance(expression, cst.Call) else expression
    return node.attr if isinstance(node, cst.Attribute) else node


def _import_module(node: cst.CSTNode) -> str | None:
    if isinstance(node, cst.ImportFrom) and node.module and not node.relative:
        return cst.helpers.get_full_name_for_node(node.module)
    return None


def _aliases(node: cst.CSTNode) -> list[cst.ImportAlias]:
    if isinstance(node, (cst.Import, cst.ImportFrom)) and not isinstance(
        node.names, cst.ImportStar
    ):
        return list(node.names)
    return []


def _all_params(params: cst.Parameters) -> list[cst.Param]:
    out = [*params.posonly_params, *params.params, *params.kwonly_params]
    for star in (params.star_arg, params.star_kwarg):
        if isinstance(star, cst.Param):
            out.append(star)
    return out


def _unsafe_annotation(annotation: cst.Annotation | None) -> str:
    """The first name in `annotation` that is not a JSON-keyable type, or ''."""
    if annotation is None:
        return ""
    expression = annotation.annotation
    if isinstance(expression, cst.SimpleString):
        try:
            expression = cst.parse_expression(expression.evaluated_value)
        except cst.ParserSyntaxError:
            return expression.value
    if isinstance(expression, cst.Subscript) and m.matches(
        expression.value, m.Name("Literal") | m.Attribute(attr=m.Name("Literal"))
    ):
        return ""
    for name in m.findall(expression, m.Name()):
        assert isinstance(name, cst.Name)
        if name.value not in JSON_KEY_TYPES:
            return name.value
    return ""


def _literal(value: int | None) -> cst.BaseExpression | None:
    return None if value is None else cst.Integer(str(value))


def _keyword_arg(name: str, value: cst.BaseExpression) -> cst.Arg:
    return cst.Arg(
        value=value,
        keyword=cst.Name(name),
        equal=cst.AssignEqual(cst.SimpleWhitespace(""), cst.SimpleWhitespace("")),
    )


def _with_commas(args: list[cst.Arg]) -> list[cst.Arg]:
    comma = cst.Comma(whitespace_after=cst.SimpleWhitespace(" "))
    return [a.with_changes(comma=comma) for a in args[:-1]] + args[-1:]
