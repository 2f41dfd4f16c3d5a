"""BroadcastRegistryCodemod: a websocket manager's broadcast crosses replicas via the store."""

from __future__ import annotations

import uuid
from textwrap import dedent
from types import ModuleType
from typing import Any

import libcst as cst
import pytest
from fastapi import FastAPI, WebSocket, WebSocketDisconnect
from fastapi.testclient import TestClient
from libcst.codemod import CodemodContext, CodemodTest
from migrator.codemods.broadcast_registry import BroadcastRegistryCodemod

from migrator.runtime import Component

RUNTIME = "chat._stateless"
# How long a test waits for a replica to hear Redis: generous, for a loaded 2-core machine.
LISTEN_WAIT = 60

MANAGER = """
    from fastapi import FastAPI, WebSocket, WebSocketDisconnect

    app = FastAPI()


    class ConnectionManager:
        def __init__(self):
            self.active_connections: list[WebSocket] = []

        async def connect(self, websocket: WebSocket):
            await websocket.accept()
            self.active_connections.append(websocket)

        def disconnect(self, websocket: WebSocket):
            self.active_connections.remove(websocket)

        async def send_personal_message(self, message: str, websocket: WebSocket):
            await websocket.send_text(message)

        async def broadcast(self, message: str):
            for connection in self.active_connections:
                await connection.send_text(message)


    manager = ConnectionManager()


    @app.websocket("/ws")
    async def chat(websocket: WebSocket):
        await manager.connect(websocket)
        try:
            while True:
                await manager.broadcast(await websocket.receive_text())
        except WebSocketDisconnect:
            manager.disconnect(websocket)
"""

REWRITTEN = """
    from fastapi import FastAPI, WebSocket, WebSocketDisconnect
    import asyncio
    from chat._stateless import FLAGS, broadcast

    app = FastAPI()


    ACTIVE_CONNECTIONS_CHANNEL = broadcast("active_connections")


    class ConnectionManager:
        def __init__(self):
            self.active_connections: list[WebSocket] = []
            self._subscription = None
            self._subscribed_loop = None

        async def connect(self, websocket: WebSocket):
            await websocket.accept()
            self.active_connections.append(websocket)
            await self._subscribe_once()

        def disconnect(self, websocket: WebSocket):
            self.active_connections.remove(websocket)

        async def send_personal_message(self, message: str, websocket: WebSocket):
            await websocket.send_text(message)

        async def broadcast(self, message: str):
            # Every replica delivers to the sockets it holds, in _broadcast_here.
            ACTIVE_CONNECTIONS_CHANNEL.publish(message)

        async def _broadcast_here(self, message: str):
            for connection in self.active_connections:
                await connection.send_text(message)

        async def _subscribe_once(self):
            # The store calls back on its own thread; the sockets live on this event
            # loop, so subscribe once per loop (a restarted app gets a new one).
            loop = asyncio.get_running_loop()
            if self._subscribed_loop is not loop:
                if self._subscription is not None:
                    self._subscription.close()
                self._subscribed_loop = loop

                def deliver(message):
                    if not loop.is_closed():  # a closed loop holds no live sockets
                        asyncio.run_coroutine_threadsafe(self._broadcast_here(message), loop)

                self._subscription = ACTIVE_CONNECTIONS_CHANNEL.subscribe(deliver)
            if FLAGS["active_connections"].stage().reads_new:
                # Pub/sub keeps no history: hear the store before this socket's first message.
                await asyncio.to_thread(ACTIVE_CONNECTIONS_CHANNEL.wait_until_listening, 5)


    manager = ConnectionManager()


    @app.websocket("/ws")
    async def chat(websocket: WebSocket):
        await manager.connect(websocket)
        try:
            while True:
                await manager.broadcast(await websocket.receive_text())
        except WebSocketDisconnect:
            manager.disconnect(websocket)
"""

# examples/fastapi_chat/chat/connections.py as written: (user, socket) entries, a copy-first loop
# that disconnects on a failed send, a rebinding disconnect and a read-only `online()`.
CHAT_CONNECTIONS = """
    \"\"\"Open websocket connections and fan-out to all of them.\"\"\"

    from __future__ import annotations

    from typing import Any

    from fastapi import WebSocket


    class ConnectionManager:
        def __init__(self) -> None:
            self.active_connections: list[tuple[str, WebSocket]] = []

        async def connect(self, user: str, websocket: WebSocket) -> None:
            await websocket.accept()
            self.active_connections.append((user, websocket))

        def disconnect(self, websocket: WebSocket) -> None:
            self.active_connections = [
                (user, ws) for user, ws in self.active_connections if ws is not websocket
            ]

        def online(self) -> list[str]:
            return sorted({user for user, _ in self.active_connections})

        async def broadcast(self, payload: dict[str, Any]) -> None:
            # Copy first: a failed send removes the connection while we iterate.
            for _, websocket in list(self.active_connections):
                try:
                    await websocket.send_json(payload)
                except RuntimeError:
                    self.disconnect(websocket)


    manager = ConnectionManager()
"""

CHAT_CONNECTIONS_REWRITTEN = """
    \"\"\"Open websocket connections and fan-out to all of them.\"\"\"

    from __future__ import annotations

    from typing import Any

    from fastapi import WebSocket
    import asyncio
    from chat._stateless import FLAGS, broadcast


    ACTIVE_CONNECTIONS_CHANNEL = broadcast("active_connections")


    class ConnectionManager:
        def __init__(self) -> None:
            self.active_connections: list[tuple[str, WebSocket]] = []
            self._subscription = None
            self._subscribed_loop = None

        async def connect(self, user: str, websocket: WebSocket) -> None:
            await websocket.accept()
            self.active_connections.append((user, websocket))
            await self._subscribe_once()

        def disconnect(self, websocket: WebSocket) -> None:
            self.active_connections = [
                (user, ws) for user, ws in self.active_connections if ws is not websocket
            ]

        # stateless: online() sees only this replica's connections; see `migrator playbook connection_registry`
        def online(self) -> list[str]:
            return sorted({user for user, _ in self.active_connections})

        async def broadcast(self, payload: dict[str, Any]) -> None:
            # Every replica delivers to the sockets it holds, in _broadcast_here.
            ACTIVE_CONNECTIONS_CHANNEL.publish(payload)

        async def _broadcast_here(self, payload: dict[str, Any]) -> None:
            # Copy first: a failed send removes the connection while we iterate.
            for _, websocket in list(self.active_connections):
                try:
                    await websocket.send_json(payload)
                except RuntimeError:
                    self.disconnect(websocket)

        async def _subscribe_once(self):
            # The store calls back on its own thread; the sockets live on this event
            # loop, so subscribe once per loop (a restarted app gets a new one).
            loop = asyncio.get_running_loop()
            if self._subscribed_loop is not loop:
                if self._subscription is not None:
                    self._subscription.close()
                self._subscribed_loop = loop

                def deliver(message):
                    if not loop.is_closed():  # a closed loop holds no live sockets
                        asyncio.run_coroutine_threadsafe(self._broadcast_here(message), loop)

                self._subscription = ACTIVE_CONNECTIONS_CHANNEL.subscribe(deliver)
            if FLAGS["active_connections"].stage().reads_new:
                # Pub/sub keeps no history: hear the store before this socket's first message.
                await asyncio.to_thread(ACTIVE_CONNECTIONS_CHANNEL.wait_until_listening, 5)


    manager = ConnectionManager()
"""

ONLINE_NOTE = (
    "line 23: `online` reads the connection registry, which now holds only this replica's "
    "sockets; share what it reports (e.g. who is online) by hand."
)


class BroadcastRegistryTest(CodemodTest):
    TRANSFORM = BroadcastRegistryCodemod

    def test_unrelated_class_is_unchanged(self) -> None:
        source = """
            class Basket:
                def __init__(self):
                    self.items = []
        """
        self.assertCodemod(source, source, "active_connections", RUNTIME, expected_warnings=[])

    def test_fastapi_manager_is_rewritten_once(self) -> None:
        self.assertCodemod(MANAGER, REWRITTEN, "active_connections", RUNTIME)
        self.assertCodemod(
            REWRITTEN, REWRITTEN, "active_connections", RUNTIME, expected_warnings=[]
        )

    def test_chat_example_manager_is_rewritten_once(self) -> None:
        self.assertCodemod(
            CHAT_CONNECTIONS,
            CHAT_CONNECTIONS_REWRITTEN,
            "active_connections",
            RUNTIME,
            expected_warnings=[ONLINE_NOTE],
        )
        self.assertCodemod(
            CHAT_CONNECTIONS_REWRITTEN,
            CHAT_CONNECTIONS_REWRITTEN,
            "active_connections",
            RUNTIME,
            expected_warnings=[],
        )

    def test_each_send_method_and_a_dict_registry_copied_before_the_loop(self) -> None:
        for send in ("send_text", "send_json", "send_bytes"):
            before = f"""
                class Hub:
                    def __init__(self):
                        self.clients = {{}}

                    async def join(self, user, ws):
                        self.clients[user] = ws

                    def leave(self, user):
                        del self.clients[user]

                    async def broadcast(self, message):
                        for user, ws in list(self.clients.items()):
                            await ws.{send}(message)


                hub = Hub()
            """
            codemod = BroadcastRegistryCodemod(CodemodContext(), "clients", RUNTIME)
            after = codemod.transform_module(cst.parse_module(dedent(before))).code
            self.assertIn("CLIENTS_CHANNEL.publish(message)", after)
            self.assertIn(
                f"async def _broadcast_here(self, message):\n"
                f"        for user, ws in list(self.clients.items()):\n"
                f"            await ws.{send}(message)\n",
                after,
            )
            self.assertIn(
                "        self.clients[user] = ws\n        await self._subscribe_once()", after
            )

    def test_manager_per_room_is_refused(self) -> None:
        source = """
            class Room:
                def __init__(self):
                    self.sockets = set()

                async def join(self, ws):
                    self.sockets.add(ws)

                async def broadcast(self, message):
                    for ws in self.sockets:
                        await ws.send_json(message)


            lobby = Room()
            games = Room()
        """
        self.assertCodemod(
            source,
            source,
            "Room",
            RUNTIME,
            expected_warnings=[
                "line 1: left unchanged: `Room`: the class is not instantiated exactly once in "
                "this module; each instance is a room that one channel would merge."
            ],
        )

    def test_lookup_by_user_is_refused(self) -> None:
        source = """
            class Hub:
                def __init__(self):
                    self.clients = {}

                async def connect(self, user, ws):
                    self.clients[user] = ws

                async def broadcast(self, message):
                    for ws in self.clients.values():
                        await ws.send_text(message)

                async def send_to(self, user, message):
                    await self.clients[user].send_text(message)


            hub = Hub()
        """
        self.assertCodemod(
            source,
            source,
            "hub",
            RUNTIME,
            expected_warnings=[
                "line 1: left unchanged: `Hub`: `send_to` also read the registry; a message for "
                "a socket on another replica needs routing by hand."
            ],
        )


def _rewritten(rewritten_package: Any, source: str, file: str, stage: str) -> Any:
    """The runtime and ``source`` rewritten as ``file`` in a fresh package, at ``stage``."""
    package = f"chat_{uuid.uuid4().hex[:10]}"
    codemod = BroadcastRegistryCodemod(
        CodemodContext(), "active_connections", f"{package}._stateless"
    )
    rewritten = codemod.transform_module(cst.parse_module(CodemodTest.make_fixture_data(source)))
    return rewritten_package(
        package,
        [Component("active_connections", "broadcast", "redis")],
        {file: rewritten.code},
        stage,
    )


@pytest.mark.parametrize("stage", ["off", "complete"])
def test_a_message_reaches_a_socket_held_by_another_replica_only_through_redis(
    rewritten_package: Any, stage: str
) -> None:
    made = _rewritten(rewritten_package, MANAGER, "chat.py", stage)
    first = made.replica("a", "chat.py")
    second = made.replica("b", "chat.py")
    try:
        with TestClient(first.app) as left, TestClient(second.app) as right:
            with left.websocket_connect("/ws") as alice, right.websocket_connect("/ws") as bob:
                if stage == "complete":  # on a loaded machine the listener may start late
                    for replica in (first, second):
                        assert replica.ACTIVE_CONNECTIONS_CHANNEL.wait_until_listening(LISTEN_WAIT)
                alice.send_text("hello")
                assert alice.receive_text() == "hello"
                if stage == "complete":
                    assert bob.receive_text() == "hello"
                else:
                    # Before the switch each replica only reaches its own sockets, as before.
                    bob.send_text("mine")
                    assert bob.receive_text() == "mine"
    finally:
        for replica in (first, second):
            replica.ACTIVE_CONNECTIONS_CHANNEL.close()


def _chat_app(connections: ModuleType) -> FastAPI:
    """The example's websocket route, reduced to what reaches the manager."""
    app = FastAPI()
    manager = connections.manager

    @app.websocket("/ws/{user}")
    async def chat_socket(websocket: WebSocket, user: str) -> None:
        await manager.connect(user, websocket)
        try:
            while True:
                text = await websocket.receive_text()
                await manager.broadcast({"type": "message", "user": user, "text": text})
        except WebSocketDisconnect:
            manager.disconnect(websocket)

    return app


@pytest.mark.parametrize("stage", ["off", "complete"])
def test_the_chat_example_reaches_a_user_on_another_replica_only_through_redis(
    rewritten_package: Any, stage: str
) -> None:
    file = "connections.py"
    made = _rewritten(rewritten_package, CHAT_CONNECTIONS, file, stage)
    first = made.replica("a", file)
    second = made.replica("b", file)
    try:
        with TestClient(_chat_app(first)) as left, TestClient(_chat_app(second)) as right:
            # No explicit wait: from shadow on `connect` returns once the replica hears Redis.
            with (
                left.websocket_connect("/ws/ann") as ann,
                right.websocket_connect("/ws/ben") as ben,
            ):
                if stage == "complete":  # `connect` waits 5 s; a loaded machine may need more
                    for replica in (first, second):
                        assert replica.ACTIVE_CONNECTIONS_CHANNEL.wait_until_listening(LISTEN_WAIT)
                ann.send_text("hello ben")
                sent = {"type": "message", "user": "ann", "text": "hello ben"}
                assert ann.receive_json() == sent
                if stage == "complete":
                    assert ben.receive_json() == sent
                else:
                    # Before the switch each replica only reaches its own sockets, as before.
                    ben.send_text("mine")
                    assert ben.receive_json()["text"] == "mine"
                assert first.manager.online() == ["ann"]
    finally:
        for replica in (first, second):
            replica.ACTIVE_CONNECTIONS_CHANNEL.close()


@pytest.mark.parametrize("stage", ["off", "complete"])
def test_a_module_level_manager_keeps_delivering_when_the_app_starts_again(
    rewritten_package: Any, stage: str
) -> None:
    file = "connections.py"
    made = _rewritten(rewritten_package, CHAT_CONNECTIONS, file, stage)
    connections = made.replica("a", file)
    try:
        # Each TestClient (each app start) runs its own event loop; the manager outlives them.
        for attempt in ("first", "second"):
            with TestClient(_chat_app(connections)) as client:
                with client.websocket_connect("/ws/ann") as ann:
                    ann.send_text(attempt)
                    assert ann.receive_json()["text"] == attempt
    finally:
        connections.ACTIVE_CONNECTIONS_CHANNEL.close()
