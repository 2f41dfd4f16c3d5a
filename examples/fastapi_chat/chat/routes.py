"""HTTP and websocket endpoints."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, HTTPException, Request, WebSocket, WebSocketDisconnect
from pydantic import BaseModel

from chat.commands import apply_command
from chat.connections import manager
from chat.emoji import replace_shortcodes
from chat.history import MAX_MESSAGE_LENGTH, recent, record
from chat.limits import limiter
from chat.mentions import INBOX, enqueue_mentions

router = APIRouter()


class NewMessage(BaseModel):
    user: str
    text: str


async def _post(user: str, text: str) -> dict[str, Any]:
    if not text.strip() or len(text) > MAX_MESSAGE_LENGTH:
        raise HTTPException(400, f"messages are 1 to {MAX_MESSAGE_LENGTH} characters")
    message = record(user, replace_shortcodes(apply_command(user, text)))
    enqueue_mentions(message)
    await manager.broadcast({"type": "message", **message})
    return message


@router.get("/messages")
async def list_messages(limit: int = 50) -> dict[str, Any]:
    return {"messages": recent(limit)}


@router.post("/messages", status_code=201)
@limiter.limit("10/minute")
async def post_message(request: Request, body: NewMessage) -> dict[str, Any]:
    return await _post(body.user, body.text)


@router.get("/users/{name}/mentions")
async def mentions(name: str) -> dict[str, Any]:
    return {"mentions": list(INBOX.get(name, []))}


@router.get("/online")
async def online() -> dict[str, Any]:
    return {"online": manager.online()}


@router.websocket("/ws/{user}")
async def chat_socket(websocket: WebSocket, user: str) -> None:
    await manager.connect(user, websocket)
    await websocket.send_json({"type": "history", "messages": recent(50)})
    await manager.broadcast({"type": "presence", "online": manager.online()})
    try:
        while True:
            text = await websocket.receive_text()
            try:
                await _post(user, text)
            except HTTPException as refused:
                await websocket.send_json({"type": "error", "detail": refused.detail})
    except WebSocketDisconnect:
        manager.disconnect(websocket)
        await manager.broadcast({"type": "presence", "online": manager.online()})
