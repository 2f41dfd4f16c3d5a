"""The plan's components as a scan of the current tree sees them.

The plan's line numbers are those of the tree it was made from; earlier phases have changed
files since (imports added, lines rewritten), so markers placed by those numbers land on the
wrong statement. Before each phase the tree is scanned again and each component of the plan is
matched to the fresh finding with the same id (else the same category and qualname, else the
only one with that qualname): its definition line and evidence come from the fresh finding,
everything the plan decided stays.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import replace
from pathlib import Path

from migrator.model import Finding


def refreshed(root: Path, planned: Iterable[Finding]) -> dict[str, Finding | None]:
    """Plan finding id -> the finding at today's lines, or None when the scan no longer
    finds it (moved, renamed or removed since the plan was made)."""
    from migrator.inventory import scan_project

    fresh = scan_project(root).findings
    by_id = {f.id: f for f in fresh}
    by_name = {(f.category, f.qualname): f for f in fresh}
    # A qualname the scan now files under another category is still the same object.
    named: dict[str, list[Finding]] = {}
    for f in fresh:
        named.setdefault(f.qualname, []).append(f)
    out: dict[str, Finding | None] = {}
    for finding in planned:
        now = by_id.get(finding.id) or by_name.get((finding.category, finding.qualname))
        if now is None and len(named.get(finding.qualname, ())) == 1:
            now = named[finding.qualname][0]
        out[finding.id] = None if now is None else at_lines_of(finding, now)
    return out


def at_lines_of(planned: Finding, now: Finding) -> Finding:
    """`planned` with the definition and evidence sites of `now`; a component the scan now
    finds only a person can move stays manual."""
    automation = "manual" if now.automation == "manual" else planned.automation
    return replace(
        planned, path=now.path, line=now.line, evidence=now.evidence, automation=automation
    )
