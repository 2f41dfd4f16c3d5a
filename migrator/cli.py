"""The `migrator` command line: scan, plan, apply, check, wizard, playbook.

Exit status (DESIGN.md): 0 done; 1 `check` found new local state, or `scan --error` found
something; 2 bad input, with a one-line reason on stderr and never a traceback.
"""

from __future__ import annotations

import functools
import io
import json
import os
import shutil
import sys
from enum import Enum
from pathlib import Path
from typing import TYPE_CHECKING

import typer

from migrator import __version__
from migrator.atomic import write_text_atomic
from migrator.report import plural

if TYPE_CHECKING:
    from collections.abc import Sequence

    from rich.console import Console

    from migrator.apply.edits import Change

app = typer.Typer(
    name="migrator",
    help="Take a stateful Python web service to a stateless one: scan, plan, apply, check.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    context_settings={"help_option_names": ["-h", "--help"]},
)


@functools.cache
def err() -> Console:
    """The console for stderr, made on first use: rich costs an import a JSON scan need not pay."""
    from rich.console import Console

    return Console(stderr=True)


class ScanFormat(str, Enum):
    table = "table"
    concise = "concise"
    json = "json"
    sarif = "sarif"
    markdown = "markdown"


class Severity(str, Enum):
    note = "note"
    warning = "warning"
    error = "error"


class Confidence(str, Enum):
    low = "low"
    medium = "medium"
    high = "high"


# Piped or written to a file, a table is as wide as its rows: nothing to fold a line for.
UNWRAPPED_WIDTH = 10_000


def out_console() -> Console:
    """The console for stdout: the terminal's width, or wide enough when piped to a file."""
    from rich.console import Console

    return Console() if sys.stdout.isatty() else Console(width=160)


def line_width() -> int | None:
    """The width to keep a line within: the terminal's, or `COLUMNS` when set; else None."""
    columns = os.environ.get("COLUMNS", "")
    if columns.isdigit() and int(columns) > 0:
        return int(columns)
    return shutil.get_terminal_size().columns if sys.stdout.isatty() else None


def fail(message: str, code: int = 2) -> typer.Exit:
    """Print a one-line reason on stderr and give the exit to raise."""
    err().print(f"migrator: {message}", markup=False, highlight=False, soft_wrap=True)
    return typer.Exit(code)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"migrator {__version__}")
        raise typer.Exit()


@app.callback()
def main_options(
    version: bool = typer.Option(
        False, "--version", "-V", callback=_version, is_eager=True, help="Show the version."
    ),
) -> None:
    """Take a stateful Python web service to a stateless one."""


def run_scan(path: Path, jobs: int | None, use_cache: bool):  # type: ignore[no-untyped-def]
    """Scan with a progress bar on stderr when it is a terminal; errors become exit 2."""
    from migrator.inventory import ScanError, scan_project
    from migrator.settings import SettingsError

    if jobs is not None and jobs < 1:
        raise fail("--jobs must be 1 or more")
    try:
        if sys.stderr.isatty():
            from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

            with Progress(
                TextColumn("scanning"),
                BarColumn(),
                MofNCompleteColumn(),
                console=err(),
                transient=True,
            ) as bar:
                task = bar.add_task("scan", total=None)
                return scan_project(
                    path,
                    jobs=jobs,
                    use_cache=use_cache,
                    display_root=str(path),
                    progress=lambda done, total: bar.update(task, completed=done, total=total),
                )
        return scan_project(path, jobs=jobs, use_cache=use_cache, display_root=str(path))
    except (ScanError, SettingsError) as exc:
        raise fail(str(exc)) from None


def emit(text: str, output: Path | None) -> None:
    """The document to stdout, or whole to a file (never half-written)."""
    if output is None:
        sys.stdout.write(text if text.endswith("\n") else text + "\n")
        return
    try:
        write_text_atomic(output, text if text.endswith("\n") else text + "\n")
    except OSError as exc:
        raise fail(f"cannot write {output}: {exc.strerror or exc}") from None


@app.command()
def scan(
    path: Path = typer.Argument(Path("."), help="The project's root folder."),
    format: ScanFormat = typer.Option(ScanFormat.table, "--format", "-f", help="Output format."),
    output: Path | None = typer.Option(
        None, "--output", "-o", help="Write to FILE instead of stdout."
    ),
    jobs: int | None = typer.Option(
        None, "--jobs", "-j", help="Parser processes (default: CPU count)."
    ),
    no_cache: bool = typer.Option(
        False, "--no-cache", help="Parse every file, ignoring the cache."
    ),
    select: list[str] = typer.Option(
        [],
        "--select",
        metavar="CATEGORY",
        help="Show only these categories (repeat, or separate with commas).",
    ),
    ignore: list[str] = typer.Option(
        [],
        "--ignore",
        metavar="CATEGORY",
        help="Leave these categories out (repeat, or separate with commas).",
    ),
    min_severity: Severity = typer.Option(
        Severity.note, "--min-severity", help="Leave out findings below this severity."
    ),
    min_confidence: Confidence = typer.Option(
        Confidence.low, "--min-confidence", help="Leave out findings below this confidence."
    ),
    error: bool = typer.Option(
        False, "--error", help="Exit 1 when any finding passes the filters (default: exit 0)."
    ),
    exit_zero: bool = typer.Option(
        False, "--exit-zero", help="Exit 0 whatever is found, even with --error."
    ),
) -> None:
    """Inventory every stateful component: sessions, caches, counters, locks, files, ...

    The filters apply to every format, JSON included.

    Exit status: 0 whatever is found, by default.

    --error: exit 1 when a finding passes the filters. --exit-zero: exit 0, even with --error.

    Bad input (no such path, unknown category) exits 2.
    """
    from migrator.report import FindingFilter, parse_categories

    try:
        chosen = FindingFilter(
            select=parse_categories(select, "--select"),
            ignore=parse_categories(ignore, "--ignore"),
            min_severity=min_severity.value,
            min_confidence=min_confidence.value,
        )
    except ValueError as exc:
        raise fail(str(exc)) from None
    result, hidden = chosen.apply(run_scan(path, jobs, not no_cache))
    if format is ScanFormat.json:
        emit(json.dumps(result.to_json(), indent=2), output)
    elif format is ScanFormat.concise:
        from migrator.report.concise import to_concise

        emit(to_concise(result, hidden, None if output else line_width()), output)
    elif format is ScanFormat.sarif:
        from migrator.report.sarif import to_sarif

        emit(json.dumps(to_sarif(result, __version__), indent=2), output)
    elif format is ScanFormat.markdown:
        from migrator.report.markdown import to_markdown

        emit(to_markdown(result), output)
    else:
        from rich.console import Console

        from migrator.report.table import render_table

        if output is not None:
            console = Console(record=True, width=UNWRAPPED_WIDTH, file=io.StringIO())
            render_table(result, console, hidden)
            emit(console.export_text(), output)
        elif sys.stdout.isatty():
            render_table(result, out_console(), hidden)
        else:
            render_table(result, Console(width=UNWRAPPED_WIDTH), hidden)
    if error and not exit_zero and result.findings:
        raise typer.Exit(1)


def with_trial_refusals(path: Path, result):  # type: ignore[no-untyped-def]
    """The scan's result with every codemod that refuses on today's files made manual."""
    from migrator.apply.trial import codemod_refusals, with_refusals
    from migrator.settings import SettingsError, load_settings

    try:
        settings = load_settings(path)
    except SettingsError as exc:
        raise fail(str(exc)) from None
    return with_refusals(result, codemod_refusals(path, result.findings, settings))


@app.command()
def plan(
    path: Path = typer.Argument(Path("."), help="The project's root folder."),
    out: Path | None = typer.Option(
        None, "--out", help="Folder for the plan (default PATH/migration-plan)."
    ),
    jobs: int | None = typer.Option(
        None, "--jobs", "-j", help="Parser processes (default: CPU count)."
    ),
) -> None:
    """Write the phased migration plan: plan.json (editable), PLAN.md and plan.html."""
    from migrator.plan import build_plan, load_plan, write_plan

    out_dir = out if out is not None else path / "migration-plan"
    previous = None
    if (out_dir / "plan.json").is_file():
        try:
            previous = load_plan(out_dir / "plan.json")
        except ValueError as exc:
            raise fail(str(exc)) from None
    result = run_scan(path, jobs, True)
    result = with_trial_refusals(path, result)
    outcome = build_plan(result, previous)
    try:
        written = write_plan(outcome, out_dir)
    except OSError as exc:
        raise fail(f"cannot write the plan to {out_dir}: {exc.strerror or exc}") from None
    console = out_console()
    phases = outcome.plan.phases
    console.print(
        f"Planned {plural(len(result.findings), 'component')} in {plural(len(phases), 'phase')}.",
        highlight=False,
    )
    for phase in phases:
        console.print(
            f"  phase {phase.number}: {phase.title} "
            f"({plural(len(phase.findings), 'component')}, risk {phase.risk})",
            highlight=False,
        )
    for finding in outcome.appeared:
        console.print(
            f"  new since the last plan: {finding.qualname} ({finding.category})", highlight=False
        )
    for finding in outcome.disappeared:
        console.print(
            f"  gone since the last plan: {finding.qualname} ({finding.category})", highlight=False
        )
    for note in outcome.notes:
        console.print(f"  note: {note}", highlight=False)
    console.print("Wrote " + ", ".join(str(p) for p in written), highlight=False)
    if phases:
        console.print(
            f"Next: `migrator apply {path} --phase 1` on a clean git tree.", highlight=False
        )


@app.command()
def apply(
    path: Path = typer.Argument(
        Path("."), help="The project's root folder (inside a git repository)."
    ),
    phase: int = typer.Option(..., "--phase", "-p", help="The phase of the plan to apply."),
    dry_run: bool = typer.Option(
        False, "--dry-run", help="Print the unified diff; change nothing."
    ),
    plan_file: Path | None = typer.Option(
        None, "--plan", help="The plan (default PATH/migration-plan/plan.json)."
    ),
    rollout_complete: bool = typer.Option(
        False,
        "--rollout-complete",
        help="Confirm that every flag of the earlier phases is `complete` in every environment; "
        "the cleanup phase runs only then.",
    ),
) -> None:
    """Apply one phase on a new branch `stateless/phase-N-<slug>`, committed for review."""
    from migrator.apply import ApplyRefusal, GitRefusal, apply_phase

    if not path.is_dir():
        raise fail(f"no such folder: {path}")
    try:
        with err().status("applying", spinner="dots") as status:
            outcome = apply_phase(
                path,
                phase,
                plan_path=plan_file,
                dry_run=dry_run,
                rollout_complete=rollout_complete,
                report=lambda message: status.update(message),
            )
    except (ApplyRefusal, GitRefusal, ValueError) as exc:
        raise fail(str(exc)) from None
    if outcome.already_applied:
        err().print(f"Phase {phase} is already applied on {outcome.branch}: nothing to do.")
        return
    if outcome.nothing_to_change:
        console = err() if dry_run else out_console()  # a dry run's stdout is the diff
        console.print(
            f"Phase {phase} has nothing to change: every file is already as the phase would "
            "leave it. No branch was made and nothing was committed.",
            highlight=False,
        )
        _print_changes(console, outcome.changes, outcome.cleanup)
        return
    if dry_run:
        sys.stdout.write(outcome.diff)
        err().print(
            f"Dry run: phase {phase} would change {len(outcome.files)} files on {outcome.branch}; "
            "nothing was written.",
            highlight=False,
        )
        return
    console = out_console()
    console.print(
        f"Phase {phase} committed on [bold]{outcome.branch}[/bold] ({outcome.commit[:10]}), "
        f"{len(outcome.files)} files changed.",
    )
    _print_changes(console, outcome.changes, outcome.cleanup)
    for qualname in outcome.still_found:
        console.print(f"  still found by the scan: {qualname}", highlight=False, markup=False)
    if outcome.cleanup:
        console.print(
            "The components marked `removed` now use their stores only, whatever their flags "
            "say. Merge where every flag is `complete`.",
            highlight=False,
        )
        return
    console.print(
        "Every flag starts at `off`. Review the branch, merge it, then roll out stage by stage.",
        highlight=False,
    )


def _print_changes(console: Console, changes: Sequence[Change], cleanup: bool = False) -> None:
    """One line a component: what the phase did with it, or why it left it."""
    done, left = ("removed ", "kept    ") if cleanup else ("migrated", "manual  ")
    for change in changes:
        mark = done if change.migrated else left
        console.print(
            f"  {mark} {change.finding.qualname}: {change.how}", highlight=False, markup=False
        )


class CheckFormat(str, Enum):
    table = "table"
    json = "json"
    sarif = "sarif"


@app.command()
def check(
    path: Path = typer.Argument(Path("."), help="The project's root folder."),
    baseline: Path | None = typer.Option(
        None,
        "--baseline",
        help="Accepted findings (default PATH/migrator-baseline.json when present).",
    ),
    format: CheckFormat = typer.Option(CheckFormat.table, "--format", "-f", help="Output format."),
    output: Path | None = typer.Option(
        None, "--output", "-o", help="Write to FILE instead of stdout."
    ),
    write_baseline_: bool = typer.Option(
        False,
        "--write-baseline",
        help="Accept every current finding: write the baseline and exit 0.",
    ),
    jobs: int | None = typer.Option(
        None, "--jobs", "-j", help="Parser processes (default: CPU count)."
    ),
) -> None:
    """Fail (exit 1) when local state appears that the baseline or an allow comment does not accept."""
    from migrator.guard import DEFAULT_BASELINE, compare, write_baseline

    result = run_scan(path, jobs, True)
    default = path / DEFAULT_BASELINE
    if write_baseline_:
        target = baseline or default
        try:
            write_baseline(result, target)
        except OSError as exc:
            raise fail(f"cannot write {target}: {exc.strerror or exc}") from None
        err().print(f"Wrote {target} with {plural(len(result.findings), 'accepted finding')}.")
        return
    chosen = baseline if baseline is not None else (default if default.is_file() else None)
    try:
        outcome = compare(result, chosen, path)
    except ValueError as exc:
        raise fail(str(exc)) from None
    if format is CheckFormat.json:
        emit(json.dumps(outcome.to_json(), indent=2), output)
    elif format is CheckFormat.sarif:
        from dataclasses import replace

        from migrator.report.sarif import to_sarif

        emit(
            json.dumps(to_sarif(replace(result, findings=outcome.new), __version__), indent=2),
            output,
        )
    else:
        console = out_console()
        for invalid in outcome.invalid_allows:
            console.print(
                f"invalid allow comment at {invalid.location}: {invalid.problem}", highlight=False
            )
        for item in outcome.allowed:
            console.print(f"allowed: {item.finding.qualname} ({item.reason})", highlight=False)
        if outcome.new:
            from dataclasses import replace

            from migrator.report.table import render_table

            new = plural(len(outcome.new), "new stateful component")
            console.print(f"[bold red]{new}[/bold red]:")
            render_table(replace(result, findings=outcome.new), console)
        else:
            console.print(
                f"No new local state ({len(outcome.baselined)} accepted in the baseline, "
                f"{len(outcome.allowed)} allowed by comments, {len(outcome.fixed)} fixed).",
                highlight=False,
            )
    raise typer.Exit(outcome.exit_code)


@app.command()
def wizard(
    path: Path = typer.Argument(Path("."), help="The project's root folder."),
    yes: bool = typer.Option(False, "--yes", "-y", help="Take every default without asking."),
) -> None:
    """Walk through scan, review, plan and phase 1, with a default for every question."""
    from migrator.wizard import run_wizard

    result = run_scan(path, None, True)
    from rich.console import Console

    raise typer.Exit(run_wizard(path, result, Console(), yes))


@app.command()
def verify(
    path: Path = typer.Argument(Path("."), help="The project's root folder."),
    replicas: int = typer.Option(2, "--replicas", "-n", help="How many replicas to start."),
    cmd: str | None = typer.Option(
        None,
        "--cmd",
        help="The command of one replica, with `{port}` where it listens (default: the "
        "deployment's own command, e.g. the Procfile's `web`).",
    ),
    journey_file: Path | None = typer.Option(
        None,
        "--journey",
        "-j",
        help="A journey (YAML, or a browser's .har); default PATH/journey.yaml.",
    ),
    record: bool = typer.Option(
        False,
        "--record",
        help="Run the journey on one replica twice to learn what varies by itself, then "
        "compare whole answers, not only statuses and expectations.",
    ),
    env: list[str] = typer.Option(
        [], "--env", "-e", metavar="KEY=VALUE", help="Set in every replica's environment (repeat)."
    ),
    mode: str | None = typer.Option(
        None,
        "--mode",
        metavar="STAGE",
        help="STATELESS_MODE for every replica: off, dualwrite, shadow, live, rampdown, complete.",
    ),
    json_file: Path | None = typer.Option(None, "--json", help="Write the report as JSON here."),
    markdown_file: Path | None = typer.Option(
        None, "--markdown", help="Write the report as Markdown (for a pull request) here."
    ),
    startup_timeout: float = typer.Option(
        60.0, "--startup-timeout", help="Seconds each replica has to answer."
    ),
) -> None:
    """Start the service N times on loopback and check that it answers a journey as one does.

    Requests alternate between the replicas step by step; each step is compared with a run of
    the same journey against one replica. Exit status: 0 the replicas agree; 1 a step answered
    differently; 2 bad input, or the service did not start. No replica outlives the command.
    """
    from dataclasses import replace

    from migrator.verify import JOURNEY_NAMES, STAGES
    from migrator.verify.blame import blame_all
    from migrator.verify.command import CommandError, from_deployment, from_option
    from migrator.verify.journey import JourneyError, load_journey
    from migrator.verify.launch import LaunchError
    from migrator.verify.report import render_table, to_json, to_markdown
    from migrator.verify.verify import Terminated, VerifyOptions, run_verify

    if not path.is_dir():
        raise fail(f"no such folder: {path}")
    if replicas < 2:
        raise fail("--replicas must be 2 or more: verify compares several replicas with one")
    if mode is not None and mode not in STAGES:
        raise fail(f"--mode must be one of {', '.join(STAGES)}, not {mode!r}")
    pairs = []
    for item in env:
        key, equals, value = item.partition("=")
        if not equals or not key.strip():
            raise fail(f"--env takes KEY=VALUE, not {item!r}")
        pairs.append((key.strip(), value))
    if journey_file is None:
        journey_file = next((path / n for n in JOURNEY_NAMES if (path / n).is_file()), None)
        if journey_file is None:
            raise fail(
                f"no journey in {path} (journey.yaml, journey.yml or journey.har); "
                "write one or pass `--journey FILE` (see `migrator verify --help`)"
            )
    try:
        journey = load_journey(journey_file)
        command = from_option(cmd) if cmd is not None else from_deployment(path)
    except (JourneyError, CommandError) as exc:
        raise fail(str(exc)) from None
    options = VerifyOptions(
        root=path.resolve(),
        journey=journey,
        command=command,
        replicas=replicas,
        env=tuple(pairs),
        mode=mode,
        record=record,
        startup_seconds=startup_timeout,
    )
    try:
        with err().status(f"verifying: one replica, then {replicas}", spinner="dots"):
            result = run_verify(options)
    except (JourneyError, LaunchError) as exc:
        raise fail(str(exc)) from None
    except KeyboardInterrupt:
        raise fail("interrupted; every replica was stopped", 130) from None
    except Terminated as stopped:
        raise fail(
            f"stopped by signal {stopped.signum}; every replica was stopped", 128 + stopped.signum
        ) from None
    if result.differences:
        result = replace(result, blames=blame_all(path, result.differences))
    if json_file is not None:
        emit(json.dumps(to_json(result), indent=2), json_file)
    if markdown_file is not None:
        emit(to_markdown(result), markdown_file)
    render_table(result, out_console())
    raise typer.Exit(0 if result.agree else 1)


@app.command()
def playbook(
    category: str | None = typer.Argument(None, help="A category; all of them when left out."),
    kind: str | None = typer.Option(
        None, "--kind", help="Print only the category's entry for this kind of finding."
    ),
) -> None:
    """Print a playbook: what the state is, why it breaks scaling, how to move it."""
    from rich.markdown import Markdown

    from migrator.playbook import all_playbooks, load_playbook

    if category is None and kind is not None:
        raise fail("`--kind` needs a CATEGORY: `migrator playbook CATEGORY --kind KIND`")
    if category is None:
        console = out_console()
        console.print("Playbooks (`migrator playbook CATEGORY` prints one):\n")
        for book in all_playbooks():
            console.print(f"  [bold]{book.category:<22}[/bold] {book.summary}", highlight=False)
        return
    try:
        book = load_playbook(category)
    except KeyError as exc:
        raise fail(str(exc.args[0]) if exc.args else f"unknown category {category!r}") from None
    if kind is None:
        text = "\n".join(filter(None, (book.to_markdown(), book.kinds_markdown())))
    else:
        entry = book.kind(kind)
        if entry is None:
            known = ", ".join(k.kind for k in book.kinds) or "none"
            raise fail(
                f"the {category} playbook has no entry for kind {kind!r}; its kinds: {known}"
            )
        text = entry.to_markdown(level=1)
    if sys.stdout.isatty():
        out_console().print(Markdown(text))
    else:
        sys.stdout.write(text)


def main() -> None:
    """Console-script entry point: no traceback reaches the user unless MIGRATOR_DEBUG is set."""
    try:
        app()
    except KeyboardInterrupt:
        err().print("migrator: interrupted")
        sys.exit(130)
    except Exception as exc:  # noqa: BLE001 - the last line of defence for a CLI
        if os.environ.get("MIGRATOR_DEBUG"):
            raise
        err().print(
            f"migrator: internal error: {exc.__class__.__name__}: {exc} "
            "(set MIGRATOR_DEBUG=1 for the traceback)",
            markup=False,
            highlight=False,
            soft_wrap=True,
        )
        sys.exit(2)
