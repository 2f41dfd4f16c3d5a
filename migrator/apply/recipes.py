"""What each finding becomes in `apply`: the codemod to run, where, and the runtime it needs.

One table, read top to bottom: a finding's category and kind pick a recipe. A finding with
no recipe (or `automation: manual`) gets manual-review markers at its definition and sites.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace

from libcst.codemod import Codemod, CodemodContext

from migrator.codemods.apscheduler_jobstore import APSchedulerJobstoreCodemod
from migrator.codemods.async_store_calls import AwaitedCodemod
from migrator.codemods.broadcast_registry import BroadcastRegistryCodemod
from migrator.codemods.celery_result_backend import CeleryResultBackendCodemod
from migrator.codemods.counter import CounterCodemod
from migrator.codemods.dict_memo import DictMemoCodemod
from migrator.codemods.distributed_lock import DistributedLockCodemod
from migrator.codemods.django_cache_backend import DjangoCacheBackendCodemod
from migrator.codemods.django_session_backend import DjangoSessionBackendCodemod
from migrator.codemods.flask_caching_backend import FlaskCachingBackendCodemod
from migrator.codemods.flask_session_backend import FlaskSessionBackendCodemod
from migrator.codemods.key_value_store import KeyValueStoreCodemod
from migrator.codemods.limiter_backend import LimiterBackendCodemod
from migrator.codemods.memoize_cache import MemoizeCacheCodemod
from migrator.codemods.rename_component import ComponentRenameCodemod, RenamedCodemod
from migrator.codemods.shared_secret import VARIABLE as SECRET_VARIABLE
from migrator.codemods.shared_secret import SharedSecretCodemod
from migrator.model import Finding
from migrator.plan.flags import flag_name, runtime_name
from migrator.runtime import Component
from migrator.settings import DEFAULT_TTLS

# Stores the generated runtime can put each kind of component in (the codemods' choice).
RUNTIME_STORES = {
    "kv": ("redis", "postgres", "dynamodb"),
    "cache": ("redis", "postgres", "dynamodb"),
    "counter": ("redis", "postgres"),
    "lock": ("redis", "postgres"),
    "broadcast": ("redis", "postgres"),
}


@dataclass(frozen=True)
class Recipe:
    """How to migrate one finding: a codemod over some files, and the runtime component it uses."""

    make: Callable[[], Codemod]  # a fresh codemod instance
    files: tuple[str, ...]  # relative paths the codemod runs over
    component: Component | None  # None: the framework's own backend, no generated runtime
    requirement: str = ""  # a client the target now needs (config switches)
    all_or_nothing: bool = True
    outcome: str = ""  # what the change is, for a recipe with no component and no backend


def _files(finding: Finding) -> tuple[str, ...]:
    return tuple(sorted({finding.path, *(e.path for e in finding.evidence)}))


def _name(finding: Finding) -> str:
    return finding.symbol.rpartition(".")[2]


def _component(
    finding: Finding, kind: str, store: str, ttl: int | None, name: str = ""
) -> Component:
    """The runtime component for `finding`, with its category's default TTL when `ttl` (from
    `[tool.migrator.ttl]`) is None; a ValueError naming plan.json's field when its store cannot
    hold this kind (never a silent change of store)."""
    if store not in RUNTIME_STORES[kind]:
        allowed = ", ".join(RUNTIME_STORES[kind])
        raise ValueError(
            f"plan.json: components.{finding.id}.store: `{finding.qualname}` becomes a {kind} "
            f"component, which the runtime cannot keep in {store!r}; choose one of {allowed}"
        )
    if ttl is None and kind in ("kv", "cache"):
        ttl = DEFAULT_TTLS.get(finding.category)
    return Component(name=name or _name(finding), kind=kind, store=store, ttl=ttl)


def recipe_for(
    finding: Finding,
    module: str,
    runtime: str,
    store: str,
    ttl: int | None,
    key_prefix: str = "",
    flag: str = "",
) -> Recipe | None:
    """The recipe for a finding defined in `module`, with the runtime importable as `runtime`;
    `flag` is the plan's flag for it (its symbol's own when empty)."""
    if finding.automation == "manual":
        return None
    recipe = _recipe_for(finding, module, runtime, store, ttl, key_prefix, flag or "")
    if recipe is None or recipe.component is None:
        return recipe
    written = _name(finding)
    if recipe.component.name == written:
        return recipe
    make, name = recipe.make, recipe.component.name
    return replace(
        recipe,
        make=lambda: RenamedCodemod(
            make(), ComponentRenameCodemod(CodemodContext(), runtime, written, name)
        ),
    )


def _recipe_for(
    finding: Finding,
    module: str,
    runtime: str,
    store: str,
    ttl: int | None,
    key_prefix: str,
    flag: str,
) -> Recipe | None:
    context = CodemodContext()
    symbol, kind, category = finding.symbol, finding.kind, finding.category
    files = _files(finding)
    flag = flag or flag_name(symbol)
    name = runtime_name(finding, flag)
    if category in ("session_store", "app_data") and kind in ("dict", "ordereddict", "defaultdict"):
        return Recipe(
            lambda: AwaitedCodemod(
                KeyValueStoreCodemod(context, symbol, module, runtime, ttl=ttl), symbol, module, "kv"
            ),
            files,
            _component(finding, "kv", store, ttl, name),
        )
    if category == "cache" and kind == "lru_cache" and "." not in symbol:
        return Recipe(
            lambda: MemoizeCacheCodemod(context, symbol, runtime, ttl=ttl),
            files,
            _component(finding, "cache", store, ttl, name),
        )
    if category == "cache" and kind == "memo_dict":
        return Recipe(
            lambda: DictMemoCodemod(context, symbol, runtime, ttl=ttl),
            files,
            _component(finding, "cache", store, ttl, name),
        )
    if category == "counter_ratelimit" and kind in ("counter", "counter_map", "rate_limit"):
        return Recipe(
            lambda: AwaitedCodemod(
                CounterCodemod(context, symbol, module, runtime), symbol, module, "counter"
            ),
            files,
            _component(finding, "counter", store, None, name),
        )
    if category == "lock" and kind == "lock":
        return Recipe(
            lambda: AwaitedCodemod(
                DistributedLockCodemod(context, symbol, module, runtime), symbol, module, "lock"
            ),
            files,
            _component(finding, "lock", store, None, name),
        )
    if category == "connection_registry":
        written = _name(finding)
        return Recipe(
            lambda: BroadcastRegistryCodemod(context, written, runtime),
            (finding.path,),
            _component(finding, "broadcast", store, None, name),
        )
    if kind == "per_process_secret":
        line = finding.line
        return Recipe(
            lambda: SharedSecretCodemod(context, line),
            (finding.path,),
            None,
            outcome=f"the key is read from {SECRET_VARIABLE} (the same value on every replica)",
        )
    config = _CONFIG_SWITCHES.get((category, kind))
    if config is not None:
        make_config, requirement = config
        switch = flag.removeprefix("STATELESS_")  # the flag the plan tells people to set
        return Recipe(
            lambda: make_config(context, switch, key_prefix),
            (finding.path,),
            None,
            requirement,
            all_or_nothing=False,
        )
    return None


def _switches() -> dict[tuple[str, str], tuple[Callable[[CodemodContext, str, str], Codemod], str]]:
    return {
        ("cache", "flask_caching"): (FlaskCachingBackendCodemod, "redis>=5"),
        ("cache", "django_caches"): (DjangoCacheBackendCodemod, "redis>=5"),
        ("server_session_config", "flask_session"): (FlaskSessionBackendCodemod, "redis>=5"),
        ("server_session_config", "django_session"): (DjangoSessionBackendCodemod, "redis>=5"),
        ("counter_ratelimit", "limiter"): (LimiterBackendCodemod, "redis>=5"),
        ("queue_background", "scheduler"): (APSchedulerJobstoreCodemod, "redis>=5"),
        ("queue_background", "celery_backend"): (CeleryResultBackendCodemod, "redis>=5"),
    }


_CONFIG_SWITCHES = _switches()
