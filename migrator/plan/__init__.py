"""`migrator plan`: findings -> phases -> plan.json, PLAN.md and plan.html."""

from migrator.plan.build import PlanOutcome, build_plan
from migrator.plan.model import Exclusion, Phase, Plan, Rollout, Stage, load_plan
from migrator.plan.render import render_html, render_markdown, write_plan

__all__ = [
    "Exclusion",
    "Phase",
    "Plan",
    "PlanOutcome",
    "Rollout",
    "Stage",
    "build_plan",
    "load_plan",
    "render_html",
    "render_markdown",
    "write_plan",
]
