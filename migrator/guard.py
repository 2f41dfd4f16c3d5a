"""`migrator check`: new local state fails the build; a baseline and allow comments accept it.

A finding is *baselined* when its id is in the committed baseline file, *allowed* when an
`# migrator: allow[category] reason` comment sits on its definition line (or alone on the line
above), and *new* otherwise. New findings make the exit status 1. Ids carry no line numbers, so
edits elsewhere in a file never turn a baselined finding into a new one.
"""

from __future__ import annotations

import io
import json
import re
import tokenize
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from migrator.atomic import write_text_atomic
from migrator.model import CATEGORIES, Finding, ScanResult

BASELINE_VERSION = 1
DEFAULT_BASELINE = "migrator-baseline.json"
_ALLOW = re.compile(r"#\s*migrator:\s*allow\[(?P<categories>[^\]]*)\](?P<reason>.*)$")


@dataclass(frozen=True)
class BaselineEntry:
    """A known finding: its id, and category and qualname so a person can read the file."""

    id: str
    category: str
    qualname: str

    def to_json(self) -> dict[str, str]:
        return {"id": self.id, "category": self.category, "qualname": self.qualname}


@dataclass(frozen=True)
class Allowed:
    """A finding accepted on purpose by an allow comment."""

    finding: Finding
    reason: str
    path: str
    line: int  # where the comment is


@dataclass(frozen=True)
class InvalidAllow:
    """An allow comment that accepts nothing, and why."""

    path: str
    line: int
    comment: str
    problem: str

    @property
    def location(self) -> str:
        return f"{self.path}:{self.line}"


@dataclass(frozen=True)
class CheckOutcome:
    """What `check` found against the baseline; `exit_code` is 1 when anything is new."""

    new: tuple[Finding, ...] = ()
    allowed: tuple[Allowed, ...] = ()
    baselined: tuple[Finding, ...] = ()
    fixed: tuple[BaselineEntry, ...] = ()  # in the baseline, gone from the code
    invalid_allows: tuple[InvalidAllow, ...] = ()

    @property
    def exit_code(self) -> int:
        return 1 if self.new else 0

    def to_json(self) -> dict[str, Any]:
        return {
            "schema_version": BASELINE_VERSION,
            "exit_code": self.exit_code,
            "new": [f.to_json() for f in self.new],
            "allowed": [
                {
                    "id": a.finding.id,
                    "qualname": a.finding.qualname,
                    "reason": a.reason,
                    "path": a.path,
                    "line": a.line,
                }
                for a in self.allowed
            ],
            "baselined": [f.id for f in self.baselined],
            "fixed": [e.to_json() for e in self.fixed],
            "invalid_allows": [
                {"path": i.path, "line": i.line, "comment": i.comment, "problem": i.problem}
                for i in self.invalid_allows
            ],
        }


def baseline_json(result: ScanResult) -> str:
    """The baseline text for `result`: one entry per finding, sorted by id, stable."""
    entries = sorted(
        {f.id: BaselineEntry(f.id, f.category, f.qualname) for f in result.findings}.values(),
        key=lambda e: e.id,
    )
    data = {"schema_version": BASELINE_VERSION, "findings": [e.to_json() for e in entries]}
    return json.dumps(data, indent=2, ensure_ascii=False) + "\n"


def write_baseline(result: ScanResult, path: Path) -> None:
    """Write the baseline of `result` to `path` atomically (a reader never sees half a file)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    write_text_atomic(path, baseline_json(result))


def read_baseline(path: Path) -> tuple[BaselineEntry, ...]:
    """The entries of a baseline file; a ValueError says in a sentence what is wrong with it."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError as exc:
        raise ValueError(f"baseline {path} does not exist") from exc
    except (OSError, UnicodeDecodeError) as exc:
        raise ValueError(f"cannot read baseline {path}: {exc}") from exc
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ValueError(
            f"baseline {path} is not valid JSON (line {exc.lineno}, column {exc.colno}: "
            f"{exc.msg}); fix it or write it again from a fresh scan"
        ) from exc
    if not isinstance(data, dict) or not isinstance(data.get("findings"), list):
        raise ValueError(f'baseline {path} must be a JSON object with a "findings" list')
    if data.get("schema_version") != BASELINE_VERSION:
        raise ValueError(
            f"baseline {path} has schema_version {data.get('schema_version')!r}; "
            f"this migrator reads version {BASELINE_VERSION}"
        )
    entries: list[BaselineEntry] = []
    for index, item in enumerate(data["findings"]):
        if not isinstance(item, dict) or not isinstance(item.get("id"), str) or not item["id"]:
            raise ValueError(f'baseline {path}: entry {index} needs an "id" string')
        entries.append(
            BaselineEntry(item["id"], str(item.get("category", "")), str(item.get("qualname", "")))
        )
    return tuple(entries)


class _Comments:
    """Comments per line of the target's files, read once per file."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.files: dict[str, tuple[dict[int, str], dict[int, bool]]] = {}

    def at(self, path: str, line: int) -> tuple[str, bool]:
        """The comment on `line` (or ""), and whether the line holds nothing else."""
        if path not in self.files:
            self.files[path] = _read_comments(self.root / path)
        comments, alone = self.files[path]
        return comments.get(line, ""), alone.get(line, False)


def _read_comments(path: Path) -> tuple[dict[int, str], dict[int, bool]]:
    try:
        source = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return {}, {}
    comments: dict[int, str] = {}
    alone: dict[int, bool] = {}
    try:
        for tok in tokenize.generate_tokens(io.StringIO(source).readline):
            if tok.type == tokenize.COMMENT:
                comments[tok.start[0]] = tok.string
                alone[tok.start[0]] = not tok.line[: tok.start[1]].strip()
    except (tokenize.TokenError, SyntaxError):
        # A file that does not tokenize still gets its allow comments read, line by line.
        for number, text in enumerate(source.splitlines(), 1):
            if "#" in text:
                comments[number] = text[text.index("#") :]
                alone[number] = text.lstrip().startswith("#")
    return comments, alone


def parse_allow(comment: str) -> tuple[list[str], str] | None:
    """The categories and the reason of a `# migrator: allow[...] reason` comment, or None."""
    match = _ALLOW.search(comment)
    if not match:
        return None
    named = [c.strip() for c in match["categories"].split(",") if c.strip()]
    return named, match["reason"].strip().lstrip(":-–— ").strip()


def _judge(finding: Finding, comments: _Comments) -> Allowed | InvalidAllow | None:
    """The allow comment that accepts `finding`, the broken one meant for it, or None."""
    candidates: list[tuple[int, str]] = []
    own, _ = comments.at(finding.path, finding.line)
    candidates.append((finding.line, own))
    above, alone = comments.at(finding.path, finding.line - 1)
    if alone:
        candidates.append((finding.line - 1, above))
    invalid: InvalidAllow | None = None
    for line, comment in candidates:
        parsed = parse_allow(comment)
        if parsed is None:
            continue
        named, reason = parsed
        unknown = [c for c in named if c not in CATEGORIES]
        problem = ""
        if unknown:
            problem = f"unknown category `{unknown[0]}`; the categories are {', '.join(CATEGORIES)}"
        elif finding.category not in named:
            problem = (
                f"names `{', '.join(named) or 'nothing'}`, but `{finding.symbol}` here "
                f"is `{finding.category}`"
            )
        elif not any(ch.isalnum() for ch in reason):
            problem = (
                f"gives no reason; write why `{finding.symbol}` may stay in process: "
                f"`# migrator: allow[{finding.category}] <reason>`"
            )
        if not problem:
            return Allowed(finding, reason, finding.path, line)
        invalid = invalid or InvalidAllow(finding.path, line, comment.strip(), problem)
    return invalid


def compare(result: ScanResult, baseline_path: Path | None, root: Path) -> CheckOutcome:
    """Sort the scan's findings into new, allowed and baselined, and list fixed baseline entries.

    `root` is where the finding paths point (allow comments are read from there). A missing or
    malformed baseline file raises ValueError with a one-line reason.
    """
    known = read_baseline(baseline_path) if baseline_path is not None else ()
    known_ids = {e.id for e in known}
    comments = _Comments(root)
    new: list[Finding] = []
    allowed: list[Allowed] = []
    baselined: list[Finding] = []
    invalid: list[InvalidAllow] = []
    findings = sorted(
        {f.id: f for f in result.findings}.values(), key=lambda f: (f.path, f.line, f.id)
    )
    for finding in findings:
        if finding.id in known_ids:
            baselined.append(finding)
            continue
        verdict = _judge(finding, comments)
        if isinstance(verdict, Allowed):
            allowed.append(verdict)
            continue
        if verdict is not None:
            invalid.append(verdict)
        new.append(finding)
    current = {f.id for f in findings}
    fixed = tuple(sorted((e for e in known if e.id not in current), key=lambda e: e.id))
    return CheckOutcome(tuple(new), tuple(allowed), tuple(baselined), fixed, tuple(invalid))
