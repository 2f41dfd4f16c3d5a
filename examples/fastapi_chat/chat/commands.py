"""Slash commands (`/me waves`, `/shrug`), registered by name at import."""

from __future__ import annotations

from collections.abc import Callable

Command = Callable[[str, str], str]

COMMANDS: dict[str, Command] = {}


def command(name: str) -> Callable[[Command], Command]:
    """Register the decorated function as `/name`; it gets (user, argument text)."""

    def register(func: Command) -> Command:
        COMMANDS[name] = func
        return func

    return register


@command("me")
def me(user: str, rest: str) -> str:
    return f"* {user} {rest}"


@command("shrug")
def shrug(user: str, rest: str) -> str:
    return f"{rest} \u00af\\_(\u30c4)_/\u00af".strip()


def apply_command(user: str, text: str) -> str:
    """The text to post: a known command's output, or the text itself."""
    if not text.startswith("/"):
        return text
    name, _, rest = text[1:].partition(" ")
    handler = COMMANDS.get(name)
    return handler(user, rest) if handler else text
