"""Move a websocket connection manager's broadcast onto the broadcast store.

Recognises the FastAPI/Starlette manager: a class whose `__init__` sets `self.<registry>` to an
empty list, set or dict, an `async` connect method that adds to it, and one `async` broadcast
method with one message parameter that loops `for c in self.<registry>` (or `.values()`) and
awaits `c.send_text/send_json/send_bytes/send(...)`. The sockets are live objects and stay in
the instance; the message crosses replicas::

    ACTIVE_CONNECTIONS_CHANNEL = broadcast("active_connections")

    class ConnectionManager:
        ...
        async def connect(self, websocket):
            await websocket.accept()
            self.active_connections.append(websocket)
            self._subscribe_once()

        async def broadcast(self, message):
            ACTIVE_CONNECTIONS_CHANNEL.publish(message)

        async def _broadcast_here(self, message):
            for connection in self.active_connections:      # the original body
                await connection.send_text(message)

        def _subscribe_once(self):
            ...  # subscribes a callback that runs _broadcast_here on this replica's event loop

The store calls subscribers on its listener thread, so the callback hands the coroutine to the
loop the sockets belong to (`asyncio.run_coroutine_threadsafe`). `broadcast` returns once the
message is published, not once every socket has it.

Refuses, with the reason: a class instantiated more than once (each instance is a room that one
channel would merge), other methods that look sockets up in the registry (a message for a socket
on another replica needs routing), a broadcast with other parameters, and any other shape.
"""

from __future__ import annotations

from dataclasses import dataclass

import libcst as cst
import libcst.matchers as m
from libcst.codemod import CodemodContext
from libcst.metadata import PositionProvider

from ._checked_codemod import CheckedCodemod

SENDS = m.Name("send_text") | m.Name("send_json") | m.Name("send_bytes") | m.Name("send")
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
        broadcasts, connects, others = [], [], []
        for method in methods.values():
            if method.name.value == "__init__" or not m.findall(method, mine):
                continue
            if self._broadcasts(method, registry):
                broadcasts.append(method)
            elif self._adding_statement(method, mine) is not None:
                connects.append(method)
            elif not m.findall(method, m.Call(m.Attribute(mine, REMOVES))) and not m.findall(
                method, m.Del(m.Subscript(mine))
            ):
                others.append(method)
        if len(broadcasts) != 1 or len(connects) != 1:
            return self._refuse(cls, "no single async connect and broadcast method to rewrite.")
        if others:
            names = ", ".join(f"`{o.name.value}`" for o in others)
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
        return _Manager(cls, registry, init_statement, connect_statement, broadcasts[0])

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
                return node.attr.value, statement
        return None, None

    def _broadcasts(self, method: cst.FunctionDef, registry: str) -> bool:
        if not method.asynchronous:
            return False
        mine = m.Attribute(m.Name("self"), m.Name(registry))
        loop_over = mine | m.Call(m.Attribute(mine, m.Name("values")), args=[])
        for loop in m.findall(method, m.For(target=m.Name(), iter=loop_over)):
            assert isinstance(loop, cst.For) and isinstance(loop.target, cst.Name)
            send = m.Await(m.Call(m.Attribute(m.Name(loop.target.value), SENDS)))
            if m.findall(loop.body, send):
                return True
        return False

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
            elif isinstance(old, cst.FunctionDef) and isinstance(new, cst.FunctionDef):
                body.append(self._after(old, new, manager))
            else:
                body.append(new)
        body.append(self._subscribe_once(manager))
        return updated_node.with_changes(body=updated_node.body.with_changes(body=body))

    def _after(
        self, old: cst.FunctionDef, new: cst.FunctionDef, manager: _Manager
    ) -> cst.FunctionDef:
        """`new` with a line added after the registry's start or the socket's arrival."""
        additions = {
            manager.init_statement: "self._subscription = None",
            manager.connect_statement: "self._subscribe_once()",
        }
        assert isinstance(old.body, cst.IndentedBlock) and isinstance(new.body, cst.IndentedBlock)
        statements: list[cst.BaseStatement] = []
        for before, after in zip(old.body.body, new.body.body, strict=True):
            statements.append(after)
            if before in additions:
                statements.append(cst.parse_statement(additions[before] + "\n"))
        return new.with_changes(body=new.body.with_changes(body=statements))

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
        i = self.indent
        return (
            cst.parse_module(
                "def _subscribe_once(self):\n"
                f"{i}# The store calls back on its own thread; the sockets live on this loop.\n"
                f"{i}if self._subscription is None:\n"
                f"{i}{i}loop = asyncio.get_running_loop()\n"
                f"{i}{i}self._subscription = {self.channel}.subscribe(\n"
                f"{i}{i}{i}lambda message: asyncio.run_coroutine_threadsafe(\n"
                f"{i}{i}{i}{i}self._broadcast_here(message), loop\n"
                f"{i}{i}{i})\n"
                f"{i}{i})\n",
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
        position = original_node.body.index(manager.cls)
        cls = updated_node.body[position]
        channel = cst.parse_statement(f'{self.channel} = broadcast("{self.symbol}")\n')
        channel = channel.with_changes(leading_lines=cls.leading_lines)
        spaced = cls.with_changes(leading_lines=[cst.EmptyLine(), cst.EmptyLine()])
        body = [*updated_node.body[:position], channel, spaced, *updated_node.body[position + 1 :]]
        return updated_node.with_changes(body=body)
