"""connection_registry: live websocket/SSE connections, rooms and subscribers.

Looks for: a list, set or dict changed while serving whose name says it holds
connections, clients, sockets, subscribers, listeners or rooms, including the
attributes of a connection manager made once at import
(`manager = ConnectionManager()`). Ignores: lists of connection settings read only,
registries that only start-up code fills (`CHALLENGE_CLASSES` filled by `init_plugins`).
"""

from __future__ import annotations

import re

from migrator.inventory.detectors import Claim, ContainerDetector, register
from migrator.inventory.detectors._shapes import container_kind
from migrator.inventory.symbols import Component, Project

CONNECTION_NAME = re.compile(
    r"conn|client|socket|\bws\b|^ws_|websocket|subscriber|listener|peer|room|channel|"
    r"waiter|observer|stream|(^|_)sse(_|$)|watcher|online"
)


@register
class ConnectionRegistryDetector(ContainerDetector):
    category = "connection_registry"
    priority = 30
    STATE = (
        "class ConnectionManager:\n    def __init__(self):\n        self.active_connections = []\n\n"
        "    async def connect(self, ws):\n        await ws.accept()\n        self.active_connections.append(ws)\n\n"
        "    async def broadcast(self, msg):\n        for ws in self.active_connections:\n"
        "            await ws.send_text(msg)\n\nmanager = ConnectionManager()\n",
        "SUBSCRIBERS = set()\n\nasync def subscribe(ws):\n    SUBSCRIBERS.add(ws)\n",
    )
    NOT_STATE = (
        "class ConnectionManager:\n    def __init__(self):\n        self.active_connections = []\n\n"
        "    def connect(self, ws):\n        self.active_connections.append(ws)\n",
        "DB_CONNECTIONS = ['primary', 'replica']\n\ndef names():\n    return list(DB_CONNECTIONS)\n",
        "from flask import Flask\napp = Flask(__name__)\nCHALLENGE_CLASSES = {}\n\n"
        "def register_challenge(cls):\n    CHALLENGE_CLASSES[cls.__name__] = cls\n\n"
        "def init_plugins(app):\n    register_challenge(dict)\n\n"
        "@app.get('/types')\ndef types():\n    return list(CHALLENGE_CLASSES)\n",
    )

    def claim(self, comp: Component, project: Project) -> Claim | None:
        container = container_kind(comp.binding)
        if not container:
            return None
        if _publishes_through_a_store(comp):
            return (
                None  # migrated: its sockets stay here by design, broadcasts go through the store
            )
        name = comp.symbol.rpartition(".")[2].lower()
        if not CONNECTION_NAME.search(name):
            return None
        if project.serving is not None and not any(project.serves(s) for s in comp.changes):
            return None  # filled by start-up code: a registry of plugins or types, not connections
        return Claim(
            "high" if comp.binding.scope == "instance" or "connection" in name else "medium",
            "it holds live connections, which only the process that accepted them can use",
            container,
            # The broadcast codemod rewrites a connection-manager class; other shapes are manual.
            automation="codemod" if comp.binding.scope == "instance" else "manual",
        )


def _publishes_through_a_store(comp: Component) -> bool:
    """Whether the defining module already fans out through the generated runtime's broadcast."""
    return any(target.endswith("_stateless.broadcast") for target in comp.facts.imports.values())
