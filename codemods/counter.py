"""Move an in-process counter behind the runtime's ``counter`` factory: atomic increments.

A scalar counter (``ORDER_SEQ = 0``):

- the definition becomes ``ORDER_SEQ = counter("ORDER_SEQ", start=0)``;
- ``global ORDER_SEQ; ORDER_SEQ += 1; order_id = ORDER_SEQ`` becomes
  ``order_id = ORDER_SEQ.incr()``; without the ``order_id = ORDER_SEQ`` line the new value is bound
  to a fresh local when the same block reads ``ORDER_SEQ`` later (those reads use the local), or
  the call stands alone; ``-= n`` becomes ``decr(amount=n)``, ``X = X + n`` counts as ``X += n``;
  the ``global`` line goes once nothing assigns the name;
- any other read becomes ``ORDER_SEQ.get()``.

A mapping of counts (``HITS = defaultdict(int)``, ``Counter()``, ``{}``):

- the definition becomes ``HITS = counter("HITS", defaultdict(int))``, the old mapping kept;
- ``HITS[k] += n`` / ``HITS[k] = HITS.get(k, 0) + n`` / ``HITS[k] = HITS[k] + n`` become
  ``HITS.incr(k[, amount=n])``; ``-=`` becomes ``decr``; ``HITS[k]`` and ``HITS.get(k, 0)``
  become ``HITS.get(k)``;
- a read of the same count later in the block (up to its next increment) takes the value the
  increment returns, since a separate ``get`` sees other processes' hits too: inline when it is
  what the next statement computes first (``HITS[ip] += 1; if HITS[ip] > LIMIT:`` becomes
  ``if HITS.incr(ip) > LIMIT:``), else through a local (``hits = HITS.incr(ip)``);
- a fixed-window rate limit of the shape
  ``HITS[(key, int(time.time() // W))] += 1; return HITS[(key, ...)] <= LIMIT`` (the bucket
  inline or in locals, any of ``<= < > >=``) becomes ``return HITS.hit(key, limit=LIMIT,
  window=W)`` (``not HITS.hit(...)`` for ``>``), and the locals and ``time`` import it leaves
  unused are removed.

An id sequence (``MESSAGE_IDS = itertools.count(1)``, or ``count(...)`` imported from
``itertools``), used only as ``next(MESSAGE_IDS)``:

- the definition becomes ``MESSAGE_IDS = counter("MESSAGE_IDS", start=0)``: ``incr()`` returns the
  new value, so the counter starts one step before the first number (``count()`` gives
  ``start=-1``, ``count(N)`` with a name gives ``start=N - 1``); the ``itertools`` import goes
  when nothing else uses it;
- ``next(MESSAGE_IDS)`` becomes ``MESSAGE_IDS.incr()``; ``count(start, step)`` with a step other
  than 1 gives ``start=start - step`` and ``incr(amount=step)``. A module that imports the
  sequence learns the step from the defining module's file.

Refuses the module (``SkipFile`` with the reason, nothing written) when the counter is set to a
value (``ORDER_SEQ = 0`` in a function, ``HITS[k] = 0``), deleted, read as a whole (iteration,
``len``, ``in``, ``items()``, ``most_common()``), passed or stored, or keyed by the clock in a
shape it does not recognise (a hand-made rate limit: rewrite it with ``HITS.hit`` by hand); and
an id sequence used other than by ``next(X)`` (passed around, ``itertools.islice(X, n)``,
``next(X, default)``), counting in a step that is not an int literal, or over floats.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import NoReturn, TypeVar

import libcst as cst
from libcst.codemod import CodemodContext
from libcst.metadata import QualifiedNameProvider

from ._support import (
    ComponentCodemod,
    assigned_names,
    build_call,
    code_of,
    factory_call,
    fresh_name,
    names_in,
    single_key,
)

NodeT = TypeVar("NodeT", bound=cst.CSTNode)
COUNTER_METHODS = frozenset({"incr", "decr", "get", "hit"})
CLOCK_CALLS = frozenset({"time.time", "time.monotonic", "time", "monotonic"})
MAPPING_DEFINITIONS = frozenset(
    {"defaultdict", "collections.defaultdict", "Counter", "collections.Counter", "dict"}
)
COUNT_CALLS = frozenset({"itertools.count", "count"})


@dataclass(frozen=True)
class CountArguments:
    """``itertools.count(start, step)`` as the store counter that yields the same numbers."""

    start: cst.BaseExpression  # the counter's start: one step before the first number
    step: int


@dataclass(frozen=True)
class Increment:
    """``X += n`` on a scalar counter and what its new value is bound to."""

    receiver: str
    amount: cst.BaseExpression
    method: str  # incr | decr
    target: str | None  # the local that takes the new value, None when unused
    merged_next: bool  # the next line was ``target = X`` and is absorbed


@dataclass(frozen=True)
class RateLimit:
    """``H[(key, bucket)] += 1; return H[(key, bucket)] <= limit`` recognised in one block."""

    receiver: str
    key: cst.BaseExpression
    limit: cst.BaseExpression
    window: cst.BaseExpression
    negate: bool
    dropped: frozenset[int]  # ids of the lines it replaces or leaves unused


class CounterCodemod(ComponentCodemod):
    """Bind a counter to ``counter(...)`` and make its increments atomic store calls."""

    FACTORY = "counter"

    def __init__(
        self,
        context: CodemodContext,
        symbol: str,
        module: str,
        runtime: str,
        shape: str | None = None,
    ) -> None:
        super().__init__(context, symbol, module, runtime)
        self.shape = shape  # scalar | mapping; None: from the definition, else from the uses

    def start_module(self, tree: cst.Module) -> None:
        self.next_calls: set[int] = set()  # ``next(X)`` calls of an ``itertools.count``
        self.count = count_arguments(self.definition_value(tree), self.refuse)
        self.increments: dict[int, Increment] = {}
        self.rate_limits: dict[int, RateLimit] = {}
        self.dropped: set[int] = set()
        self.consumed: set[int] = set()  # refs that a statement-level rewrite already covers
        self.local_reads: dict[int, str] = {}
        # Reads of a count just incremented: the local that holds the new value, or None when
        # the increment moves into the read (`inlined`: the read -> the increment's parts).
        self.count_reads: dict[int, str | None] = {}
        self.inlined: dict[int, tuple[cst.Subscript, cst.AugAssign | cst.Assign]] = {}
        self.bound_counts: dict[int, str] = {}  # increments whose value a local takes
        self.definition: cst.Assign | None = None
        self.module_shape = self.shape or self.infer_shape(tree)
        if self.defines_here:
            if self.top_level_definition(tree) is None:
                self.refuse(f"`{self.symbol}` is not assigned at the top level of this module")
            self.require_factory_name_free(tree)

    def infer_shape(self, tree: cst.Module) -> str:
        if self.count is not None or any(self.is_next_call(call) for call in _all(tree, cst.Call)):
            return "iterator"
        definition = self.top_level_definition(tree) if self.defines_here else None
        if definition is not None:
            small = definition.body[0]
            value = getattr(small, "value", None)
            if isinstance(value, (cst.Integer, cst.UnaryOperation)):
                return "scalar"
            if isinstance(value, cst.Call) and any(a.keyword for a in value.args):
                return "scalar"  # a second run: counter("X", start=0)
            return "mapping"
        subscripted = any(
            isinstance(node.value, (cst.Name, cst.Attribute))
            and code_of(node.value).split(".")[-1] in self.aliases | {self.symbol}
            for node in _all(tree, cst.Subscript)
        )
        return "mapping" if subscripted else "scalar"

    # -- statement-level patterns, found before the block's expressions are visited ----------

    def visit_Module(self, node: cst.Module) -> None:
        self.scan_block(node.body)

    def visit_IndentedBlock(self, node: cst.IndentedBlock) -> None:
        self.scan_block(node.body)

    def scan_block(self, body: Sequence[cst.BaseStatement]) -> None:
        for index, line in enumerate(body):
            small = _only(line)
            if self.module_shape == "scalar" and isinstance(small, (cst.AugAssign, cst.Assign)):
                self.note_increment(body, index, small)
            elif isinstance(small, cst.AugAssign) and self.module_shape == "mapping":
                self.note_rate_limit(body, index, small)
                if id(line) not in self.rate_limits:
                    self.note_count_reads(body, index, small)
            elif isinstance(small, cst.Assign) and self.module_shape == "mapping":
                self.note_count_reads(body, index, small)

    def note_count_reads(
        self, body: Sequence[cst.BaseStatement], index: int, small: cst.AugAssign | cst.Assign
    ) -> None:
        """``H[k] += n`` followed by reads of ``H[k]`` in the block: the reads take the value
        the increment returns (``H.incr`` answers it atomically), inline when the read is the
        first thing the next statement computes, else through a local."""
        target = small.target if isinstance(small, cst.AugAssign) else small.targets[0].target
        if not (isinstance(target, cst.Subscript) and self.refers_to_component(target.value)):
            return
        if isinstance(small, cst.Assign) and (
            len(small.targets) != 1 or not self.addition_of(target, small.value)
        ):
            return
        key = single_key(target)
        if key is None:
            return
        wanted, key_names = (code_of(target.value), code_of(key)), names_in(key)
        reads: list[cst.CSTNode] = []
        for line in body[index + 1 :]:
            if self.counts_key(line, wanted):
                break
            reads += [n for n in _outside_functions(line) if self.reads_key(n, wanted)]
            if assigned_names(line) & key_names:
                break
        if not reads:
            return
        following = body[index + 1]
        if len(reads) == 1 and _first_computed(following) is reads[0]:
            self.count_reads[id(reads[0])] = None  # the increment itself, inline
            self.dropped.add(id(body[index]))
            self.inlined[id(reads[0])] = (target, small)
            return
        name = fresh_name([self.symbol.lower(), f"{self.symbol.lower()}_count"], self.module_names)
        self.module_names.add(name)
        for read in reads:
            self.count_reads[id(read)] = name
        self.bound_counts[id(small)] = name

    def counts_key(self, line: cst.BaseStatement, wanted: tuple[str, str]) -> bool:
        small = _only(line)
        target = (
            small.target
            if isinstance(small, cst.AugAssign)
            else small.targets[0].target
            if isinstance(small, cst.Assign) and len(small.targets) == 1
            else None
        )
        key = single_key(target) if isinstance(target, cst.Subscript) else None
        return (
            isinstance(target, cst.Subscript)
            and key is not None
            and (code_of(target.value), code_of(key)) == wanted
        )

    def reads_key(self, node: cst.CSTNode, wanted: tuple[str, str]) -> bool:
        """``H[k]`` read (not written) or ``H.get(k)`` / ``H.get(k, 0)``, for one key."""
        if isinstance(node, cst.Subscript):
            key = single_key(node)
            holder = self.parent(node)
            written = isinstance(holder, (cst.AssignTarget, cst.AugAssign, cst.Del))
            return (
                not written
                and key is not None
                and (code_of(node.value), code_of(key)) == wanted
                and self.refers_to_component(node.value)
            )
        if (
            isinstance(node, cst.Call)
            and isinstance(node.func, cst.Attribute)
            and node.func.attr.value == "get"
            and node.args
            and (len(node.args) == 1 or _is_zero(node.args[1].value))
        ):
            return (code_of(node.func.value), code_of(node.args[0].value)) == wanted
        return False

    def note_increment(
        self, body: Sequence[cst.BaseStatement], index: int, small: cst.AugAssign | cst.Assign
    ) -> None:
        step = self.step_of(small)
        if step is None:
            return
        counted, method, amount = step
        rest = body[index + 1 :]
        following = _only(rest[0]) if rest else None
        merged = (
            isinstance(following, cst.Assign)
            and len(following.targets) == 1
            and isinstance(following.targets[0].target, cst.Name)
            and self.refers_to_component(following.value)
        )
        if merged:
            assert isinstance(following, cst.Assign)
            target: str | None = code_of(following.targets[0].target)
            self.consumed.add(id(following.value))
            rest = rest[1:]
        else:
            target = None
        # Reads up to the next increment see this increment's value.
        upto = next((i for i, line in enumerate(rest) if self.is_increment(line)), len(rest))
        rest = rest[:upto]
        reads = [ref for line in rest for ref in self.reads_in(line)]
        if target is not None and any(target in assigned_names(line) for line in rest):
            reads = []  # the local changes later: later reads ask the store instead
        if reads and target is None:
            target = fresh_name(
                [self.symbol.lower(), f"{self.symbol.lower()}_value"], self.module_names
            )
        self.local_reads.update({id(ref): target for ref in reads if target is not None})
        self.consumed.add(id(counted))
        self.increments[id(body[index])] = Increment(
            code_of(counted), amount, method, target, merged
        )
        if merged:
            self.dropped.add(id(body[index + 1]))

    def step_of(
        self, small: cst.BaseSmallStatement | None
    ) -> tuple[cst.BaseExpression, str, cst.BaseExpression] | None:
        """(the counter, incr | decr, the amount) for ``X += n``, ``X -= n``, ``X = X + n``."""
        if isinstance(small, cst.AugAssign) and self.refers_to_component(small.target):
            return small.target, self.method_for(small.operator), small.value
        if not (isinstance(small, cst.Assign) and len(small.targets) == 1):
            return None
        counted, value = small.targets[0].target, small.value
        if not (
            self.refers_to_component(counted)
            and isinstance(value, cst.BinaryOperation)
            and isinstance(value.operator, (cst.Add, cst.Subtract))
            and self.refers_to_component(value.left)
        ):
            return None
        self.consumed.add(id(value.left))
        method = "incr" if isinstance(value.operator, cst.Add) else "decr"
        return counted, method, value.right

    def is_increment(self, line: cst.BaseStatement) -> bool:
        small = _only(line)
        return isinstance(small, cst.AugAssign) and self.refers_to_component(small.target)

    def check_global_assignments(self, function: cst.FunctionDef, names: set[str]) -> None:
        """Assignments under ``global`` are increments (rewritten) or refused one by one."""

    def method_for(self, operator: cst.BaseAugOp) -> str:
        if isinstance(operator, cst.AddAssign):
            return "incr"
        if isinstance(operator, cst.SubtractAssign):
            return "decr"
        self.refuse(
            f"`{self.symbol}` is changed with `{code_of(operator).strip()}`; a counter "
            f"only counts up and down"
        )

    def reads_in(self, line: cst.BaseStatement) -> list[cst.BaseExpression]:
        found = [n for n in _all(line, cst.Name, cst.Attribute) if self.refers_to_component(n)]
        skipped = (cst.Attribute, cst.AugAssign, cst.AssignTarget, cst.Del)
        return [n for n in found if not isinstance(self.parent(n), skipped)]

    def note_rate_limit(
        self, body: Sequence[cst.BaseStatement], index: int, small: cst.AugAssign
    ) -> None:
        target = small.target
        if not (isinstance(target, cst.Subscript) and self.refers_to_component(target.value)):
            return
        key = single_key(target)
        following = _only(body[index + 1]) if index + 1 < len(body) else None
        if not (
            isinstance(key, cst.Tuple)
            and len(key.elements) == 2
            and isinstance(small.operator, cst.AddAssign)
            and _is_one(small.value)
            and isinstance(following, cst.Return)
            and isinstance(following.value, cst.Comparison)
            and len(following.value.comparisons) == 1
        ):
            return
        compared = following.value.left
        if not (isinstance(compared, cst.Subscript) and code_of(compared) == code_of(target)):
            return
        comparison = following.value.comparisons[0]
        bucket_at = self.bucket_index(key, body[:index])
        if bucket_at is None:
            return
        position, window, locals_used = bucket_at
        limit, negate = _limit(comparison.operator, comparison.comparator)
        if limit is None:
            return
        dropped = {id(body[index + 1])} | self.unused_after(
            body[:index], locals_used, body[index : index + 2]
        )
        self.rate_limits[id(body[index])] = RateLimit(
            code_of(target.value),
            key.elements[1 - position].value,
            limit,
            window,
            negate,
            frozenset(dropped),
        )
        self.dropped.update(dropped)
        self.consumed.update({id(target.value), id(compared.value)})
        self.remove_unused_import("time")
        self.remove_unused_import("time", "time")
        self.remove_unused_import("time", "monotonic")

    def bucket_index(
        self, key: cst.Tuple, before: Sequence[cst.BaseStatement]
    ) -> tuple[int, cst.BaseExpression, list[str]] | None:
        """Which element of the key is the clock bucket, its window and the locals it uses."""
        assigned = _simple_assignments(before)
        for position, element in enumerate(key.elements):
            expression, used = element.value, []
            if isinstance(expression, cst.Name) and expression.value in assigned:
                used.append(expression.value)
                expression = assigned[expression.value]
            window = _window_of(expression, assigned, used)
            if window is not None:
                return position, window, used
        return None

    def unused_after(
        self,
        before: Sequence[cst.BaseStatement],
        names: list[str],
        replaced: Sequence[cst.BaseStatement],
    ) -> set[int]:
        """Lines ``name = ...`` among ``before`` that nothing reads once ``replaced`` goes."""
        dropped: set[int] = set()
        function = (
            next((a for a in self.ancestors(before[0]) if isinstance(a, cst.FunctionDef)), None)
            if before
            else None
        )
        if function is None:
            return dropped
        for name in names:
            line = next(
                (
                    b
                    for b in before
                    if isinstance(small := _only(b), cst.Assign)
                    and code_of(small.targets[0].target) == name
                ),
                None,
            )
            if line is None:
                continue
            uses = [n for n in _all(function, cst.Name) if n.value == name]
            gone = {id(n) for r in [line, *replaced] for n in _all(r, cst.Name)}
            gone |= {id(n) for b in before if id(b) in dropped for n in _all(b, cst.Name)}
            if all(id(n) in gone for n in uses):
                dropped.add(id(line))
        return dropped

    # -- every other reference ---------------------------------------------------------------

    def classify(self, ref: cst.Name | cst.Attribute) -> None:
        if id(ref) in self.consumed or id(ref) in self.local_reads:
            return
        parent = self.parent(ref)
        where = f"`{self.describe_use(ref)}` (line {self.line_of(ref)})"
        if self.is_definition(ref):
            return
        if self.module_shape == "iterator":
            self.classify_iterator_use(ref, where)
            return
        if isinstance(parent, cst.Attribute) and parent.value is ref:
            if parent.attr.value not in COUNTER_METHODS:
                self.refuse(
                    f"`{self.symbol}.{parent.attr.value}` in {where} is not part of the "
                    f"counter API (incr, decr, get, hit)"
                )
            if parent.attr.value == "get":
                self.check_get(ref, parent, where)
            return
        if self.module_shape == "mapping":
            self.classify_item(ref, parent, where)
        elif isinstance(parent, (cst.AssignTarget, cst.AugAssign, cst.AnnAssign, cst.Del)):
            self.refuse(
                f"{where} sets `{self.symbol}` to a value; a counter only counts up and "
                f"down (there is no reset)"
            )

    def is_next_call(self, call: cst.Call) -> bool:
        """True for the builtin ``next(X)`` on the component, without a default."""
        return (
            isinstance(call.func, cst.Name)
            and call.func.value == "next"
            and len(call.args) == 1
            and not call.args[0].keyword
            and not call.args[0].star
            and isinstance(call.args[0].value, (cst.Name, cst.Attribute))
            and code_of(call.args[0].value).split(".")[-1] in self.aliases | {self.symbol}
        )

    def classify_iterator_use(self, ref: cst.Name | cst.Attribute, where: str) -> None:
        """``next(X)`` becomes ``X.incr()``; an ``itertools.count`` used any other way is refused."""
        arg = self.parent(ref)
        if isinstance(arg, cst.Attribute) and arg.attr.value in COUNTER_METHODS:
            return  # already rewritten here while the definition still reads `count(...)`
        call = self.parent(arg) if isinstance(arg, cst.Arg) else None
        builtin = isinstance(call, cst.Call) and any(
            name.name == "builtins.next"
            for name in self.get_metadata(QualifiedNameProvider, call.func, set())
        )
        if not (isinstance(call, cst.Call) and builtin and self.is_next_call(call)):
            self.refuse(
                f"`{self.symbol}` (an `itertools.count`) is used other than as "
                f"`next({self.symbol})` in {where}; only `next` becomes `incr()`"
            )
        if self.count is None:
            self.refuse(
                f"the definition of `{self.symbol}` cannot be read from here, so the step "
                f"of `next({self.symbol})` in {where} is unknown"
            )
        assert isinstance(call, cst.Call)
        self.next_calls.add(id(call))

    def is_definition(self, ref: cst.CSTNode) -> bool:
        target = self.parent(ref)
        small = self.parent(target)
        line = self.parent(small) if small is not None else None
        if not (
            self.defines_here
            and isinstance(target, cst.AssignTarget)
            and isinstance(small, cst.Assign)
            and isinstance(line, cst.SimpleStatementLine)
            and isinstance(self.parent(line), cst.Module)
            and self.definition is None
        ):
            return False
        value = small.value
        func = code_of(value.func) if isinstance(value, cst.Call) else ""
        scalar = isinstance(value, (cst.Integer, cst.UnaryOperation))
        if (
            isinstance(value, cst.Call)
            and func == "count"
            and not any(
                name.name == "itertools.count"
                for name in self.get_metadata(QualifiedNameProvider, value.func, set())
            )
        ):
            self.refuse(f"`{self.symbol}` is defined with a `count` that is not `itertools.count`")
        if not (
            self.already_bound(value)
            or scalar
            or func in MAPPING_DEFINITIONS
            or func in COUNT_CALLS
            or isinstance(value, cst.Dict)
        ):
            self.refuse(
                f"`{self.symbol}` is defined as `{code_of(value)}`; only an int, a "
                f"`defaultdict(int)`, a `Counter()` or a dict becomes a store counter"
            )
        self.definition = small
        return True

    def check_get(self, ref: cst.CSTNode, attribute: cst.Attribute, where: str) -> None:
        call = self.parent(attribute)
        if isinstance(call, cst.Call) and len(call.args) == 2 and not _is_zero(call.args[1].value):
            self.refuse(f"{where} reads `{self.symbol}` with a default other than 0")
        if isinstance(call, cst.Call) and call.args:
            self.time_keyed(call.args[0].value, ref, where)

    def classify_item(self, ref: cst.CSTNode, parent: cst.CSTNode | None, where: str) -> None:
        if not (isinstance(parent, cst.Subscript) and parent.value is ref):
            self.refuse(
                f"{where} reads `{self.symbol}` as a whole; the store counter only "
                f"counts single keys (no iteration, `len`, `in` or `items()`)"
            )
        key = single_key(parent)
        if key is None:
            self.refuse(f"`{self.symbol}` is sliced in {where}")
        self.time_keyed(key, ref, where)
        holder = self.parent(parent)
        if isinstance(holder, cst.AugAssign) and holder.target is parent:
            self.method_for(holder.operator)
            if len(_line_of(self, holder).body) != 1:
                self.refuse(f"{where} counts on a line with several statements; split it first")
        elif isinstance(holder, cst.AssignTarget):
            assign = self.parent(holder)
            if not (isinstance(assign, cst.Assign) and self.addition_of(parent, assign.value)):
                self.refuse(
                    f"{where} sets a count to a value; a counter only counts up and down "
                    f"(a hand-made window? use `{self.symbol}.hit(key, limit, window)`)"
                )
        elif isinstance(holder, (cst.Del, cst.AnnAssign)) or isinstance(holder, cst.Subscript):
            self.refuse(f"{where} deletes or nests a count; the store counter holds one int a key")

    def addition_of(self, target: cst.Subscript, value: cst.BaseExpression) -> bool:
        """True for ``H[k] + n`` / ``H.get(k, 0) + n`` of the same key; marks them consumed."""
        if not (isinstance(value, cst.BinaryOperation) and isinstance(value.operator, cst.Add)):
            return False
        left = value.left
        same_item = isinstance(left, cst.Subscript) and code_of(left) == code_of(target)
        same_get = (
            isinstance(left, cst.Call)
            and isinstance(left.func, cst.Attribute)
            and code_of(left.func.value) == code_of(target.value)
            and left.func.attr.value == "get"
            and len(left.args) == 2
            and _is_zero(left.args[1].value)
            and code_of(left.args[0].value) == code_of(single_key(target) or target)
        )
        if same_item:
            assert isinstance(left, cst.Subscript)
            self.consumed.add(id(left.value))
        if same_get:
            assert isinstance(left, cst.Call) and isinstance(left.func, cst.Attribute)
            self.consumed.add(id(left.func.value))
        return same_item or same_get

    def time_keyed(self, key: cst.BaseExpression, ref: cst.CSTNode, where: str) -> None:
        function = next((a for a in self.ancestors(ref) if isinstance(a, cst.FunctionDef)), None)
        clocked = _clock_names(function) if function is not None else set()
        if names_in(key) & clocked or _reads_clock(key):
            self.refuse(
                f"{where} keys `{self.symbol}` by the clock: a hand-made rate limit this "
                f"codemod does not recognise; rewrite it with "
                f"`{self.symbol}.hit(key, limit, window)` by hand"
            )

    # -- rewriting ---------------------------------------------------------------------------

    def leave_Assign(
        self, original_node: cst.Assign, updated_node: cst.Assign
    ) -> cst.BaseSmallStatement:
        if original_node is self.definition and not self.already_bound(original_node.value):
            self.add_needed_import(self.runtime, self.FACTORY)
            old = original_node.value
            if self.count is not None:
                # Only the import this definition spelled goes, and only when nothing else uses it.
                if _count_spelling(old) == "count":
                    self.remove_unused_import("itertools", "count")
                else:
                    self.remove_unused_import("itertools")
                return updated_node.with_changes(
                    value=factory_call(self.FACTORY, self.symbol, None, start=self.count.start)
                )
            if self.module_shape == "scalar":
                return updated_node.with_changes(
                    value=factory_call(self.FACTORY, self.symbol, None, start=old)
                )
            return updated_node.with_changes(value=factory_call(self.FACTORY, self.symbol, old))
        target = original_node.targets[0].target if len(original_node.targets) == 1 else None
        if (
            self.module_shape == "mapping"
            and isinstance(target, cst.Subscript)
            and self.refers_to_component(target.value)
            and isinstance(original_node.value, cst.BinaryOperation)
        ):
            call = self.count_call(target, "incr", original_node.value.right)
            return self.counted(original_node, call)
        return updated_node

    def counted(self, increment: cst.CSTNode, call: cst.Call) -> cst.BaseSmallStatement:
        """The increment as a statement: the call alone, or its value kept in a local."""
        name = self.bound_counts.get(id(increment))
        if name is None:
            return cst.Expr(call)
        return cst.Assign([cst.AssignTarget(cst.Name(name))], call)

    def inline_increment(self, read: cst.CSTNode) -> cst.Call:
        target, small = self.inlined[id(read)]
        if isinstance(small, cst.AugAssign):
            return self.count_call(target, self.method_for(small.operator), small.value)
        assert isinstance(small.value, cst.BinaryOperation)
        return self.count_call(target, "incr", small.value.right)

    def leave_AugAssign(
        self, original_node: cst.AugAssign, updated_node: cst.AugAssign
    ) -> cst.BaseSmallStatement:
        target = original_node.target
        if (
            self.module_shape == "mapping"
            and isinstance(target, cst.Subscript)
            and self.refers_to_component(target.value)
        ):
            method = self.method_for(original_node.operator)
            return self.counted(original_node, self.count_call(target, method, original_node.value))
        return updated_node

    def count_call(
        self, target: cst.Subscript, method: str, amount: cst.BaseExpression
    ) -> cst.Call:
        key = single_key(target)
        assert key is not None
        keywords = {} if _is_one(amount) else {"amount": amount}
        return build_call(cst.Attribute(target.value, cst.Name(method)), [key], **keywords)

    def leave_Subscript(
        self, original_node: cst.Subscript, updated_node: cst.Subscript
    ) -> cst.BaseExpression:
        if id(original_node) in self.count_reads:
            return self.count_read(original_node)
        value = original_node.value
        if (
            self.module_shape == "mapping"
            and self.refers_to_component(value)
            and id(value) not in self.consumed
        ):
            key = single_key(original_node)
            assert key is not None
            return build_call(cst.Attribute(value, cst.Name("get")), [key])
        return updated_node

    def count_read(self, read: cst.CSTNode) -> cst.BaseExpression:
        name = self.count_reads[id(read)]
        return cst.Name(name) if name is not None else self.inline_increment(read)

    def leave_Call(self, original_node: cst.Call, updated_node: cst.Call) -> cst.BaseExpression:
        if id(original_node) in self.count_reads:
            return self.count_read(original_node)
        if id(original_node) in self.next_calls and self.count is not None:
            step = self.count.step
            keywords = {} if step == 1 else {"amount": cst.parse_expression(str(step))}
            receiver = updated_node.args[0].value
            return build_call(cst.Attribute(receiver, cst.Name("incr")), [], **keywords)
        func = original_node.func
        if (
            isinstance(func, cst.Attribute)
            and func.attr.value == "get"
            and self.refers_to_component(func.value)
            and len(original_node.args) == 2
        ):
            first = updated_node.args[0].with_changes(comma=cst.MaybeSentinel.DEFAULT)
            return updated_node.with_changes(args=[first])
        return updated_node

    def leave_Name(self, original_node: cst.Name, updated_node: cst.Name) -> cst.BaseExpression:
        return self.scalar_read(original_node, updated_node)

    def leave_Attribute(
        self, original_node: cst.Attribute, updated_node: cst.Attribute
    ) -> cst.BaseExpression:
        return self.scalar_read(original_node, updated_node)

    def scalar_read(
        self, original: cst.Name | cst.Attribute, updated: cst.BaseExpression
    ) -> cst.BaseExpression:
        if id(original) in self.local_reads:
            return cst.Name(self.local_reads[id(original)])
        if (
            self.module_shape != "scalar"
            or id(original) in self.consumed
            or not self.refers_to_component(original)
            or isinstance(self.parent(original), (cst.Attribute, cst.AssignTarget))
        ):
            return updated
        return build_call(cst.Attribute(updated, cst.Name("get")), [])

    def leave_Global(self, original_node: cst.Global, updated_node: cst.Global) -> cst.Global:
        kept = [item for item in updated_node.names if item.name.value not in self.aliases]
        if not kept or len(kept) == len(updated_node.names):
            return updated_node  # a line of only ``global COUNTER`` goes in ``rewrite_block``
        kept[-1] = kept[-1].with_changes(comma=cst.MaybeSentinel.DEFAULT)
        return updated_node.with_changes(names=kept)

    def leave_Module(self, original_node: cst.Module, updated_node: cst.Module) -> cst.Module:
        body = self.rewrite_block(original_node.body, updated_node.body)
        if self.count is not None and self.definition is not None:
            body = self.spacing_kept_for_count_import(original_node, body)
        return updated_node.with_changes(body=body)

    def spacing_kept_for_count_import(
        self, module: cst.Module, body: list[cst.BaseStatement]
    ) -> list[cst.BaseStatement]:
        """Move the blank lines and comments above a lone ``import itertools`` (or ``from
        itertools import count``) that goes unused onto the next line, which libcst's import
        removal would otherwise drop with it."""
        definition = self.definition.value if self.definition is not None else None
        # Names in import lines and in the definition's `itertools.count` do not count as uses.
        skipped = {id(n) for n in _all(module, cst.Import, cst.ImportFrom)}
        if isinstance(definition, cst.Call):
            skipped.add(id(definition.func))
        outside = [
            n
            for n in _all(module, cst.Name)
            if id(n) not in skipped and not any(id(a) in skipped for a in self.ancestors(n))
        ]
        spelling = _count_spelling(definition)
        for index, line in enumerate(body[:-1]):
            small = _only(line)
            lone = _lone_import(small) if small is not None else None
            if lone != spelling or any(n.value == lone for n in outside):
                continue
            assert isinstance(line, cst.SimpleStatementLine)
            following = body[index + 1]
            carried = [*line.leading_lines, *getattr(following, "leading_lines", ())]
            body[index + 1] = following.with_changes(leading_lines=carried)
            body[index] = line.with_changes(leading_lines=())
        return body

    def leave_IndentedBlock(
        self, original_node: cst.IndentedBlock, updated_node: cst.IndentedBlock
    ) -> cst.IndentedBlock:
        return updated_node.with_changes(
            body=self.rewrite_block(original_node.body, updated_node.body)
        )

    def rewrite_block(
        self, original: Sequence[cst.BaseStatement], updated: Sequence[cst.BaseStatement]
    ) -> list[cst.BaseStatement]:
        out: list[cst.BaseStatement] = []
        for before, after in zip(original, updated, strict=True):
            if id(before) in self.dropped or self.only_global(before):
                continue
            increment = self.increments.get(id(before))
            limit = self.rate_limits.get(id(before))
            if increment is not None:
                out.append(self.increment_line(before, increment))
            elif limit is not None:
                out.append(self.rate_limit_line(before, limit))
            else:
                out.append(after)
        return out

    def only_global(self, line: cst.BaseStatement) -> bool:
        small = _only(line)
        return isinstance(small, cst.Global) and all(
            item.name.value in self.aliases for item in small.names
        )

    def increment_line(self, line: cst.BaseStatement, increment: Increment) -> cst.BaseStatement:
        assert isinstance(line, cst.SimpleStatementLine)
        receiver = cst.parse_expression(increment.receiver)
        keywords = {} if _is_one(increment.amount) else {"amount": increment.amount}
        call = build_call(cst.Attribute(receiver, cst.Name(increment.method)), [], **keywords)
        small: cst.BaseSmallStatement = cst.Expr(call)
        if increment.target is not None:
            small = cst.Assign([cst.AssignTarget(cst.Name(increment.target))], call)
        return line.with_changes(body=[small])

    def rate_limit_line(self, line: cst.BaseStatement, limit: RateLimit) -> cst.BaseStatement:
        assert isinstance(line, cst.SimpleStatementLine)
        receiver = cst.parse_expression(limit.receiver)
        call: cst.BaseExpression = build_call(
            cst.Attribute(receiver, cst.Name("hit")),
            [limit.key],
            limit=limit.limit,
            window=limit.window,
        )
        if limit.negate:
            call = cst.UnaryOperation(cst.Not(), call)
        return line.with_changes(body=[cst.Return(call)])


def count_arguments(
    value: cst.BaseExpression | None, refuse: Callable[[str], NoReturn]
) -> CountArguments | None:
    """The store counter for ``itertools.count(start=0, step=1)``; None for other values.

    ``next`` returns ``start`` first and ``incr(amount=step)`` returns ``start + step`` first, so
    the counter starts one step early. ``refuse`` is called for a step that is not an int literal
    or a start that is a float.
    """
    if not (isinstance(value, cst.Call) and code_of(value.func) in COUNT_CALLS):
        return None
    given: dict[str, cst.BaseExpression] = {}
    for position, arg in enumerate(value.args):
        if arg.star:
            refuse(f"`{code_of(value)}` passes its arguments with `*`; spell them out first")
        name = arg.keyword.value if arg.keyword else ("start", "step")[min(position, 1)]
        given[name] = arg.value
    start = given.get("start", cst.Integer("0"))
    step = _int_literal(given.get("step", cst.Integer("1")))
    if (
        step is None
        or isinstance(start, cst.Float)
        or (isinstance(start, cst.UnaryOperation) and isinstance(start.expression, cst.Float))
    ):
        refuse(
            f"`{code_of(value)}` does not count in whole steps written as a number; a store "
            f"counter needs an int start and a literal int step"
        )
    first = _int_literal(start)
    if first is not None:
        return CountArguments(cst.parse_expression(str(first - step)), step)
    operator: cst.BaseBinaryOp = cst.Subtract() if step > 0 else cst.Add()
    return CountArguments(cst.BinaryOperation(start, operator, cst.Integer(str(abs(step)))), step)


def _int_literal(node: cst.BaseExpression) -> int | None:
    if isinstance(node, cst.Integer):
        return int(node.evaluated_value)
    if (
        isinstance(node, cst.UnaryOperation)
        and isinstance(node.operator, cst.Minus)
        and isinstance(node.expression, cst.Integer)
    ):
        return -int(node.expression.evaluated_value)
    return None


def _all(node: cst.CSTNode, *kinds: type[NodeT]) -> list[NodeT]:
    """Every node of the given kinds under ``node`` (original nodes, in source order)."""
    found: list[NodeT] = []

    class _Collect(cst.CSTVisitor):
        def on_visit(self, child: cst.CSTNode) -> bool:
            if isinstance(child, kinds):
                found.append(child)
            return True

    node.visit(_Collect())
    return found


def _count_spelling(definition: cst.BaseExpression | None) -> str | None:
    """``itertools`` for ``itertools.count(...)``, ``count`` for ``count(...)``."""
    if not isinstance(definition, cst.Call):
        return None
    return "count" if code_of(definition.func) == "count" else "itertools"


def _lone_import(small: cst.BaseSmallStatement) -> str | None:
    """``itertools`` for ``import itertools``, ``count`` for ``from itertools import count``."""
    if isinstance(small, cst.Import) and len(small.names) == 1:
        alias = small.names[0]
        if alias.asname is None and code_of(alias.name) == "itertools":
            return "itertools"
    if (
        isinstance(small, cst.ImportFrom)
        and small.module is not None
        and code_of(small.module) == "itertools"
        and not small.relative
        and not isinstance(small.names, cst.ImportStar)
        and len(small.names) == 1
        and small.names[0].asname is None
        and code_of(small.names[0].name) == "count"
    ):
        return "count"
    return None


def _only(line: cst.BaseStatement) -> cst.BaseSmallStatement | None:
    if isinstance(line, cst.SimpleStatementLine) and len(line.body) == 1:
        return line.body[0]
    return None


def _line_of(codemod: ComponentCodemod, small: cst.CSTNode) -> cst.SimpleStatementLine:
    line = codemod.parent(small)
    assert isinstance(line, cst.SimpleStatementLine)
    return line


def _is_one(node: cst.BaseExpression) -> bool:
    return isinstance(node, cst.Integer) and node.evaluated_value == 1


def _is_zero(node: cst.BaseExpression) -> bool:
    return isinstance(node, cst.Integer) and node.evaluated_value == 0


def _limit(
    operator: cst.BaseCompOp, comparator: cst.BaseExpression
) -> tuple[cst.BaseExpression | None, bool]:
    """``count OP limit`` as (the most hits allowed, whether ``hit`` must be negated)."""
    minus_one: cst.BaseExpression = (
        cst.Integer(str(comparator.evaluated_value - 1))
        if isinstance(comparator, cst.Integer)
        else cst.BinaryOperation(comparator, cst.Subtract(), cst.Integer("1"))
    )
    if isinstance(operator, cst.LessThanEqual):
        return comparator, False
    if isinstance(operator, cst.GreaterThan):
        return comparator, True
    if isinstance(operator, cst.LessThan):
        return minus_one, False
    if isinstance(operator, cst.GreaterThanEqual):
        return minus_one, True
    return None, False


def _simple_assignments(lines: Sequence[cst.BaseStatement]) -> dict[str, cst.BaseExpression]:
    found: dict[str, cst.BaseExpression] = {}
    for line in lines:
        small = _only(line)
        if isinstance(small, cst.Assign) and len(small.targets) == 1:
            target = small.targets[0].target
            if isinstance(target, cst.Name):
                found[target.value] = small.value
    return found


def _reads_clock(node: cst.CSTNode) -> bool:
    return any(
        isinstance(call, cst.Call) and code_of(call.func) in CLOCK_CALLS
        for call in _all(node, cst.Call)
    )


def _clock_names(function: cst.FunctionDef) -> set[str]:
    """Locals whose value comes from the clock, directly or through other such locals."""
    assignments = [
        (code_of(t.target), small.value)
        for small in _all(function, cst.Assign)
        if isinstance(small, cst.Assign)
        for t in small.targets
        if isinstance(t.target, cst.Name)
    ]
    clocked: set[str] = set()
    changed = True
    while changed:
        changed = False
        for name, value in assignments:
            if name not in clocked and (_reads_clock(value) or names_in(value) & clocked):
                clocked.add(name)
                changed = True
    return clocked


def _window_of(
    expression: cst.BaseExpression, assigned: dict[str, cst.BaseExpression], used: list[str]
) -> cst.BaseExpression | None:
    """W for ``int(T // W)``, ``int(T) // W`` or ``T // W``; T is the clock or a clock local."""
    if (
        isinstance(expression, cst.Call)
        and code_of(expression.func) == "int"
        and len(expression.args) == 1
    ):
        expression = expression.args[0].value
    if not (
        isinstance(expression, cst.BinaryOperation)
        and isinstance(expression.operator, cst.FloorDivide)
    ):
        return None
    clock = expression.left
    if isinstance(clock, cst.Call) and code_of(clock.func) == "int" and len(clock.args) == 1:
        clock = clock.args[0].value
    if isinstance(clock, cst.Name) and clock.value in assigned:
        used.append(clock.value)
        clock = assigned[clock.value]
    if isinstance(clock, cst.Call) and code_of(clock.func) in CLOCK_CALLS and not clock.args:
        return expression.right
    return None


def _outside_functions(line: cst.CSTNode) -> list[cst.CSTNode]:
    """Every node of a statement, not those of functions or lambdas defined in it (they run
    later, when the count may have moved on)."""
    found: list[cst.CSTNode] = []

    class _Collect(cst.CSTVisitor):
        def on_visit(self, node: cst.CSTNode) -> bool:
            if isinstance(node, (cst.FunctionDef, cst.Lambda, cst.ClassDef)):
                return False
            found.append(node)
            return True

    line.visit(_Collect())
    return found


def _first_computed(line: cst.BaseStatement) -> cst.CSTNode | None:
    """The expression a statement evaluates first, when that is plain to see: the leftmost
    operand of the test of an ``if``/``while``, of a ``return``, or of an expression statement."""
    if isinstance(line, (cst.If, cst.While)):
        node: cst.CSTNode | None = line.test
    else:
        small = _only(line)
        node = getattr(small, "value", None) if isinstance(small, (cst.Return, cst.Expr)) else None
    while isinstance(node, (cst.Comparison, cst.BinaryOperation, cst.BooleanOperation)):
        node = node.left
    return node
