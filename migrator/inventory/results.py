"""What a function gives back, as the generated runtime's codec sees it: a fact of the scan.

A memo moves onto a store only when what it keeps can be stored there: the runtime writes
JSON with a small type envelope (None, bool, int, float, str, list, dict, tuple, set,
frozenset, datetime, date, time, Decimal, UUID, bytes) and never pickles. This module reads
a function's return annotation, its `return` expressions and what it puts into containers by
key (`C[k] = v`, `C.setdefault(k, v)`) or into their values (`C[k]["x"] = v`, `C[k].append(v)`,
and the same through a local bound to `C[k]`, `C.get(k)` or `C.setdefault(k, d)`), and says of
each: storable ("ok"), not storable
("no", with the type), a call to resolve against the project ("calls", with the callee), or
unknown ("unknown", with the expression). Anything it cannot show storable is not storable.
"""

from __future__ import annotations

import ast
from collections.abc import Callable, Iterator
from typing import Any, NamedTuple

# (verdict, what): ("ok", ""), ("no", "ParsedQuery"), ("calls", "shop.db.load"), ("unknown", "x.y")
Verdict = tuple[str, str]
OK: Verdict = ("ok", "")


class Results(NamedTuple):
    """What one function returns and what it stores into containers by key."""

    annotation: Verdict | None  # its return annotation, when it has one
    returns: tuple[Verdict, ...]  # each `return` (a bare one returns None); a generator: "no"
    stores: tuple[tuple[str, Verdict], ...]  # (container as written, what goes into it)


# Names in annotations of values the codec carries (`Any` only inside a container).
STORABLE_ANNOTATIONS = frozenset(
    """None NoneType bool int float str bytes bytearray list dict tuple set frozenset List Dict
    Tuple Set FrozenSet Optional Union Literal Any Sequence MutableSequence Mapping
    MutableMapping AbstractSet MutableSet Collection datetime date time Decimal UUID Final""".split()
)
# Calls whose result the codec carries, by the name they resolve to.
STORABLE_CALLS = frozenset(
    """str int float bool len repr round abs sum ord chr format hash hex oct bin isinstance
    issubclass hasattr callable any all divmod pow id json.loads json.load json.dumps
    decimal.Decimal uuid.UUID uuid.uuid4 uuid.uuid5 datetime.datetime datetime.date
    datetime.time datetime.datetime.now datetime.datetime.utcnow datetime.datetime.fromisoformat
    datetime.date.today datetime.date.fromisoformat time.time time.monotonic os.getenv
    os.environ.get os.listdir os.path.join os.path.exists os.path.isfile os.path.isdir
    os.path.basename os.path.dirname os.path.abspath os.path.realpath os.path.getmtime
    os.path.getsize base64.b64encode base64.b64decode base64.urlsafe_b64encode
    base64.urlsafe_b64decode urllib.parse.quote urllib.parse.quote_plus urllib.parse.unquote
    urllib.parse.urlencode urllib.parse.urljoin urllib.parse.parse_qs html.escape
    shlex.quote""".split()
)
# Builtins that build a container from their arguments: storable when what goes in is.
CONTAINER_CALLS = frozenset("list tuple set frozenset dict sorted".split())
# Calls whose result the codec cannot carry, or brings back as another type.
UNSTORABLE_CALLS = {
    "re.compile": "re.Pattern",
    "open": "file",
    "iter": "iterator",
    "map": "map",
    "filter": "filter",
    "zip": "zip",
    "enumerate": "enumerate",
    "range": "range",
    "reversed": "iterator",
    "object": "object",
    "collections.defaultdict": "defaultdict",
    "collections.OrderedDict": "OrderedDict",
    "collections.Counter": "Counter",
    "collections.deque": "deque",
}
# Methods that return plain data whatever they are called on (strings, JSON bodies, hashes).
STORABLE_METHODS = frozenset(
    """json hexdigest isoformat strftime format join lower upper strip lstrip rstrip replace
    split rsplit splitlines decode encode title capitalize casefold count startswith endswith
    isdigit isalpha exists model_dump total_seconds timestamp""".split()
)
UNSTORABLE_METHODS = {"keys": "dict view", "values": "dict view", "items": "dict view"}
# The last name of the decorators that keep results: functools, cachetools, and the like.
MEMO_DECORATOR_NAMES = frozenset(
    "lru_cache cache cached ttl_cache lfu_cache fifo_cache rr_cache mru_cache memoize".split()
)
_NESTED = (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)
_BLOCKS = ("body", "orelse", "finalbody")
_MAX_DEPTH = 6


def is_memoised(decorators: tuple[tuple[Any, ...], ...]) -> bool:
    """Whether a function's decorators (as the scan summarises them) include a memo's."""
    return any(
        d[0] in ("name", "call") and str(d[1]).rpartition(".")[2] in MEMO_DECORATOR_NAMES
        for d in decorators
    )


def function_results(
    node: ast.FunctionDef | ast.AsyncFunctionDef, resolve: Callable[[str], str]
) -> Results:
    """The results of one function; `resolve` maps a dotted name through the module's imports."""
    reader = _Reader(node, resolve)
    annotation = annotation_verdict(node.returns, resolve) if node.returns else None
    return Results(annotation, reader.returns(), reader.stores())


def annotation_verdict(node: ast.expr, resolve: Callable[[str], str]) -> Verdict:
    """Whether values of an annotated type can be stored."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        text = node.value
        try:
            node = ast.parse(text, mode="eval").body
        except SyntaxError:
            return ("unknown", text)
    chain = _dotted(node)
    if chain is not None and chain.rpartition(".")[2] in ("Any", "object"):
        return ("unknown", chain)  # says nothing about the values
    for name in _annotation_names(node):
        last = name.rpartition(".")[2]
        if last not in STORABLE_ANNOTATIONS and resolve(name) not in STORABLE_CALLS:
            return ("no", name)
    return OK


def _annotation_names(node: ast.expr) -> Iterator[str]:
    if type(node) is ast.Subscript and _dotted(node.value) in ("Literal", "typing.Literal"):
        return  # literal values, not types
    if type(node) is ast.Constant:
        if isinstance(node.value, str):  # a forward reference inside the annotation
            try:
                yield from _annotation_names(ast.parse(node.value, mode="eval").body)
            except SyntaxError:
                yield node.value
        return
    chain = _dotted(node)
    if chain is not None:
        yield chain
        return
    for child in ast.iter_child_nodes(node):
        if isinstance(child, ast.expr):
            yield from _annotation_names(child)


class _Reader:
    """One function's own statements (not those of functions or classes nested in it)."""

    def __init__(
        self, node: ast.FunctionDef | ast.AsyncFunctionDef, resolve: Callable[[str], str]
    ) -> None:
        self.resolve = resolve
        self.is_async = type(node) is ast.AsyncFunctionDef
        args = node.args
        self.params = {a.arg for a in args.posonlyargs + args.args + args.kwonlyargs}
        self.params.update(a.arg for a in (args.vararg, args.kwarg) if a is not None)
        self.assigned: dict[str, list[ast.expr | None]] = {}  # None: bound by a loop or `with`
        self.returned: list[ast.expr | None] = []
        self.stored: list[tuple[str, ast.expr]] = []
        self.entries: dict[str, str] = {}  # local -> the container whose value it was bound to
        self.generator = False
        # Each local's and container's verdict, found once (names refer to each other).
        self.found: dict[tuple[str, bool], Verdict] = {}
        for statement in _own_statements(node):
            self._note(statement)

    def _note(self, node: ast.stmt) -> None:
        t = type(node)
        if t is ast.Return:
            value = node.value  # type: ignore[attr-defined]
            self.returned.append(value)
            self._expression(value)
        elif t is ast.Assign or t is ast.AnnAssign:
            targets = node.targets if t is ast.Assign else [node.target]  # type: ignore[attr-defined]
            value = node.value  # type: ignore[attr-defined]
            for target in targets:
                self._bind(target, value)
            self._expression(value)
        elif t is ast.AugAssign and type(node.target) is ast.Name:  # type: ignore[attr-defined]
            # `items += [x]`: what is added is among what the name holds.
            self._bind(node.target, node.value)  # type: ignore[attr-defined]
        elif t is ast.Expr:
            self._expression(node.value)  # type: ignore[attr-defined]
        elif t is ast.For or t is ast.AsyncFor:
            self._bind(node.target, None)  # type: ignore[attr-defined]
        elif t is ast.With or t is ast.AsyncWith:
            for item in node.items:  # type: ignore[attr-defined]
                if item.optional_vars is not None:
                    self._bind(item.optional_vars, None)

    def _expression(self, node: ast.expr | None) -> None:
        """What a statement's own expression does: yield, or put a value by `setdefault`."""
        t = type(node)
        if t is ast.Await:
            node = node.value  # type: ignore[union-attr]
            t = type(node)
        if t is ast.Yield or t is ast.YieldFrom:
            self.generator = True
        elif t is ast.Call:
            func = node.func  # type: ignore[union-attr]
            if type(func) is not ast.Attribute or not node.args:  # type: ignore[union-attr]
                return
            owner = self.owner_of(func.value)
            if owner is None:
                return
            if func.attr == "setdefault" and len(node.args) == 2:  # type: ignore[union-attr]
                self.stored.append((owner, node.args[1]))  # type: ignore[union-attr]
            elif func.attr in _PUTTING_METHODS and (
                type(func.value) is ast.Subscript
                or (type(func.value) is ast.Name and func.value.id in self.entries)
            ):
                # `C[k].append(v)`, `entry.update(v)`: what goes into one of C's values.
                self.stored.append((owner, node.args[-1]))  # type: ignore[union-attr]

    def owner_of(self, node: ast.expr) -> str | None:
        """The container under `C`, `C[k][j]` or a local bound to one of C's values."""
        while type(node) is ast.Subscript:
            node = node.value  # type: ignore[attr-defined]
        if type(node) is ast.Name and node.id in self.entries:  # type: ignore[attr-defined]
            return self.entries[node.id]  # type: ignore[attr-defined]
        return _dotted(node)

    def _bind(self, target: ast.expr, value: ast.expr | None) -> None:
        t = type(target)
        if t is ast.Name:
            self.assigned.setdefault(target.id, []).append(value)  # type: ignore[attr-defined]
            entry_of = _entry_of(value) if value is not None else None
            if entry_of is not None:
                self.entries[target.id] = entry_of  # type: ignore[attr-defined]
        elif t is ast.Subscript and value is not None:
            owner = self.owner_of(target.value)  # type: ignore[attr-defined]
            if owner is not None:
                self.stored.append((owner, value))
        elif t is ast.Tuple or t is ast.List:
            for element in target.elts:  # type: ignore[attr-defined]
                self._bind(element, None)  # unpacked: what each part is, is not known here
        elif t is ast.Starred:
            self._bind(target.value, None)  # type: ignore[attr-defined]

    def returns(self) -> tuple[Verdict, ...]:
        if self.generator:
            return (("no", "generator"),)
        if self.is_async:
            return (("no", "coroutine"),)  # what a memo of an `async def` keeps
        if not self.returned:
            return (OK,)  # None
        return tuple(OK if v is None else self.verdict(v, top=True) for v in self.returned)

    def stores(self) -> tuple[tuple[str, Verdict], ...]:
        return tuple((owner, self.verdict(value, top=True)) for owner, value in self.stored)

    def verdict(self, node: ast.expr, top: bool = False, depth: int = 0) -> Verdict:
        """`top`: the whole result, where a call is left for the project to resolve."""
        if depth > _MAX_DEPTH:
            return _unknown(node)
        deeper = depth + 1
        t = type(node)
        if t is ast.Constant:
            kind = type(node.value)  # type: ignore[attr-defined]
            storable = kind in (str, int, float, bool, bytes, type(None))
            return OK if storable else ("no", kind.__name__)
        if t is ast.JoinedStr or t is ast.Compare:
            return OK
        if t in (ast.List, ast.Tuple, ast.Set):
            return self.all_of(node.elts, deeper)  # type: ignore[attr-defined]
        if t is ast.Dict:
            keys = [k for k in node.keys if k is not None]  # type: ignore[attr-defined]
            return self.all_of([*keys, *node.values], deeper)  # type: ignore[attr-defined]
        if t is ast.ListComp or t is ast.SetComp:
            return self.all_of([node.elt], deeper)  # type: ignore[attr-defined]
        if t is ast.DictComp:
            return self.all_of([node.key, node.value], deeper)  # type: ignore[attr-defined]
        if t is ast.GeneratorExp:
            return ("no", "generator")
        if t is ast.Lambda:
            return ("no", "function")
        if t is ast.BoolOp:
            return self.all_of(node.values, deeper)  # type: ignore[attr-defined]
        if t is ast.IfExp:
            return self.all_of([node.body, node.orelse], deeper)  # type: ignore[attr-defined]
        if t is ast.UnaryOp:
            if type(node.op) is ast.Not:  # type: ignore[attr-defined]
                return OK
            return self.verdict(node.operand, False, deeper)  # type: ignore[attr-defined]
        if t is ast.BinOp:
            left = node.left  # type: ignore[attr-defined]
            if type(node.op) is ast.Mod and (  # type: ignore[attr-defined]
                type(left) is ast.JoinedStr
                or (type(left) is ast.Constant and isinstance(left.value, str))
            ):
                return OK  # `"%s" % x` formats a string
            return self.all_of([left, node.right], deeper)  # type: ignore[attr-defined]
        if t is ast.Name:
            return self.name_verdict(node, top, deeper)  # type: ignore[arg-type]
        if t is ast.Subscript:
            owner = _dotted(node.value)  # type: ignore[attr-defined]
            if owner is None:
                return _unknown(node)
            return self.item_verdict(node, owner, top, deeper)  # type: ignore[arg-type]
        if t is ast.Call:
            return self.call_verdict(node, top, deeper)  # type: ignore[arg-type]
        return _unknown(node)

    def all_of(self, nodes: list[ast.expr], depth: int, top: bool = False) -> Verdict:
        """Storable when every part is: the first part that is not says why."""
        worst: Verdict = OK
        for node in nodes:
            found = self.verdict(node, top and len(nodes) == 1, depth)
            if found[0] == "no":
                return found
            if found[0] == "calls" and not (top and len(nodes) == 1):
                found = _unknown(node)  # only a whole result is resolved against the project
            if worst == OK:
                worst = found
        return worst

    def name_verdict(self, node: ast.Name, top: bool, depth: int) -> Verdict:
        key = (node.id, top)
        known = self.found.get(key)
        if known is None:
            self.found[key] = _unknown(node)  # what a name is assigned from itself says nothing
            values = self.assigned.get(node.id)
            if node.id not in self.params and values and all(v is not None for v in values):
                self.found[key] = self.all_of(values, depth, top)  # type: ignore[arg-type]
            known = self.found[key]
        return known

    def item_verdict(self, node: ast.Subscript, owner: str, top: bool, depth: int) -> Verdict:
        """`C[k]`: what this function stores into `C`, when it stores anything."""
        key = ("[]" + owner, top)
        known = self.found.get(key)
        if known is None:
            self.found[key] = _unknown(node)
            values = [v for o, v in self.stored if o == owner]
            if values:
                self.found[key] = self.all_of(values, depth, top)
            known = self.found[key]
        return known

    def call_verdict(self, node: ast.Call, top: bool, depth: int) -> Verdict:
        chain = _dotted(node.func)
        if chain is None:
            method = node.func.attr if type(node.func) is ast.Attribute else ""  # `get(u).json()`
            return self.method_verdict(node, method)
        name = self.resolve(chain)
        last = name.rpartition(".")[2]
        if name in STORABLE_CALLS:
            return OK
        if name in UNSTORABLE_CALLS:
            return ("no", UNSTORABLE_CALLS[name])
        if name in CONTAINER_CALLS:  # `sorted(rows, key=...)`: only `dict(a=1)` keeps keywords
            keywords = [k.value for k in node.keywords] if name == "dict" else []
            return self.all_of([*node.args, *keywords], depth)
        if "." in chain and chain == name:  # a method of an object: known by its name only
            return self.method_verdict(node, last)
        if last[:1].isupper():
            return ("no", last)  # a class: its instances are objects the codec cannot carry
        return ("calls", name) if top else _unknown(node)

    def method_verdict(self, node: ast.Call, method: str) -> Verdict:
        if method in STORABLE_METHODS:
            return OK
        if method in UNSTORABLE_METHODS:
            return ("no", UNSTORABLE_METHODS[method])
        return _unknown(node)


def _own_statements(function: ast.FunctionDef | ast.AsyncFunctionDef) -> Iterator[ast.stmt]:
    """Its statements, in blocks nested in it too, but not in functions or classes inside it
    (statements only: walking every expression would make this a large part of the scan)."""
    stack: list[ast.stmt] = list(reversed(function.body))
    while stack:
        node = stack.pop()
        if isinstance(node, _NESTED):
            continue
        yield node
        for field in _BLOCKS:
            block = getattr(node, field, None)
            if block:
                stack.extend(reversed(block))
        for handler in getattr(node, "handlers", ()):
            stack.extend(reversed(handler.body))
        for case in getattr(node, "cases", ()):
            stack.extend(reversed(case.body))


# Methods that put their (last) argument into the value they are called on.
_PUTTING_METHODS = frozenset({"append", "add", "insert", "extend", "update", "appendleft"})


def _entry_of(value: ast.expr) -> str | None:
    """`C` for a value read out of it whole: `C[k]`, `C.get(k)`, `C.setdefault(k, d)`, `C.get(k)
    or {}`."""
    if type(value) is ast.BoolOp:
        value = value.values[0]  # type: ignore[attr-defined]
    if type(value) is ast.Subscript:
        return _dotted(value.value)  # type: ignore[attr-defined]
    if (
        type(value) is ast.Call
        and type(value.func) is ast.Attribute  # type: ignore[attr-defined]
        and value.func.attr in ("get", "setdefault")  # type: ignore[attr-defined]
        and value.args  # type: ignore[attr-defined]
    ):
        return _dotted(value.func.value)  # type: ignore[attr-defined]
    return None


def _dotted(node: ast.AST) -> str | None:
    parts: list[str] = []
    while type(node) is ast.Attribute:
        parts.append(node.attr)  # type: ignore[attr-defined]
        node = node.value  # type: ignore[attr-defined]
    if type(node) is ast.Name:
        parts.append(node.id)  # type: ignore[attr-defined]
        return ".".join(reversed(parts))
    return None


def _unknown(node: ast.AST) -> Verdict:
    """The unknown verdict, naming the expression briefly (`get_rows(...)`, `row.name`)."""
    target = node.func if type(node) is ast.Call else node  # type: ignore[attr-defined]
    chain = _dotted(target)
    if chain is None:
        kind = type(target).__name__.lower()
        text = f"{'an' if kind[0] in 'aeiou' else 'a'} {kind} expression"
    else:
        text = chain + ("(...)" if target is not node else "")
    return ("unknown", text)
