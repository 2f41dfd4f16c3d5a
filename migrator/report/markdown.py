"""The GitHub-flavoured Markdown view of a scan: for a pull request, an issue or a wiki page."""

from __future__ import annotations

import re

from migrator.model import Finding, ScanResult
from migrator.playbook import load_playbook
from migrator.report import by_category, deployment_line, summary_line

_COLUMNS = ("location", "symbol", "severity", "confidence", "store", "automation", "sites")


def to_markdown(result: ScanResult) -> str:
    """A complete document: summary, one table per category, skipped files."""
    lines = [f"# Process-local state in {code(result.root)}", "", summary_line(result), ""]
    warning = deployment_line(result) if result.findings else ""
    if warning:
        lines += ["> [!WARNING]", f"> {cell(warning)}", ""]
    groups = by_category(result)
    if groups:
        lines += ["| category | findings | what it is | usual store | automation |"]
        lines += ["|---|---:|---|---|---|"]
        for category, findings in groups:
            book = load_playbook(category)
            lines.append(
                f"| [{category}](#{_anchor(category)}) | {len(findings)} | {cell(book.title)} "
                f"| {book.best_store} | {book.automation} |"
            )
        lines.append("")
    for category, findings in groups:
        book = load_playbook(category)
        lines += [f"## {category}", "", f"**{book.title}.** {book.summary}", ""]
        lines += [f"| {' | '.join(_COLUMNS)} |", "|---|---|---|---|---|---|---:|"]
        lines += [_row(f) for f in findings]
        lines += ["", f"How to move it: `migrator playbook {category}`.", ""]
    if result.skipped:
        lines += ["## Skipped files", "", "| file | reason |", "|---|---|"]
        lines += [f"| {code(s.path)} | {cell(s.reason)} |" for s in result.skipped]
        lines.append("")
    return "\n".join(lines).rstrip("\n") + "\n"


def _row(f: Finding) -> str:
    values = (
        code(f"{f.path}:{f.line}"),
        code(f.symbol),
        f.severity,
        f.confidence,
        cell(f.suggested_store),
        f.automation,
        str(len(f.evidence)),
    )
    return f"| {' | '.join(values)} |"


def cell(text: str) -> str:
    """Text that stays inside one table cell: no pipes or line breaks break the row."""
    return " ".join(text.split()).replace("|", "\\|")


def code(text: str) -> str:
    """An inline code span that holds any text, backticks included, safe in a table cell."""
    text = " ".join(text.split())
    longest = max((len(run) for run in re.findall(r"`+", text)), default=0)
    fence = "`" * (longest + 1)
    pad = " " if text.startswith("`") or text.endswith("`") else ""
    # GFM needs the pipe escaped even inside a code span in a table.
    escaped = text.replace("|", "\\|")
    return f"{fence}{pad}{escaped}{pad}{fence}"


def _anchor(heading: str) -> str:
    # GitHub's heading ids: lower case, punctuation other than '-' and '_' dropped.
    return re.sub(r"[^\w\- ]", "", heading.lower()).replace(" ", "-")
