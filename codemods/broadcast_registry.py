"""Move a websocket connection manager's broadcast onto the broadcast store.

Recognises the FastAPI/Starlette manager: a class whose `__init__` sets `self.<registry>` to an
empty list, set or dict, an `async` connect method that adds to it, and one `async` broadcast
method with one message parameter that loops over the registry and awaits
`ws.send_text/send_json/send_bytes/send(...)` on the loop's socket, anywhere in the loop's body
(inside a `try` that disconnects on failure too). The loop may run over `self.<registry>`,
`.values()` or `.items()`, or a copy of one (`list(...)`, `tuple(...)`, `set(...)`, `sorted(...)`),
and unpack entries (`for _, ws in list(self.active_connections)` over `(user, ws)` tuples).
Methods that take sockets out (`remove`, `discard`, `pop`, `del`, or rebinding the registry, as
`self.r = [e for e in self.r if ...]`) stay as they are. The sockets are live objects and stay in
the instance; the message crosses replicas::

    ACTIVE_CONNECTIONS_CHANNEL = broadcast("active_connections")

    class ConnectionManager:
        ...
        async def connect(self, websocket):
            await websocket.accept()
            self.active_connections.append(websocket)
            await self._subscribe_once()

        async def broadcast(self, message):
            ACTIVE_CONNECTIONS_CHANNEL.publish(message)

        async def _broadcast_here(self, message):
            for connection in self.active_connections:      # the original body
                await connection.send_text(message)

        async def _subscribe_once(self):
            ...  # subscribes a callback that runs _broadcast_here on this replica's event loop

The store calls subscribers on its listener thread, so the callback hands the coroutine to the
loop the sockets belong to (`asyncio.run_coroutine_threadsafe`), subscribing again when that loop
changes (an app started anew in the same process). Pub/sub keeps no history, so from `shadow` on
`connect` waits (off the loop, up to 5 s) until this replica hears the store before it returns.
`broadcast` returns once the message is published, not once every socket has it.

Methods that only read the registry and talk to no socket (`online()` listing who is connected)
stay, with a `# stateless:` comment and a warning: they now see this replica's sockets only.

Refuses, with the reason: a class instantiated more than once (each instance is a room that one
channel would merge), other methods that talk to sockets found in the registry (a message for a
socket on another replica needs routing), a broadcast with other parameters, and any other shape.
"""

from __future__ import annotations

from dataclasses import dataclass

import libcst as cst
import libcst.matchers as m
from libcst.codemod import CodemodContext
from libcst.metadata import PositionProvider

from ._checked_codemod import CheckedCodemod

SENDS = m.Name("send_text") | m.Name("send_json") | m.Name("send_bytes") | m.Name("send")
# Calls that talk to a socket: a method making one on a registry entry routes to that socket.
TALKS = SENDS | m.Name("close") | m.Name("receive_text") | m.Name("receive_json")
# Builtins that copy the registry before the loop, so a send failure may remove an entry.
COPIES = m.Name("list") | m.Name("tuple") | m.Name("set") | m.Name("sorted")
EMPTY = (
    m.List(elements=[])
    | m.Dict(elements=[])
    | m.Call(func=m.Name("list") | m.Name("set") | m.Name("dict"), args=[])
)
ADDS = m.Name("append") | m.Name("add")
REMOVES = m.Name("remove") | m.Name("discard") | m.Name("pop")


@dataclass(frozen=True)
class _Manager:
    """The parts of a recognised connection manager."""

    cls: cst.ClassDef
    registry: str
    init_statement: cst.BaseStatement  # where `self.<registry> = ...` is
    connect_statement: cst.BaseStatement  # where the socket is added
    broadcast: cst.FunctionDef
    local_readers: tuple[cst.FunctionDef, ...]  # read the registry, talk to no socket


class BroadcastRegistryCodemod(CheckedCodemod):
    DESCRIPTION = "Publish a websocket manager's broadcasts through the broadcast store."
    METADATA_DEPENDENCIES = (PositionProvider,)

    def __init__(self, context: CodemodContext, symbol: str, runtime_package: str) -> None:
        """`symbol` is the class, its registry attribute or its instance; it names the channel."""
        super().__init__(context)
        self.symbol = symbol
        self.runtime_package = runtime_package
        self.channel = f"{symbol.upper()}_CHANNEL"
        self.manager: _Manager | None = None
        self.indent = "    "

    def visit_Module(self, node: cst.Module) -> bool:
        self.indent = node.default_indent
        for statement in node.body:
            if isinstance(statement, cst.ClassDef) and self._named(node, statement):
                self.manager = self._recognise(node, statement)
                return self.manager is not None
        return False

    def _named(self, module: cst.Module, cls: cst.ClassDef) -> bool:
        if self.symbol == cls.name.value:
            return True
        if m.findall(cls, m.Attribute(m.Name("self"), m.Name(self.symbol))):
            return True
        instance = m.Assign(
            targets=[m.AssignTarget(m.Name(self.symbol))], value=m.Call(m.Name(cls.name.value))
        )
        return bool(m.findall(module, instance))

    def _recognise(self, module: cst.Module, cls: cst.ClassDef) -> _Manager | None:
        methods = {s.name.value: s for s in cls.body.body if isinstance(s, cst.FunctionDef)}
        if "_subscribe_once" in methods:
            return None  # already on the broadcast store
        registry, init_statement = self._registry(methods.get("__init__"))
        if registry is None or init_statement is None:
            return self._refuse(cls, "`__init__` does not start an empty list, set or dict.")
        mine = m.Attribute(m.Name("self"), m.Name(registry))
        broadcasts, connects, readers, routers = [], [], [], []
        for method in methods.values():
            if method.name.value == "__init__" or not m.findall(method, mine):
                continue
            if self._broadcasts(method, registry):
                broadcasts.append(method)
            elif self._adding_statement(method, mine) is not None:
                connects.append(method)
            elif self._removes(method, mine):
                continue
            elif m.findall(method, m.Call(m.Attribute(attr=TALKS))):
                routers.append(method)
            else:
                readers.append(method)
        if len(broadcasts) != 1 or len(connects) != 1:
            return self._refuse(cls, "no single async connect and broadcast method to rewrite.")
        if routers:
            names = ", ".join(f"`{o.name.value}`" for o in routers)
            return self._refuse(
                cls,
                f"{names} also read the registry; a message for a socket on another replica "
                "needs routing by hand.",
            )
        params = broadcasts[0].params
        starred = isinstance(params.star_arg, cst.Param) or params.star_kwarg is not None
        if len(params.params) != 2 or starred or params.kwonly_params or params.posonly_params:
            return self._refuse(cls, "the broadcast method takes more than one message parameter.")
        uses = m.findall(module, m.Name(cls.name.value))
        made = m.findall(module, m.Call(m.Name(cls.name.value)))
        if len(made) != 1 or len(uses) != 2:
            return self._refuse(
                cls,
                "the class is not instantiated exactly once in this module; each instance is a "
                "room that one channel would merge.",
            )
        connect_statement = self._adding_statement(connects[0], mine)
        assert connect_statement is not None
        return _Manager(
            cls, registry, init_statement, connect_statement, broadcasts[0], tuple(readers)
        )

    def _refuse(self, cls: cst.ClassDef, reason: str) -> _Manager | None:
        """Report why `cls` is left alone; None, so a caller can return it."""
        self.refuse(cls, f"`{cls.name.value}`: {reason}")
        return None

    def _registry(
        self, init: cst.FunctionDef | None
    ) -> tuple[str | None, cst.BaseStatement | None]:
        if init is None or not isinstance(init.body, cst.IndentedBlock):
            return None, None
        target = m.Attribute(m.Name("self"), m.Name())
        for statement in init.body.body:
            assign = m.SimpleStatementLine(
                [m.Assign([m.AssignTarget(target)], EMPTY) | m.AnnAssign(target, value=EMPTY)]
            )
            if m.matches(statement, assign):
                small = statement.body[0]  # type: ignore[attr-defined]
                node = small.targets[0].target if isinstance(small, cst.Assign) else small.target
                assert isinstance(node, cst.Attribute)
                return node.attr.value, statement
        return None, None

    def _broadcasts(self, method: cst.FunctionDef, registry: str) -> bool:
        """An async method looping over the registry (or a copy of it) and awaiting a send on
        the loop's socket: `for ws in self.r`, `for _, ws in list(self.r)`, `self.r.values()`."""
        if not method.asynchronous:
            return False
        mine = m.Attribute(m.Name("self"), m.Name(registry))
        entries = mine | m.Call(m.Attribute(mine, m.Name("values") | m.Name("items")), args=[])
        loop_over = entries | m.Call(COPIES, args=[m.Arg(entries, keyword=None)])
        names = m.Name() | m.Tuple([m.ZeroOrMore(m.Element(m.Name()))])
        for loop in m.findall(method, m.For(target=names, iter=loop_over)):
            assert isinstance(loop, cst.For)
            targets = (
                [loop.target]
                if isinstance(loop.target, cst.Name)
                else [
                    element.value
                    for element in loop.target.elements  # type: ignore[attr-defined]
                ]
            )
            for target in targets:
                send = m.Await(m.Call(m.Attribute(m.Name(target.value), SENDS)))
                if target.value != "_" and m.findall(loop.body, send):
                    return True
        return False

    def _removes(self, method: cst.FunctionDef, mine: m.Attribute) -> bool:
        """The method takes sockets out: `remove`/`discard`/`pop`, `del`, or rebinds the registry
        (`self.r = [c for c in self.r if ...]`)."""
        return bool(
            m.findall(method, m.Call(m.Attribute(mine, REMOVES)))
            or m.findall(method, m.Del(m.Subscript(mine)))
            or m.findall(method, m.Assign([m.AssignTarget(mine)]))
            or m.findall(method, m.AnnAssign(target=mine))
        )

    def _adding_statement(
        self, method: cst.FunctionDef, mine: m.Attribute
    ) -> cst.BaseStatement | None:
        if not method.asynchronous or not isinstance(method.body, cst.IndentedBlock):
            return None
        adds = m.Call(m.Attribute(mine, ADDS)) | m.Assign([m.AssignTarget(m.Subscript(mine))])
        for statement in method.body.body:
            if isinstance(statement, cst.SimpleStatementLine) and m.findall(statement, adds):
                return statement
        return None

    def leave_ClassDef(
        self, original_node: cst.ClassDef, updated_node: cst.ClassDef
    ) -> cst.ClassDef:
        manager = self.manager
        if manager is None or original_node is not manager.cls:
            return updated_node
        body: list[cst.BaseStatement] = []
        for old, new in zip(original_node.body.body, updated_node.body.body, strict=True):
            if old is manager.broadcast:
                body.extend(self._split_broadcast(manager.broadcast))
            elif not isinstance(old, cst.FunctionDef) or not isinstance(new, cst.FunctionDef):
                body.append(new)  # type: ignore[arg-type]  # a class body holds statements
            elif any(old is reader for reader in manager.local_readers):
                body.append(self._local_reader(old, new))
            else:
                body.append(self._after(old, new, manager))
        body.append(self._subscribe_once(manager))
        return updated_node.with_changes(body=updated_node.body.with_changes(body=body))

    def _after(
        self, old: cst.FunctionDef, new: cst.FunctionDef, manager: _Manager
    ) -> cst.FunctionDef:
        """`new` with a line added after the registry's start or the socket's arrival."""
        additions = {
            manager.init_statement: ["self._subscription = None", "self._subscribed_loop = None"],
            manager.connect_statement: ["await self._subscribe_once()"],
        }
        assert isinstance(old.body, cst.IndentedBlock) and isinstance(new.body, cst.IndentedBlock)
        statements: list[cst.BaseStatement] = []
        for before, after in zip(old.body.body, new.body.body, strict=True):
            statements.append(after)
            for line in additions.get(before, []):
                statements.append(cst.parse_statement(line + "\n"))
        return new.with_changes(body=new.body.with_changes(body=statements))

    def _local_reader(self, old: cst.FunctionDef, new: cst.FunctionDef) -> cst.FunctionDef:
        """`new` with a note that it sees only this replica's sockets; the same as a warning."""
        name = old.name.value
        note = (
            f"stateless: {name}() sees only this replica's connections; see "
            "`migrator playbook connection_registry`"
        )
        self.warn(
            f"line {self.line_of(old)}: `{name}` reads the connection registry, which now holds "
            "only this replica's sockets; share what it reports (e.g. who is online) by hand."
        )
        return new.with_changes(
            leading_lines=[*new.leading_lines, cst.EmptyLine(comment=cst.Comment(f"# {note}"))]
        )

    def _split_broadcast(self, method: cst.FunctionDef) -> list[cst.BaseStatement]:
        message = method.params.params[1].name.value
        why = "# Every replica delivers to the sockets it holds, in _broadcast_here."
        publish = cst.parse_statement(f"{self.channel}.publish({message})\n").with_changes(
            leading_lines=[cst.EmptyLine(comment=cst.Comment(why))]
        )
        assert isinstance(method.body, cst.IndentedBlock)
        public = method.with_changes(body=method.body.with_changes(body=[publish]))
        here = method.with_changes(
            name=cst.Name("_broadcast_here"),
            leading_lines=[cst.EmptyLine(indent=False)],
            decorators=[],
        )
        return [public, here]

    def _subscribe_once(self, manager: _Manager) -> cst.BaseStatement:
        self.add_needed_import("asyncio")
        self.add_needed_import(self.runtime_package, "FLAGS")
        i = self.indent
        return (
            cst.parse_module(
                "async def _subscribe_once(self):\n"
                f"{i}# The store calls back on its own thread; the sockets live on this event\n"
                f"{i}# loop, so subscribe once per loop (a restarted app gets a new one).\n"
                f"{i}loop = asyncio.get_running_loop()\n"
                f"{i}if self._subscribed_loop is not loop:\n"
                f"{i}{i}if self._subscription is not None:\n"
                f"{i}{i}{i}self._subscription.close()\n"
                f"{i}{i}self._subscribed_loop = loop\n"
                "\n"
                f"{i}{i}def deliver(message):\n"
                f"{i}{i}{i}if not loop.is_closed():  # a closed loop holds no live sockets\n"
                f"{i}{i}{i}{i}asyncio.run_coroutine_threadsafe(self._broadcast_here(message), "
                "loop)\n"
                "\n"
                f"{i}{i}self._subscription = {self.channel}.subscribe(deliver)\n"
                f'{i}if FLAGS["{self.symbol}"].stage().reads_new:\n'
                f"{i}{i}# Pub/sub keeps no history: hear the store before this socket's first "
                "message.\n"
                f"{i}{i}await asyncio.to_thread({self.channel}.wait_until_listening, 5)\n",
                config=cst.PartialParserConfig(default_indent=i),  # type: ignore[call-arg]
            )
            .body[0]
            .with_changes(leading_lines=[cst.EmptyLine(indent=False)])
        )

    def leave_Module(self, original_node: cst.Module, updated_node: cst.Module) -> cst.Module:
        manager = self.manager
        if manager is None:
            return updated_node
        self.add_needed_import(self.runtime_package, "broadcast")
        self.add_needed_import(self.runtime_package, "FLAGS")
        position = original_node.body.index(manager.cls)
        cls = updated_node.body[position]
        channel = cst.parse_statement(f'{self.channel} = broadcast("{self.symbol}")\n')
        channel = channel.with_changes(leading_lines=cls.leading_lines)
        spaced = cls.with_changes(leading_lines=[cst.EmptyLine(), cst.EmptyLine()])
        body = [*updated_node.body[:position], channel, spaced, *updated_node.body[position + 1 :]]
        return updated_node.with_changes(body=body)
