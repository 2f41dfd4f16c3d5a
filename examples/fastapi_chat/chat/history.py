"""Recent messages, kept so that people who join see what they missed."""

from __future__ import annotations

import itertools
import time
from collections import deque
from typing import Any

MAX_MESSAGE_LENGTH = 2000
HISTORY_SIZE = 200

HISTORY: deque[dict[str, Any]] = deque(maxlen=HISTORY_SIZE)
MESSAGE_IDS = itertools.count(1)


def record(user: str, text: str) -> dict[str, Any]:
    """Store a message and return it with its id and timestamp."""
    message = {"id": next(MESSAGE_IDS), "user": user, "text": text, "at": time.time()}
    HISTORY.append(message)
    return message


def recent(limit: int) -> list[dict[str, Any]]:
    return list(HISTORY)[-limit:]
