"""Each codemod tried on today's files before the plan is written, so a rewrite that `apply`
would refuse is manual in plan.json, with the codemod's own reason, instead of a surprise at
`apply`.

The trial runs in memory and writes nothing; `apply` still tries again on the files as the
earlier phases left them.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path

from migrator.apply.layout import TargetLayout
from migrator.apply.recipes import Recipe, recipe_for
from migrator.apply.runtime_files import place_runtime
from migrator.codemods.apply_to_files import apply_codemod_to_files
from migrator.model import Finding, ScanResult
from migrator.settings import Settings


def refusal_of(root: Path, layout: TargetLayout, recipe: Recipe, sources: dict[str, str]) -> str:
    """Why `recipe` cannot run on the files as they are ('' when it can), as a clause."""
    trial = apply_codemod_to_files(
        root,
        recipe.files,
        recipe.make(),
        recipe.all_or_nothing,
        sources=sources,
        module_of=layout.module_of,
    )
    untouchable = [w for p in trial.texts if (w := layout.why_not_editable(p))]
    if untouchable:
        return untouchable[0]
    refused = trial.refused if recipe.all_or_nothing else ()
    if refused or not trial.texts:
        notes = [note for o in trial.outcomes for note in o.notes]
        reason = (
            "; ".join(f"{o.path}: {o.reason}" for o in refused)
            or "; ".join(notes)
            or "nothing to rewrite"
        )
        return f"the codemod refused ({reason})"
    return ""


def codemod_refusals(root: Path, findings: Sequence[Finding], settings: Settings) -> dict[str, str]:
    """For each finding a codemod would rewrite, the reason it refuses on today's files; a
    finding whose codemod runs is not in the answer."""
    candidates = [f for f in findings if f.automation != "manual"]
    if not candidates:
        return {}
    samples = sorted({p for f in candidates for p in (f.path, *(e.path for e in f.evidence))})
    layout = TargetLayout.read(root, settings, samples)
    runtime, _ = place_runtime(layout.roots, root, candidates)
    refusals: dict[str, str] = {}
    for finding in candidates:
        ttl = settings.ttls.get(finding.symbol) or settings.ttls.get(finding.category)
        try:
            recipe = recipe_for(
                finding,
                layout.module_of(finding.path),
                runtime,
                finding.suggested_store,
                ttl,
                settings.key_prefix,
            )
        except ValueError:
            continue  # a store the runtime cannot use for it: plan.json's choice, checked later
        if recipe is None:
            continue
        reason = refusal_of(root, layout, recipe, {})
        if reason:
            refusals[finding.id] = reason
    return refusals


def with_refusals(result: ScanResult, refusals: dict[str, str]) -> ScanResult:
    """The scan's result with each refused finding manual, its message saying why."""
    if not refusals:
        return result
    findings = tuple(
        f.with_changes(
            automation="manual",
            message=f"{f.message} No codemod: tried on the files as they are, {refusals[f.id]}; "
            "the playbook lists the steps.",
        )
        if f.id in refusals
        else f
        for f in result.findings
    )
    return replace(result, findings=findings)
