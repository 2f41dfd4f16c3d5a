"""Move a module-level dict (``session_store``, ``app_data``) behind the runtime's ``kv`` factory.

Rewrites, in every module that uses the dict (the defining module and any module importing it
as ``from m import S``, ``from m import S as T``, ``import m`` or ``import m as y``):

- the definition ``SESSIONS = {}`` (or ``dict(...)``, a dict comprehension) becomes
  ``SESSIONS = kv("SESSIONS", {}, ttl=3600)``, the original container kept as the old side, with
  ``from <runtime> import kv`` added once;
- a nested mutation of a stored value (``S[k]["cart"].append(x)``, ``S[k]["n"] += 1``,
  ``S[k]["a"]["b"] = v``, ``del S[k]["x"]``, ``S[k].append(x)``, ``S.setdefault(k, [])...``,
  ``bisect.insort(S[k]["seen"], x)``, ``heapq.heappush(...)``) becomes
  ``with S.edit(k) as value: value["cart"].append(x)``; adjacent statements editing the
  same key share one ``with``;
- a read of ``S[k]`` into locals that a later statement of the block changes, or uses to write
  ``S[k]`` again, starts the edit, so the write never works from a stale copy:
  ``s = S[k]`` (also ``S.setdefault(k, {})``, ``S.get(k)``) becomes
  ``with S.edit(k[, default=...]) as s:`` around the statements up to the last such one
  (``S.get(k)`` relies on ``edit(k, default=None)`` yielding None, and storing nothing, for a
  missing key); any other read (``cart = S[k]["cart"]``) moves inside, reading ``value``;
  an ``if``/``while``/``for`` whose header reads ``S[k]`` and whose body changes it is one edit;
  an entry fetched earlier by a getter of the module (``sid, s = _session()`` where
  ``_session`` returns ``sid, S[sid]``) is read again inside the edit (``s = value``);
  an edit of the same key inside the span joins it;
- ``S[k] += v`` (any augmented operator) becomes ``S.augment(k, "+=", v)``: one atomic
  read-modify-write on the store, where a get and a set would lose concurrent updates;
- a loop or comprehension over the whole store gets ``# stateless: iterating S is a SCAN over
  the store`` above it, once.

A ``defaultdict(list)`` (or ``dict``, ``set``, ``int``; ``collections.defaultdict`` too) is bound
the same way, ``INBOX = kv("INBOX", defaultdict(list))``; the store does not create values on a
miss, so what relied on the factory says what a missing key is, in every module:

- a nested mutation ``INBOX[k].append(x)`` (and ``v = INBOX[k]`` then ``v.append(x)``) becomes
  ``with INBOX.edit(k, default=[]) as value: value.append(x)``: the empty value is stored first;
- ``INBOX[k] += v`` becomes ``INBOX.augment(k, "+=", v, default=[])``;
- ``INBOX[k]`` looked at only as a whole (``len(INBOX[k])``, ``list(...)``, ``sorted(...)`` and
  the other reading builtins, ``for x in INBOX[k]``, ``x in INBOX[k]``, ``if INBOX[k]:``) becomes
  ``INBOX.get(k, [])``: the same answer, except that a miss no longer inserts an empty entry
  (which only ``k in INBOX``, ``len(INBOX)`` and iteration could tell);
- ``INBOX.get(k, [])``, ``INBOX.setdefault(...)``, ``k in INBOX`` and the rest need no change.

Any other read of ``INBOX[k]`` (bound to a local that is not then changed, returned, passed, or
read deeper like ``INBOX[k][0]``) is refused: what the caller does with the inserted value cannot
be seen. The defining module's file is read to learn that the dict is a defaultdict; a module
whose definition cannot be found (no ``context.filename``) is treated as a plain dict's.

Needs no change (a KeyValueStore is a MutableMapping): ``S[k] = v``, ``S[k]``, ``S.get(k)``,
``S.pop(k)``, ``S.update(...)``, ``del S[k]``, ``k in S``, ``len(S)``, ``if S:``, iteration.

Refuses the module (``SkipFile`` with the reason, nothing written) when: the dict is rebound
(``global S; S = {}``, ``m.S = ...``, ``S |= ...``), compared with ``is``, passed to a call it
cannot see (``helper(S)``), stored, returned or aliased (``T = S``, ``[S]``), used through a
dict-only method (``S.copy()``), defined as anything but a dict or a ``defaultdict`` of the four
factories above (``defaultdict(lambda: ...)`` is refused), when a value looks like a live object
(``S[k] = open(...)``, ``S[k].send(...)``, ``S[k].attr = v``), when the value of
``S.get(k, default)`` is mutated, when a mutation sits where a ``with`` cannot wrap it alone
(several statements on a line, the header of an ``if``/``for``), or when a defaultdict's
``S[k]`` is read in a way listed as refused above. It also refuses where a value escapes, by the
same model the scan reads (``migrator.inventory.value_flows``; the scan then already made the
component manual): passed to a call it cannot see into or to a helper that changes it,
returned and changed by a caller, captured by a closure that changes it, or changed through a
local no edit can wrap (a loop variable over ``S.values()``).
"""

from __future__ import annotations

import ast
from collections.abc import Sequence
from dataclasses import dataclass

import libcst as cst
from libcst.codemod import CodemodContext
from libcst.metadata import QualifiedNameProvider

from migrator.inventory.mutations import MUTATING_FUNCTIONS, MUTATING_METHODS
from migrator.inventory.value_flows import module_imports

from ._edit_spans import span_body
from ._escapes import first_escape
from ._support import (
    SAFE_READERS,
    ComponentCodemod,
    assigned_names,
    build_call,
    code_of,
    factory_call,
    fresh_name,
    names_in,
    single_key,
    with_comment,
)

# Methods that return a part of the value itself, so a mutation further along still lands in it.
PASS_THROUGH_METHODS = frozenset({"get"})
LIVE_OBJECT_METHODS = frozenset(
    {
        "send",
        "sendall",
        "send_json",
        "send_text",
        "send_bytes",
        "recv",
        "receive",
        "receive_json",
        "receive_text",
        "close",
        "write",
        "flush",
        "acquire",
        "release",
        "emit",
        "put_nowait",
    }
)
LIVE_OBJECT_CONSTRUCTORS = frozenset(
    {
        "open",
        "socket.socket",
        "threading.Lock",
        "threading.RLock",
        "threading.Event",
        "threading.Thread",
        "asyncio.Lock",
        "asyncio.Queue",
        "queue.Queue",
        "Lock",
        "RLock",
        "Event",
        "Thread",
        "Queue",
    }
)
STORE_METHODS = frozenset(
    {
        "get",
        "setdefault",
        "pop",
        "popitem",
        "update",
        "keys",
        "values",
        "items",
        "clear",
        "edit",
        "augment",
    }
)
SCANNING_METHODS = frozenset({"keys", "values", "items"})
DEFAULTDICT_CALLS = frozenset({"defaultdict", "collections.defaultdict"})
# What a defaultdict's factory gives a missing key, as the `default=` of `edit` and `get`.
EMPTY_VALUES = {"list": "[]", "dict": "{}", "set": "set()", "int": "0"}
# Builtins whose answer for a missing key equals their answer for the factory's empty value.
EMPTY_READERS = SAFE_READERS - {"next"}
SCANNING_READERS = frozenset(
    {
        "list",
        "sorted",
        "set",
        "frozenset",
        "tuple",
        "dict",
        "iter",
        "enumerate",
        "any",
        "all",
        "sum",
        "min",
        "max",
    }
)


@dataclass(frozen=True)
class ChainUse:
    """How the expression built on a value is used: ``read``, ``mutate``, ``store`` or ``live``."""

    kind: str
    top: cst.CSTNode
    depth: int  # subscripts, attributes and calls above the value


@dataclass(frozen=True)
class ItemRoot:
    """One ``S[k]`` (or ``S.setdefault(k, d)``) inside a statement line."""

    root: cst.BaseExpression
    receiver: str  # ``S`` as written in this module: ``T``, ``state.S``
    key: cst.BaseExpression
    via: str  # item | setdefault | get
    default: cst.BaseExpression | None
    mutated: bool


@dataclass(frozen=True)
class LocalBinding:
    """``name = S[k]`` (via ``item``), ``S.setdefault(k, d)`` or ``S.get(k)``."""

    name: str
    receiver: cst.BaseExpression
    key: cst.BaseExpression
    via: str
    default: cst.BaseExpression | None
    root: cst.BaseExpression  # the ``S[k]`` or ``S.get(k)`` it is bound from


class KeyValueStoreCodemod(ComponentCodemod):
    """Bind a module-level dict to ``kv(...)`` and turn nested mutations into ``S.edit(k)``."""

    FACTORY = "kv"

    def __init__(
        self,
        context: CodemodContext,
        symbol: str,
        module: str,
        runtime: str,
        ttl: int | None = None,
    ) -> None:
        super().__init__(context, symbol, module, runtime)
        self.ttl = ttl

    def start_module(self, tree: cst.Module) -> None:
        self.roots: dict[int, list[ItemRoot]] = {}
        # Reads in the header of an `if`/`while`/`for` (ids of the statement): a body that
        # changes the same key makes the whole statement one edit.
        self.header_roots: dict[int, list[ItemRoot]] = {}
        self.bindings: dict[int, LocalBinding] = {}
        self.scans: set[int] = set()
        self.definition: cst.Assign | cst.AnnAssign | None = None
        self.value_name = fresh_name(["value", "stored_value"], self.module_names)
        self.scan_note = f"stateless: iterating {self.symbol} is a SCAN over the store"
        # For a defaultdict: reads of a missing key answered with the empty value instead
        # (ids of ``S[k]``), ``S[k] op= v`` to spell out, and reads an edit must absorb.
        self.empty_reads: set[int] = set()
        self.augmented: set[int] = set()
        self.unsettled_reads: dict[int, str] = {}
        if self.defines_here:
            if self.top_level_definition(tree) is None:
                self.refuse(f"`{self.symbol}` is not assigned at the top level of this module")
            self.require_factory_name_free(tree)
        self.missing_default = self.empty_value(self.definition_value(tree))
        module_ast = _ast_of(tree.code)
        self.module_imports = module_imports(module_ast, self.context.full_package_name or "")
        self.getters = {
            node.name: getter
            for node in module_ast.body
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef))
            and (getter := self.getter(node)) is not None
        }

    def empty_value(self, value: cst.BaseExpression | None) -> cst.BaseExpression | None:
        """What a missing key reads as: the factory's empty value, None for a plain dict."""
        if value is not None and self.already_bound(value):
            assert isinstance(value, cst.Call)
            value = value.args[1].value if len(value.args) > 1 else None
        if not (isinstance(value, cst.Call) and code_of(value.func) in DEFAULTDICT_CALLS):
            return None
        factory = value.args[0].value if value.args and not value.args[0].keyword else None
        if factory is None or (isinstance(factory, cst.Name) and factory.value == "None"):
            return None  # no factory: a defaultdict that behaves as a dict
        empty = EMPTY_VALUES.get(code_of(factory))
        if empty is None:
            self.refuse(
                f"`{self.symbol}` is a `defaultdict({code_of(factory)})`: the codemod knows the "
                f"empty value of `list`, `dict`, `set` and `int` factories only; make the "
                f"default explicit (`S.setdefault(k, ...)`, a plain dict) and run again"
            )
        return cst.parse_expression(empty)

    # -- collecting: every reference is classified on the original tree ---------------------

    def classify(self, ref: cst.Name | cst.Attribute) -> None:
        parent = self.parent(ref)
        where = f"`{self.describe_use(ref)}` (line {self.line_of(ref)})"
        if isinstance(parent, cst.Subscript) and parent.value is ref:
            key = single_key(parent)
            if key is None:
                self.refuse(f"`{self.symbol}` is sliced in {where}")
            self.item_use(ref, parent, key, None, "item")
        elif isinstance(parent, cst.Attribute) and parent.value is ref:
            self.method_use(ref, parent, where)
        elif isinstance(parent, cst.ComparisonTarget) and parent.comparator is ref:
            if not isinstance(parent.operator, (cst.In, cst.NotIn)):
                self.refuse(f"`{self.symbol}` is compared by identity or value in {where}")
        elif isinstance(parent, (cst.For, cst.CompFor)) and parent.iter is ref:
            self.mark_scan(ref)
        elif isinstance(parent, (cst.If, cst.While, cst.IfExp)) and parent.test is ref:
            return
        elif isinstance(parent, cst.UnaryOperation) and isinstance(parent.operator, cst.Not):
            return
        elif self.is_safe_reader_argument(ref):
            call = self.parent(self.parent(ref))  # type: ignore[arg-type]
            if isinstance(call, cst.Call) and code_of(call.func) in SCANNING_READERS:
                self.mark_scan(ref)
        elif self.is_definition_target(ref):
            self.check_definition(ref)
        elif isinstance(parent, (cst.AssignTarget, cst.AugAssign, cst.AnnAssign, cst.Del)):
            self.refuse(f"`{self.symbol}` is rebound in {where}; the store must stay one object")
        else:
            self.refuse(
                f"`{self.symbol}` is used as a plain value in {where} (passed, stored, returned "
                f"or aliased), so the codemod cannot follow where it goes"
            )

    def is_definition_target(self, ref: cst.CSTNode) -> bool:
        target = self.parent(ref)
        small = self.parent(target) if isinstance(target, cst.AssignTarget) else target
        line = self.parent(small) if small is not None else None
        return (
            self.defines_here
            and self.definition is None
            and isinstance(small, (cst.Assign, cst.AnnAssign))
            and isinstance(line, cst.SimpleStatementLine)
            and isinstance(self.parent(line), cst.Module)
        )

    def check_definition(self, ref: cst.CSTNode) -> None:
        small = self.parent(ref)
        if isinstance(small, cst.AssignTarget):
            small = self.parent(small)
        assert isinstance(small, (cst.Assign, cst.AnnAssign))
        if isinstance(small, cst.Assign) and len(small.targets) != 1:
            self.refuse(f"`{self.symbol}` is defined in a chained assignment; split it first")
        value = small.value
        assert value is not None
        if self.already_bound(value):
            self.definition = small
            return
        func = code_of(value.func) if isinstance(value, cst.Call) else ""
        if not (
            isinstance(value, (cst.Dict, cst.DictComp))
            or func == "dict"
            or func in DEFAULTDICT_CALLS
        ):
            self.refuse(
                f"`{self.symbol}` is defined as `{code_of(value)}`; only a dict literal, a dict "
                f"comprehension, `dict(...)` or `defaultdict(...)` moves to a key-value store"
            )
        self.definition = small

    def method_use(self, ref: cst.BaseExpression, attribute: cst.Attribute, where: str) -> None:
        method = attribute.attr.value
        if method not in STORE_METHODS:
            self.refuse(
                f"`{self.symbol}.{method}` in {where} is not part of the store's mapping API "
                f"(`{self.symbol}.copy()` becomes `dict({self.symbol})`)"
            )
        call = self.parent(attribute)
        if not isinstance(call, cst.Call) or call.func is not attribute:
            self.refuse(f"`{self.symbol}.{method}` is used without being called in {where}")
        if method in SCANNING_METHODS:
            self.mark_scan(ref)
        if method in ("setdefault", "get") and call.args:
            default = call.args[1].value if len(call.args) > 1 else None
            self.item_use(ref, call, call.args[0].value, default, method)

    def mark_scan(self, ref: cst.CSTNode) -> None:
        statement = self.enclosing_statement(ref)
        if statement is not None:
            self.scans.add(id(statement))

    def item_use(
        self,
        ref: cst.BaseExpression,
        root: cst.BaseExpression,
        key: cst.BaseExpression,
        default: cst.BaseExpression | None,
        via: str,
    ) -> None:
        """Record ``S[k]`` / ``S.setdefault(k, d)`` / ``S.get(k, d)`` and how its value is used."""
        use = self.chain_use(root)
        where = f"`{self.describe_use(ref)}` (line {self.line_of(ref)})"
        if use.kind == "live":
            self.refuse(
                f"a value of `{self.symbol}` looks like a live object in {where}; live objects "
                f"cannot move to a store (see the playbook)"
            )
        if use.kind == "store" and use.depth == 0:
            if via == "item":
                self.check_stored_value(use.top, where)
                augmented = self.parent(root)
                if isinstance(augmented, cst.AugAssign):
                    self.augmented.add(id(augmented))
            return
        mutated = use.kind in ("mutate", "store")
        if via == "item" and self.missing_default is not None:
            default = self.missing_default
            if not mutated and use.top is root and self.reads_as_a_whole(root):
                self.empty_reads.add(id(root))
            elif not mutated:
                self.unsettled_reads[id(root)] = where
        if mutated and via == "get":
            self.refuse(
                f"{where} mutates the value returned by `{self.symbol}.get(...)`, which is not "
                f"written back; use `with {self.symbol}.edit(k) as value:` by hand"
            )
        if not mutated:
            self.note_binding(ref, root, key, default, via)
        line = self.enclosing_statement(root)
        if not isinstance(line, cst.SimpleStatementLine):
            if mutated:
                self.refuse(
                    f"{where} mutates a value of `{self.symbol}` inside a statement "
                    f"header or a one-line block; a `with` cannot wrap it alone"
                )
            if line is not None:
                header = ItemRoot(root, code_of(ref), key, via, default, False)
                self.header_roots.setdefault(id(line), []).append(header)
            return
        if mutated and len(line.body) != 1:
            self.refuse(
                f"{where} mutates a value of `{self.symbol}` on a line with several "
                f"statements; split the line first"
            )
        self.roots.setdefault(id(line), []).append(
            ItemRoot(root, code_of(ref), key, via, default, mutated)
        )

    def reads_as_a_whole(self, root: cst.BaseExpression) -> bool:
        """True when the value of ``S[k]`` is only looked at whole: ``len(S[k])``, ``for x in
        S[k]``, ``x in S[k]``, ``if S[k]:`` -- where the factory's empty value answers the same."""
        parent = self.parent(root)
        if isinstance(parent, cst.Arg):
            call = self.parent(parent)
            return (
                parent.keyword is None
                and not parent.star
                and isinstance(call, cst.Call)
                and isinstance(call.func, cst.Name)
                and call.func.value in EMPTY_READERS
            )
        if isinstance(parent, (cst.For, cst.CompFor)):
            return parent.iter is root
        if isinstance(parent, cst.ComparisonTarget):
            return parent.comparator is root and isinstance(parent.operator, (cst.In, cst.NotIn))
        if isinstance(parent, (cst.If, cst.While, cst.IfExp)):
            return parent.test is root
        return isinstance(parent, cst.UnaryOperation) and isinstance(parent.operator, cst.Not)

    def check_stored_value(self, target: cst.CSTNode, where: str) -> None:
        assign = self.parent(self.parent(target))
        value = assign.value if isinstance(assign, cst.Assign) else None
        if isinstance(value, cst.Call) and code_of(value.func) in LIVE_OBJECT_CONSTRUCTORS:
            self.refuse(
                f"{where} stores a live object (`{code_of(value.func)}(...)`) in "
                f"`{self.symbol}`; live objects cannot move to a store"
            )

    def note_binding(
        self,
        ref: cst.BaseExpression,
        root: cst.BaseExpression,
        key: cst.BaseExpression,
        default: cst.BaseExpression | None,
        via: str,
    ) -> None:
        target = None
        assign = self.parent(root)
        if isinstance(assign, cst.Assign) and assign.value is root and len(assign.targets) == 1:
            target = assign.targets[0].target
        line = self.parent(assign) if assign is not None else None
        if (
            isinstance(target, cst.Name)
            and isinstance(line, cst.SimpleStatementLine)
            and len(line.body) == 1
        ):
            self.bindings[id(line)] = LocalBinding(target.value, ref, key, via, default, root)

    def chain_use(self, root: cst.BaseExpression) -> ChainUse:
        """Follow subscripts, attributes and calls up from ``root`` to see what is done to it."""
        node: cst.CSTNode = root
        depth = 0
        while True:
            up = self.parent(node)
            if isinstance(up, cst.Subscript) and up.value is node:
                node, depth = up, depth + 1
                continue
            if isinstance(up, cst.Attribute) and up.value is node:
                call = self.parent(up)
                if isinstance(call, cst.Call) and call.func is up:
                    method = up.attr.value
                    if method in LIVE_OBJECT_METHODS:
                        return ChainUse("live", call, depth)
                    if method in MUTATING_METHODS:
                        return ChainUse("mutate", call, depth)
                    if method in PASS_THROUGH_METHODS:
                        node, depth = call, depth + 1
                        continue
                    return ChainUse("read", call, depth)
                if self.store_context(up):
                    return ChainUse("live", up, depth)
                node, depth = up, depth + 1
                continue
            if isinstance(up, cst.Arg) and self.changes_argument(up):
                return ChainUse("mutate", self.parent(up), depth)  # type: ignore[arg-type]
            break
        return ChainUse("store" if self.store_context(node) else "read", node, depth)

    def changes_argument(self, arg: cst.Arg) -> bool:
        """True for the argument a function changes in place: `bisect.insort(x, v)`'s `x`."""
        call = self.parent(arg)
        if not isinstance(call, cst.Call) or arg.keyword is not None or arg.star:
            return False
        position = next(i for i, a in enumerate(call.args) if a is arg)
        return any(
            MUTATING_FUNCTIONS.get(name.name) == position
            for name in self.get_metadata(QualifiedNameProvider, call.func, set())
        )

    def store_context(self, node: cst.CSTNode) -> bool:
        """True when ``node`` is assigned to, augmented or deleted (also inside tuple targets)."""
        up = self.parent(node)
        while isinstance(up, (cst.Element, cst.Tuple, cst.List, cst.StarredElement)):
            node, up = up, self.parent(up)
        if isinstance(up, (cst.AssignTarget, cst.AugAssign, cst.AnnAssign, cst.For, cst.CompFor)):
            return getattr(up, "target", None) is node
        if isinstance(up, cst.AsName):
            return True
        if isinstance(up, cst.Del):
            return True
        return False

    # -- rewriting ---------------------------------------------------------------------------

    def leave_Assign(self, original_node: cst.Assign, updated_node: cst.Assign) -> cst.Assign:
        if original_node is self.definition and not self.already_bound(updated_node.value):
            return updated_node.with_changes(value=self.bound(updated_node.value))
        return updated_node

    def leave_AnnAssign(
        self, original_node: cst.AnnAssign, updated_node: cst.AnnAssign
    ) -> cst.AnnAssign:
        value = updated_node.value
        if original_node is self.definition and value is not None:
            if not self.already_bound(value):
                return updated_node.with_changes(value=self.bound(value))
        return updated_node

    def leave_AugAssign(
        self, original_node: cst.AugAssign, updated_node: cst.AugAssign
    ) -> cst.BaseSmallStatement:
        """``S[k] += v``: ``S.augment(k, "+=", v)``, one atomic read-modify-write on the store
        (``default=<empty>`` for a defaultdict, whose missing key starts from its factory)."""
        if id(original_node) not in self.augmented:
            return updated_node
        target = updated_node.target
        assert isinstance(target, cst.Subscript)
        key = single_key(target)
        assert key is not None
        operator = cst.SimpleString(f'"{code_of(updated_node.operator).strip()}"')
        keywords = {} if self.missing_default is None else {"default": self.missing_default}
        call = build_call(
            cst.Attribute(target.value, cst.Name("augment")),
            [key, operator, updated_node.value],
            **keywords,
        )
        return cst.Expr(call)

    def leave_Subscript(
        self, original_node: cst.Subscript, updated_node: cst.Subscript
    ) -> cst.BaseExpression:
        if id(original_node) in self.empty_reads and self.missing_default is not None:
            return get_with_default(updated_node, self.missing_default)
        return updated_node

    def bound(self, old: cst.BaseExpression) -> cst.Call:
        self.add_needed_import(self.runtime, self.FACTORY)
        keywords = {} if self.ttl is None else {"ttl": cst.Integer(str(self.ttl))}
        return factory_call(self.FACTORY, self.symbol, old, **keywords)

    def leave_Module(self, original_node: cst.Module, updated_node: cst.Module) -> cst.Module:
        escape = first_escape(self.context, original_node.code, self.spells_component, True)
        if escape is not None:
            self.refuse(f"{escape.sentence(self.symbol)}; move it by hand")
        body = self.rewrite_block(original_node.body, updated_node.body)
        for where in self.unsettled_reads.values():
            self.refuse(
                f"{where} reads `{self.symbol}[...]` of a `defaultdict`, which stores an empty "
                f"value for a missing key; the store does not, so read it with "
                f"`{self.symbol}.get(k, {code_of(self.missing_default or cst.Name('None'))})`"
                f" (or change it under `with {self.symbol}.edit(k, default=...)`) and run again"
            )
        return updated_node.with_changes(body=body)

    def spells_component(self, chain: str) -> bool:
        """Whether a dotted name, as `ast` sees it in this module, is the component."""
        if self.defines_here and chain == self.symbol:
            return True
        if chain in self.aliases:
            return True
        root, dot, rest = chain.partition(".")
        imported = self.module_imports.get(root)
        return imported is not None and f"{imported}{dot}{rest}" == self.qualname

    def getter(self, function: ast.FunctionDef | ast.AsyncFunctionDef) -> Getter | None:
        """How a function of this module hands out an entry, when every return does it alike:
        `return S[sid]` (the key a parameter) or `return sid, S[sid]` (the key beside it)."""
        params = [a.arg for a in (*function.args.posonlyargs, *function.args.args)]
        found: set[Getter] = set()
        for node in _own_returns(function):
            value = node.value
            items = value.elts if isinstance(value, ast.Tuple) else [value] if value else []
            entries = [
                (i, item)
                for i, item in enumerate(items)
                if isinstance(item, ast.Subscript)
                and self.spells_component(ast.unparse(item.value))
                and isinstance(item.slice, ast.Name)
            ]
            if len(entries) != 1:
                return None
            at, entry = entries[0]
            key = entry.slice.id  # type: ignore[attr-defined]
            beside = [
                i for i, item in enumerate(items) if isinstance(item, ast.Name) and item.id == key
            ]
            size = len(items) if isinstance(value, ast.Tuple) else 0
            if beside:
                found.add(Getter(size, at, "element", beside[0]))
            elif key in params:
                found.add(Getter(size, at, "param", params.index(key)))
            else:
                return None
        return found.pop() if len(found) == 1 else None

    def fetched_before(self, original: Sequence[cst.BaseStatement], span: Span) -> list[str]:
        """Locals bound earlier in the block to the entry the span edits by a getter of this
        module (`sid, session = _session()`): stale copies once the edit holds the entry."""
        key = code_of(span.root.key)
        later = original[span.start : span.end + 1]
        used = set().union(*(names_in(s) for s in later))
        found = []
        for index in range(span.start):
            line = original[index]
            small = line.body[0] if isinstance(line, cst.SimpleStatementLine) else None
            if not (isinstance(small, cst.Assign) and len(small.targets) == 1):
                continue
            fetched = self.fetched(small.targets[0].target, small.value)
            if fetched is None or fetched[1] != key or fetched[0] not in used:
                continue
            between = set().union(
                set(), *(assigned_names(s) for s in original[index + 1 : span.end + 1])
            )
            if not between & {fetched[0], *names_in(span.root.key)}:
                found.append(fetched[0])
        return found

    def fetched(
        self, target: cst.BaseExpression, value: cst.BaseExpression
    ) -> tuple[str, str] | None:
        """(the local, its key as written) for `local = getter(...)` / `k, local = getter()`."""
        if not (isinstance(value, cst.Call) and isinstance(value.func, cst.Name)):
            return None
        getter = self.getters.get(value.func.value)
        if getter is None:
            return None
        names = [e.value for e in target.elements] if isinstance(target, cst.Tuple) else [target]
        if len(names) != max(getter.size, 1) or not all(isinstance(n, cst.Name) for n in names):
            return None
        local = names[getter.at]
        assert isinstance(local, cst.Name)
        if getter.key_from == "element":
            key: cst.BaseExpression = names[getter.key_at]
        elif getter.key_at < len(value.args) and not value.args[getter.key_at].keyword:
            key = value.args[getter.key_at].value
        else:
            return None
        return local.value, code_of(key)

    def leave_IndentedBlock(
        self, original_node: cst.IndentedBlock, updated_node: cst.IndentedBlock
    ) -> cst.IndentedBlock:
        body = self.rewrite_block(original_node.body, updated_node.body)
        return updated_node.with_changes(body=body)

    def rewrite_block(
        self, original: Sequence[cst.BaseStatement], updated: Sequence[cst.BaseStatement]
    ) -> list[cst.BaseStatement]:
        out: list[cst.BaseStatement] = []
        index = 0
        while index < len(original):
            span = self.span_at(original, index)
            if span is None:
                out.append(self.scanned(original[index], updated[index]))
                index += 1
                continue
            out.append(self.wrap(original, updated, span))
            index = span.end + 1
        return out

    def scanned(self, original: cst.BaseStatement, updated: cst.BaseStatement) -> cst.BaseStatement:
        if id(original) in self.scans:
            return with_comment(updated, self.scan_note)
        return updated

    def edit_header(
        self,
        receiver: cst.BaseExpression,
        key: cst.BaseExpression,
        default: cst.BaseExpression | None,
        via: str,
        name: str,
    ) -> cst.WithItem:
        args = [cst.Arg(key)]
        if via != "item" or default is not None:
            args.append(
                cst.Arg(
                    default if default is not None else cst.Name("None"),
                    keyword=cst.Name("default"),
                    equal=cst.AssignEqual(
                        whitespace_before=cst.SimpleWhitespace(""),
                        whitespace_after=cst.SimpleWhitespace(""),
                    ),
                )
            )
        call = cst.Call(func=cst.Attribute(receiver, cst.Name("edit")), args=args)
        return cst.WithItem(call, asname=cst.AsName(cst.Name(name)))

    # -- which statements one edit holds -----------------------------------------------------

    def key_of(self, root: ItemRoot) -> tuple[str, str, str, str]:
        default = "" if root.default is None else code_of(root.default)
        return (root.receiver, code_of(root.key), root.via, default)

    def line_key(self, line: cst.BaseStatement) -> tuple[str, str, str, str] | None:
        mutated = [r for r in self.roots.get(id(line), []) if r.mutated]
        keys = {self.key_of(r) for r in mutated}
        if len(keys) > 1:
            self.refuse(
                f"one statement mutates several entries of `{self.symbol}` "
                f"(`{code_of(line).strip()}`); split it first"
            )
        return keys.pop() if keys else None

    def span_at(self, original: Sequence[cst.BaseStatement], start: int) -> Span | None:
        """The edit that starts at ``original[start]``, if one does: a run of lines changing
        one entry; a read of an entry whose value (or a local made from it) is changed later in
        the block; a statement whose header reads an entry its body changes."""
        line = original[start]
        if self.inside_edit(line):
            return None  # the edit around it holds the entry already (a second run)
        mutated = [r for r in self.roots.get(id(line), []) if r.mutated]
        if mutated:
            return Span(start, self.group_end(original, start, mutated[0]), mutated[0], None)
        for root in self.roots.get(id(line), []):
            if root.via == "get" and root.default is not None:
                continue  # its default is not stored: a change to it is refused, not wrapped
            end = self.read_span_end(original, start, root)
            if end is not None:
                binding = self.bindings.get(id(line))
                name = binding.name if binding is not None and binding.root is root.root else None
                return Span(start, end, root, name)
        for root in self.header_roots.get(id(line), []):
            if self.changes_entry(line, root):
                return Span(start, start, root, None)
        return None

    def inside_edit(self, statement: cst.BaseStatement) -> bool:
        """Whether ``statement`` sits in ``with S.edit(k)`` of an entry it reads or changes."""
        own = {
            self.key_of(r)[:2]
            for r in [*self.roots.get(id(statement), []), *self.header_roots.get(id(statement), [])]
        }
        for ancestor in self.ancestors(statement):
            if not isinstance(ancestor, cst.With):
                continue
            for item in ancestor.items:
                call = item.item
                if (
                    isinstance(call, cst.Call)
                    and isinstance(call.func, cst.Attribute)
                    and call.func.attr.value == "edit"
                    and call.args
                    and (code_of(call.func.value), code_of(call.args[0].value)) in own
                ):
                    return True
        return False

    def group_end(self, original: Sequence[cst.BaseStatement], start: int, first: ItemRoot) -> int:
        wanted = self.line_key(original[start])
        key_names = names_in(first.key)
        end = start
        while end + 1 < len(original):
            # A blank line or a comment ends the run: the author grouped those lines apart.
            if getattr(original[end + 1], "leading_lines", ()):
                break
            if assigned_names(original[end]) & key_names:
                break
            if self.line_key(original[end + 1]) != wanted:
                break
            end += 1
        return end

    def read_span_end(
        self, original: Sequence[cst.BaseStatement], start: int, root: ItemRoot
    ) -> int | None:
        """The last statement after a read of ``S[k]`` into locals that changes the value read
        through them, or writes the entry from them: a read the edit must hold, or it is stale."""
        head = original[start]
        made = assigned_names(head) if isinstance(head, cst.SimpleStatementLine) else set()
        key_names = names_in(root.key)
        last = None
        changed_key = rebound = False
        for index in range(start + 1, len(original)):
            statement = original[index]
            # A write of the entry that uses what was read (a stale snapshot otherwise), or a
            # change of the value through the local it went into.
            stale = bool(made & names_in(statement)) and self.changes_entry(statement, root)
            if stale or self.changes_locals(statement, made):
                if changed_key or rebound:
                    self.refuse(
                        f"a value of `{self.symbol}` read at line {self.line_of(head)} is "
                        f"changed after its key or its local is assigned again; use "
                        f"`{self.symbol}.edit` by hand"
                    )
                last = index
            changed_key = changed_key or bool(assigned_names(statement) & key_names)
            rebound = rebound or self.rebinds_any(statement, made)
        if last is not None and root.via == "get" and root.default is not None:
            self.refuse(
                f"`{self.symbol}.get(..., default)` at line {self.line_of(head)} is changed "
                f"afterwards; the default is not stored, so use `{self.symbol}.edit` by hand"
            )
        return last

    def changes_entry(self, statement: cst.BaseStatement, root: ItemRoot) -> bool:
        """Whether a line in ``statement`` changes the entry ``root`` reads."""
        lines = _Lines()
        statement.visit(lines)
        wanted = self.key_of(root)[:2]
        return any(
            r.mutated and self.key_of(r)[:2] == wanted
            for line in lines.found
            for r in self.roots.get(id(line), [])
        )

    def changes_locals(self, statement: cst.BaseStatement, names: set[str]) -> bool:
        for name in names:
            uses = _LocalUses(name)
            statement.visit(uses)
            kinds = {self.chain_use(n).kind for n in uses.names if not self.rebinds(n)}
            if "live" in kinds:
                self.refuse(
                    f"`{name}` (a value of `{self.symbol}`) is used as a live object; live "
                    f"objects cannot move to a store"
                )
            if kinds & {"mutate", "store"}:
                return True
        return False

    def rebinds_any(self, statement: cst.BaseStatement, names: set[str]) -> bool:
        for name in names:
            uses = _LocalUses(name)
            statement.visit(uses)
            if any(self.rebinds(n) for n in uses.names):
                return True
        return False

    def rebinds(self, name: cst.Name) -> bool:
        """True when the local itself is assigned (``s = ...``, ``for s in``), not changed."""
        return self.store_context(name) and not isinstance(self.parent(name), cst.Del)

    # -- writing an edit -----------------------------------------------------------------------

    def wrap(
        self,
        original: Sequence[cst.BaseStatement],
        updated: Sequence[cst.BaseStatement],
        span: Span,
    ) -> cst.With:
        """``with S.edit(k) as <name>:`` around the span; a read bound alone (``s = S[k]``) is
        the header itself (``as s``)."""
        root = span.root
        head = original[span.start]
        first = span.start + (1 if span.name else 0)
        name = span.name or self.value_name
        self.settle_reads(original[span.start : span.end + 1], root)
        statements = [self.scanned(original[i], updated[i]) for i in range(first, span.end + 1)]
        body = span_body(
            statements,
            root.receiver,
            code_of(root.key),
            name,
            self.missing_default,
            self.value_name,
        )
        if not span.name:
            body[0] = body[0].with_changes(leading_lines=())  # they move above the ``with``
        for stale in reversed(self.fetched_before(original, span)):
            body.insert(0, cst.parse_statement(f"{stale} = {name}"))
        header = self.edit_header(
            cst.parse_expression(root.receiver), root.key, root.default, root.via, name
        )
        block = cst.IndentedBlock(body=body)  # type: ignore[arg-type]
        if span.name and isinstance(head, cst.SimpleStatementLine):
            block = block.with_changes(header=head.trailing_whitespace)
        with_stmt = cst.With(
            items=[header], body=block, leading_lines=getattr(head, "leading_lines", ())
        )
        if id(head) in self.scans and span.name:
            return with_comment(with_stmt, self.scan_note)  # type: ignore[return-value]
        if not span.name and any(id(s) in self.scans for s in original[span.start : span.end + 1]):
            return with_comment(with_stmt, self.scan_note)  # type: ignore[return-value]
        return with_stmt

    def settle_reads(self, statements: Sequence[cst.BaseStatement], root: ItemRoot) -> None:
        """Reads of the edited entry inside the span read the edited value, not the store."""
        wanted = self.key_of(root)[:2]
        for statement in statements:
            lines = _Lines()
            statement.visit(lines)
            for line in lines.found:
                for r in self.roots.get(id(line), []):
                    if self.key_of(r)[:2] == wanted:
                        self.unsettled_reads.pop(id(r.root), None)
            for r in self.header_roots.get(id(statement), []):
                if self.key_of(r)[:2] == wanted:
                    self.unsettled_reads.pop(id(r.root), None)


@dataclass(frozen=True)
class Getter:
    """A function that returns an entry (`at` in a tuple of `size`, 0: alone) whose key is
    its parameter `key_at` (`key_from` "param") or the tuple's element `key_at` ("element")."""

    size: int
    at: int
    key_from: str
    key_at: int


@dataclass(frozen=True)
class Span:
    """Statements ``start``..``end`` of a block under one edit of ``root``'s entry; ``name``:
    the local a lone read binds (``s = S[k]``), which names the edited value instead."""

    start: int
    end: int
    root: ItemRoot
    name: str | None


def get_with_default(item: cst.Subscript, default: cst.BaseExpression) -> cst.Call:
    """``S.get(k, default)`` for ``S[k]``."""
    key = single_key(item)
    assert key is not None
    return build_call(cst.Attribute(item.value, cst.Name("get")), [key, default])


class _LocalUses(cst.CSTVisitor):
    """The ``Name`` nodes of one local variable, outside nested functions and classes."""

    def __init__(self, name: str) -> None:
        super().__init__()
        self.name = name
        self.names: list[cst.Name] = []

    def visit_Name(self, node: cst.Name) -> None:
        if node.value == self.name:
            self.names.append(node)

    def visit_FunctionDef(self, node: cst.FunctionDef) -> bool:
        return False

    def visit_ClassDef(self, node: cst.ClassDef) -> bool:
        return False

    def visit_Lambda(self, node: cst.Lambda) -> bool:
        return False


class _Lines(cst.CSTVisitor):
    """Every statement line under a statement."""

    def __init__(self) -> None:
        super().__init__()
        self.found: list[cst.SimpleStatementLine] = []

    def visit_SimpleStatementLine(self, node: cst.SimpleStatementLine) -> None:
        self.found.append(node)


def _ast_of(source: str) -> ast.Module:
    try:
        return ast.parse(source)
    except (SyntaxError, ValueError):
        return ast.Module(body=[], type_ignores=[])


def _own_returns(function: ast.AST) -> list[ast.Return]:
    """The `return` statements of a function, not of the functions nested in it."""
    found = []
    todo = list(ast.iter_child_nodes(function))
    while todo:
        node = todo.pop()
        if isinstance(node, ast.Return):
            found.append(node)
        elif not isinstance(
            node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda, ast.ClassDef)
        ):
            todo.extend(ast.iter_child_nodes(node))
    return found
