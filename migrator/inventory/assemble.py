"""From a project's facts to findings: run every detector, then rate each finding.

Containers changed while serving are offered to container detectors in priority
order, so each component is reported once, in one category. Effort and severity
are computed here, the same way for every detector, from the evidence alone.
"""

from __future__ import annotations

from migrator.inventory.detectors import (
    Claim,
    ContainerDetector,
    ProjectDetector,
    all_detectors,
    evidence_of,
    finding,
    where_changed,
)
from migrator.inventory.detectors._memo import STORABLE_TYPES, pure_memo, unstorable_values
from migrator.inventory.escapes import escape_of
from migrator.inventory.symbols import Component, Project
from migrator.model import Deployment, Effort, Finding


def find_state(project: Project, deployment: Deployment) -> list[Finding]:
    """Every finding in the project, rated, sorted by path and line."""
    detectors = [cls() for cls in all_detectors()]
    containers = sorted(
        (d for d in detectors if isinstance(d, ContainerDetector)), key=lambda d: d.priority
    )
    found: dict[str, Finding] = {}
    for comp in sorted(project.state_components(), key=lambda c: c.qualname):
        if pure_memo(comp, project):
            continue  # a memo of a pure function of its key: right in every process
        for detector in containers:
            claim = detector.claim(comp, project)
            if claim is None:
                continue
            found.setdefault(comp.qualname, _container_finding(detector, comp, claim, project))
            break
    for project_detector in detectors:
        if isinstance(project_detector, ProjectDetector):
            for item in project_detector.detect(project):
                found.setdefault(item.qualname, item)
    return sorted(
        (rate(f, deployment) for f in found.values()), key=lambda f: (f.path, f.line, f.symbol)
    )


def _container_finding(
    detector: ContainerDetector, comp: Component, claim: Claim, project: Project
) -> Finding:
    symbol = comp.symbol
    category = detector.category
    automation, refusal = _automation(comp, claim.automation, category, project)
    if automation == "codemod" and claim.kind in _KEY_VALUE_KINDS and category in _KEY_VALUE:
        automation, refusal = _storable_entries(comp, project)
    return finding(
        category,
        symbol=symbol,
        qualname=comp.qualname,
        path=comp.facts.path,
        line=comp.binding.line,
        confidence=claim.confidence,
        message=(
            f"`{symbol}` lives in process memory and is {where_changed(comp)}; {claim.why}. "
            f"Each replica keeps its own copy and a restart loses it "
            f"(`migrator playbook {category}`).{refusal}"
        ),
        evidence=evidence_of(comp.sites),
        kind=claim.kind,
        automation=automation,
        detector=type(detector).__name__,
        store=claim.store,
        store_reason=claim.store_reason,
    )


# What keeps a codemod from proving a rewrite safe, as the finding's message says it.
_UNSAFE_USES = {
    "escape": "is passed to a call the codemod cannot follow",
    "is": "is compared by identity (`is`)",
    "rebind": "is rebound as a whole",
}


def _automation(
    comp: Component, claimed: str, category: str, project: Project
) -> tuple[str, str]:
    """(automation, the reason a codemod is ruled out, as a sentence or ''): a codemod only
    where it can be shown safe, with no escapes, identity checks or rebinding.

    A connection manager's sockets stay in the process (only broadcasts move), and a counter
    is rebound by its increments, so neither is ruled out for that.
    """
    if claimed != "codemod" or category == "connection_registry":
        return claimed, ""
    if comp.binding.scope == "app":
        return "manual", (
            f" No codemod: `{comp.symbol}` lives on the application object, which the codemods "
            "do not rewrite yet; the playbook lists the steps."
        )
    if comp.binding.scope == "instance" and not project.is_singleton(comp):
        return "manual", (
            f" No codemod: `{comp.symbol}` lives on an object made by start-up code, not at "
            "import, which the codemods do not rewrite yet; the playbook lists the steps."
        )
    if comp.binding.ctor.startswith("traitlets."):
        return "manual", (
            f" No codemod: `{comp.symbol}` is a `{comp.binding.ctor}` trait, which the codemods "
            "do not rewrite; the playbook lists the steps."
        )
    subclass = project.subclass_instances.get(comp.qualname)
    if subclass:
        return "manual", (
            f" No codemod: `{comp.symbol}` is a `{subclass}`, the project's own subclass of "
            f"`{comp.binding.ctor}`, whose methods the codemod cannot see into."
        )
    if comp.binding.kind in ("int", "float"):
        return claimed, ""
    unsafe = [s for s in comp.sites if s.detail in _UNSAFE_USES]
    if not unsafe:
        escape = escape_of(comp, category, project)
        if escape is None:
            return claimed, ""
        sentence = escape.sentence(comp.symbol)
        return "manual", f" No codemod: {sentence}, so the move is left to a person."
    first = min(unsafe, key=lambda s: (s.path, s.line))
    more = f" (and {len(unsafe) - 1} more places)" if len(unsafe) > 1 else ""
    return "manual", (
        f" No codemod: `{comp.symbol}` {_UNSAFE_USES[first.detail]} at "
        f"`{first.path}:{first.line}`{more}, so the move is left to a person."
    )


# Components the key-value codemod moves onto a store whose values must then be stored there.
_KEY_VALUE = frozenset({"session_store", "app_data", "other"})
_KEY_VALUE_KINDS = frozenset({"dict", "defaultdict", "ordereddict"})


def _storable_entries(comp: Component, project: Project) -> tuple[str, str]:
    """No codemod when a value put into the mapping (or into its values) is known not to be
    storable: from `live` on, every request that writes one would fail. (Values the scan
    cannot follow, like a request's data, are not refused: the stages before `live` count
    any that cannot be stored.)"""
    unstorable = unstorable_values(comp, project, shown=False)
    if not unstorable:
        return "codemod", ""
    return "manual", (
        f" No codemod: {unstorable} by the runtime (JSON values: {STORABLE_TYPES}; never "
        "pickle), so the move is left to a person: store plain data in it first."
    )


def effort_of(finding: Finding) -> Effort:
    """Points from what a person must look at, and the counts behind them (stable across runs)."""
    sites = len(finding.evidence)
    modules = len({e.path for e in finding.evidence})
    nested = sum(1 for e in finding.evidence if e.detail.startswith("nested"))
    iterations = sum(1 for e in finding.evidence if e.access == "iterate")
    escapes = sum(1 for e in finding.evidence if e.detail in ("escape", "is"))
    manual = finding.automation == "manual"
    points = (
        1 + sites // 4 + modules - 1 + 2 * nested + iterations + 2 * escapes + (3 if manual else 0)
    )
    parts = [
        f"{sites} access site{'s' if sites != 1 else ''} in {modules} module{'s' if modules != 1 else ''}"
    ]
    for count, what in (
        (nested, "nested mutation"),
        (iterations, "iteration"),
        (escapes, "escape"),
    ):
        if count:
            parts.append(f"{count} {what}{'s' if count != 1 else ''}")
    if manual:
        parts.append("manual steps")
    return Effort(points, ", ".join(parts))


def rate(finding: Finding, deployment: Deployment) -> Finding:
    """Effort, and severity: local state in a service that already runs several processes is a live bug."""
    severity = "error" if deployment.multi_process else "warning"
    if finding.kind == "deferred_work":
        severity = "note"  # lost work on scale-in, not a wrong answer while running
    message = finding.message
    if deployment.multi_process and severity == "error":
        message += (
            f" The service already runs {deployment.processes} processes, so this is a live bug, "
            "not a future risk."
        )
    return finding.with_changes(effort=effort_of(finding), severity=severity, message=message)
