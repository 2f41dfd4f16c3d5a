"""Put a function's in-process memo behind the shared cache store's memoize.

Adds the runtime's memoize above the memo decorator of a module-level function, which stays
as it is::

    @functools.lru_cache(maxsize=128)        @cache("list_products", None, ttl=300).memoize
    def list_products(category): ...         @functools.lru_cache(maxsize=128)
                                             def list_products(category): ...

The original memo is the old side: with the flag `off` it alone answers, with its own
`maxsize`, TTL, `cache_info()` and `cache_clear()`; the store adds no round trip. From
`dualwrite` on, results also go to the store, which answers from `live` on;
`list_products.cache_clear()` clears both (every replica's view of the store). The ttl is the
decorator's own when it has one (`TTLCache(maxsize=100, ttl=60)`,
`cachetools.func.ttl_cache(ttl=60)`), else the one given. The runtime's `cache` is imported as
`stateless_cache` where the module already binds `cache` (`from functools import cache`).

Refuses, with the reason as a warning: methods and functions nested in functions (the key
would include `self` or miss enclosing variables), `async def` (it caches coroutine objects),
`cached_property` (per-instance state), `typed=True`, cachetools' `key=` or `timer=`, a cache
object shared by name or reached through `.cache` (a clear through it would miss the store),
and parameters annotated with a type whose values JSON cannot key. Whether the results can be
stored is the scan's to say (a finding whose results cannot be stored is manual).
"""

from __future__ import annotations

from dataclasses import dataclass

import libcst as cst
import libcst.matchers as m
from libcst.codemod import CodemodContext
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
    """What one recognised memo decorator gets above it."""

    ttl: cst.BaseExpression | None


class MemoizeCacheCodemod(CheckedCodemod):
    DESCRIPTION = "Put lru_cache/cache/cachetools memos behind the store's memoize."
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
        self.local_name = "cache"

    # The decisions are made on the whole module first: the local name of the runtime's
    # `cache` depends on what else the module binds to `cache`.
    def visit_Module(self, node: cst.Module) -> None:
        for function in m.findall(node, m.FunctionDef()):
            assert isinstance(function, cst.FunctionDef)
            if self.symbol is None or function.name.value == self.symbol:
                self._decide(node, function)
        self._choose_local_name(node)

    def _decide(self, module: cst.Module, function: cst.FunctionDef) -> None:
        if any(self._is_runtime_memoize(d) for d in function.decorators):
            return  # done by an earlier run
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

    def _is_runtime_memoize(self, decorator: cst.Decorator) -> bool:
        expression = decorator.decorator
        if not m.matches(expression, m.Attribute(value=m.Call(), attr=m.Name("memoize"))):
            return False
        assert isinstance(expression, cst.Attribute) and isinstance(expression.value, cst.Call)
        return f"{self.runtime_package}.cache" in self._names(expression.value)

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
        extra = [_keyword(a) for a in call.args[1:] if _keyword(a) not in ("lock", "cache", "info")]
        if any(k == "key" or k is None for k in extra):
            return "a custom `key=` changes what is cached; the store cannot follow it."
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
        if m.findall(module, m.Attribute(value=m.Name(name), attr=m.Name("cache"))):
            return (
                f"the module reaches the cache object itself (`{name}.cache`); what it clears "
                "there would stay in the store."
            )
        return ""

    def _choose_local_name(self, module: cst.Module) -> None:
        if not self.rewrites:
            return
        scope = self.get_metadata(ScopeProvider, module)
        for assignment in scope["cache"] if scope else ():
            from_runtime = (
                isinstance(assignment, ImportAssignment)
                and _import_module(assignment.node) == self.runtime_package
            )
            if not from_runtime:
                self.local_name = FALLBACK_LOCAL_NAME
                return

    def leave_FunctionDef(
        self, original_node: cst.FunctionDef, updated_node: cst.FunctionDef
    ) -> cst.FunctionDef:
        at = next((i for i, d in enumerate(original_node.decorators) if d in self.rewrites), None)
        if at is None:
            return updated_node
        rewrite = self.rewrites[original_node.decorators[at]]
        args = [
            cst.Arg(cst.SimpleString(f'"{original_node.name.value}"')),
            cst.Arg(cst.Name("None")),
        ]
        ttl = rewrite.ttl if rewrite.ttl is not None else _literal(self.ttl)
        if ttl is not None:
            args.append(_keyword_arg("ttl", ttl))
        asname = None if self.local_name == "cache" else self.local_name
        self.add_needed_import(self.runtime_package, "cache", asname)
        call = cst.Call(func=cst.Name(self.local_name), args=_with_commas(args))
        memoize = cst.Decorator(cst.Attribute(call, cst.Name("memoize")))
        memo = updated_node.decorators[at]
        # Comments above the memo decorator stay above the pair.
        decorators = [
            *updated_node.decorators[:at],
            memoize.with_changes(leading_lines=memo.leading_lines),
            memo.with_changes(leading_lines=()),
            *updated_node.decorators[at + 1 :],
        ]
        return updated_node.with_changes(decorators=decorators)


def _keyword(arg: cst.Arg) -> str | None:
    return arg.keyword.value if arg.keyword else None


def _is_true(arg: cst.Arg) -> bool:
    return m.matches(arg.value, m.Name("True"))


def _import_module(node: cst.CSTNode) -> str | None:
    if isinstance(node, cst.ImportFrom) and node.module and not node.relative:
        return cst.helpers.get_full_name_for_node(node.module)
    return None


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
        quoted = expression
        try:
            # libcst types `source` as str, but its parser also reads the bytes of b"..."
            expression = cst.parse_expression(quoted.evaluated_value)  # type: ignore[arg-type]
        except cst.ParserSyntaxError:
            return quoted.value
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
