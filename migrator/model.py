"""The plain data that flows between stages: evidence, findings, a scan's result.

Everything here is frozen and converts to and from the JSON contract of DESIGN.md.
"""

from __future__ import annotations

import hashlib
from dataclasses import asdict, dataclass, field, replace
from typing import Any

CATEGORIES = (
    "session_store",
    "cache",
    "app_data",
    "counter_ratelimit",
    "lock",
    "queue_background",
    "connection_registry",
    "local_file",
    "server_session_config",
    "other",
)
ACCESS_KINDS = ("read", "write", "delete", "mutate", "iterate")
CONFIDENCES = ("high", "medium", "low")
SCHEMA_VERSION = 1


@dataclass(frozen=True, order=True)
class Evidence:
    """One site that reads or changes a component."""

    path: str
    line: int
    access: str  # one of ACCESS_KINDS
    detail: str = ""  # e.g. "nested", "append", "global"; empty when plain

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"path": self.path, "line": self.line, "access": self.access}
        if self.detail:
            out["detail"] = self.detail
        return out

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Evidence:
        return cls(data["path"], int(data["line"]), data["access"], data.get("detail", ""))


@dataclass(frozen=True)
class Effort:
    """How much work a component takes, and how that was counted."""

    points: int
    basis: str  # e.g. "4 access sites in 2 modules, 1 nested mutation"

    def to_json(self) -> dict[str, Any]:
        return {"points": self.points, "basis": self.basis}


@dataclass(frozen=True)
class Finding:
    """One stateful component: where it is defined, how it is used, what to do."""

    category: str
    symbol: str
    qualname: str
    path: str
    line: int
    confidence: str
    message: str
    evidence: tuple[Evidence, ...] = ()
    automation: str = "manual"  # codemod | config | manual
    suggested_store: str = "redis"
    store_reason: str = ""
    severity: str = "warning"  # error when the service already runs several processes
    kind: str = ""  # what the component is: dict, list, lru_cache, lock, config, ...
    detector: str = ""
    effort: Effort | None = None

    @property
    def playbook(self) -> str:
        return self.category

    @property
    def id(self) -> str:
        """Stable across runs and unrelated edits: no line numbers, no messages."""
        key = f"{self.category}:{self.qualname}:{self.kind}"
        return f"{self.category}-{hashlib.sha1(key.encode()).hexdigest()[:12]}"

    def with_changes(self, **changes: Any) -> Finding:
        return replace(self, **changes)

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "category": self.category,
            "symbol": self.symbol,
            "qualname": self.qualname,
            "path": self.path,
            "line": self.line,
            "confidence": self.confidence,
            "message": self.message,
            "evidence": [e.to_json() for e in self.evidence],
            "playbook": self.playbook,
            "automation": self.automation,
            "suggested_store": self.suggested_store,
            "store_reason": self.store_reason,
            "severity": self.severity,
            "kind": self.kind,
            "detector": self.detector,
            "effort": self.effort.to_json() if self.effort else None,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Finding:
        effort = data.get("effort")
        return cls(
            category=data["category"],
            symbol=data["symbol"],
            qualname=data["qualname"],
            path=data["path"],
            line=int(data["line"]),
            confidence=data["confidence"],
            message=data["message"],
            evidence=tuple(Evidence.from_json(e) for e in data.get("evidence", ())),
            automation=data.get("automation", "manual"),
            suggested_store=data.get("suggested_store", "redis"),
            store_reason=data.get("store_reason", ""),
            severity=data.get("severity", "warning"),
            kind=data.get("kind", ""),
            detector=data.get("detector", ""),
            effort=Effort(**effort) if effort else None,
        )


@dataclass(frozen=True)
class Skipped:
    """A file the scan could not read, with the reason in a sentence."""

    path: str
    reason: str


@dataclass(frozen=True)
class Deployment:
    """How many processes already serve the target, and what says so."""

    processes: int = 1
    sources: tuple[str, ...] = ()  # e.g. "gunicorn.conf.py: workers = 4"

    @property
    def multi_process(self) -> bool:
        return self.processes > 1

    def to_json(self) -> dict[str, Any]:
        return {"processes": self.processes, "sources": list(self.sources)}


@dataclass(frozen=True)
class ScanResult:
    """What `migrator scan` found: the JSON contract as data."""

    root: str
    files: int
    lines: int
    seconds: float
    skipped: tuple[Skipped, ...] = ()
    findings: tuple[Finding, ...] = ()
    deployment: Deployment = field(default_factory=Deployment)
    # Python files the default exclusions left out, by reason (tests, migrations, ...).
    left_out: dict[str, int] = field(default_factory=dict)
    scanned_examples: bool = False  # nothing but examples held Python code, so they were scanned

    def to_json(self) -> dict[str, Any]:
        stats: dict[str, Any] = {
            "files": self.files,
            "lines": self.lines,
            "seconds": round(self.seconds, 3),
            "skipped": [asdict(s) for s in self.skipped],
            "left_out": dict(self.left_out),
        }
        if self.scanned_examples:
            stats["scanned_examples"] = True
        return {
            "schema_version": SCHEMA_VERSION,
            "root": self.root,
            "stats": stats,
            "deployment": self.deployment.to_json(),
            "findings": [f.to_json() for f in self.findings],
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> ScanResult:
        stats = data.get("stats", {})
        dep = data.get("deployment") or {}
        return cls(
            root=data["root"],
            files=stats.get("files", 0),
            lines=stats.get("lines", 0),
            seconds=stats.get("seconds", 0.0),
            skipped=tuple(Skipped(**s) for s in stats.get("skipped", ())),
            findings=tuple(Finding.from_json(f) for f in data.get("findings", ())),
            deployment=Deployment(dep.get("processes", 1), tuple(dep.get("sources", ()))),
            left_out={str(k): int(v) for k, v in (stats.get("left_out") or {}).items()},
            scanned_examples=bool(stats.get("scanned_examples", False)),
        )
