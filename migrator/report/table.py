"""The terminal view of a scan: one table per category, then a summary a person can act on."""

from __future__ import annotations

from rich import box
from rich.console import Console
from rich.table import Table
from rich.text import Text

from migrator.model import Finding, ScanResult
from migrator.playbook import load_playbook
from migrator.report import by_category, deployment_line, plural, summary_line

_SEVERITY_STYLE = {"error": "bold red", "warning": "yellow", "note": "cyan"}
_CONFIDENCE_STYLE = {"high": "bold", "medium": "", "low": "dim"}


def render_table(result: ScanResult, console: Console, hidden: int = 0) -> None:
    """Print the findings grouped by category, the summary and any skipped files.

    `hidden` counts findings the command line's filters left out, for the summary line.
    """
    warning = deployment_line(result) if result.findings else ""
    if warning:
        console.print(Text(warning, style="bold red"))
        console.print()
    for category, findings in by_category(result):
        title = load_playbook(category).title
        heading = Text.assemble(
            (category, "bold"), f"  {plural(len(findings), 'finding')}: {title}"
        )
        console.print(heading)
        if console.width >= _table_width(findings):
            console.print(_findings_table(findings))
        else:
            _print_stacked(findings, console)
        console.print()
    # The summary stays one line whatever the width: it is the line people grep and quote.
    console.print(
        Text(summary_line(result, hidden), style="bold" if result.findings else "green"),
        soft_wrap=True,
    )
    if result.skipped:
        console.print(Text(f"Skipped {plural(len(result.skipped), 'file')}:", style="yellow"))
        for skipped in result.skipped:
            console.print(Text(f"  {skipped.path}: {skipped.reason}"))
    if result.findings:
        console.print(
            Text(
                "Next: `migrator playbook CATEGORY` explains a category; "
                "`migrator plan` writes the phased plan."
            ),
            style="dim",
        )


# What the table needs beside its location and symbol columns: the five short columns and
# the gaps between seven columns.
_FIXED_WIDTH = len("severity") + len("confidence") + len("postgres") + len("automation") + 5 + 6 * 3


def _table_width(findings: list[Finding]) -> int:
    location = max(len(f"{f.path}:{f.line}") for f in findings)
    symbol = max(len(f.symbol) for f in findings)
    return _FIXED_WIDTH + max(location, len("location")) + max(symbol, len("symbol"))


def _print_stacked(findings: list[Finding], console: Console) -> None:
    """Too narrow for the table: a finding on two lines, its location whole on the first."""
    for f in findings:
        console.print(
            Text.assemble(
                (f.severity, _SEVERITY_STYLE.get(f.severity, "")),
                " ",
                (f.confidence, _CONFIDENCE_STYLE.get(f.confidence, "")),
                f"  {f.path}:{f.line}",
            ),
            overflow="fold",
        )
        sites = plural(len(f.evidence), "site")
        console.print(
            Text(f"    {f.symbol} · {f.suggested_store} · {f.automation} · {sites}"),
            overflow="fold",
        )


def _findings_table(findings: list[Finding]) -> Table:
    table = Table(box=box.SIMPLE_HEAD, show_edge=False, pad_edge=False)
    table.add_column("severity", no_wrap=True)
    table.add_column("confidence", no_wrap=True)
    # A path wraps inside its cell when the terminal is narrow, and is never cut with an ellipsis.
    table.add_column("location", overflow="fold", no_wrap=False)
    table.add_column("symbol", overflow="fold")
    table.add_column("store", no_wrap=True)
    table.add_column("automation", no_wrap=True)
    table.add_column("sites", justify="right", no_wrap=True)
    for f in findings:
        # Text cells: paths and symbols are data, never rich markup.
        table.add_row(
            Text(f.severity, style=_SEVERITY_STYLE.get(f.severity, "")),
            Text(f.confidence, style=_CONFIDENCE_STYLE.get(f.confidence, "")),
            Text(f"{f.path}:{f.line}"),
            Text(f.symbol),
            Text(f.suggested_store),
            Text(f.automation),
            Text(str(len(f.evidence))),
        )
    return table
