"""`migrator apply --phase N`: one phase of the plan as one reviewed commit on its own branch.

plan.json -> edits in memory (runtime, codemods, markers, dependencies) -> a diff
(`--dry-run`), or a branch `stateless/phase-N-<slug>`, the files written, a re-scan, and a
commit that lists what changed and what needs a person. A failure midway (a commit hook that
refuses, included) puts the files and branches back as they were. A phase with nothing to
change says so and makes no branch. The cleanup phase runs only when told that every flag
reached `complete` (`rollout_complete`), since it removes the paths a rollback would use.
"""

from __future__ import annotations

import difflib
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from migrator.apply.edits import Change, PhaseEdits, phase_edits
from migrator.apply.gitops import (
    TRAILER,
    Checkout,
    GitRefusal,
    abandon,
    applied_phases,
    branch_name,
    commit,
    open_checkout,
    start_branch,
)
from migrator.apply.text_files import read_source, write_source
from migrator.plan import Plan, load_plan
from migrator.settings import Settings, load_settings

Report = Callable[[str], None]


class ApplyRefusal(ValueError):
    """`apply` will not run; the message is one line a user can act on (exit 2)."""


@dataclass(frozen=True)
class ApplyOutcome:
    phase: int
    branch: str
    changes: tuple[Change, ...]
    files: tuple[str, ...]  # written, relative to the target's root
    diff: str = ""  # for --dry-run
    commit: str = ""  # hexsha, empty for --dry-run or when nothing was left to do
    already_applied: bool = False
    still_found: tuple[str, ...] = field(default_factory=tuple)  # qualnames the re-scan still sees
    nothing_to_change: bool = False  # the phase's edits leave every file as it is
    cleanup: bool = False  # the phase removes flags and old paths


def unified_diff(root: Path, texts: dict[str, str], top: Path | None = None) -> str:
    """The edits as one unified diff, paths relative to `top` (the repository's work tree,
    as `git diff` shows them and `git apply` takes them), else to the target's root."""
    out: list[str] = []
    for path, new in sorted(texts.items()):
        shown = path
        if top is not None:
            shown = (root / path).resolve().relative_to(top.resolve()).as_posix()
        try:
            old = read_source(root / path)
            before = f"a/{shown}"
        except (OSError, ValueError):
            old, before = "", "/dev/null"
        out.extend(
            difflib.unified_diff(
                old.splitlines(keepends=True), new.splitlines(keepends=True), before, f"b/{shown}"
            )
        )
    return "".join(
        line if line.endswith("\n") else line + "\n\\ No newline at end of file\n" for line in out
    )


def commit_message(plan: Plan, number: int, edits: PhaseEdits) -> str:
    """A message that lists each component changed, its flag, and the manual steps left."""
    phase = plan.phase(number)
    if phase.kind == "cleanup":
        return cleanup_message(plan, number, edits)
    lines = [f"stateless: phase {number}, {phase.title.lower()}", ""]
    migrated = [c for c in edits.changes if c.migrated]
    manual = [c for c in edits.changes if not c.migrated]
    if migrated:
        lines.append("Changed (every flag starts at `off`: merging this changes no behaviour):")
        lines += [f"- {c.finding.qualname} ({c.finding.category}): {c.how}" for c in migrated]
        lines.append("")
    if manual:
        lines.append("Needs a person (marked `TODO(stateless)` in the code):")
        lines += [f"- {c.finding.qualname} ({c.finding.category}): {c.how}" for c in manual]
        lines.append("")
    if phase.manual_steps:
        lines.append("Manual steps from the plan:")
        lines += [f"- {step}" for step in phase.manual_steps]
        lines.append("")
    if edits.notes:
        lines.append("Dependencies (refresh the lock files named here):")
        lines += [f"- {note}" for note in edits.notes]
        lines.append("")
    if phase.kind != "cleanup":
        lines.append("Roll out each flag stage by stage: off, dualwrite, shadow, live, rampdown,")
        lines.append(f"complete (see the plan: phase {number}).")
    lines += ["", f"{TRAILER}: {number}"]
    return "\n".join(lines) + "\n"


def cleanup_message(plan: Plan, number: int, edits: PhaseEdits) -> str:
    """The cleanup phase's message: what is pinned at `complete`, what keeps its flag, and
    that merging removes the old path (it changes behaviour wherever a flag is not yet
    `complete`)."""
    phase = plan.phase(number)
    lines = [f"stateless: phase {number}, {phase.title.lower()}", ""]
    removed = [c for c in edits.changes if c.migrated]
    kept = [c for c in edits.changes if not c.migrated]
    if removed:
        lines.append("Pinned at `complete`, flag and old in-process path removed:")
        lines += [f"- {c.finding.qualname} ({c.finding.category}): {c.how}" for c in removed]
        lines.append("")
    if kept:
        lines.append("Left as they are:")
        lines += [f"- {c.finding.qualname} ({c.finding.category}): {c.how}" for c in kept]
        lines.append("")
    lines.append("Merging this removes the old path: the pinned components use only their")
    lines.append("stores, whatever their flags say. Merge it only where every flag of the")
    lines.append("earlier phases is `complete` in every environment; after the merge, setting")
    lines.append("a flag back no longer brings the old path back.")
    lines += ["", f"{TRAILER}: {number}"]
    return "\n".join(lines) + "\n"


def apply_phase(
    root: Path,
    number: int,
    *,
    plan_path: Path | None = None,
    dry_run: bool = False,
    rollout_complete: bool = False,
    report: Report | None = None,
) -> ApplyOutcome:
    """Apply phase `number` of the plan to the target at `root` (see the module's docstring).

    The cleanup phase is refused unless `rollout_complete` (or `dry_run`). Raises
    ApplyRefusal or GitRefusal, with a one-line reason, before anything is changed.
    """
    say = report or (lambda _message: None)
    plan_file = plan_path or root / "migration-plan" / "plan.json"
    if not plan_file.is_file():
        raise ApplyRefusal(f"no plan at {plan_file}; run `migrator plan {root}` first")
    plan = load_plan(plan_file, root)
    try:
        phase = plan.phase(number)
    except KeyError:
        known = ", ".join(str(p.number) for p in plan.phases) or "none"
        raise ApplyRefusal(f"the plan has no phase {number} (phases: {known})") from None
    checkout = open_checkout(root, plan_file.parent)
    done = applied_phases(checkout)
    name = branch_name(number, phase.slug)
    if number in done:
        return ApplyOutcome(number, checkout.branch, (), (), already_applied=True)
    settings = load_settings(root)
    missing = _first_missing(root, plan, number, done, settings)
    if missing is not None:
        raise ApplyRefusal(
            f"phase {number} builds on phase {missing}, which is not applied on this branch; "
            f"apply it first or check out its branch"
        )
    cleanup = phase.kind == "cleanup"
    if cleanup and not (rollout_complete or dry_run):
        raise ApplyRefusal(
            f"phase {number} removes the flags and the old paths, so a rollback is no longer "
            "possible: run it once every flag of the earlier phases is `complete` in every "
            f"environment, and say so with `migrator apply --phase {number} --rollout-complete` "
            "(`--dry-run` shows the change first)"
        )
    say(f"computing the edits of phase {number} ({len(phase.findings)} components)")
    edits = phase_edits(root, plan, number, settings)
    if dry_run or not edits.texts:
        return ApplyOutcome(
            number,
            name,
            tuple(edits.changes),
            tuple(edits.texts),
            diff=unified_diff(root, edits.texts, Path(checkout.repo.working_tree_dir or root)),
            nothing_to_change=not edits.texts,
            cleanup=cleanup,
        )
    return _write_and_commit(root, plan, number, plan_file.parent, name, edits, checkout, say)


def _write_and_commit(
    root: Path,
    plan: Plan,
    number: int,
    plan_dir: Path,
    name: str,
    edits: PhaseEdits,
    checkout: Checkout,
    say: Report,
) -> ApplyOutcome:
    work = Path(checkout.repo.working_tree_dir or root).resolve()
    before: dict[str, str | None] = {}
    made: list[Path] = []  # folders that did not exist, deepest last
    start_branch(checkout, name)
    try:
        for path, text in edits.texts.items():
            target = root / path
            try:
                before[path] = read_source(target)
            except FileNotFoundError:
                before[path] = None
            made += [d for d in reversed(target.parents) if not d.exists() and d not in made]
            target.parent.mkdir(parents=True, exist_ok=True)
            write_source(target, text)
        say(f"wrote {len(edits.texts)} files; checking the result with a re-scan")
        still = _still_found(root, edits)
        staged = [(root / p).resolve().relative_to(work).as_posix() for p in edits.texts]
        if plan_dir.resolve().is_relative_to(work):
            staged.append(plan_dir.resolve().relative_to(work).as_posix())
        sha = commit(checkout, staged, commit_message(plan, number, edits))
    except GitRefusal as refusal:
        _put_back(root, before, made, checkout, name)
        raise GitRefusal(
            f"{refusal}; nothing was committed: the files are as they were and "
            f"`{checkout.branch}` is checked out again"
        ) from None
    except Exception:
        _put_back(root, before, made, checkout, name)
        raise
    return ApplyOutcome(
        number,
        name,
        tuple(edits.changes),
        tuple(edits.texts),
        commit=sha,
        still_found=still,
        cleanup=plan.phase(number).kind == "cleanup",
    )


def _put_back(
    root: Path, before: dict[str, str | None], made: list[Path], checkout: Checkout, name: str
) -> None:
    """Every file as it was, the folders made for new ones gone, the branch `name` deleted."""
    for path, old in before.items():
        if old is None:
            (root / path).unlink(missing_ok=True)
        else:
            write_source(root / path, old)
    for folder in reversed(made):
        if folder.is_dir() and not any(folder.iterdir()):
            folder.rmdir()
    abandon(checkout, name)


def _first_missing(
    root: Path, plan: Plan, number: int, done: set[int], settings: Settings
) -> int | None:
    """The first migrate phase before `number` that is not applied and has something to
    change (one with nothing to change is never committed, so it cannot be missing)."""
    for phase in plan.phases:
        if phase.number >= number or phase.kind != "migrate" or phase.number in done:
            continue
        try:
            if not phase_edits(root, plan, phase.number, settings).texts:
                continue
        except ValueError:
            pass  # it cannot be applied as it is: still the phase to see to first
        return phase.number
    return None


def _still_found(root: Path, edits: PhaseEdits) -> tuple[str, ...]:
    """Migrated components that a fresh scan still reports (each is then a manual step)."""
    from migrator.inventory import scan_project

    found = {f.id for f in scan_project(root, use_cache=False).findings}
    return tuple(c.finding.qualname for c in edits.changes if c.migrated and c.finding.id in found)


__all__ = ["ApplyOutcome", "ApplyRefusal", "GitRefusal", "apply_phase", "unified_diff"]
