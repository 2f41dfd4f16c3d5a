"""The `migrator` command line: scan, plan, apply, check, wizard, playbook.

Exit status (DESIGN.md): 0 done; 1 `check` found new local state; 2 bad input, with a
one-line reason on stderr and never a traceback.
"""

from __future__ import annotations

import json
import os
import sys
from enum import Enum
from pathlib import Path

import typer
from rich.console import Console

from migrator import __version__
from migrator.atomic import write_text_atomic

app = typer.Typer(
    name="migrator",
    help="Take a stateful Python web service to a stateless one: scan, plan, apply, check.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)
stderr = Console(stderr=True)


class ScanFormat(str, Enum):
    table = "table"
    json = "json"
    sarif = "sarif"
    markdown = "markdown"


def fail(message: str, code: int = 2) -> typer.Exit:
    """Print a one-line reason on stderr and give the exit to raise."""
    stderr.print(f"migrator: {message}", markup=False, highlight=False, soft_wrap=True)
    return typer.Exit(code)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"migrator {__version__}")
        raise typer.Exit()


@app.callback()
def main_options(
    version: bool = typer.Option(False, "--version", callback=_version, is_eager=True, help="Show the version."),
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
                TextColumn("scanning"), BarColumn(), MofNCompleteColumn(), console=stderr, transient=True
            ) as bar:
                task = bar.add_task("scan", total=None)
                return scan_project(
                    path, jobs=jobs, use_cache=use_cache, display_root=str(path),
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
    output: Path | None = typer.Option(None, "--output", "-o", help="Write to FILE instead of stdout."),
    jobs: int | None = typer.Option(None, "--jobs", "-j", help="Parser processes (default: CPU count)."),
    no_cache: bool = typer.Option(False, "--no-cache", help="Parse every file, ignoring the cache."),
) -> None:
    """Inventory every stateful component: sessions, caches, counters, locks, files, ..."""
    result = run_scan(path, jobs, not no_cache)
    if format is ScanFormat.json:
        emit(json.dumps(result.to_json(), indent=2), output)
    elif format is ScanFormat.sarif:
        from migrator.report.sarif import to_sarif

        emit(json.dumps(to_sarif(result, __version__), indent=2), output)
    elif format is ScanFormat.markdown:
        from migrator.report.markdown import to_markdown

        emit(to_markdown(result), output)
    else:
        from migrator.report.table import render_table

        if output is not None:
            console = Console(record=True, width=120, file=open(os.devnull, "w"))  # noqa: SIM115
            render_table(result, console)
            emit(console.export_text(), output)
        else:
            render_table(result, Console())


@app.command()
def playbook(
    category: str | None = typer.Argument(None, help="A category; all of them when left out."),
) -> None:
    """Print a playbook: what the state is, why it breaks scaling, how to move it."""
    from rich.markdown import Markdown

    from migrator.playbook import all_playbooks, load_playbook

    if category is None:
        console = Console()
        console.print("Playbooks (`migrator playbook CATEGORY` prints one):\n")
        for book in all_playbooks():
            console.print(f"  [bold]{book.category:<22}[/bold] {book.summary}", highlight=False)
        return
    try:
        book = load_playbook(category)
    except KeyError as exc:
        raise fail(str(exc.args[0]) if exc.args else f"unknown category {category!r}") from None
    if sys.stdout.isatty():
        Console().print(Markdown(book.to_markdown()))
    else:
        sys.stdout.write(book.to_markdown())


def main() -> None:
    """Console-script entry point: no traceback reaches the user unless MIGRATOR_DEBUG is set."""
    try:
        app()
    except KeyboardInterrupt:
        stderr.print("migrator: interrupted")
        sys.exit(130)
    except Exception as exc:  # noqa: BLE001 - the last line of defence for a CLI
        if os.environ.get("MIGRATOR_DEBUG"):
            raise
        stderr.print(
            f"migrator: internal error: {exc.__class__.__name__}: {exc} "
            "(set MIGRATOR_DEBUG=1 for the traceback)",
            markup=False, highlight=False,
        )
        sys.exit(2)
