"""Render a plan to PLAN.md and plan.html (jinja2), and write all three files atomically."""

from __future__ import annotations

import functools
import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape
from markupsafe import Markup, escape

from migrator.atomic import write_text_atomic
from migrator.model import Finding
from migrator.plan.build import PlanOutcome
from migrator.plan.diagram import BOX_H, BOX_W, layout, mermaid
from migrator.plan.groups import GROUPS
from migrator.plan.model import Phase, Plan
from migrator.playbook import load_playbook

FILES = ("plan.json", "PLAN.md", "plan.html")


@dataclass(frozen=True)
class Row:
    """One component as a document lists it."""

    finding: Finding
    store: str
    store_reason: str
    link: str  # relative link from the plan folder to the definition, with #L<line>
    location: str  # path:line


@functools.cache
def _env() -> Environment:
    env = Environment(
        loader=PackageLoader("migrator.templates", "plan"),
        autoescape=select_autoescape(enabled_extensions=("html.j2",), default=False),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    env.filters["cell"] = _cell
    env.filters["inline"] = _inline
    return env


def _cell(text: Any) -> str:
    """Text safe inside a Markdown table cell: one line, pipes escaped."""
    return " ".join(str(text).split()).replace("|", "\\|")


def _inline(text: Any) -> Markup:
    """HTML-escaped text with `backtick spans` as <code>."""
    escaped = str(escape(str(text)))
    return Markup(re.sub(r"`([^`]+)`", r"<code>\1</code>", escaped))


def _link(plan: Plan, finding: Finding, out_dir: Path) -> str:
    target = (Path(plan.root) / finding.path).resolve()
    rel = os.path.relpath(target, out_dir.resolve())
    return f"{Path(rel).as_posix()}#L{finding.line}"


def _store_reason(finding: Finding, store: str, chosen_by_person: bool) -> str:
    if chosen_by_person:
        return "chosen in plan.json"
    if finding.store_reason:
        return finding.store_reason
    try:
        book = load_playbook(finding.category)
    except (KeyError, FileNotFoundError):
        return ""
    return next((s.why for s in book.stores if s.store == store), "")


def _shared_store_reasons(phase: Phase, rows: dict[str, Row]) -> dict[str, str]:
    """Store -> the reason all of `phase`'s components kept there share, said once per phase."""
    reasons: dict[str, set[str]] = {}
    for fid in phase.findings:
        reasons.setdefault(rows[fid].store, set()).add(rows[fid].store_reason)
    return {store: why.pop() for store, why in reasons.items() if len(why) == 1 and "" not in why}


def _context(outcome: PlanOutcome, out_dir: Path) -> dict[str, Any]:
    plan = outcome.plan
    rows: dict[str, Row] = {}
    for finding in plan.components:
        store = plan.store_of(finding.id)
        rows[finding.id] = Row(
            finding=finding,
            store=store,
            store_reason=_store_reason(finding, store, finding.id in plan.stores),
            link=_link(plan, finding, out_dir),
            location=f"{finding.path}:{finding.line}",
        )
    migrate: list[Phase] = [p for p in plan.phases if p.kind != "cleanup"]
    included = [fid for p in migrate for fid in p.findings]
    points = sum(p.effort.points for p in plan.phases)
    name = Path(plan.root).resolve().name or plan.root
    categories = {plan.component(fid).category for fid in included}
    symptoms = [g.symptom for g in GROUPS if set(g.categories) & categories]
    return {
        "plan": plan,
        "outcome": outcome,
        "name": name,
        "rows": rows,
        "migrate_phases": migrate,
        "store_notes": {p.number: _shared_store_reasons(p, rows) for p in migrate},
        "component_count": len(dict.fromkeys(included)),
        "points": points,
        "symptoms": symptoms,
        "deployment": plan.deployment,
        "mermaid": mermaid(plan),
        "diagram": layout(plan),
        "box_w": BOX_W,
        "box_h": BOX_H,
        "flag_of": lambda finding: plan.flag_of(finding.id),
    }


def _as_outcome(outcome_or_plan: PlanOutcome | Plan) -> PlanOutcome:
    if isinstance(outcome_or_plan, Plan):
        return PlanOutcome(outcome_or_plan)
    return outcome_or_plan


def render_markdown(outcome_or_plan: PlanOutcome | Plan, out_dir: Path) -> str:
    """PLAN.md text; source links are relative to `out_dir`, where the file will live."""
    outcome = _as_outcome(outcome_or_plan)
    return _env().get_template("PLAN.md.j2").render(**_context(outcome, out_dir))


def render_html(outcome_or_plan: PlanOutcome | Plan, out_dir: Path) -> str:
    """plan.html text: one self-contained page (inline CSS and SVG, no scripts, no network)."""
    outcome = _as_outcome(outcome_or_plan)
    return _env().get_template("plan.html.j2").render(**_context(outcome, out_dir))


def write_plan(outcome_or_plan: PlanOutcome | Plan, out_dir: Path) -> list[Path]:
    """Write plan.json, PLAN.md and plan.html into `out_dir` (created if missing).

    Everything is rendered before anything is written, and each file is written to a
    temporary name and renamed over the old one, so a failure never leaves a half-written file.
    """
    outcome = _as_outcome(outcome_or_plan)
    out_dir.mkdir(parents=True, exist_ok=True)
    texts = {
        "plan.json": outcome.plan.dumps(),
        "PLAN.md": render_markdown(outcome, out_dir),
        "plan.html": render_html(outcome, out_dir),
    }
    written: list[Path] = []
    for name in FILES:
        target = out_dir / name
        write_text_atomic(target, texts[name])
        written.append(target)
    return written
