"""Failed-login throttling per client address."""

from __future__ import annotations

import time

LOGIN_FAILURES: dict[str, list[float]] = {}


def too_many_failures(client: str, limit: int, window: float) -> bool:
    """True when `client` failed `limit` times within the last `window` seconds."""
    cutoff = time.time() - window
    recent = [t for t in LOGIN_FAILURES.get(client, []) if t > cutoff]
    LOGIN_FAILURES[client] = recent
    return len(recent) >= limit


def record_failure(client: str) -> None:
    LOGIN_FAILURES.setdefault(client, []).append(time.time())
