"""`build_plan`: a scan's findings (and a previous plan's edits) -> the phased plan."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from migrator.model import CATEGORIES, Finding, ScanResult
from migrator.plan.content import cleanup_phase, migrate_phase
from migrator.plan.flags import assign_flags
from migrator.plan.groups import group_of
from migrator.plan.merge import Edits, edits_of
from migrator.plan.model import Exclusion, Phase, Plan
from migrator.plan.phasing import apply_moves, ordered_groups, place


@dataclass(frozen=True)
class PlanOutcome:
    """A plan, and what changed since the previous one (empty on a first plan)."""

    plan: Plan
    appeared: tuple[Finding, ...] = ()
    disappeared: tuple[Finding, ...] = ()
    notes: tuple[str, ...] = ()  # edits that could not be kept, in sentences
    first: bool = True  # no previous plan was given


def _order(finding: Finding) -> tuple[int, int, str, int, str]:
    category = CATEGORIES.index(finding.category) if finding.category in CATEGORIES else 99
    return (group_of(finding.category).rank, category, finding.path, finding.line, finding.id)


def build_plan(result: ScanResult, previous: Plan | None = None) -> PlanOutcome:
    """Phase the scan's findings, keeping exclusions, moves and store choices of `previous`.

    Phases ship lowest risk first, coupled findings together, numbered from 1; a cleanup phase
    comes last. A component keeps the flag `previous` gave it (a person may have renamed it);
    a new one gets its own (`assign_flags`). The plan is a pure function of its inputs (no timestamps), so planning twice
    over the same code writes the same files.
    """
    edits = edits_of(previous) if previous is not None else Edits()
    findings = sorted({f.id: f for f in result.findings}.values(), key=_order)
    current = {f.id for f in findings}
    included = [f for f in findings if f.id not in edits.excluded]
    computed = place(included, Path(result.root))
    placements = apply_moves(computed, edits.moves)
    stores = {k: v for k, v in edits.stores.items() if k in current}
    kept = (
        {}
        if previous is None
        else {i: previous.flag_of(i) for i in current & previous_ids(previous)}
    )
    flags = assign_flags(findings, kept)

    phases: list[Phase] = []
    for number, group in enumerate(ordered_groups(placements), 1):
        members = [f for f in included if placements[f.id].group == group]
        coupling = [
            f"`{f.symbol}` ({f.category}): {placements[f.id].reason}"
            for f in members
            if placements[f.id].reason
        ]
        phases.append(migrate_phase(number, group, members, stores, coupling, flags))
    if phases:
        in_order = [f for p in phases for f in included if f.id in p.findings]
        phases.append(cleanup_phase(len(phases) + 1, _unique(in_order), flags))

    plan = Plan(
        root=result.root,
        phases=tuple(phases),
        excluded=tuple(Exclusion(i, r) for i, r in sorted(edits.excluded.items()) if i in current),
        components=tuple(findings),
        stores=stores,
        computed={i: p.group.slug for i, p in computed.items()},
        deployment=result.deployment,
        flags=flags,
    )
    if previous is None:
        return PlanOutcome(plan)
    before = {f.id for f in previous.components}
    return PlanOutcome(
        plan=plan,
        appeared=tuple(f for f in findings if f.id not in before),
        disappeared=tuple(
            sorted((f for f in previous.components if f.id not in current), key=_order)
        ),
        notes=edits.notes,
        first=False,
    )


def previous_ids(plan: Plan) -> set[str]:
    return {f.id for f in plan.components}


def _unique(findings: list[Finding]) -> list[Finding]:
    return list({f.id: f for f in findings}.values())
