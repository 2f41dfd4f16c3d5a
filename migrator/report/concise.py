"""The concise view of a scan: one line a finding, as ruff prints, then the summary line.

    shop/state.py:1:1: session_store warning SESSIONS — `SESSIONS` lives in process memory ...

Lines are sorted by path and line so an editor or `grep` can walk them. The message is its
first sentence: the rest (why it matters, which playbook) is in the table, JSON and SARIF views.
Paths are relative to the scanned root, as in every other view, and never shortened.
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


def concise_line(finding: Finding) -> str:
    """`path:line:col: category severity symbol — message`."""
    return (
        f"{finding.path}:{finding.line}:{_COLUMN}: {finding.category} {finding.severity} "
        f"{finding.symbol} — {first_sentence(finding.message)}"
    )


def to_concise(result: ScanResult, hidden: int = 0) -> str:
    """Every finding on its own line, by path and line, then the summary line the table prints."""
    ordered = sorted(result.findings, key=lambda f: (f.path, f.line, f.category, f.symbol))
    return "\n".join([*map(concise_line, ordered), summary_line(result, hidden)]) + "\n"
