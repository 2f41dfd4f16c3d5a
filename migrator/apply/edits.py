"""The edits of one phase, computed in memory: runtime files, codemod output, dependencies.

Nothing here writes; `apply` shows the edits as a diff (`--dry-run`) or writes them all.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from pathlib import Path

import libcst as cst
from libcst.codemod import CodemodContext, SkipFile

from migrator.apply.recipes import Recipe, recipe_for
from migrator.codemods.apply_to_files import apply_codemod_to_files
from migrator.codemods.dependencies import add_requirement
from migrator.codemods.manual_marker import ManualMarkerCodemod, MarkerSite
from migrator.codemods.remove_migration_flag import RemoveMigrationFlagCodemod
from migrator.model import Finding
from migrator.plan import Plan
from migrator.plan.rollout import flag_name
from migrator.runtime import RUNTIME_DIR, Component, render_runtime, required_clients
from migrator.settings import Settings


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


def module_of(root: Path, path: str) -> str:
    """The dotted module of a file: its folders up to the first without `__init__.py`."""
    parts = path[:-3].split("/")
    if parts[-1] == "__init__":
        parts.pop()
    names = [parts[-1]] if parts else []
    folder = Path(root, *parts[:-1])
    for name in reversed(parts[:-1]):
        if not (folder / "__init__.py").is_file():
            break
        names.insert(0, name)
        folder = folder.parent
    return ".".join(names)


def runtime_home(root: Path, findings: list[Finding]) -> tuple[str, str]:
    """(importable runtime package, its folder relative to root) for these findings.

    The runtime goes into the target's top package (`shop/_stateless`), or next to the
    modules when they are not in a package.
    """
    for finding in findings:
        module = module_of(root, finding.path).split(".")
        parts = finding.path.split("/")
        is_init = parts[-1] == "__init__.py"
        if len(module) > 1 or is_init:
            top = len(parts) - len(module) - (1 if is_init else 0)
            return f"{module[0]}.{RUNTIME_DIR}", "/".join(parts[: top + 1])
    beside = findings[0].path if findings else ""
    return RUNTIME_DIR, "/".join(beside.split("/")[:-1])


def phase_edits(root: Path, plan: Plan, number: int, settings: Settings) -> PhaseEdits:
    """Everything phase `number` changes in the target, with a Change per component.

    Three passes, so that line numbers from the scan stay true where they are used: try every
    codemod on the files as they are (a refused one makes its finding manual), place the
    manual-review markers (by line), then run the codemods in turn (by name) on the result.
    """
    excluded = plan.excluded_ids
    phase = plan.phase(number)
    findings = [plan.component(i) for i in phase.findings if i not in excluded]
    if phase.kind == "cleanup":
        return cleanup_edits(root, plan, findings, settings)
    earlier = [
        plan.component(i)
        for p in plan.phases
        if p.number < number and p.kind == "migrate"
        for i in p.findings
        if i not in excluded
    ]
    runtime, runtime_dir = runtime_home(root, findings + earlier)
    edits = PhaseEdits()
    recipes: dict[str, Recipe] = {}
    manual: list[tuple[Finding, str]] = []
    for finding in findings:
        recipe = _recipe(root, plan, finding, runtime, settings)
        if recipe is None:
            manual.append((finding, f"manual: see `migrator playbook {finding.category}`"))
            continue
        trial = apply_codemod_to_files(root, recipe.files, recipe.make(), recipe.all_or_nothing)
        refused = trial.refused if recipe.all_or_nothing else ()
        if refused or not trial.texts:
            notes = [note for o in trial.outcomes for note in o.notes]
            reason = (
                "; ".join(f"{o.path}: {o.reason}" for o in refused)
                or "; ".join(notes)
                or "nothing to rewrite"
            )
            manual.append((finding, f"manual: the codemod refused ({reason})"))
        else:
            recipes[finding.id] = recipe

    current: dict[str, str] = {}
    for finding, why in manual:
        _mark(root, finding, current)
        edits.changes.append(Change(finding, False, why))
    requirements: set[str] = set()
    for finding in findings:
        recipe = recipes.get(finding.id)
        if recipe is None:
            continue
        result = apply_codemod_to_files(
            root, recipe.files, recipe.make(), recipe.all_or_nothing, sources=current
        )
        current.update(result.texts)
        if recipe.component is not None:
            edits.components.append(recipe.component)
            how = f"flag STATELESS_{recipe.component.name.upper()} on {recipe.component.store}"
        else:
            how = f"the framework's own Redis backend (flag {flag_name(finding.symbol)}: off | complete)"
            requirements.add(recipe.requirement)
        edits.changes.append(Change(finding, True, how))

    # The runtime carries this phase's components and those of the phases before it.
    for finding in earlier:
        recipe = _recipe(root, plan, finding, runtime, settings)
        component = recipe.component if recipe is not None else None
        if component is not None and all(c.name != component.name for c in edits.components):
            edits.components.append(component)
    if recipes and edits.components:
        package = runtime.rpartition(".")[0] or root.resolve().name
        for rel, text in render_runtime(package, edits.components, settings.key_prefix).items():
            current[f"{runtime_dir}/{rel}" if runtime_dir else rel] = text
        requirements.update(required_clients(edits.components))
    for requirement in sorted(r for r in requirements if r):
        for path, text in add_requirement(root, requirement).items():
            current[Path(path).resolve().relative_to(root.resolve()).as_posix()] = text
    edits.texts = {p: t for p, t in sorted(current.items()) if not _same(root / p, t)}
    return edits


def cleanup_edits(
    root: Path, plan: Plan, findings: list[Finding], settings: Settings
) -> PhaseEdits:
    """The last phase: each migrated component loses its flag and old path, and the runtime
    pins it at `complete`. What is refused, or was never migrated, is left as it is."""
    runtime, runtime_dir = runtime_home(root, findings)
    edits = PhaseEdits()
    current: dict[str, str] = {}
    for finding in findings:
        recipe = _recipe(root, plan, finding, runtime, settings)
        if recipe is None:
            edits.changes.append(Change(finding, False, "moved by hand: no flag to remove"))
            continue
        component = recipe.component
        if component is not None:
            codemod = RemoveMigrationFlagCodemod(CodemodContext(), component.name, runtime)
        else:
            flag = flag_name(finding.symbol).removeprefix("STATELESS_")
            codemod = RemoveMigrationFlagCodemod(CodemodContext(), finding.symbol, runtime, flag)
        result = apply_codemod_to_files(root, recipe.files, codemod, True, sources=current)
        if result.refused or not result.texts:
            why = "; ".join(f"{o.path}: {o.reason}" for o in result.refused) or (
                "no flag found: it was not migrated, or was changed by hand"
            )
            edits.changes.append(Change(finding, False, f"left as it is ({why})"))
            if component is not None:
                edits.components.append(component)
            continue
        current.update(result.texts)
        if component is not None:
            edits.components.append(replace(component, pinned=True))
            how = f"flag STATELESS_{component.name.upper()} removed; pinned at `complete`"
        else:
            how = "switch removed: the framework's Redis backend only"
        edits.changes.append(Change(finding, True, how))
    if edits.components and any(c.migrated for c in edits.changes):
        package = runtime.rpartition(".")[0] or root.resolve().name
        for rel, text in render_runtime(package, edits.components, settings.key_prefix).items():
            current[f"{runtime_dir}/{rel}" if runtime_dir else rel] = text
    edits.texts = {p: t for p, t in sorted(current.items()) if not _same(root / p, t)}
    return edits


def _recipe(
    root: Path, plan: Plan, finding: Finding, runtime: str, settings: Settings
) -> Recipe | None:
    """The finding's recipe with the plan's store and the settings' TTL and key prefix."""
    ttl = settings.ttls.get(finding.symbol) or settings.ttls.get(finding.category)
    module = module_of(root, finding.path)
    store = plan.store_of(finding.id)
    return recipe_for(finding, module, runtime, store, ttl, settings.key_prefix)


def _same(path: Path, text: str) -> bool:
    try:
        return path.read_text(encoding="utf-8") == text
    except OSError:
        return False


def _mark(root: Path, finding: Finding, current: dict[str, str]) -> None:
    """Manual-review markers at the definition and at each site that changes the component."""
    what = f"`{finding.symbol}` ({finding.category.replace('_', ' ')}) must be moved by hand"
    sites = [(finding.path, finding.line)] + [
        (e.path, e.line) for e in finding.evidence if e.access in ("write", "delete", "mutate")
    ]
    by_path: dict[str, list[MarkerSite]] = {}
    for path, line in sites:
        by_path.setdefault(path, []).append(MarkerSite(line, what, finding.category))
    for path, markers in by_path.items():
        source = current.get(path)
        if source is None:
            source = (root / path).read_text(encoding="utf-8")
        codemod = ManualMarkerCodemod(CodemodContext(filename=str(root / path)), markers)
        try:
            current[path] = codemod.transform_module(cst.parse_module(source)).code
        except (cst.ParserSyntaxError, SkipFile):
            continue  # the plan still lists the component as manual
