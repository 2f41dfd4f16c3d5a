"""What varies by itself: learned from two runs of the journey against one replica each.

Session ids, tokens, timestamps and random references differ between two runs that do
exactly the same thing; the values at those JSON paths (and lists whose length changed, and
non-JSON bodies that changed) are left out when the replicas' run is compared with one.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from migrator.verify.paths import MISSING, leaves
from migrator.verify.runner import Answer

SHOWN_PATHS = 3


@dataclass(frozen=True)
class Noise:
    """What one step's answer varies in by itself."""

    paths: frozenset[str] = frozenset()  # leaf paths whose values varied
    lists: frozenset[str] = frozenset()  # containers whose length varied: all below them
    text: bool = False  # a non-JSON body that varied
    status: bool = False

    def covers(self, path: str) -> bool:
        return path in self.paths or any(
            path == p or path.startswith((p + ".", p + "[")) for p in self.lists
        )


def learn_noise(first: Sequence[Answer], second: Sequence[Answer]) -> dict[int, Noise]:
    """Per step number, what differed between two one-replica runs of the same journey."""
    out = {}
    for one, two in zip(first, second, strict=True):
        a, b = _flat(one.json), _flat(two.json)
        varied = {p for p in a.keys() | b.keys() if a.get(p, MISSING) != b.get(p, MISSING)}
        lists = {p.removesuffix(".#") for p in varied if p.endswith(".#")}
        out[one.step] = Noise(
            frozenset(varied), frozenset(lists), one.text != two.text, one.status != two.status
        )
    return out


def body_differences(base: Answer, other: Answer, noise: Noise | None) -> list[str]:
    """How `other`'s body differs from `base`'s outside `noise`, one phrase a value."""
    quiet = noise or Noise()
    if (base.json is MISSING) != (other.json is MISSING):
        one, here = ("JSON", "not JSON") if base.json is not MISSING else ("not JSON", "JSON")
        return [f"the body is {one} on one replica, {here} here"]
    if base.json is MISSING:
        same = base.text == other.text or quiet.text
        return [] if same else ["the body differs (not JSON)"]
    a, b = _flat(base.json), _flat(other.json)
    found = []
    for path in sorted(a.keys() | b.keys()):
        if quiet.covers(path):
            continue
        left, right = a.get(path, MISSING), b.get(path, MISSING)
        if left != right:
            found.append(f"`{path}` is {_shown(left)} on one replica, {_shown(right)} here")
    if len(found) > SHOWN_PATHS:
        found = [*found[:SHOWN_PATHS], f"and {len(found) - SHOWN_PATHS} more values"]
    return found


def _flat(value: Any) -> dict[str, Any]:
    return {} if value is MISSING else leaves(value)


def _shown(value: Any) -> str:
    if value is MISSING:
        return "absent"
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."
