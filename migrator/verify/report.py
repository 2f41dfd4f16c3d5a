"""The verify report: a table on the terminal, JSON for scripts, Markdown for a pull request."""

from __future__ import annotations

from typing import Any

from rich.console import Console
from rich.table import Table
from rich.text import Text

from migrator.report import plural
from migrator.verify.blame import Blame
from migrator.verify.verify import VerifyResult

SCHEMA_VERSION = 1
ALSO_SHOWN = 2


def summary(result: VerifyResult) -> str:
    """One sentence: whether the replicas agree, over how many steps."""
    options = result.options
    steps = plural(len(options.journey.steps), "step")
    runs = "two one-replica runs" if options.record else "one replica"
    if result.agree:
        return (
            f"{options.replicas} replicas answered the {steps} of {options.journey.source} as "
            f"{runs} did ({result.seconds:.1f} s)."
        )
    return (
        f"{len(result.differences)} of {steps} answered differently from "
        f"{options.replicas} replicas than from {runs} ({result.seconds:.1f} s)."
    )


def render_table(result: VerifyResult, console: Console) -> None:
    """The differing steps as a rich table, then the summary."""
    options = result.options
    console.print(
        f"Service: `{options.command.template}` (from {options.command.source})"
        + (f", STATELESS_MODE={options.mode}" if options.mode else ""),
        highlight=False,
        markup=False,
    )
    if result.options.record:
        console.print(
            f"Recorded: {plural(result.varying, 'step')} vary by themselves between two "
            "one-replica runs; those values are not compared.",
            highlight=False,
        )
    if result.differences:
        table = Table(show_lines=True, header_style="bold")
        for column in ("step", "request", "one", str(options.replicas), "what differs"):
            table.add_column(column, overflow="fold")
        table.add_column("most likely", overflow="fold", min_width=24)
        for difference in result.differences:
            cells = (
                f"{difference.step} {difference.name}",
                f"{difference.request} (replica {difference.replica})",
                difference.one,
                difference.several,
                "\n".join(difference.why),
                _likely_text(result.blames.get(difference.step)),
            )
            table.add_row(*(Text(cell) for cell in cells))  # paths hold `[...]`: not markup
        console.print(table)
    style = "green" if result.agree else "bold red"
    console.print(f"[{style}]{summary(result)}[/{style}]", highlight=False)


def to_json(result: VerifyResult) -> dict[str, Any]:
    """The report as the JSON object `--json` writes."""
    options = result.options
    return {
        "schema_version": SCHEMA_VERSION,
        "agree": result.agree,
        "replicas": options.replicas,
        "record": options.record,
        "mode": options.mode,
        "journey": options.journey.source,
        "command": {"source": options.command.source, "template": options.command.template},
        "steps": len(options.journey.steps),
        "seconds": round(result.seconds, 2),
        "varying_steps": result.varying,
        "differences": [
            {
                "step": d.step,
                "name": d.name,
                "request": d.request,
                "replica": d.replica,
                "one_replica": d.one,
                "replicas": d.several,
                "why": list(d.why),
                **_blame_json(result.blames.get(d.step)),
            }
            for d in result.differences
        ],
    }


def to_markdown(result: VerifyResult) -> str:
    """The report as Markdown for a pull request."""
    options = result.options
    lines = [
        "## migrator verify",
        "",
        f"{'✅' if result.agree else '❌'} {summary(result)}",
        "",
        f"Service: `{options.command.template}` (from {options.command.source})"
        + (f", `STATELESS_MODE={options.mode}`" if options.mode else "")
        + ".",
    ]
    if result.differences:
        lines += [
            "",
            f"| step | request | one replica | {options.replicas} replicas | what differs | most likely |",
            "|---|---|---|---|---|---|",
        ]
        for d in result.differences:
            cells = [
                _cell(f"{d.step} {d.name}"),
                f"`{d.request}` (replica {d.replica})",
                _cell(d.one),
                _cell(d.several),
                "<br>".join(_cell(why) for why in d.why),
                "<br>".join(map(_cell, _likely_text(result.blames.get(d.step)).split("\n"))),
            ]
            lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"


def _cell(text: str) -> str:
    """Text safe in a Markdown table cell: no HTML, no column breaks."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("|", "\\|")


def _likely_text(blame: Blame | None) -> str:
    if blame is None or not blame.handler:
        return "no handler found for this path"
    if not blame.suspects:
        return f"{blame.handler}: touches no component the scan found"
    first, *rest = blame.suspects
    finding = first.finding
    text = f"{finding.qualname} ({finding.category}, {finding.path}:{finding.line})"
    text += f"\nhandler {blame.handler}"
    if rest:
        names = ", ".join(s.finding.qualname for s in rest[:ALSO_SHOWN])
        more = f" and {len(rest) - ALSO_SHOWN} more" if len(rest) > ALSO_SHOWN else ""
        text += f"\nalso touches {names}{more}"
    return text


def _blame_json(blame: Blame | None) -> dict[str, Any]:
    if blame is None:
        return {"handler": None, "suspects": []}
    return {
        "handler": blame.handler or None,
        "suspects": [
            {
                "id": s.finding.id,
                "qualname": s.finding.qualname,
                "category": s.finding.category,
                "path": s.finding.path,
                "line": s.finding.line,
                "distance": s.distance,
            }
            for s in blame.suspects
        ],
    }
