"""Findings -> ordered phases: lowest risk first, coupled findings together.

Each finding starts at its category's position (see `groups.GROUPS`). Coupled findings (see
`coupling`) form a cluster that ships at the position of its latest, riskiest member, so a
consistent update never straddles two phases. A person's move in plan.json wins over both.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

from migrator.model import Finding
from migrator.plan.coupling import coupled_pairs
from migrator.plan.groups import GROUPS, Group, group_by_slug, group_of


@dataclass(frozen=True)
class Placement:
    """Where a finding ships, and why it is not at its category's own position."""

    group: Group
    reason: str = ""  # empty when the category's own position


def place(findings: Iterable[Finding], root: Path) -> dict[str, Placement]:
    """Each finding id -> the phase group the rules give it (a person's moves come later)."""
    items = list(findings)
    parent = {f.id: f.id for f in items}

    def find(x: str) -> str:
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    reasons: dict[str, list[str]] = {}
    for a, b, why in coupled_pairs(items, root):
        parent[find(a)] = find(b)
        reasons.setdefault(a, []).append(why)
        reasons.setdefault(b, []).append(why)

    cluster_group: dict[str, Group] = {}
    for finding in items:
        root_id = find(finding.id)
        own = group_of(finding.category)
        if root_id not in cluster_group or own.rank > cluster_group[root_id].rank:
            cluster_group[root_id] = own

    out: dict[str, Placement] = {}
    for finding in items:
        group = cluster_group[find(finding.id)]
        if group.rank == group_of(finding.category).rank:
            out[finding.id] = Placement(group)
        else:
            why = "; ".join(sorted(set(reasons.get(finding.id, ()))))
            out[finding.id] = Placement(group, why)
    return out


def apply_moves(
    placements: Mapping[str, Placement], moves: Mapping[str, str]
) -> dict[str, Placement]:
    """Placements with a person's moves (id -> phase slug) on top; unknown slugs are ignored."""
    out = dict(placements)
    for finding_id, slug in moves.items():
        group = group_by_slug(slug)
        if finding_id in out and group is not None and group != out[finding_id].group:
            out[finding_id] = Placement(group, "moved here by hand in plan.json")
    return out


def ordered_groups(placements: Mapping[str, Placement]) -> list[Group]:
    """The groups that hold at least one finding, in shipping order."""
    used = {p.group.slug for p in placements.values()}
    return [g for g in GROUPS if g.slug in used]
