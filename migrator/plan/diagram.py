"""The phase diagram: box and arrow geometry for the inline SVG, and Mermaid for Markdown.

Phases run left to right in rows of `PER_ROW`; the arrow out of a row's last box turns down
and back to the next row's first box, so the order reads like text.
"""

from __future__ import annotations

import textwrap
from dataclasses import dataclass

from migrator.plan.model import Plan

PER_ROW = 4
BOX_W, BOX_H, GAP_X, GAP_Y, PAD = 220, 112, 44, 48, 8


@dataclass(frozen=True)
class Box:
    number: int
    x: int
    y: int
    title_lines: tuple[str, ...]
    risk: str
    meta: str  # e.g. "3 components · 7 pts"
    kind: str


@dataclass(frozen=True)
class Diagram:
    width: int
    height: int
    boxes: tuple[Box, ...]
    arrows: tuple[str, ...]  # SVG path data


def layout(plan: Plan) -> Diagram:
    """Box positions and arrow paths for every phase, in shipping order."""
    boxes: list[Box] = []
    for index, phase in enumerate(plan.phases):
        row, col = divmod(index, PER_ROW)
        lines = textwrap.wrap(phase.title, 21)
        if len(lines) > 3:
            rest = textwrap.shorten(" ".join(lines[2:]), 21, placeholder="…")
            lines = [*lines[:2], rest]
        count = len(phase.findings)
        noun = f"component{_s(count)}"
        boxes.append(
            Box(
                number=phase.number,
                x=PAD + col * (BOX_W + GAP_X),
                y=PAD + row * (BOX_H + GAP_Y),
                title_lines=tuple(lines),
                risk=phase.risk,
                meta=f"{count} {noun} · {phase.effort.points} pt{_s(phase.effort.points)}",
                kind=phase.kind,
            )
        )
    arrows: list[str] = []
    for a, b in zip(boxes, boxes[1:], strict=False):
        mid_y = a.y + BOX_H // 2
        if b.y == a.y:
            arrows.append(f"M{a.x + BOX_W},{mid_y} L{b.x - 6},{mid_y}")
        else:
            turn = a.y + BOX_H + GAP_Y // 2
            arrows.append(
                f"M{a.x + BOX_W // 2},{a.y + BOX_H} L{a.x + BOX_W // 2},{turn} "
                f"L{b.x + BOX_W // 2},{turn} L{b.x + BOX_W // 2},{b.y - 6}"
            )
    cols = min(len(boxes), PER_ROW) or 1
    rows = (len(boxes) + PER_ROW - 1) // PER_ROW or 1
    width = 2 * PAD + cols * BOX_W + (cols - 1) * GAP_X
    height = 2 * PAD + rows * BOX_H + (rows - 1) * GAP_Y
    return Diagram(width, height, tuple(boxes), tuple(arrows))


def _s(n: int) -> str:
    return "" if n == 1 else "s"


def mermaid(plan: Plan) -> str:
    """A Mermaid flowchart of the phases in order, coloured by risk (GitHub renders it)."""
    lines = ["flowchart LR"]
    for phase in plan.phases:
        count = len(phase.findings)
        noun = "component" if count == 1 else "components"
        label = f"{phase.number}. {phase.title}<br/>{phase.risk} risk · {count} {noun}"
        lines.append(f'    P{phase.number}["{_mermaid_text(label)}"]:::{phase.risk}')
    for a, b in zip(plan.phases, plan.phases[1:], strict=False):
        lines.append(f"    P{a.number} --> P{b.number}")
    lines += [
        "    classDef low fill:#e8f5e9,stroke:#2e7d32,color:#1b5e20",
        "    classDef medium fill:#fff8e1,stroke:#f9a825,color:#6d4c00",
        "    classDef high fill:#ffebee,stroke:#c62828,color:#7f1d1d",
    ]
    return "\n".join(lines)


def _mermaid_text(text: str) -> str:
    return text.replace('"', "#quot;").replace("`", "")
