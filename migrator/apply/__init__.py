"""`migrator apply --phase N`: one phase of the plan as one reviewed commit on its own branch.

plan.json -> edits in memory (runtime, codemods, markers, dependencies) -> a diff
(`--dry-run`), or a branch `stateless/phase-N-<slug>`, the files written, a re-scan, and a
commit that lists what changed and what needs a person. A failure midway puts the files and
branches back as they were.
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
from migrator.atomic import write_text_atomic
from migrator.plan import Plan, load_plan
from migrator.settings import load_settings

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


def unified_diff(root: Path, texts: dict[str, str]) -> str:
    """The edits as one unified diff, paths relative to the target's root."""
    out: list[str] = []
    for path, new in sorted(texts.items()):
        try:
            old = (root / path).read_text(encoding="utf-8")
            before = f"a/{path}"
        except OSError:
            old, before = "", "/dev/null"
        out.extend(
            difflib.unified_diff(
                old.splitlines(keepends=True), new.splitlines(keepends=True), before, f"b/{path}"
            )
        )
    return "".join(
        line if line.endswith("\n") else line + "\n\\ No newline at end of file\n" for line in out
    )


def commit_message(plan: Plan, number: int, edits: PhaseEdits) -> str:
    """A message that lists each component changed, its flag, and the manual steps left."""
    phase = plan.phase(number)
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
    if phase.kind != "cleanup":
        lines.append("Roll out each flag stage by stage: off, dualwrite, shadow, live, rampdown,")
        lines.append(f"complete (see the plan: phase {number}).")
    lines += ["", f"{TRAILER}: {number}"]
    return "\n".join(lines) + "\n"


def apply_phase(
    root: Path,
    number: int,
    *,
    plan_path: Path | None = None,
    dry_run: bool = False,
    report: Report | None = None,
) -> ApplyOutcome:
    """Apply phase `number` of the plan to the target at `root` (see the module's docstring).

    Raises ApplyRefusal or GitRefusal, with a one-line reason, before anything is changed.
    """
    say = report or (lambda _message: None)
    plan_file = plan_path or root / "migration-plan" / "plan.json"
    if not plan_file.is_file():
        raise ApplyRefusal(f"no plan at {plan_file}; run `migrator plan {root}` first")
    plan = load_plan(plan_file)
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
    missing = [
        p.number
        for p in plan.phases
        if p.number < number and p.kind == "migrate" and p.number not in done
    ]
    if missing:
        raise ApplyRefusal(
            f"phase {number} builds on phase {missing[0]}, which is not applied on this branch; "
            f"apply it first or check out its branch"
        )
    say(f"computing the edits of phase {number} ({len(phase.findings)} components)")
    edits = phase_edits(root, plan, number, load_settings(root))
    if dry_run:
        return ApplyOutcome(
            number,
            name,
            tuple(edits.changes),
            tuple(edits.texts),
            diff=unified_diff(root, edits.texts),
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
    work = Path(checkout.repo.working_tree_dir or root)
    before: dict[str, str | None] = {}
    start_branch(checkout, name)
    try:
        for path, text in edits.texts.items():
            target = root / path
            try:
                before[path] = target.read_text(encoding="utf-8")
            except FileNotFoundError:
                before[path] = None
            target.parent.mkdir(parents=True, exist_ok=True)
            write_text_atomic(target, text)
        say(f"wrote {len(edits.texts)} files; checking the result with a re-scan")
        still = _still_found(root, edits)
        staged = [(root / p).resolve().relative_to(work.resolve()).as_posix() for p in edits.texts]
        staged.append(plan_dir.resolve().relative_to(work.resolve()).as_posix())
        sha = commit(checkout, staged, commit_message(plan, number, edits))
    except Exception:
        for path, old in before.items():
            if old is None:
                (root / path).unlink(missing_ok=True)
            else:
                write_text_atomic(root / path, old)
        abandon(checkout, name)
        raise
    return ApplyOutcome(
        number, name, tuple(edits.changes), tuple(edits.texts), commit=sha, still_found=still
    )


def _still_found(root: Path, edits: PhaseEdits) -> tuple[str, ...]:
    """Migrated components that a fresh scan still reports (each is then a manual step)."""
    from migrator.inventory import scan_project

    found = {f.id for f in scan_project(root, use_cache=False).findings}
    return tuple(c.finding.qualname for c in edits.changes if c.migrated and c.finding.id in found)


__all__ = ["ApplyOutcome", "ApplyRefusal", "GitRefusal", "apply_phase", "unified_diff"]
