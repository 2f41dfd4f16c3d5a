"""The edits of one phase, computed in memory: runtime files, codemod output, dependencies.

Nothing here writes; `apply` shows the edits as a diff (`--dry-run`) or writes them all.
Before anything is computed the tree is scanned again, so markers land at today's lines; after,
every import the phase added must resolve from the target's import root, or the phase is
refused with one line and nothing is written.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

from migrator.apply.cleanup import cleanup_edits
from migrator.apply.dependency_files import add_dependencies
from migrator.apply.fresh_findings import refreshed
from migrator.apply.import_check import check_added_imports
from migrator.apply.layout import TargetLayout
from migrator.apply.markers import place_markers
from migrator.apply.recipes import Recipe, recipe_for
from migrator.apply.runtime_files import place_runtime, runtime_components, runtime_texts
from migrator.apply.target_style import restyle, target_style
from migrator.apply.text_files import encode_source, keep_format, read_source
from migrator.apply.trial import refusal_of
from migrator.codemods.apply_to_files import apply_codemod_to_files
from migrator.model import Finding
from migrator.plan import Plan
from migrator.runtime import Component, required_clients
from migrator.settings import Settings


class UnwritableEdit(ValueError):
    """A file cannot hold its new text in its own encoding; the message is one line."""


@dataclass(frozen=True)
class Change:
    """What happened to one component."""

    finding: Finding
    migrated: bool
    how: str  # "flag STATELESS_X on redis", "framework backend switch", or why it is manual


@dataclass
class PhaseEdits:
    texts: dict[str, str] = field(default_factory=dict)  # path relative to root -> new text
    changes: list[Change] = field(default_factory=list)
    components: list[Component] = field(default_factory=list)
    # What a person must do besides reviewing: lock files to refresh, lists to check.
    notes: list[str] = field(default_factory=list)


def phase_edits(root: Path, plan: Plan, number: int, settings: Settings) -> PhaseEdits:
    """Everything phase `number` changes in the target, with a Change per component.

    The plan's components are matched to a fresh scan (today's lines and sites); each is tried
    with its codemod on the files as they are (a refusal, or a file `apply` never edits, makes
    it manual), manual ones get markers, then the codemods run in turn on the result. Raises
    ValueError (one line) when the result would import what does not resolve, or a file
    cannot hold its new text.
    """
    excluded = plan.excluded_ids
    phase = plan.phase(number)
    planned = [plan.component(i) for i in phase.findings if i not in excluded]
    if phase.kind == "cleanup":
        return cleanup_edits(root, plan, planned, settings)
    earlier = [
        plan.component(i)
        for p in plan.phases
        if p.number < number and p.kind == "migrate"
        for i in p.findings
        if i not in excluded
    ]
    edits = PhaseEdits()
    fresh = refreshed(root, planned)
    findings: list[Finding] = []
    for finding in planned:
        now = fresh[finding.id]
        if now is None:
            edits.changes.append(Change(finding, False, _GONE))
        else:
            findings.append(now)
    samples = sorted({p for f in [*earlier, *findings] for p in _paths(f)})
    layout = TargetLayout.read(root, settings, samples)
    runtime, runtime_dir = place_runtime(layout.roots, root, [*earlier, *planned])

    recipes: dict[str, Recipe] = {}
    manual: list[tuple[Finding, str]] = []
    for finding in findings:
        recipe = _recipe(plan, finding, layout.module_of(finding.path), runtime, settings)
        if recipe is None:
            manual.append((finding, f"manual: see `migrator playbook {finding.category}`"))
            continue
        refusal = refusal_of(root, layout, recipe, {})
        if refusal:
            manual.append((finding, f"manual: {refusal}"))
        else:
            recipes[finding.id] = recipe

    current: dict[str, str] = {}
    for finding, why in manual:
        unmarked = place_markers(layout, finding, current)
        how = f"{why}; not marked where {'; '.join(unmarked)}" if unmarked else why
        edits.changes.append(Change(finding, False, how))
    requirements: set[str] = set()
    migrated: list[Component] = []
    for finding in findings:
        recipe = recipes.get(finding.id)
        if recipe is None:
            continue
        result = apply_codemod_to_files(
            root,
            recipe.files,
            recipe.make(),
            recipe.all_or_nothing,
            sources=current,
            module_of=layout.module_of,
        )
        current.update(result.texts)
        if recipe.component is not None:
            migrated.append(recipe.component)
            how = f"flag STATELESS_{recipe.component.name.upper()} on {recipe.component.store}"
        elif recipe.outcome:
            how = recipe.outcome
        else:
            how = f"the framework's own Redis backend (flag {plan.flag_of(finding.id)}: off | complete)"
            requirements.add(recipe.requirement)
        edits.changes.append(Change(finding, True, how))

    edits.components = runtime_components(root, runtime_dir, migrated)
    fallback = root.resolve().name
    current.update(
        runtime_texts(
            runtime, runtime_dir, edits.components, settings.key_prefix, fallback, layout.newline
        )
    )
    requirements.update(required_clients(edits.components))
    _add_dependencies(root, layout, runtime_dir, findings, requirements, current, edits)
    originals = _originals(root, current)
    current = restyle(root, target_style(root), originals, current)
    edits.texts = {
        path: keep_format(originals[path], text) if path in originals else text
        for path, text in sorted(current.items())
        if originals.get(path) != text
    }
    check_added_imports(
        root,
        originals,
        edits.texts,
        layout.roots,
        [runtime, *map(layout.module_of, _defs(findings))],
    )
    _check_encodable(root, edits.texts)
    return edits


_GONE = (
    "not found by a scan of the current tree: it was moved, renamed or removed since the plan "
    "was made; nothing was changed (run `migrator plan` again)"
)


def _paths(finding: Finding) -> set[str]:
    return {finding.path, *(e.path for e in finding.evidence)}


def _defs(findings: list[Finding]) -> list[str]:
    return [f.path for f in findings if f.path.endswith(".py")]


def _add_dependencies(
    root: Path,
    layout: TargetLayout,
    runtime_dir: str,
    findings: list[Finding],
    requirements: set[str],
    current: dict[str, str],
    edits: PhaseEdits,
) -> None:
    """The clients the phase needs, added where the project declares its dependencies."""
    wanted = sorted(r for r in requirements if r)
    if not wanted:
        return
    start = root / runtime_dir if runtime_dir else root
    if not start.is_dir() and findings:
        start = (root / findings[0].path).parent
    added = add_dependencies(start, layout.roots.top, wanted, layout.newline)
    for path, text in added.texts.items():
        current[os.path.relpath(path, root.resolve()).replace(os.sep, "/")] = text
    edits.notes += [note for note in added.notes if note not in edits.notes]


def _originals(root: Path, texts: dict[str, str]) -> dict[str, str]:
    """The text each existing file holds now, read exactly (newlines, encoding, BOM)."""
    found: dict[str, str] = {}
    for path in texts:
        try:
            found[path] = read_source(root / path)
        except (OSError, ValueError):
            continue
    return found


def _check_encodable(root: Path, texts: dict[str, str]) -> None:
    for path, text in texts.items():
        try:
            encode_source(root / path, text)
        except UnicodeEncodeError as error:
            raise UnwritableEdit(
                f"{path}: the new text has `{error.object[error.start : error.end]}`, which the "
                f"file's encoding ({error.encoding}) cannot hold; nothing was written"
            ) from None


def _recipe(
    plan: Plan, finding: Finding, module: str, runtime: str, settings: Settings
) -> Recipe | None:
    """The finding's recipe with the plan's store and flag, the settings' TTL and key prefix;
    `module` is the dotted module of its definition."""
    ttl = settings.ttls.get(finding.symbol) or settings.ttls.get(finding.category)
    store = plan.store_of(finding.id)
    flag = plan.flag_of(finding.id)
    return recipe_for(finding, module, runtime, store, ttl, settings.key_prefix, flag)
