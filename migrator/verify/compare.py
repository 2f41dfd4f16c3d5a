"""Compares the replicas' run with the one-replica run, step by step.

A step differs when it got another status, failed an expectation the one replica met, was
not sent or got no answer, or (with what `--record` learned) answered other values outside
what varies by itself. An expectation that fails on one replica is the journey's fault, not
the replicas': it is an error.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from migrator.verify.journey import Journey, JourneyError
from migrator.verify.noise import Noise, body_differences
from migrator.verify.runner import Answer


@dataclass(frozen=True)
class Difference:
    """One step that answered otherwise from several replicas than from one."""

    step: int
    name: str
    request: str  # "GET /cart", as sent
    replica: int
    one: str  # what one replica answered, in a phrase
    several: str  # what the replicas answered
    why: tuple[str, ...]  # each way it differs


def check_baseline(journey: Journey, answers: Sequence[Answer]) -> None:
    """Raise JourneyError when the one-replica run fails the journey itself."""
    for step, answer in zip(journey.steps, answers, strict=True):
        problem = answer.error or "; ".join(answer.failed)
        if problem:
            raise JourneyError(
                f"step {step.number} ({step.name}) fails against one replica: {problem}; "
                "fix the journey (it must describe what one replica does)"
            )


def differences(
    journey: Journey,
    one: Sequence[Answer],
    several: Sequence[Answer],
    noise: dict[int, Noise] | None,
) -> list[Difference]:
    """The steps of `several` that differ from `one`; bodies compared only when `noise` is known."""
    out = []
    for step, base, answer in zip(journey.steps, one, several, strict=True):
        quiet = (noise or {}).get(step.number)
        why: list[str] = []
        if answer.error:
            why.append(answer.error)
        else:
            status_differs = base.status != answer.status and not (quiet and quiet.status)
            if status_differs:
                why.append(f"status {answer.status} instead of {base.status}")
            why.extend(
                f"expected {failure}"
                for failure in answer.failed
                if not (status_differs and failure.startswith("status "))
            )
            if noise is not None and not status_differs:  # another status explains the body
                why.extend(body_differences(base, answer, quiet))
        if why:
            out.append(
                Difference(
                    step.number,
                    step.name,
                    f"{step.method} {answer.path}",
                    answer.replica,
                    _phrase(base),
                    _phrase(answer),
                    tuple(why),
                )
            )
    return out


def _phrase(answer: Answer) -> str:
    if answer.error:
        return answer.error
    return f"{answer.status}"
