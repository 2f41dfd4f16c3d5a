"""A phase's rollout, stage by stage, with what to watch and how to step back.

Adapters go through the six migration-flag stages. Two stages (`off`, `complete`) and a stated
cost for the rest: a framework config switch picks its backend when the service starts, and a
cutover (a broadcast, a job queue) cannot run both paths at once: a message would be delivered
twice, a job would run twice.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from migrator.model import Finding
from migrator.plan.flags import flag_name
from migrator.plan.model import Rollout, Stage

ADAPTER_STAGES = ("off", "dualwrite", "shadow", "live", "rampdown", "complete")
SWITCH_STAGES = ("off", "complete")

# What trouble in the new side looks like, per category; said at the stages that matter.
_WATCH = {
    "cache": "cache hit rate in the store",
    "session_store": "sign-in rate and session-not-found errors",
    "server_session_config": "sign-in rate and session-not-found errors",
    "app_data": "record counts on both sides",
    "counter_ratelimit": "counts on both sides and rate-limit rejections",
    "lock": "lock wait time and lock timeouts",
    "queue_background": "queue depth, job failures and duplicate runs",
    "local_file": "missing-file errors and object-store request errors",
    "connection_registry": "delivered messages per replica and publish errors",
}

# What the generated runtime exports (prometheus_client names; OpenTelemetry: `stateless.events`
# and `stateless.store.duration`), named at the stage where each matters.
_METRIC = "stateless_events_total"
_DURATION = "stateless_store_duration_seconds"

_SWITCH_COST = {
    "session_store": "Each signed-in user signs in once more after the switch, unless the old "
    "sessions are copied into the new backend first.",
    "server_session_config": "Each signed-in user signs in once more after the switch, unless "
    "the old sessions are copied into the new backend first.",
    "cache": "The new cache starts cold: expect a burst of misses and more load on what it "
    "caches for one TTL.",
    "counter_ratelimit": "Rate-limit windows start again: for one window each client may use "
    "its full limit once more.",
    "queue_background": "Jobs held in memory are not carried over: let queued jobs drain and "
    "add scheduled jobs again at startup.",
}
_OTHER_COST = "Whatever the old backend holds in process memory is dropped at the switch."
# The variable the rewritten code reads a signing key from (codemods/shared_secret.py).
SECRET_VARIABLE = "STATELESS_SECRET_KEY"
_SECRET_COST = (
    "Users signed in with a key a replica made for itself sign in once more when the shared "
    "key arrives. The key is a secret: keep it in the secret manager, never in the repository, "
    "and rotate it like any signing key (every replica at once)."
)

# Categories that cut over in one step, and what that step costs.
_CUTOVER_COST = {
    "connection_registry": "A broadcast has no data to copy, and delivering on both paths would "
    "send every message twice; clients connected at the moment of the "
    "cutover may miss one message.",
    "queue_background": "A job written to both queues would run twice, so producers switch in "
    "one step; jobs still in the in-process queue must drain first, or "
    "they are lost with the process.",
}
_CUTOVER_ROLLBACK = {
    "connection_registry": "each replica again delivers only to its own clients, as before",
    "queue_background": "new jobs stay in process again; keep the store's workers running "
    "until the jobs already queued there are done",
}


def verify_first(stage: str) -> str:
    """The sentence that has the stage proven on several replicas before it goes live."""
    return (
        f"Verify before this stage: `migrator verify --mode {stage}` starts two replicas on "
        "this branch and checks that they answer the project's journey as one does."
    )


def switch_cost(finding: Finding) -> str:
    """What switching this component's framework backend costs, in a sentence."""
    return _SWITCH_COST.get(finding.category, _OTHER_COST)


def rollouts(
    findings: Sequence[Finding], stores: dict[str, str], flags: Mapping[str, str] | None = None
) -> tuple[Rollout, ...]:
    """The phase's rollouts: one per kind it holds (adapter, config switch, cutover); `flags`
    names each component's flag by id (its symbol's own flag where it has none)."""
    out: list[Rollout] = []
    adapters = [f for f in findings if rollout_kind(f) == "adapter"]
    switches = [f for f in findings if rollout_kind(f) == "switch"]
    cutovers = [f for f in findings if rollout_kind(f) == "cutover"]
    if adapters:
        out.append(
            Rollout(
                kind="adapter",
                flags=_flags(adapters, flags),
                components=tuple(f.id for f in adapters),
                stages=_adapter_stages(_names(adapters, stores), _watch(adapters)),
            )
        )
    keys = [f for f in switches if f.kind == "per_process_secret"]
    switches = [f for f in switches if f.kind != "per_process_secret"]
    if keys:
        out.append(
            Rollout(
                kind="switch",
                flags=(SECRET_VARIABLE,),
                components=tuple(f.id for f in keys),
                stages=_secret_stages(),
                cost=_SECRET_COST,
            )
        )
    if switches:
        cost = " ".join(dict.fromkeys(switch_cost(f) for f in switches))
        out.append(
            Rollout(
                kind="switch",
                flags=_flags(switches, flags),
                components=tuple(f.id for f in switches),
                stages=_switch_stages(_names(switches, stores), _watch(switches), cost),
                cost=cost,
            )
        )
    if cutovers:
        cost = " ".join(dict.fromkeys(_CUTOVER_COST[f.category] for f in cutovers))
        back = "; ".join(dict.fromkeys(_CUTOVER_ROLLBACK[f.category] for f in cutovers))
        out.append(
            Rollout(
                kind="cutover",
                flags=_flags(cutovers, flags),
                components=tuple(f.id for f in cutovers),
                stages=_cutover_stages(_names(cutovers, stores), _watch(cutovers), back),
                cost=cost,
            )
        )
    return tuple(out)


def rollout_kind(finding: Finding) -> str:
    """`switch` for framework config, `cutover` for broadcasts and queues, else `adapter`."""
    if finding.automation == "config":
        return "switch"
    if finding.category in _CUTOVER_COST:
        return "cutover"
    return "adapter"


def _flags(findings: Sequence[Finding], flags: Mapping[str, str] | None) -> tuple[str, ...]:
    named = flags or {}
    return tuple(dict.fromkeys(named.get(f.id) or flag_name(f.symbol) for f in findings))


def _names(findings: Sequence[Finding], stores: dict[str, str]) -> str:
    chosen = dict.fromkeys(stores.get(f.id) or f.suggested_store for f in findings)
    return " / ".join(chosen)


def _watch(findings: Sequence[Finding]) -> str:
    parts = dict.fromkeys(_WATCH.get(f.category, "errors from the store") for f in findings)
    return "; ".join(parts)


def _adapter_stages(store: str, extra: str) -> tuple[Stage, ...]:
    return (
        Stage(
            "off",
            "Merge and deploy with the flags unset: reads and writes stay in process.",
            "Error rate and latency, which must not change: merging alone changes nothing.",
            "Revert the merge; nothing reached the store.",
        ),
        Stage(
            "dualwrite",
            f"Writes go to process memory and to {store}; answers still come from memory.",
            f"Store write errors and values the runtime could not serialize (logged and "
            f'counted: `{_METRIC}{{event="new_side_failure"}}`, and `breaker_trip`); '
            f"{store} write latency (`{_DURATION}`).",
            "Set the flag to `off`; memory received every write, nothing is lost.",
        ),
        Stage(
            "shadow",
            "Reads go to both sides and differences are reported; answers still come from memory.",
            f'Difference reports (`{_METRIC}{{event="divergence"}}`). While several '
            "processes each keep their own copy some "
            "differences are expected; a value the store holds wrongly (serialization, TTL, "
            f"key prefix) is not. Also {extra}.",
            "Set the flag to `dualwrite` or `off`; memory is still the truth.",
        ),
        Stage(
            "live",
            f"Answers come from {store}; memory is still read and written for comparison. "
            + verify_first("live"),
            f"Error rate (a {store} outage is now an error the service returns; "
            f'`{_METRIC}{{event="breaker_skip"}}` counts calls refused while it is down), '
            f"p95 latency (`{_DURATION}`), {store} connections and memory; {extra}.",
            "Set the flag to `shadow`; memory was written all along, nothing is lost.",
        ),
        Stage(
            "rampdown",
            f"Reads use {store} only; writes still go to both sides.",
            f"Full read load on {store} (`{_DURATION}`); nothing still depends on the "
            f'in-process copy; `{_METRIC}{{event="store_reset"}}` stays at zero and '
            "`health()` reports every store intact.",
            "Set the flag to `live`.",
        ),
        Stage(
            "complete",
            f"{store} only. Now run two or more processes or replicas.",
            "Process memory no longer grows with these components; the acceptance checks "
            "pass with several replicas.",
            "Set the flag to `rampdown`; memory missed the writes made since `complete`, so "
            "copy them back from the store or accept the gap.",
        ),
    )


def _switch_stages(store: str, extra: str, cost: str) -> tuple[Stage, ...]:
    return (
        Stage(
            "off",
            "Merge and deploy with the flags unset: the framework keeps its in-process backend.",
            "Error rate and latency, which must not change.",
            "Revert the merge.",
        ),
        Stage(
            "complete",
            f"Restart with the flag at `complete`: the framework uses its {store} backend. {cost} "
            + verify_first("complete"),
            f"Startup logs name the {store} backend; {extra}.",
            f"Set the flag to `off` and restart; what was written to {store} since the "
            "switch is not seen by the old backend.",
        ),
    )


def _secret_stages() -> tuple[Stage, ...]:
    return (
        Stage(
            "off",
            f"Merge and deploy with `{SECRET_VARIABLE}` unset: each process makes its own key, "
            "as before.",
            "Error rate and latency, which must not change.",
            "Revert the merge.",
        ),
        Stage(
            "complete",
            f'Set `{SECRET_VARIABLE}` to one random value (`python -c "import secrets; '
            f'print(secrets.token_hex(32))"`) on every replica and restart them.',
            "Sign-in rate, and users logged out when their requests move between replicas "
            "(none should be).",
            f"Unset `{SECRET_VARIABLE}` and restart; users sign in once more.",
        ),
    )


def _cutover_stages(store: str, extra: str, back: str) -> tuple[Stage, ...]:
    return (
        Stage(
            "off",
            "Merge and deploy with the flags unset: everything stays in process.",
            "Error rate and latency, which must not change.",
            "Revert the merge.",
        ),
        Stage(
            "complete",
            f"Once every replica runs the new code, set the flag to `complete`: "
            f"the component goes through {store} from then on. " + verify_first("complete"),
            f"{extra[0].upper()}{extra[1:]}; {store} errors and latency.",
            f"Set the flag to `off`: {back}.",
        ),
    )
