"""BroadcastRegistryCodemod: a websocket manager's broadcast crosses replicas via the store."""

from __future__ import annotations

import importlib.util
import uuid
from pathlib import Path
from types import ModuleType

import libcst as cst
import pytest
from fastapi.testclient import TestClient
from libcst.codemod import CodemodContext, CodemodTest
from migrator.codemods.broadcast_registry import BroadcastRegistryCodemod

from migrator.runtime import Component, render_runtime

RUNTIME = "chat._stateless"

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
    from chat._stateless import broadcast

    app = FastAPI()


    ACTIVE_CONNECTIONS_CHANNEL = broadcast("active_connections")


    class ConnectionManager:
        def __init__(self):
            self.active_connections: list[WebSocket] = []
            self._subscription = None

        async def connect(self, websocket: WebSocket):
            await websocket.accept()
            self.active_connections.append(websocket)
            self._subscribe_once()

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

        def _subscribe_once(self):
            # The store calls back on its own thread; the sockets live on this loop.
            if self._subscription is None:
                loop = asyncio.get_running_loop()
                self._subscription = ACTIVE_CONNECTIONS_CHANNEL.subscribe(
                    lambda message: asyncio.run_coroutine_threadsafe(
                        self._broadcast_here(message), loop
                    )
                )


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


def _replica(package_dir: Path, package: str, name: str) -> ModuleType:
    """Import the rewritten chat module once more, as another replica would."""
    spec = importlib.util.spec_from_file_location(f"{package}.{name}", package_dir / "chat.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.parametrize("stage", ["off", "complete"])
def test_a_message_reaches_a_socket_held_by_another_replica_only_through_redis(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, stage: str
) -> None:
    package = f"chat_{uuid.uuid4().hex[:10]}"
    runtime = f"{package}._stateless"
    source = CodemodTest.make_fixture_data(MANAGER)
    context = CodemodContext()
    rewritten = BroadcastRegistryCodemod(context, "active_connections", runtime).transform_module(
        cst.parse_module(source)
    )
    package_dir = tmp_path / package
    for relative, text in render_runtime(
        package, [Component("active_connections", "broadcast", "redis")]
    ).items():
        (package_dir / relative).parent.mkdir(parents=True, exist_ok=True)
        (package_dir / relative).write_text(text)
    (package_dir / "__init__.py").write_text("")
    (package_dir / "chat.py").write_text(rewritten.code)
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.setenv("STATELESS_KEY_PREFIX", f"t{uuid.uuid4().hex[:12]}")
    monkeypatch.setenv("STATELESS_REDIS_URL", "redis://127.0.0.1:6379/0")
    monkeypatch.setenv("STATELESS_MODE", stage)

    first, second = _replica(package_dir, package, "a"), _replica(package_dir, package, "b")
    with TestClient(first.app) as left, TestClient(second.app) as right:
        with left.websocket_connect("/ws") as alice, right.websocket_connect("/ws") as bob:
            if stage == "complete":
                for replica in (first, second):
                    assert replica.ACTIVE_CONNECTIONS_CHANNEL.wait_until_listening(5)
            alice.send_text("hello")
            assert alice.receive_text() == "hello"
            if stage == "complete":
                assert bob.receive_text() == "hello"
            else:
                # Before the switch each replica only reaches its own sockets, as before.
                bob.send_text("mine")
                assert bob.receive_text() == "mine"
    for replica in (first, second):
        replica.ACTIVE_CONNECTIONS_CHANNEL.close()
