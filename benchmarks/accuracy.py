"""Scores `migrator scan` against the hand-written expected.json of every example.

    python benchmarks/accuracy.py [--examples DIR] [--scan-json NAME=FILE ...]

For each folder under examples/ that has an expected.json, runs
`migrator scan <folder> --format json` (or reads a saved scan given with --scan-json)
and matches findings to expected components by (path, symbol, category). A component
may list `aliases`: other (path, symbol) names of the same component. Prints a
per-category table of precision and recall with totals, then every miss and false
positive by name. It is a figure printer: the exit status is 0 whatever the figures.
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

EXAMPLES_DIR = Path(__file__).resolve().parent.parent / "examples"
SCAN_TIMEOUT_SECONDS = 300


@dataclass(frozen=True, order=True)
class Name:
    """Where a component is defined: a path relative to the example and the symbol there."""

    path: str
    symbol: str

    def __str__(self) -> str:
        return f"{self.path}::{self.symbol}"


@dataclass(frozen=True)
class Component:
    """One expected stateful component; names[0] is its primary name, the rest aliases."""

    names: tuple[Name, ...]
    category: str


@dataclass(frozen=True)
class Outcome:
    """How one expected component or one finding came out of the matching."""

    kind: str  # hit | miss | wrong_category | duplicate | lookalike | unexpected
    example: str
    name: Name
    category: str  # the expected category for hit/miss, the reported one otherwise
    detail: str = ""


def _name(entry: dict[str, Any]) -> Name:
    path = str(entry["path"]).replace("\\", "/").removeprefix("./")
    return Name(path, str(entry["symbol"]))


def load_expected(doc: dict[str, Any]) -> tuple[list[Component], set[Name]]:
    """The components and the not-state names an expected.json document declares."""
    components = [
        Component(
            names=(_name(entry), *(_name(alias) for alias in entry.get("aliases", ()))),
            category=str(entry["category"]),
        )
        for entry in doc.get("components", ())
    ]
    return components, {_name(entry) for entry in doc.get("not_state", ())}


def score(example: str, expected: dict[str, Any], scan: dict[str, Any]) -> list[Outcome]:
    """Match a scan's findings to an example's expected components.

    Every expected component yields a hit or a miss; every finding that is not the hit
    of a component yields one false-positive outcome (wrong category, duplicate name of
    an already found component, a declared lookalike, or unexpected).
    """
    components, not_state = load_expected(expected)
    owner = {name: index for index, c in enumerate(components) for name in c.names}
    claims: dict[int, list[tuple[Name, str]]] = {}
    outcomes: list[Outcome] = []
    for finding in scan.get("findings", ()):
        name, category = _name(finding), str(finding["category"])
        if name in owner:
            claims.setdefault(owner[name], []).append((name, category))
        elif name in not_state:
            outcomes.append(Outcome("lookalike", example, name, category, "listed in not_state"))
        else:
            outcomes.append(Outcome("unexpected", example, name, category))
    for index, component in enumerate(components):
        primary = component.names[0]
        found = claims.get(index, [])
        right = sorted(
            (n for n, c in found if c == component.category),
            key=lambda n: component.names.index(n),
        )
        if right:
            outcomes.append(Outcome("hit", example, right[0], component.category))
            outcomes.extend(
                Outcome("duplicate", example, n, component.category, f"same component as {primary}")
                for n in right[1:]
            )
        else:
            reported = sorted({c for _, c in found})
            detail = f"reported as {', '.join(reported)}" if reported else ""
            outcomes.append(Outcome("miss", example, primary, component.category, detail))
        outcomes.extend(
            Outcome("wrong_category", example, n, c, f"expected {component.category}")
            for n, c in found
            if c != component.category
        )
    return outcomes


@dataclass(frozen=True)
class Row:
    """Precision and recall of one category (or of all of them)."""

    label: str
    expected: int
    reported: int
    hits: int

    @property
    def precision(self) -> float | None:
        return self.hits / self.reported if self.reported else None

    @property
    def recall(self) -> float | None:
        return self.hits / self.expected if self.expected else None


def tabulate(outcomes: Iterable[Outcome]) -> list[Row]:
    """One row per category seen, sorted by name, then a `total` row."""
    expected: Counter[str] = Counter()
    reported: Counter[str] = Counter()
    hits: Counter[str] = Counter()
    for outcome in outcomes:
        if outcome.kind in ("hit", "miss"):
            expected[outcome.category] += 1
        if outcome.kind != "miss":
            reported[outcome.category] += 1
        if outcome.kind == "hit":
            hits[outcome.category] += 1
    categories = sorted(set(expected) | set(reported))
    rows = [Row(c, expected[c], reported[c], hits[c]) for c in categories]
    total = Row("total", sum(expected.values()), sum(reported.values()), sum(hits.values()))
    return [*rows, total]


def _figure(value: float | None) -> str:
    return "-" if value is None else f"{value:.2f}"


def render(outcomes: list[Outcome]) -> str:
    """The table, then misses and false positives by name."""
    lines = [
        f"{'category':<24}{'expected':>9}{'reported':>9}{'hits':>6}{'precision':>11}{'recall':>8}"
    ]
    for row in tabulate(outcomes):
        lines.append(
            f"{row.label:<24}{row.expected:>9}{row.reported:>9}{row.hits:>6}"
            f"{_figure(row.precision):>11}{_figure(row.recall):>8}"
        )
    sections = (
        ("misses", ("miss",)),
        ("false positives", ("wrong_category", "duplicate", "lookalike", "unexpected")),
    )
    for title, kinds in sections:
        chosen = sorted((o for o in outcomes if o.kind in kinds), key=lambda o: (o.example, o.name))
        lines.append("")
        lines.append(f"{title} ({len(chosen)}):" if chosen else f"{title}: none")
        for o in chosen:
            label = "" if o.kind == "miss" else f" [{o.kind.replace('_', ' ')}]"
            detail = f" ({o.detail})" if o.detail else ""
            lines.append(f"  {o.example}  {o.name}  {o.category}{label}{detail}")
    return "\n".join(lines)


def scanner_command() -> list[str] | None:
    """How to run `migrator`: the console script beside this interpreter, else the module."""
    script = Path(sys.executable).parent / "migrator"
    if script.exists():
        return [str(script)]
    if shutil.which("migrator"):
        return ["migrator"]
    try:
        import migrator.cli  # noqa: F401
    except ImportError:
        return None
    return [sys.executable, "-c", "import sys; from migrator.cli import main; sys.exit(main())"]


def run_scan(command: list[str], folder: Path) -> tuple[dict[str, Any] | None, str]:
    """The scan's JSON document, or None with a one-line reason."""
    try:
        done = subprocess.run(
            [*command, "scan", str(folder), "--format", "json"],
            capture_output=True,
            text=True,
            timeout=SCAN_TIMEOUT_SECONDS,
        )
    except (OSError, subprocess.TimeoutExpired) as error:
        return None, f"could not run the scanner: {error}"
    if done.returncode != 0:
        last = (done.stderr.strip().splitlines() or ["no message"])[-1]
        return None, f"the scanner exited with {done.returncode}: {last}"
    try:
        return json.loads(done.stdout), ""
    except json.JSONDecodeError as error:
        return None, f"the scanner printed no JSON document ({error})"


def _deployment_line(example: str, expected: dict[str, Any], scan: dict[str, Any]) -> str:
    want = (expected.get("deployment") or {}).get("processes")
    got = (scan.get("deployment") or {}).get("processes")
    if want is None:
        return ""
    verdict = "ok" if want == got else "differs"
    return f"  {example}: processes expected {want}, scan says {got} ({verdict})"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--examples", type=Path, default=EXAMPLES_DIR)
    parser.add_argument(
        "--scan-json",
        action="append",
        default=[],
        metavar="NAME=FILE",
        help="score a saved `migrator scan --format json` output for example NAME",
    )
    args = parser.parse_args(argv)
    saved = dict(item.split("=", 1) for item in args.scan_json)
    folders = sorted(p.parent for p in args.examples.glob("*/expected.json"))
    for unknown in sorted(set(saved) - {f.name for f in folders}):
        print(f"{unknown}: no such example with an expected.json under {args.examples}")
    if saved:
        folders = [f for f in folders if f.name in saved]
    command = scanner_command()
    outcomes: list[Outcome] = []
    deployment: list[str] = []
    for folder in folders:
        expected = json.loads((folder / "expected.json").read_text(encoding="utf-8"))
        if folder.name in saved:
            scan: dict[str, Any] | None = json.loads(Path(saved[folder.name]).read_text("utf-8"))
        elif command is None:
            scan, reason = None, "the scanner is not installed (no `migrator` command)"
        else:
            scan, reason = run_scan(command, folder)
        if scan is None:
            print(f"{folder.name}: skipped, {reason}")
            continue
        outcomes.extend(score(folder.name, expected, scan))
        deployment.append(_deployment_line(folder.name, expected, scan))
    if not outcomes:
        print("No example was scored.")
        return 0
    print(render(outcomes))
    if any(deployment):
        print("\ndeployment:")
        print("\n".join(line for line in deployment if line))
    return 0


if __name__ == "__main__":
    sys.exit(main())
