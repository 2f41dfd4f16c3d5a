"""@mentions: queued by the handlers, delivered to inboxes by a worker thread."""

from __future__ import annotations

import queue
import re
import threading
from collections import defaultdict
from typing import Any

_MENTION = re.compile(r"@(\w+)")

MENTIONS_QUEUE: queue.Queue[tuple[str, dict[str, Any]] | None] = queue.Queue()
INBOX: defaultdict[str, list[dict[str, Any]]] = defaultdict(list)


def enqueue_mentions(message: dict[str, Any]) -> int:
    """Queue one delivery per distinct @name in the message; returns how many."""
    names = set(_MENTION.findall(message["text"])) - {message["user"]}
    for name in names:
        MENTIONS_QUEUE.put((name, message))
    return len(names)


def _deliver_forever() -> None:
    while True:
        item = MENTIONS_QUEUE.get()
        if item is None:
            return
        name, message = item
        INBOX[name].append({"from": message["user"], "text": message["text"], "id": message["id"]})


def start_worker() -> threading.Thread:
    """Start the delivery thread; stop it with stop_worker(thread)."""
    thread = threading.Thread(target=_deliver_forever, name="mention-delivery", daemon=True)
    thread.start()
    return thread


def stop_worker(thread: threading.Thread) -> None:
    MENTIONS_QUEUE.put(None)
    thread.join(timeout=5)
