"""A person's edits to plan.json, read back so that planning again keeps them.

Three edits are kept: an exclusion (id moved to `excluded` with a reason), a move (id listed in
another phase than the one the rules gave it, recorded as `computed_phase`), and a store choice
(`"store"` on the component). Anything else in the phases is generated and written afresh.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from migrator.plan.groups import group_by_slug
from migrator.plan.model import Plan
from migrator.playbook import RUNTIME_STORES


@dataclass(frozen=True)
class Edits:
    """What a person changed in a previous plan, and notes on edits that could not be kept."""

    excluded: dict[str, str] = field(default_factory=dict)  # id -> reason
    moves: dict[str, str] = field(default_factory=dict)  # id -> phase slug
    stores: dict[str, str] = field(default_factory=dict)  # id -> store
    notes: tuple[str, ...] = ()


def edits_of(previous: Plan) -> Edits:
    """The edits a person made to `previous`, judged against the placement it recorded."""
    notes: list[str] = []
    excluded = {e.id: e.reason for e in previous.excluded}
    moves: dict[str, str] = {}
    listed: set[str] = set()
    for phase in previous.phases:
        if phase.kind == "cleanup":
            continue
        for finding_id in phase.findings:
            listed.add(finding_id)
            computed = previous.computed.get(finding_id)
            if computed is None or phase.slug == computed:
                continue
            if group_by_slug(phase.slug) is None:
                notes.append(
                    f"`{finding_id}` was listed in phase `{phase.slug}`, which is not "
                    "a phase migrator knows; it goes back to its computed phase."
                )
            else:
                moves[finding_id] = phase.slug
    for finding in previous.components:
        if finding.id not in listed and finding.id not in excluded:
            notes.append(
                f"`{finding.id}` (`{finding.qualname}`) was in no phase and not "
                "excluded; to leave it out, list it under `excluded` with a reason."
            )
    stores = dict(previous.stores)
    for finding_id, store in sorted(stores.items()):
        if store not in RUNTIME_STORES:
            notes.append(
                f"`{finding_id}` is set to store `{store}`, which the generated runtime "
                f"has no backend for ({', '.join(RUNTIME_STORES)}); `apply` will "
                "need hand-written code for it."
            )
    return Edits(excluded, moves, stores, tuple(notes))
