"""The plan as plain data: phases, rollout stages, exclusions, and the plan.json contract.

`plan.json` is the source of truth a person may edit (exclude a finding, move it to another
phase, pick another store); everything here converts to and from it without loss.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any

from migrator.model import SCHEMA_VERSION, Deployment, Finding
from migrator.plan.flags import assign_flags, runtime_name
from migrator.plan.validate import plan_problems

RISKS = ("low", "medium", "high")


@dataclass(frozen=True)
class Stage:
    """One step of a flag's rollout: what it does, what to watch, how to step back."""

    name: str  # off | dualwrite | shadow | live | rampdown | complete
    does: str
    watch: str
    rollback: str

    def to_json(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "does": self.does,
            "watch": self.watch,
            "rollback": self.rollback,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Stage:
        return cls(
            str(data["name"]),
            str(data.get("does", "")),
            str(data.get("watch", "")),
            str(data.get("rollback", "")),
        )


@dataclass(frozen=True)
class Rollout:
    """How a phase's flags go from `off` to `complete`, all through the same stages."""

    kind: str  # "adapter" (six stages) or "switch" (framework config: off, complete)
    flags: tuple[str, ...]
    components: tuple[str, ...]  # finding ids
    stages: tuple[Stage, ...]
    cost: str = ""  # what a config switch costs, in a sentence; empty for adapters

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "kind": self.kind,
            "flags": list(self.flags),
            "components": list(self.components),
            "stages": [s.to_json() for s in self.stages],
        }
        if self.cost:
            out["cost"] = self.cost
        return out

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Rollout:
        return cls(
            kind=str(data.get("kind", "adapter")),
            flags=tuple(data.get("flags", ())),
            components=tuple(data.get("components", ())),
            stages=tuple(Stage.from_json(s) for s in data.get("stages", ())),
            cost=str(data.get("cost", "")),
        )


@dataclass(frozen=True)
class PhaseEffort:
    """A phase's effort: the sum of its components' points, and how that was counted."""

    points: int
    basis: str

    def to_json(self) -> dict[str, Any]:
        return {"points": self.points, "basis": self.basis}


@dataclass(frozen=True)
class Phase:
    """One reviewable unit of work: a git branch `stateless/phase-N-<slug>`."""

    number: int
    slug: str
    title: str
    risk: str  # one of RISKS
    risk_reason: str
    effort: PhaseEffort
    findings: tuple[str, ...]  # finding ids, in the order the documents list them
    flags: tuple[str, ...]
    steps: tuple[str, ...]
    rollback: str
    kind: str = "migrate"  # "migrate" or "cleanup" (the last phase: remove flags, old paths)
    categories: tuple[str, ...] = ()
    summary: str = ""
    manual_steps: tuple[str, ...] = ()
    acceptance: tuple[str, ...] = ()
    rollouts: tuple[Rollout, ...] = ()
    coupling: tuple[str, ...] = ()  # why findings of earlier categories joined this phase
    # `steps` grouped by playbook title, for documents; `steps` is the same list, flat
    step_groups: tuple[tuple[str, tuple[str, ...]], ...] = ()

    def to_json(self) -> dict[str, Any]:
        return {
            "number": self.number,
            "slug": self.slug,
            "title": self.title,
            "kind": self.kind,
            "risk": self.risk,
            "risk_reason": self.risk_reason,
            "effort": self.effort.to_json(),
            "categories": list(self.categories),
            "summary": self.summary,
            "findings": list(self.findings),
            "flags": list(self.flags),
            "steps": list(self.steps),
            "step_groups": [{"title": t, "steps": list(s)} for t, s in self.step_groups],
            "manual_steps": list(self.manual_steps),
            "acceptance": list(self.acceptance),
            "rollout": [r.to_json() for r in self.rollouts],
            "rollback": self.rollback,
            "coupling": list(self.coupling),
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Phase:
        effort = data.get("effort") or {}
        if not isinstance(effort, dict):
            effort = {"points": 0, "basis": str(effort)}
        return cls(
            number=int(data["number"]),
            slug=str(data["slug"]),
            title=str(data.get("title", data["slug"])),
            risk=str(data.get("risk", "medium")),
            risk_reason=str(data.get("risk_reason", "")),
            effort=PhaseEffort(int(effort.get("points", 0)), str(effort.get("basis", ""))),
            findings=tuple(str(f) for f in data.get("findings", ())),
            flags=tuple(data.get("flags", ())),
            steps=tuple(data.get("steps", ())),
            rollback=str(data.get("rollback", "")),
            kind=str(data.get("kind", "migrate")),
            categories=tuple(data.get("categories", ())),
            summary=str(data.get("summary", "")),
            manual_steps=tuple(data.get("manual_steps", ())),
            acceptance=tuple(data.get("acceptance", ())),
            rollouts=tuple(Rollout.from_json(r) for r in data.get("rollout", ())),
            coupling=tuple(data.get("coupling", ())),
            step_groups=tuple(
                (str(g["title"]), tuple(g.get("steps", ()))) for g in data.get("step_groups", ())
            ),
        )


@dataclass(frozen=True)
class Exclusion:
    """A finding a person took out of the plan on purpose, with the reason."""

    id: str
    reason: str

    def to_json(self) -> dict[str, Any]:
        return {"id": self.id, "reason": self.reason}


@dataclass(frozen=True)
class Plan:
    """The whole plan: ordered phases, exclusions, and the findings they refer to."""

    root: str
    phases: tuple[Phase, ...]
    excluded: tuple[Exclusion, ...] = ()
    components: tuple[Finding, ...] = ()  # every finding of the scan, excluded ones too
    stores: dict[str, str] = field(default_factory=dict)  # id -> store a person chose
    # id -> the phase slug the rules gave it; a finding listed elsewhere was moved by a person
    computed: dict[str, str] = field(default_factory=dict)
    deployment: Deployment = field(default_factory=Deployment)
    # id -> flag a person chose or an earlier plan recorded; `flag_of` names the others
    flags: dict[str, str] = field(default_factory=dict)

    def component(self, finding_id: str) -> Finding:
        """The finding with this id; KeyError when the plan does not hold it."""
        for finding in self.components:
            if finding.id == finding_id:
                return finding
        raise KeyError(finding_id)

    def store_of(self, finding_id: str) -> str:
        """The store this component moves to: a person's choice, else the scan's suggestion."""
        return self.stores.get(finding_id) or self.component(finding_id).suggested_store

    @cached_property
    def _all_flags(self) -> dict[str, str]:
        return assign_flags(self.components, self.flags)

    def flag_of(self, finding_id: str) -> str:
        """The component's flag (`STATELESS_<NAME>`), distinct from every other component's."""
        return self._all_flags[finding_id]

    def runtime_name_of(self, finding_id: str) -> str:
        """The component's name in the generated runtime: its flag without `STATELESS_`, or
        its symbol when the flag is the symbol's own."""
        return runtime_name(self.component(finding_id), self.flag_of(finding_id))

    def phase(self, number: int) -> Phase:
        """Phase `number` (from 1); KeyError when there is no such phase."""
        for phase in self.phases:
            if phase.number == number:
                return phase
        raise KeyError(number)

    @property
    def excluded_ids(self) -> frozenset[str]:
        return frozenset(e.id for e in self.excluded)

    def to_json(self) -> dict[str, Any]:
        components: dict[str, Any] = {}
        for finding in sorted(self.components, key=lambda f: f.id):
            data = finding.to_json()
            if finding.id in self.stores:
                data["store"] = self.stores[finding.id]
            if finding.id in self.computed:
                data["computed_phase"] = self.computed[finding.id]
            data["flag"] = self.flag_of(finding.id)
            components[finding.id] = data
        return {
            "schema_version": SCHEMA_VERSION,
            "root": self.root,
            "deployment": self.deployment.to_json(),
            "phases": [p.to_json() for p in self.phases],
            "excluded": [e.to_json() for e in self.excluded],
            "components": components,
        }

    def dumps(self) -> str:
        """plan.json text: stable key order and indentation, so re-planning diffs cleanly."""
        return json.dumps(self.to_json(), indent=2, ensure_ascii=False) + "\n"

    @classmethod
    def from_json(cls, data: Any, root: Path | None = None) -> Plan:
        """Read the plan.json contract; a ValueError names the first field that is wrong (see
        `plan_problems`; with `root`, every path must resolve inside it)."""
        problems = plan_problems(data, root)
        if problems:
            more = len(problems) - 1
            raise ValueError(problems[0] + (f" (and {more} more problems)" if more else ""))
        try:
            raw_components = data.get("components") or {}
            components = tuple(Finding.from_json(c) for c in raw_components.values())
            stores = {fid: str(c["store"]) for fid, c in raw_components.items() if c.get("store")}
            computed = {
                fid: str(c["computed_phase"])
                for fid, c in raw_components.items()
                if c.get("computed_phase")
            }
            flags = {fid: str(c["flag"]) for fid, c in raw_components.items() if c.get("flag")}
            phases = tuple(Phase.from_json(p) for p in data.get("phases", ()))
            excluded = tuple(_exclusion(e) for e in data.get("excluded", ()))
            dep = data.get("deployment") or {}
            deployment = Deployment(int(dep.get("processes", 1)), tuple(dep.get("sources", ())))
        except (KeyError, TypeError, AttributeError) as exc:
            raise ValueError(f"plan.json is missing or has a malformed field: {exc}") from exc
        return cls(
            root=str(data.get("root", ".")),
            phases=phases,
            excluded=excluded,
            components=components,
            stores=stores,
            computed=computed,
            deployment=deployment,
            flags=flags,
        )


def _exclusion(data: Any) -> Exclusion:
    if isinstance(data, str):
        raise ValueError(f'excluded finding {data!r} needs a reason: {{"id": ..., "reason": ...}}')
    reason = str(data.get("reason") or "").strip()
    if not reason:
        raise ValueError(f'excluded finding {data.get("id")!r} needs a non-empty "reason"')
    return Exclusion(str(data["id"]), reason)


def load_plan(path: Path, root: Path | None = None) -> Plan:
    """Read plan.json at `path`; a ValueError names the file, the field and the problem.

    With `root` (the target's folder), every path the plan names must resolve inside it."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ValueError(f"cannot read plan {path}: {exc.strerror or exc}") from exc
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ValueError(f"plan {path} is not valid JSON (line {exc.lineno}: {exc.msg})") from exc
    try:
        return Plan.from_json(data, root)
    except ValueError as exc:
        raise ValueError(f"{path}: {exc}") from exc
