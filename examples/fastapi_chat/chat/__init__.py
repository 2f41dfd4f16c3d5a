"""A team chat: websocket rooms, message history, mentions delivered in the background."""

__all__ = ["create_app"]

from chat.main import create_app
