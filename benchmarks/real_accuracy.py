"""Scores `migrator scan` against the hand labels of the real-services corpus.

    python benchmarks/real_accuracy.py [NAME ...] [--into DIR] [--quiet]

For each service in benchmarks/corpus/ (sources put in place by corpus/checkout.py),
runs `migrator scan <source>/<scan_root> --format json --no-cache` and matches findings
to labels: same path, and the same last name in the symbol, or, for a finding whose
symbol no label names, definitions at most 3 lines apart. Prints a table a service (recall with the right category, recall in any
category, lookalikes flagged, findings nobody labelled), the totals, then every miss,
wrong category, flagged lookalike and unlabelled finding by name. A figure printer: the
exit status is 0 whatever the figures, 2 when a source is missing.
"""

from __future__ import annotations

import argparse
import json
import re
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent / "corpus"))
from checkout import DEFAULT_INTO, labels  # noqa: E402

LINE_SLACK = 3
_IDENT = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


def last_name(symbol: str) -> str:
    """`Datasette._caches` -> `_caches`; `app["clients"]` -> `clients`."""
    names = _IDENT.findall(symbol)
    return names[-1] if names else symbol


def _names(label: dict[str, Any]) -> list[dict[str, Any]]:
    return [label] + [dict(a, line=None) for a in label.get("aliases", ())]


def by_symbol(label: dict[str, Any], finding: dict[str, Any]) -> bool:
    return any(
        n["path"] == finding["path"] and last_name(n["symbol"]) == last_name(finding["symbol"])
        for n in _names(label)
    )


def by_line(label: dict[str, Any], finding: dict[str, Any]) -> bool:
    return any(
        n["path"] == finding["path"]
        and n.get("line")
        and abs(int(n["line"]) - int(finding["line"])) <= LINE_SLACK
        for n in _names(label)
    )


def assign(labels: list[dict[str, Any]], findings: list[dict[str, Any]]) -> dict[int, set[int]]:
    """Label index -> the findings it matches: a finding goes to the labels that name its
    symbol, and only when none does, to those whose definition is at most 3 lines away."""
    out: dict[int, set[int]] = {i: set() for i in range(len(labels))}
    for j, f in enumerate(findings):
        named = [i for i, label in enumerate(labels) if by_symbol(label, f)]
        for i in named or [i for i, label in enumerate(labels) if by_line(label, f)]:
            out[i].add(j)
    return out


@dataclass
class Score:
    name: str
    framework: str
    components: int = 0
    hits: int = 0
    wrong_category: int = 0
    lookalikes: int = 0
    lookalikes_flagged: int = 0
    findings: int = 0
    unlabelled: int = 0
    seconds: float = 0.0
    notes: list[str] = field(default_factory=list)


def scan(root: Path) -> tuple[dict[str, Any], float]:
    started = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-m", "migrator", "scan", str(root), "--format", "json", "--no-cache"],
        capture_output=True,
        text=True,
        timeout=900,
    )
    if done.returncode != 0:
        raise RuntimeError(done.stderr.strip().splitlines()[-1] if done.stderr else "scan failed")
    return json.loads(done.stdout), time.perf_counter() - started


def score(service: dict[str, Any], result: dict[str, Any]) -> Score:
    out = Score(service["name"], service.get("framework", ""))
    findings = result["findings"]
    out.findings = len(findings)
    components = list(service.get("components", ()))
    lookalikes = list(service.get("not_state", ()))
    matched = assign(components + lookalikes, findings)
    used: set[int] = set()
    for i, comp in enumerate(components):
        out.components += 1
        matches = sorted(matched[i])
        right = [j for j in matches if findings[j]["category"] == comp["category"]]
        where = f"{comp['path']}:{comp.get('line', '?')} {comp['symbol']}"
        used.update(matches)
        if right:
            out.hits += 1
        elif matches:
            out.wrong_category += 1
            got = ", ".join(sorted({findings[j]["category"] for j in matches}))
            out.notes.append(f"wrong category  {where}: labelled {comp['category']}, scan {got}")
        else:
            out.notes.append(f"miss            {where} ({comp['category']})")
    for i, look in enumerate(lookalikes, start=len(components)):
        out.lookalikes += 1
        flagged = sorted(matched[i] - used)
        if flagged:
            out.lookalikes_flagged += 1
            used.update(flagged)
            f = findings[flagged[0]]
            out.notes.append(f"lookalike       {look['path']}:{f['line']} {f['symbol']} ({f['category']})")
    for j, f in enumerate(findings):
        if j not in used:
            out.unlabelled += 1
            out.notes.append(f"unlabelled      {f['path']}:{f['line']} {f['symbol']} ({f['category']})")
    return out


def ratio(a: int, b: int) -> str:
    return f"{a / b:.2f}" if b else "  - "


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("names", nargs="*")
    parser.add_argument("--into", type=Path, default=DEFAULT_INTO)
    parser.add_argument("--quiet", action="store_true", help="the table only")
    args = parser.parse_args()
    scores = []
    for service in labels(args.names):
        root = args.into / service["name"] / service.get("scan_root", "")
        if not root.is_dir():
            print(f"{service['name']}: no source at {root}: run benchmarks/corpus/checkout.py")
            return 2
        result, seconds = scan(root)
        s = score(service, result)
        s.seconds = seconds
        scores.append(s)
    header = (
        f"{'service':<28}{'framework':<11}{'labels':>7}{'hits':>6}{'recall':>8}{'any cat':>9}"
        f"{'lookalikes':>12}{'findings':>10}{'unlabelled':>12}{'s':>7}"
    )
    print(header)
    total = Score("total", "")
    for s in scores:
        print(
            f"{s.name:<28}{s.framework:<11}{s.components:>7}{s.hits:>6}"
            f"{ratio(s.hits, s.components):>8}{ratio(s.hits + s.wrong_category, s.components):>9}"
            f"{f'{s.lookalikes_flagged}/{s.lookalikes}':>12}{s.findings:>10}{s.unlabelled:>12}"
            f"{s.seconds:>7.1f}"
        )
        for attr in ("components", "hits", "wrong_category", "lookalikes", "lookalikes_flagged",
                     "findings", "unlabelled"):
            setattr(total, attr, getattr(total, attr) + getattr(s, attr))
        total.seconds += s.seconds
    print("-" * len(header))
    print(
        f"{'total':<39}{total.components:>7}{total.hits:>6}{ratio(total.hits, total.components):>8}"
        f"{ratio(total.hits + total.wrong_category, total.components):>9}"
        f"{f'{total.lookalikes_flagged}/{total.lookalikes}':>12}{total.findings:>10}"
        f"{total.unlabelled:>12}{total.seconds:>7.1f}"
    )
    flagged_share = total.lookalikes_flagged / total.lookalikes if total.lookalikes else 0.0
    print(
        f"\nrecall with the right category {ratio(total.hits, total.components)}; lookalikes "
        f"flagged {flagged_share:.1%} of those labelled; {total.unlabelled} findings not labelled"
    )
    if not args.quiet:
        for s in scores:
            if s.notes:
                print(f"\n{s.name}")
                for note in s.notes:
                    print(f"  {note}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
