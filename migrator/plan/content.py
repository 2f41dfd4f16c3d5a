"""What a phase says: steps, manual work, acceptance checks, rollout, rollback, effort, risk.

The text comes from the playbooks (one source for CLI, SARIF and plan documents) and from the
findings themselves (which sites need a person, which become a SCAN of the store).
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence

from migrator.model import Finding
from migrator.plan.groups import CLEANUP_SLUG, Group, group_of, higher_risk, raise_risk
from migrator.plan.model import Phase, PhaseEffort
from migrator.plan.rollout import flag_name, rollout_kind, rollouts
from migrator.playbook import Playbook, load_playbook

# One check per category that proves the state is shared, not per process.
_ACCEPTANCE = {
    "cache": "With two processes, a value cached through one is served from the store by the "
    "other, and clearing it through one clears it for both.",
    "session_store": "Sign in through one process; the next request, served by another, is "
    "still signed in; a restart signs nobody out.",
    "server_session_config": "Sign in through one process; the next request, served by "
    "another, is still signed in; a restart signs nobody out.",
    "app_data": "A record created through one process is listed by another and survives a "
    "restart of both.",
    "counter_ratelimit": "Hits sent through two processes add up in one count: a limit of N "
    "rejects request N+1 whichever process serves it.",
    "lock": "Two processes cannot hold the lock at once; a holder that dies releases it after "
    "the timeout.",
    "queue_background": "A job enqueued by one process runs exactly once, on any worker, and "
    "a job queued before a restart still runs after it.",
    "local_file": "A file written through one replica is readable through another, and old "
    "files were copied before reads switched.",
    "connection_registry": "A message sent through one replica reaches a client connected to "
    "another.",
    "other": "The component behaves the same with two processes as with one.",
}


def playbook(category: str) -> Playbook | None:
    """The category's playbook, or None when this install lacks its file."""
    try:
        return load_playbook(category)
    except (KeyError, FileNotFoundError):
        return None


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}" + ("" if n == 1 else "s")


def effort(findings: Sequence[Finding]) -> PhaseEffort:
    """Sum of the findings' points; a finding the scan gave no effort counts by its sites."""
    parts: list[str] = []
    total = 0
    for f in findings:
        if f.effort is not None:
            points, basis = f.effort.points, f.effort.basis
        else:
            modules = len({e.path for e in f.evidence} | {f.path})
            points = max(1, modules)
            basis = f"estimated from {_count(modules, 'module')} touched"
        total += points
        parts.append(f"`{f.symbol}` {points} ({basis})")
    return PhaseEffort(total, f"sum over {_count(len(findings), 'component')}: " + "; ".join(parts))


def risk(group: Group, findings: Sequence[Finding]) -> tuple[str, str]:
    """The riskiest category in the phase, one level up when a person must rewrite code."""
    level = group.risk
    for f in findings:
        level = higher_risk(level, group_of(f.category).risk)
    reason = f"{group.why_here}"
    manual = [f.symbol for f in findings if f.automation == "manual"]
    if manual:
        raised = raise_risk(level)
        if raised != level:
            reason += f" Raised to {raised}: no codemod covers `{'`, `'.join(manual)}`."
        level = raised
    return level, reason


def _with_phase_number(step: str, number: int) -> str:
    return re.sub(r"--phase N\b", f"--phase {number}", step)


def step_groups(
    number: int, slug: str, findings: Sequence[Finding]
) -> tuple[tuple[str, tuple[str, ...]], ...]:
    """Playbook steps for each category in the phase, titled by the playbook."""
    groups: list[tuple[str, tuple[str, ...]]] = []
    for category in dict.fromkeys(f.category for f in findings):
        book = playbook(category)
        if book is None:
            groups.append(
                (
                    category,
                    (
                        f"Run `migrator apply --phase {number}` and walk each "
                        "flag through the rollout below.",
                    ),
                )
            )
            continue
        groups.append((book.title, tuple(_with_phase_number(s, number) for s in book.steps)))
    title, first = groups[0]
    if not any("migrator apply" in s for s in first):
        # The phase starts with `apply` even when the first playbook leaves it implicit.
        run = (
            f"Run `migrator apply --phase {number}`: it commits the change on "
            f"`stateless/phase-{number}-{slug}`."
        )
        groups[0] = (title, (run, *first))
    return tuple(groups)


def flat_steps(groups: Sequence[tuple[str, Sequence[str]]]) -> tuple[str, ...]:
    """The groups as one list, each step prefixed by its group's title when there are several."""
    if len(groups) == 1:
        return tuple(groups[0][1])
    return tuple(f"{title}: {s}" for title, steps in groups for s in steps)


def manual_steps(findings: Sequence[Finding]) -> tuple[str, ...]:
    """Work no codemod does: manual components, nested mutations, whole-store iteration."""
    out: list[str] = []
    for f in findings:
        where = f"`{f.path}:{f.line}`"
        if f.automation == "manual":
            out.append(
                f"Move `{f.qualname}` ({where}) by hand: {f.message.strip()} Follow "
                f"`migrator playbook {f.category}`."
            )
        for site in f.evidence:
            if site.detail == "nested" and f.automation != "manual":
                out.append(
                    f"Check `{site.path}:{site.line}`: `{f.symbol}` is changed through a "
                    "nested value; it must become a read-modify-write (`edit`), not a "
                    "write to a copy."
                )
            if site.access == "iterate":
                out.append(
                    f"Check `{site.path}:{site.line}`: iterating over `{f.symbol}` "
                    "becomes a SCAN of the store; keep it off per-request paths."
                )
    return tuple(dict.fromkeys(out))


def acceptance(
    findings: Sequence[Finding], flags: Mapping[str, str] | None = None
) -> tuple[str, ...]:
    """Checks that prove the phase done: nothing changes at `off`, state shared at the end."""
    staged = sorted({_flag(f, flags) for f in findings if rollout_kind(f) == "adapter"})
    out = ["With every flag of this phase unset (`off`), the test suite passes unchanged."]
    if staged:
        out.append(
            f"In `shadow`, the difference reports for "
            f"{', '.join(f'`{x}`' for x in staged)} show no value the store holds wrongly."
        )
    for category in dict.fromkeys(f.category for f in findings):
        out.append(_ACCEPTANCE.get(category, _ACCEPTANCE["other"]))
    out = list(dict.fromkeys(out))
    if staged:
        out.append(
            "With the store stopped and a flag at `live`, requests fail with an error "
            "instead of falling back to process memory."
        )
    return tuple(out)


def rollback(number: int, slug: str, findings: Sequence[Finding]) -> str:
    """How to undo the phase: flags back first, then the merge; playbook notes after."""
    kinds = {rollout_kind(f) for f in findings}
    parts: list[str] = []
    if "adapter" in kinds:
        parts.append(
            "Step each staged flag back one stage at a time (see the rollout); every "
            "stage before `complete` still writes the old side, so nothing is lost."
        )
    if "switch" in kinds:
        parts.append("Set each configuration switch back to `off` and restart.")
    if "cutover" in kinds:
        parts.append("Set each cutover flag back to `off`.")
    parts.append(
        f"To undo the code, set the flags to `off` and revert the merge of "
        f"`stateless/phase-{number}-{slug}`."
    )
    for category in dict.fromkeys(f.category for f in findings):
        book = playbook(category)
        if book is not None:
            parts.append(f"{book.title}: {book.rollback}")
    return " ".join(parts)


def _summary(findings: Sequence[Finding], stores: Mapping[str, str]) -> str:
    by_store: dict[str, list[str]] = {}
    for f in findings:
        by_store.setdefault(stores.get(f.id) or f.suggested_store, []).append(f"`{f.symbol}`")
    moves = "; ".join(f"{', '.join(names)} to {store}" for store, names in by_store.items())
    return f"Moves {_count(len(findings), 'component')} to shared stores: {moves}."


def migrate_phase(
    number: int,
    group: Group,
    findings: Sequence[Finding],
    stores: Mapping[str, str],
    coupling: Sequence[str],
    flags: Mapping[str, str] | None = None,
) -> Phase:
    """One phase that moves `findings` behind their flags (`flags`: id -> flag)."""
    categories = tuple(dict.fromkeys(f.category for f in findings))
    joined = [group_of(c).title.lower() for c in categories if group_of(c).slug != group.slug]
    title = group.title + (f", with {' and '.join(dict.fromkeys(joined))}" if joined else "")
    level, why = risk(group, findings)
    groups = step_groups(number, group.slug, findings)
    return Phase(
        number=number,
        slug=group.slug,
        title=title,
        risk=level,
        risk_reason=why,
        effort=effort(findings),
        findings=tuple(f.id for f in findings),
        flags=tuple(dict.fromkeys(_flag(f, flags) for f in findings)),
        steps=flat_steps(groups),
        step_groups=groups,
        rollback=rollback(number, group.slug, findings),
        kind="migrate",
        categories=categories,
        summary=_summary(findings, stores),
        manual_steps=manual_steps(findings),
        acceptance=acceptance(findings, flags),
        rollouts=rollouts(findings, dict(stores), flags),
        coupling=tuple(coupling),
    )


def cleanup_phase(
    number: int, findings: Sequence[Finding], named: Mapping[str, str] | None = None
) -> Phase:
    """The last phase: once every flag is `complete` everywhere, delete flags and old paths."""
    flags = tuple(dict.fromkeys(_flag(f, named) for f in findings))
    steps = [
        "Confirm every flag below is `complete` in every environment (and `STATELESS_MODE` is "
        "not set to an earlier stage anywhere).",
    ]
    steps += [
        f"Remove `{_flag(f, named)}` and the in-process side of `{f.qualname}` "
        f"(`{f.path}:{f.line}`): the store becomes the only path."
        for f in findings
    ]
    steps.append(
        f"Run `migrator apply --phase {number} --rollout-complete` to make these removals, then "
        "`migrator check` to write a fresh baseline with nothing left in it."
    )
    return Phase(
        number=number,
        slug=CLEANUP_SLUG,
        title="Clean up flags and old paths",
        risk="low",
        risk_reason="Only code that no flag reaches any more is removed.",
        effort=PhaseEffort(
            len(findings),
            f"1 point per component: {_count(len(flags), 'flag')} "
            f"for {_count(len(findings), 'component')}",
        ),
        findings=tuple(f.id for f in findings),
        flags=flags,
        steps=tuple(steps),
        rollback="Revert the merge of this phase; the flags come back at `complete`, which "
        "reads and writes the store only, exactly as before.",
        kind="cleanup",
        categories=tuple(dict.fromkeys(f.category for f in findings)),
        summary="Once every flag is `complete` everywhere, the flags and the old in-process "
        "paths go, so nobody can switch back to local state by accident.",
        acceptance=(
            "No `STATELESS_` flag of these components is read anywhere in the code.",
            "`migrator check` reports none of these components.",
        ),
    )


def _flag(finding: Finding, flags: Mapping[str, str] | None) -> str:
    """The component's flag as the plan named it, else its symbol's own."""
    return (flags or {}).get(finding.id) or flag_name(finding.symbol)
