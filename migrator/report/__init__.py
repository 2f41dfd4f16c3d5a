"""Views of a `ScanResult`: `table` (terminal), `sarif` (code scanning), `markdown` (PRs, wikis).

This module holds what the views share: the order findings are shown in and the summary
sentences, so every format says the same thing in the same order.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from migrator.model import CATEGORIES, CONFIDENCES, Finding, ScanResult

SEVERITIES = ("error", "warning", "note")


def _rank(value: str, order: tuple[str, ...]) -> int:
    return order.index(value) if value in order else len(order)


def finding_order(finding: Finding) -> tuple[int, int, str, int, str]:
    """Most urgent first: severity, then confidence, then location."""
    return (
        _rank(finding.severity, SEVERITIES),
        _rank(finding.confidence, CONFIDENCES),
        finding.path,
        finding.line,
        finding.symbol,
    )


def by_category(result: ScanResult) -> list[tuple[str, list[Finding]]]:
    """Non-empty groups in the order of `CATEGORIES`, each sorted by `finding_order`."""
    groups = []
    for category in CATEGORIES:
        found = sorted((f for f in result.findings if f.category == category), key=finding_order)
        if found:
            groups.append((category, found))
    return groups


def plural(count: int, noun: str) -> str:
    """`1 file`, `3 files`."""
    return f"{count:,} {noun}" if count == 1 else f"{count:,} {noun}s"


def severity_counts(result: ScanResult) -> str:
    """E.g. `2 errors, 3 warnings`; empty when there are no findings."""
    seen = sorted({f.severity for f in result.findings}, key=lambda s: _rank(s, SEVERITIES))
    return ", ".join(plural(sum(1 for f in result.findings if f.severity == s), s) for s in seen)


def summary_line(result: ScanResult, hidden: int = 0) -> str:
    """One line: what was scanned, how long it took, what was found, what was left out.

    `hidden` counts findings the command line's filters left out; they are named so that an
    empty filtered scan does not read as a clean one.
    """
    scanned = (
        f"Scanned {plural(result.files, 'file')} ({plural(result.lines, 'line')}) "
        f"in {result.seconds:.2f} s"
    )
    if result.findings:
        found = f"{scanned}: {plural(len(result.findings), 'finding')} ({severity_counts(result)})"
        found += f"; {hidden:,} more hidden by the filters." if hidden else "."
    elif hidden:
        found = f"{scanned}: no finding passes the filters ({hidden:,} hidden)."
    else:
        found = f"{scanned}: no process-local state found."
    return " ".join(filter(None, (found, examples_line(result), left_out_line(result))))


@dataclass(frozen=True)
class FindingFilter:
    """Which findings a view shows: `--select`/`--ignore` by category, minimum severity and
    confidence. The default shows everything."""

    select: frozenset[str] = frozenset()  # empty: every category
    ignore: frozenset[str] = frozenset()
    min_severity: str = "note"
    min_confidence: str = "low"

    def shows(self, finding: Finding) -> bool:
        return (
            (not self.select or finding.category in self.select)
            and finding.category not in self.ignore
            and _rank(finding.severity, SEVERITIES) <= _rank(self.min_severity, SEVERITIES)
            and _rank(finding.confidence, CONFIDENCES) <= _rank(self.min_confidence, CONFIDENCES)
        )

    def apply(self, result: ScanResult) -> tuple[ScanResult, int]:
        """The result with only the findings shown, and how many were hidden."""
        shown = tuple(f for f in result.findings if self.shows(f))
        return replace(result, findings=shown), len(result.findings) - len(shown)


def parse_categories(values: list[str], option: str) -> frozenset[str]:
    """Categories from repeated and comma-separated option values.

    Raises `ValueError` with a one-line message naming the allowed categories.
    """
    names = {name.strip() for value in values for name in value.split(",") if name.strip()}
    unknown = sorted(names - set(CATEGORIES))
    if unknown:
        noun = "category" if len(unknown) == 1 else "categories"
        raise ValueError(
            f"unknown {noun} {', '.join(map(repr, unknown))} for `{option}`; "
            f"allowed: {', '.join(CATEGORIES)}"
        )
    return frozenset(names)


# How the summary names the Python files each default exclusion left out: (one, several).
_LEFT_OUT_NOUNS = {
    "tests": ("test file", "test files"),
    "migrations": ("migration", "migrations"),
    "management commands": ("management command", "management commands"),
    "scripts and tools": ("script or tool", "scripts and tools"),
    "examples": ("example file", "example files"),
    "vendored": ("vendored file", "vendored files"),
}


def examples_line(result: ScanResult) -> str:
    """Why examples were scanned when they were, else empty."""
    if not result.scanned_examples:
        return ""
    return "Only examples held Python code, so the examples were scanned."


def left_out_line(result: ScanResult) -> str:
    """What the default exclusions left out and how to keep it, or empty when nothing."""
    counts = [(reason, count) for reason, count in result.left_out.items() if count]
    if not counts:
        return ""
    told = ", ".join(
        f"{count:,} {_LEFT_OUT_NOUNS.get(reason, (reason, reason))[count != 1]}"
        for reason, count in counts
    )
    keep = "`[tool.migrator] include`"
    if any(reason in ("tests", "examples") for reason, _ in counts):
        keep = f"`include_tests = true` or {keep}"
    return f"Left out by default: {told}; {keep} keeps them."


def deployment_line(result: ScanResult) -> str:
    """The live-bug warning when several processes already serve the target, else empty."""
    deployment = result.deployment
    if not deployment.multi_process:
        return ""
    sources = f" ({'; '.join(deployment.sources)})" if deployment.sources else ""
    return (
        f"The service already runs {deployment.processes} processes{sources}: "
        "these are live bugs, not future ones."
    )
