"""Checkout requests against a migrated runtime while its store fails, and the figures they give.

A request writes a session, edits it, takes an order number from a counter and reads the
session back. `run_scenario` sends requests before, during and after a fault and reports the
longest wait, the errors (and whether any fell outside the fault and its recovery), the
acknowledged writes that cannot be read back, order numbers issued twice, and how long after the
fault ended the store took part in requests again (without restarting anything).
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from types import ModuleType
from typing import Any, Protocol

BEFORE_REQUESTS = 3
RECOVERY_LIMIT_SECONDS = 15.0
_EVENTS = ("new_side_failure", "breaker_skip")


class Fault(Protocol):
    name: str

    def begin(self) -> None: ...
    def end(self) -> None: ...


class Pausable(Protocol):
    def pause(self) -> None: ...
    def resume(self) -> None: ...


class Killable(Protocol):
    def kill(self) -> None: ...
    def start(self) -> None: ...


class Killed:
    """The server dies (SIGKILL) and is started again on the same port and files."""

    def __init__(self, name: str, server: Killable) -> None:
        self.name = name
        self._server = server

    def begin(self) -> None:
        self._server.kill()

    def end(self) -> None:
        self._server.start()


class Paused:
    """The server (or the proxy in front of it) stops answering; connections stay open."""

    def __init__(self, name: str, server: Pausable) -> None:
        self.name = name
        self._server = server

    def begin(self) -> None:
        self._server.pause()

    def end(self) -> None:
        self._server.resume()


@dataclass(frozen=True)
class FaultFigures:
    stage: str
    fault: str
    requests: int
    errors: int
    errors_outside_fault: int  # errors before the fault or after the store took part again
    longest_wait: float
    lost: int  # acknowledged checkouts whose session does not read back as written
    duplicate_ids: int  # order numbers acknowledged twice
    recovered_after: float | None  # seconds from the fault's end to the first clean request


@dataclass(frozen=True)
class _Outcome:
    index: int
    order: int | None  # None: the request raised
    seconds: float
    clean: bool  # the store took part: no failure or skip of the new side was counted


def run_scenario(rt: ModuleType, stage: str, fault: Fault, fault_seconds: float) -> FaultFigures:
    """Run checkouts on `rt` (STATELESS_MODE already `stage`) across `fault`; see the module."""
    old_sessions: dict[str, Any] = {}
    sessions = rt.kv("SESSIONS", old_sessions)
    orders = rt.counter("ORDER_SEQ", start=10000)
    outcomes: list[_Outcome] = []

    def events() -> int:
        return sum(rt.metrics.get(name, e) for name in ("SESSIONS", "ORDER_SEQ") for e in _EVENTS)

    def checkout() -> _Outcome:
        index = len(outcomes)
        sid = f"s{index}"
        seen = events()
        started = time.monotonic()
        try:
            sessions[sid] = {"user": index}
            with sessions.edit(sid) as session:
                session["cart"] = ["book"]
            order = int(orders.incr())
            assert sessions[sid]["user"] == index
        except rt.StoreError:
            order = None
        outcome = _Outcome(index, order, time.monotonic() - started, events() == seen)
        outcomes.append(outcome)
        return outcome

    for _ in range(BEFORE_REQUESTS):
        checkout()
    fault_began = len(outcomes)
    fault.begin()
    try:
        ends = time.monotonic() + fault_seconds
        while time.monotonic() < ends:
            checkout()
            time.sleep(0.01)
    finally:
        fault.end()
    ended = time.monotonic()
    recovered_after: float | None = None
    while time.monotonic() - ended < RECOVERY_LIMIT_SECONDS:
        outcome = checkout()
        if outcome.order is not None and outcome.clean:
            recovered_after = time.monotonic() - ended
            break
        time.sleep(0.05)
    recovered_at = len(outcomes)
    for _ in range(BEFORE_REQUESTS):
        checkout()

    acknowledged = [o for o in outcomes if o.order is not None]
    lost = 0
    for outcome in acknowledged:
        try:
            if sessions[f"s{outcome.index}"] != {"user": outcome.index, "cart": ["book"]}:
                lost += 1
        except (KeyError, rt.StoreError):
            lost += 1
    orders = [o.order for o in acknowledged]
    outside = [o for o in outcomes if o.index < fault_began or o.index >= recovered_at - 1]
    return FaultFigures(
        stage=stage,
        fault=fault.name,
        requests=len(outcomes),
        errors=sum(o.order is None for o in outcomes),
        errors_outside_fault=sum(o.order is None for o in outside),
        longest_wait=max(o.seconds for o in outcomes),
        lost=lost,
        duplicate_ids=len(orders) - len(set(orders)),
        recovered_after=recovered_after,
    )
