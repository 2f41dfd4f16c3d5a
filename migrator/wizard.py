"""`migrator wizard`: scan, review each finding, plan, apply phase 1, in one guided session.

Every prompt has a default, so pressing Enter throughout (or `--yes`) takes the path a
careful engineer would: keep every finding, plan, and apply phase 1 when the tree is clean.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from rich.console import Console
from rich.panel import Panel
from rich.prompt import Confirm, Prompt

from migrator.model import Finding, ScanResult
from migrator.plan import Exclusion, Plan, build_plan, load_plan, write_plan
from migrator.playbook import RUNTIME_STORES
from migrator.report import plural

CHOICES = {"a": "accept", "e": "exclude", "s": "change store", "r": "accept the rest"}


def review(
    findings: tuple[Finding, ...], console: Console, assume_yes: bool
) -> tuple[dict[str, str], dict[str, str]]:
    """Ask about each finding: (exclusions id -> reason, store choices id -> store)."""
    excluded: dict[str, str] = {}
    stores: dict[str, str] = {}
    if assume_yes:
        return excluded, stores
    for number, finding in enumerate(findings, start=1):
        console.print(
            Panel(
                f"{finding.message}\n\n[dim]{finding.path}:{finding.line} · confidence "
                f"{finding.confidence} · store {finding.suggested_store} · {finding.automation}[/dim]",
                title=f"{number}/{len(findings)}  {finding.category}: {finding.symbol}",
                title_align="left",
            )
        )
        answer = Prompt.ask(
            r"\[a]ccept, \[e]xclude, \[s]tore, accept the \[r]est",
            choices=list(CHOICES),
            default="a",
            console=console,
        )
        if answer == "r":
            break
        if answer == "e":
            reason = ""
            while not reason.strip():
                reason = Prompt.ask("Why is it not state to migrate? (required)", console=console)
            excluded[finding.id] = reason.strip()
        elif answer == "s":
            stores[finding.id] = Prompt.ask(
                "Store",
                choices=list(RUNTIME_STORES),
                default=finding.suggested_store,
                console=console,
            )
    return excluded, stores


def with_choices(plan: Plan, excluded: dict[str, str], stores: dict[str, str]) -> Plan:
    """The plan with a person's exclusions and store choices, as if edited in plan.json."""
    return replace(
        plan,
        excluded=tuple(plan.excluded) + tuple(Exclusion(i, r) for i, r in excluded.items()),
        phases=tuple(
            replace(p, findings=tuple(i for i in p.findings if i not in excluded))
            for p in plan.phases
        ),
        stores={**plan.stores, **stores},
    )


def run_wizard(path: Path, result: ScanResult, console: Console, assume_yes: bool) -> int:
    """The guided session after the scan; the exit status."""
    from migrator.apply import ApplyRefusal, GitRefusal, apply_phase
    from migrator.report.table import render_table

    render_table(result, console)
    if not result.findings:
        console.print(
            "Nothing to migrate: the service keeps no process-local state migrator can see."
        )
        return 0
    console.rule("Review")
    excluded, stores = review(result.findings, console, assume_yes)
    out_dir = path / "migration-plan"
    previous = load_plan(out_dir / "plan.json") if (out_dir / "plan.json").is_file() else None
    first = build_plan(result, previous).plan
    outcome = build_plan(result, with_choices(first, excluded, stores))
    write_plan(outcome, out_dir)
    console.rule("Plan")
    for phase in outcome.plan.phases:
        console.print(
            f"  phase {phase.number}: {phase.title} "
            f"({plural(len(phase.findings), 'component')}, risk {phase.risk})"
        )
    console.print(f"Wrote {out_dir}/PLAN.md, plan.html and plan.json ({len(excluded)} excluded).")
    migrate = [p for p in outcome.plan.phases if p.kind == "migrate" and p.findings]
    if not migrate:
        return 0
    number = migrate[0].number
    if not (
        assume_yes
        or Confirm.ask(f"Apply phase {number} now on a new branch?", default=True, console=console)
    ):
        console.print(f"Later: `migrator apply {path} --phase {number}`.")
        return 0
    console.rule(f"Apply phase {number}")
    try:
        applied = apply_phase(path, number)
    except (ApplyRefusal, GitRefusal) as exc:
        # The user asked for this phase: a refusal is a failure of the run, not a success.
        console.print(f"[red]Not applied:[/red] {exc}", highlight=False)
        return 2
    if applied.already_applied:
        console.print(f"Phase {number} is already applied on {applied.branch}.")
        return 0
    console.print(f"Committed {applied.commit[:10]} on branch [bold]{applied.branch}[/bold]:")
    for name in applied.files:
        console.print(f"  {name}", highlight=False)
    for change in applied.changes:
        state = "migrated" if change.migrated else "manual"
        console.print(
            f"  {state}: {change.finding.qualname} ({change.how})", highlight=False, markup=False
        )
    console.print(f"See the diff with `git show {applied.branch}`; every flag starts at `off`.")
    offer_verify(path, console)
    return 0


def offer_verify(path: Path, console: Console) -> None:
    """Say how to prove the applied phase on several replicas (verify starts processes, so the
    wizard names the command rather than running it unasked)."""
    from migrator.verify import JOURNEY_NAMES

    command = f"migrator verify {path} --mode complete"
    if any((path / name).is_file() for name in JOURNEY_NAMES):
        console.print(f"Prove it on two replicas before `live`: `{command}`.", highlight=False)
    else:
        console.print(
            f"Prove it on two replicas before `live`: write `{path}/journey.yaml` (what a user "
            f"does; see `migrator verify --help`), then run `{command}`.",
            highlight=False,
        )
