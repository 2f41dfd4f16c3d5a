"""Open websocket connections and fan-out to all of them."""

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
