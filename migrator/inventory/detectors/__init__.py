"""Detectors, one file a category, found by discovery: adding one never edits a list.

Two shapes:
- a `ContainerDetector` is offered each component that is changed after import
  (see `Project.state_components`) and claims the ones of its category; they are
  offered in `priority` order, so a lock-guarded counter dict is claimed once;
- a `ProjectDetector` looks at the whole project (decorators, library calls,
  framework settings) and returns findings of its own.

Each detector carries `STATE` and `NOT_STATE` code samples; the test suite scans
them, so a detector's description and its behaviour cannot drift apart.
"""

from __future__ import annotations

import importlib
import pkgutil
import re
from abc import ABC, abstractmethod
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import ClassVar

from migrator.inventory.facts import CallSite
from migrator.inventory.symbols import Component, Project, Site
from migrator.model import Evidence, Finding

# The store each category moves to by default, and why, in a sentence.
DEFAULT_STORES: dict[str, tuple[str, str]] = {
    "session_store": (
        "redis",
        "sessions are read on every request and expire: Redis keys with a TTL",
    ),
    "cache": ("redis", "losing a cache entry is harmless: Redis with a TTL and LRU eviction"),
    "app_data": (
        "postgres",
        "records that must outlive a process belong in a database with transactions",
    ),
    "counter_ratelimit": (
        "redis",
        "Redis INCR is atomic across replicas and EXPIRE gives rate windows",
    ),
    "lock": ("redis", "a token lock (SET NX PX) spans replicas; use the database for fencing"),
    "queue_background": ("redis", "a durable queue (Redis streams, RQ, Celery) survives restarts"),
    "connection_registry": (
        "redis",
        "sockets stay local; Redis pub/sub fans messages out to every replica",
    ),
    "local_file": ("s3", "object storage is shared by every replica and outlives a machine"),
    "server_session_config": ("redis", "the framework's own Redis backend keeps sessions shared"),
    "other": ("redis", "a shared key-value store gives every replica the same value"),
}


@dataclass(frozen=True)
class Claim:
    """A container detector's verdict on one component."""

    confidence: str
    why: str  # what makes it this category, as a clause: "its values are incremented"
    kind: str
    automation: str = "codemod"
    store: str = ""
    store_reason: str = ""


class ContainerDetector(ABC):
    category: ClassVar[str]
    priority: ClassVar[int]  # lower is offered first
    STATE: ClassVar[Sequence[str]] = ()
    NOT_STATE: ClassVar[Sequence[str]] = ()

    @abstractmethod
    def claim(self, comp: Component, project: Project) -> Claim | None:
        """The claim on a component of this category, or None."""


class ProjectDetector(ABC):
    category: ClassVar[str]
    STATE: ClassVar[Sequence[str]] = ()
    NOT_STATE: ClassVar[Sequence[str]] = ()

    @abstractmethod
    def detect(self, project: Project) -> Iterable[Finding]:
        """The findings of this category in the project."""


_REGISTRY: list[type[ContainerDetector] | type[ProjectDetector]] = []
_DISCOVERED = False


def register(cls: type) -> type:
    """Class decorator that makes a detector part of every scan."""
    _REGISTRY.append(cls)
    return cls


def all_detectors() -> list[type[ContainerDetector] | type[ProjectDetector]]:
    """Every detector class in this package, imported on first use (a detector module
    imported earlier by another one registers only itself, so every module is imported)."""
    global _DISCOVERED
    if not _DISCOVERED:
        for info in pkgutil.iter_modules(__path__):
            if not info.name.startswith("_"):
                importlib.import_module(f"{__name__}.{info.name}")
        _DISCOVERED = True
    return list(dict.fromkeys(_REGISTRY))


# ---- helpers shared by detectors ---------------------------------------------


def name_matches(pattern: re.Pattern[str], comp_or_name: Component | str) -> bool:
    name = comp_or_name if isinstance(comp_or_name, str) else comp_or_name.symbol.rpartition(".")[2]
    return bool(pattern.search(name.lower()))


def module_name(call: CallSite) -> str:
    """The module-level name a call's result is bound to (`sio = SocketIO(app)`), or ''.
    A name inside a function is a local: the library's own name says more."""
    return call.target if not call.func else ""


def evidence_of(sites: Iterable[Site]) -> tuple[Evidence, ...]:
    return tuple(sorted({Evidence(s.path, s.line, s.access, s.detail) for s in sites}))


def where_changed(comp: Component) -> str:
    """'changed in 3 places in `add_to_cart`, `logout`' — for messages."""
    changes = comp.changes
    funcs = sorted({f"`{s.func}`" for s in changes})
    shown = ", ".join(funcs[:3]) + (f" and {len(funcs) - 3} more" if len(funcs) > 3 else "")
    modules = {s.path for s in changes}
    spread = f" across {len(modules)} modules" if len(modules) > 1 else ""
    places = "place" if len(changes) == 1 else "places"
    return f"changed in {len(changes)} {places}{spread} by {shown}"


def finding(
    category: str,
    *,
    symbol: str,
    qualname: str,
    path: str,
    line: int,
    confidence: str,
    message: str,
    evidence: tuple[Evidence, ...] = (),
    kind: str,
    automation: str,
    detector: str,
    store: str = "",
    store_reason: str = "",
) -> Finding:
    """A Finding with the category's default store filled in."""
    default_store, default_reason = DEFAULT_STORES[category]
    return Finding(
        category=category,
        symbol=symbol,
        qualname=qualname,
        path=path,
        line=line,
        confidence=confidence,
        message=message,
        evidence=evidence,
        automation=automation,
        suggested_store=store or default_store,
        store_reason=store_reason or default_reason,
        kind=kind,
        detector=detector,
    )
