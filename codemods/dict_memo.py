"""Move a module-level dict used as a memo onto the shared cache store.

Rewrites the definition and the memo functions of one dict, all or nothing::

    _CACHE = {}                          _CACHE = cache("_CACHE", {}, ttl=300)

    def price(key):                      def price(key):
        if key in _CACHE:                    return _CACHE.get_or_set(key, lambda: fetch(key))
            return _CACHE[key]
        value = fetch(key)
        _CACHE[key] = value
        return value

Recognised tails of a function body (K the key, E one expression, V a name):
`if K in C: return C[K]` then `V = E; C[K] = V; return V` or `C[K] = E; return C[K]`;
`if K not in C: C[K] = E` then `return C[K]`; `V = C.get(K)` then `if V is None:` (or
`if not V:`) `V = E; C[K] = V` then `return V`; `V = C.get(K)`, `if V is not None: return V`,
then `V = E; C[K] = V; return V`; `try: return C[K]` / `except KeyError: V = E; C[K] = V;
return V`. Elsewhere only `C.clear()`, `C.pop(...)` and `del C[K]` may appear.

Refuses (nothing changes, with the reason as a warning) any other use of the dict, a
computation that awaits or yields, or a dict rebound after import: those are for the manual
marker.
"""

from __future__ import annotations

from collections.abc import Sequence

import libcst as cst
import libcst.matchers as m
from libcst.codemod import CodemodContext
from libcst.metadata import (
    Assignment,
    ImportAssignment,
    ParentNodeProvider,
    PositionProvider,
    ScopeProvider,
)

from ._checked_codemod import CheckedCodemod

FALLBACK_LOCAL_NAME = "stateless_cache"
INVALIDATIONS = ("clear", "pop")


class DictMemoCodemod(CheckedCodemod):
    DESCRIPTION = "Replace a dict memo with the cache store's get_or_set."
    METADATA_DEPENDENCIES = (PositionProvider, ScopeProvider, ParentNodeProvider)

    def __init__(
        self,
        context: CodemodContext,
        symbol: str,
        runtime_package: str,
        ttl: int | None = None,
    ) -> None:
        super().__init__(context)
        self.symbol = symbol
        self.runtime_package = runtime_package
        self.ttl = ttl
        self.definition: cst.CSTNode | None = None
        self.tails: dict[cst.BaseSuite, tuple[int, cst.SimpleStatementLine]] = {}
        self.local_name = "cache"

    def visit_Module(self, node: cst.Module) -> bool:
        scope = self.get_metadata(ScopeProvider, node)
        assignments = list(scope[self.symbol]) if scope else []
        only = assignments[0] if len(assignments) == 1 else None
        if not isinstance(only, Assignment) or isinstance(only, ImportAssignment):
            self.warn(f"`{self.symbol}` is not defined once in this module; nothing changed.")
            return False
        definition = self._statement_of(only.node)
        if not isinstance(definition, (cst.Assign, cst.AnnAssign)) or not _is_empty_dict(
            definition.value
        ):
            if not self._is_runtime_cache(definition):
                self.refuse(definition, f"`{self.symbol}` does not start as an empty dict.")
            return False
        covered = self._find_tails(node)
        for access in assignments[0].references:
            if access.node not in covered and not self._is_invalidation(access.node):
                self.refuse(
                    access.node,
                    f"`{self.symbol}` is used in a way this rewrite does not recognise; "
                    "nothing changed (leave it for a manual marker).",
                )
                self.tails.clear()
                return False
        if not self.tails:
            return False
        self.definition = definition
        self._choose_local_name(scope)
        return True

    def _statement_of(self, target: cst.CSTNode) -> cst.CSTNode:
        parent = self.get_metadata(ParentNodeProvider, target)
        if isinstance(parent, cst.AssignTarget):
            parent = self.get_metadata(ParentNodeProvider, parent)
        return parent

    def _is_runtime_cache(self, definition: cst.CSTNode) -> bool:
        value = getattr(definition, "value", None)
        return (
            isinstance(value, cst.Call)
            and bool(value.args)
            and m.matches(value.args[0].value, m.SimpleString(f'"{self.symbol}"'))
        )

    def _find_tails(self, module: cst.Module) -> set[cst.CSTNode]:
        """Record each function's memo tail and return the names of the dict they cover."""
        covered: set[cst.CSTNode] = set()
        for function in m.findall(module, m.FunctionDef()):
            assert isinstance(function, cst.FunctionDef)
            body = function.body
            if not isinstance(body, cst.IndentedBlock):
                continue
            for size in (1, 2, 3, 4, 5):
                if size > len(body.body):
                    break
                tail = body.body[-size:]
                match = self._match(tail)
                if match is None:
                    continue
                key, compute = match
                if m.findall(compute, m.Await() | m.Yield()):
                    self.refuse(function, "the computation awaits or yields; a lambda cannot.")
                    break
                self.tails[body] = (len(body.body) - size, self._replacement(tail[0], key, compute))
                covered.update(n for s in tail for n in m.findall(s, m.Name(self.symbol)))
                break
        return covered

    def _match(
        self, tail: Sequence[cst.BaseStatement]
    ) -> tuple[cst.BaseExpression, cst.BaseExpression] | None:
        """(key, computation) when `tail` is one of the recognised memo shapes."""
        shapes = (
            self._if_in_then_store,
            self._if_not_in,
            self._get_then_if_none,
            self._get_then_return_hit,
            self._try_key_error,
        )
        for shape in shapes:
            found = shape(tail)
            if found is not None:
                return found
        return None

    def _if_in_then_store(self, tail: Sequence[cst.BaseStatement]) -> _Found:
        if len(tail) not in (3, 4) or not isinstance(tail[0], cst.If) or tail[0].orelse:
            return None
        key = self._contains(tail[0].test, cst.In)
        hit = _small(tail[0].body)
        if key is None or hit is None or len(hit) != 1 or not self._returns_item(hit[0], key):
            return None
        return self._store_and_return(_flatten(tail[1:]), key)

    def _if_not_in(self, tail: Sequence[cst.BaseStatement]) -> _Found:
        if len(tail) != 2 or not isinstance(tail[0], cst.If) or tail[0].orelse:
            return None
        key = self._contains(tail[0].test, cst.NotIn)
        miss = _small(tail[0].body)
        rest = _flatten(tail[1:])
        if key is None or miss is None or len(miss) != 1 or rest is None:
            return None
        compute = self._stores(miss[0], key)
        if compute is None or not self._returns_item(rest[0], key):
            return None
        return key, compute

    def _get_then_if_none(self, tail: Sequence[cst.BaseStatement]) -> _Found:
        if len(tail) != 3 or not isinstance(tail[1], cst.If) or tail[1].orelse:
            return None
        first, last = _flatten([tail[0]]), _flatten([tail[2]])
        got = self._gets(first[0]) if first else None
        if got is None or last is None:
            return None
        name, key = got
        miss_test = m.Comparison(
            left=m.Name(name), comparisons=[m.ComparisonTarget(m.Is(), m.Name("None"))]
        ) | m.UnaryOperation(m.Not(), m.Name(name))
        miss = _small(tail[1].body)
        if not m.matches(tail[1].test, miss_test) or miss is None:
            return None
        return self._store_and_return([*miss, *last], key, name)

    def _get_then_return_hit(self, tail: Sequence[cst.BaseStatement]) -> _Found:
        if len(tail) != 5 or not isinstance(tail[1], cst.If) or tail[1].orelse:
            return None
        first = _flatten([tail[0]])
        got = self._gets(first[0]) if first else None
        if got is None:
            return None
        name, key = got
        hit_test = m.Comparison(
            left=m.Name(name), comparisons=[m.ComparisonTarget(m.IsNot(), m.Name("None"))]
        ) | m.Name(name)
        hit = _small(tail[1].body)
        if not m.matches(tail[1].test, hit_test) or hit is None or len(hit) != 1:
            return None
        if not m.matches(hit[0], m.Return(m.Name(name))):
            return None
        return self._store_and_return(_flatten(tail[2:]), key, name)

    def _try_key_error(self, tail: Sequence[cst.BaseStatement]) -> _Found:
        if len(tail) != 1 or not isinstance(tail[0], cst.Try):
            return None
        attempt = tail[0]
        if attempt.orelse or attempt.finalbody or len(attempt.handlers) != 1:
            return None
        handler = attempt.handlers[0]
        body = _small(attempt.body)
        if (
            handler.name
            or handler.type is None
            or not m.matches(handler.type, m.Name("KeyError"))
            or not body
        ):
            return None
        if len(body) != 1 or not m.matches(body[0], m.Return(m.Subscript(m.Name(self.symbol)))):
            return None
        assert isinstance(body[0], cst.Return) and isinstance(body[0].value, cst.Subscript)
        key = _index(body[0].value)
        return self._store_and_return(_small(handler.body), key) if key else None

    def _store_and_return(
        self,
        statements: Sequence[cst.BaseSmallStatement] | None,
        key: cst.BaseExpression,
        name: str | None = None,
    ) -> _Found:
        """`V = E; C[K] = V; return V` or `C[K] = E; return C[K]` (V fixed by `name`)."""
        if statements is None:
            return None
        if len(statements) == 3:
            assigned = statements[0]
            if not m.matches(assigned, m.Assign(targets=[m.AssignTarget(m.Name())])):
                return None
            assert isinstance(assigned, cst.Assign)
            value_name = assigned.targets[0].target
            assert isinstance(value_name, cst.Name)
            if name is not None and value_name.value != name:
                return None
            if self._stores(statements[1], key) is None:
                return None
            if not m.matches(statements[1], m.Assign(value=m.Name(value_name.value))):
                return None
            if not m.matches(statements[2], m.Return(m.Name(value_name.value))):
                return None
            return key, assigned.value
        if len(statements) == 2 and name is None:
            compute = self._stores(statements[0], key)
            if compute is not None and self._returns_item(statements[1], key):
                return key, compute
        return None

    def _contains(self, test: cst.BaseExpression, operator: type) -> cst.BaseExpression | None:
        if not isinstance(test, cst.Comparison) or len(test.comparisons) != 1:
            return None
        target = test.comparisons[0]
        if isinstance(target.operator, operator) and m.matches(
            target.comparator, m.Name(self.symbol)
        ):
            return test.left
        return None

    def _returns_item(self, statement: cst.BaseSmallStatement, key: cst.BaseExpression) -> bool:
        return (
            isinstance(statement, cst.Return)
            and isinstance(statement.value, cst.Subscript)
            and m.matches(statement.value.value, m.Name(self.symbol))
            and _same(_index(statement.value), key)
        )

    def _stores(
        self, statement: cst.BaseSmallStatement, key: cst.BaseExpression
    ) -> cst.BaseExpression | None:
        """E when `statement` is `C[K] = E`."""
        if not isinstance(statement, cst.Assign) or len(statement.targets) != 1:
            return None
        target = statement.targets[0].target
        if not isinstance(target, cst.Subscript) or not m.matches(
            target.value, m.Name(self.symbol)
        ):
            return None
        return statement.value if _same(_index(target), key) else None

    def _gets(self, statement: cst.BaseSmallStatement) -> tuple[str, cst.BaseExpression] | None:
        """(V, K) when `statement` is `V = C.get(K)`."""
        pattern = m.Assign(
            targets=[m.AssignTarget(m.Name())],
            value=m.Call(
                func=m.Attribute(m.Name(self.symbol), m.Name("get")), args=[m.Arg(keyword=None)]
            ),
        )
        if not m.matches(statement, pattern):
            return None
        assert isinstance(statement, cst.Assign) and isinstance(statement.value, cst.Call)
        name = statement.targets[0].target
        assert isinstance(name, cst.Name)
        return name.value, statement.value.args[0].value

    def _is_invalidation(self, name: cst.CSTNode) -> bool:
        parent = self.get_metadata(ParentNodeProvider, name)
        if isinstance(parent, cst.Attribute) and parent.attr.value in INVALIDATIONS:
            return isinstance(self.get_metadata(ParentNodeProvider, parent), cst.Call)
        if isinstance(parent, cst.Subscript):
            return isinstance(self.get_metadata(ParentNodeProvider, parent), cst.Del)
        return False

    def _replacement(
        self, first: cst.BaseStatement, key: cst.BaseExpression, compute: cst.BaseExpression
    ) -> cst.SimpleStatementLine:
        call = cst.Call(
            func=cst.Attribute(cst.Name(self.symbol), cst.Name("get_or_set")),
            args=[
                cst.Arg(key, comma=cst.Comma(whitespace_after=cst.SimpleWhitespace(" "))),
                cst.Arg(cst.Lambda(params=cst.Parameters(), body=compute)),
            ],
        )
        assert isinstance(first, (cst.SimpleStatementLine, cst.BaseCompoundStatement))
        return cst.SimpleStatementLine([cst.Return(call)], leading_lines=first.leading_lines)

    def _choose_local_name(self, scope: object) -> None:
        for assignment in scope["cache"] if scope else ():  # type: ignore[index]
            node = assignment.node
            from_runtime = (
                isinstance(node, cst.ImportFrom)
                and node.module is not None
                and cst.helpers.get_full_name_for_node(node.module) == self.runtime_package
            )
            if not from_runtime:
                self.local_name = FALLBACK_LOCAL_NAME

    def leave_IndentedBlock(
        self, original_node: cst.IndentedBlock, updated_node: cst.IndentedBlock
    ) -> cst.IndentedBlock:
        if original_node not in self.tails:
            return updated_node
        start, replacement = self.tails[original_node]
        return updated_node.with_changes(body=[*updated_node.body[:start], replacement])

    def leave_Assign(self, original_node: cst.Assign, updated_node: cst.Assign) -> cst.Assign:
        if original_node is not self.definition:
            return updated_node
        return updated_node.with_changes(value=self._runtime_call(updated_node.value))

    def leave_AnnAssign(
        self, original_node: cst.AnnAssign, updated_node: cst.AnnAssign
    ) -> cst.AnnAssign | cst.Assign:
        if original_node is not self.definition or updated_node.value is None:
            return updated_node
        # The annotation would claim a dict; the store is not one.
        self.remove_unused_import_by_node(original_node.annotation)
        return cst.Assign(
            targets=[cst.AssignTarget(updated_node.target)],
            value=self._runtime_call(updated_node.value),
        )

    def _runtime_call(self, old: cst.BaseExpression) -> cst.Call:
        asname = None if self.local_name == "cache" else self.local_name
        self.add_needed_import(self.runtime_package, "cache", asname)
        comma = cst.Comma(whitespace_after=cst.SimpleWhitespace(" "))
        args = [cst.Arg(cst.SimpleString(f'"{self.symbol}"'), comma=comma), cst.Arg(old)]
        if self.ttl is not None:
            args[-1] = args[-1].with_changes(comma=comma)
            no_space = cst.SimpleWhitespace("")
            args.append(
                cst.Arg(
                    cst.Integer(str(self.ttl)),
                    keyword=cst.Name("ttl"),
                    equal=cst.AssignEqual(no_space, no_space),
                )
            )
        return cst.Call(func=cst.Name(self.local_name), args=args)


_Found = tuple[cst.BaseExpression, cst.BaseExpression] | None


def _is_empty_dict(value: cst.BaseExpression | None) -> bool:
    return value is not None and m.matches(
        value, m.Dict(elements=[]) | m.Call(func=m.Name("dict"), args=[])
    )


def _small(suite: cst.BaseSuite) -> list[cst.BaseSmallStatement] | None:
    """The small statements of a block of one-statement lines, or None."""
    if isinstance(suite, cst.SimpleStatementSuite):
        return list(suite.body)
    return _flatten(suite.body) if isinstance(suite, cst.IndentedBlock) else None


def _flatten(statements: Sequence[cst.BaseStatement]) -> list[cst.BaseSmallStatement] | None:
    out: list[cst.BaseSmallStatement] = []
    for statement in statements:
        if not isinstance(statement, cst.SimpleStatementLine) or len(statement.body) != 1:
            return None
        out.append(statement.body[0])
    return out


def _index(subscript: cst.Subscript) -> cst.BaseExpression | None:
    if len(subscript.slice) != 1 or not isinstance(subscript.slice[0].slice, cst.Index):
        return None
    return subscript.slice[0].slice.value


def _same(a: cst.BaseExpression | None, b: cst.BaseExpression) -> bool:
    return a is not None and cst.Module(body=[]).code_for_node(a) == cst.Module(
        body=[]
    ).code_for_node(b)
