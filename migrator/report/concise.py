"""The concise view of a scan: one line a finding, as ruff prints, then the summary line.

    shop/state.py:1:1: session_store warning SESSIONS — lives in process memory and is ...

Lines are sorted by path and line so an editor or `grep` can walk them. The message is its
first sentence: the rest (why it matters, which playbook) is in the table, JSON and SARIF views.
Paths are relative to the scanned root, as in every other view, and never shortened. On a
terminal (or with `COLUMNS` set) a line longer than the width ends in `…`, so each finding
keeps to one line; piped or written to a file, lines are whole.
"""

from __future__ import annotations

import re

from migrator.model import Finding, ScanResult
from migrator.report import summary_line

# A sentence ends at `.`, `!` or `?` followed by white space; code in backticks never ends one
# (`functools.lru_cache`), nor does a common abbreviation.
_CODE_OR_END = re.compile(r"`[^`]*`|(?<!\be\.g)(?<!\bi\.e)[.!?](?=\s|$)")

# Findings carry no column; ruff's shape wants one, and 1 is what editors expect then.
_COLUMN = 1


def first_sentence(message: str) -> str:
    """The message up to the end of its first sentence, on one line."""
    for match in _CODE_OR_END.finditer(message):
        if not match.group().startswith("`"):
            message = message[: match.end()]
            break
    return " ".join(message.split())


def concise_line(finding: Finding, width: int | None = None) -> str:
    """`path:line:col: category severity symbol — message`, cut with `…` to `width` if given.

    The message drops a leading mention of the symbol, which the line shows already.
    """
    message = first_sentence(finding.message).removeprefix(f"`{finding.symbol}` ")
    line = (
        f"{finding.path}:{finding.line}:{_COLUMN}: {finding.category} {finding.severity} "
        f"{finding.symbol} — {message}"
    )
    if width is not None and len(line) > width:
        return line[: max(width - 1, 0)].rstrip() + "…"
    return line


def to_concise(result: ScanResult, hidden: int = 0, width: int | None = None) -> str:
    """Every finding on its own line, by path and line, then the summary line the table prints.

    With `width` (a terminal's), each finding's line is cut to fit it: one finding, one line.
    """
    ordered = sorted(result.findings, key=lambda f: (f.path, f.line, f.category, f.symbol))
    lines = [concise_line(finding, width) for finding in ordered]
    return "\n".join([*lines, summary_line(result, hidden)]) + "\n"
