"""counter_ratelimit (configuration): Flask-Limiter, slowapi and limits on `memory://`.

Looks for: a `Limiter(...)` from flask_limiter or slowapi without a shared
`storage_uri` (their default is memory), `storage_uri="memory://"`,
`RATELIMIT_STORAGE_URI`/`RATELIMIT_STORAGE_URL` set to memory, and limits'
`MemoryStorage()` or `storage_from_string("memory://")`. Each replica counts on its
own, so a client gets N times its limit. Ignores: limiters on `redis://`, `memcached://`.
"""

from __future__ import annotations

from collections.abc import Iterable

from migrator.inventory.detectors import ProjectDetector, finding, module_name, register
from migrator.inventory.detectors._settings import config_items
from migrator.inventory.extract import literal
from migrator.inventory.symbols import Project
from migrator.model import Evidence, Finding

LIMITERS = frozenset(
    {
        "flask_limiter.Limiter",
        "flask_limiter.extension.Limiter",
        "slowapi.Limiter",
        "slowapi.extension.Limiter",
    }
)
MEMORY_STORAGES = frozenset({"limits.storage.MemoryStorage", "limits.storage.memory.MemoryStorage"})
STORAGE_KEYS = ("RATELIMIT_STORAGE_URI", "RATELIMIT_STORAGE_URL")


@register
class LimiterConfigDetector(ProjectDetector):
    category = "counter_ratelimit"
    STATE = (
        "from slowapi import Limiter\nfrom slowapi.util import get_remote_address\n"
        "limiter = Limiter(key_func=get_remote_address)\n",
        "from flask_limiter import Limiter\nlimiter = Limiter(storage_uri='memory://')\n",
    )
    NOT_STATE = (
        "from flask_limiter import Limiter\nlimiter = Limiter(storage_uri='redis://localhost:6379')\n",
    )

    def detect(self, project: Project) -> Iterable[Finding]:
        configured = {
            str(literal(item.value))
            for key in STORAGE_KEYS
            for _, item in config_items(project, key)
        }
        shared_in_config = any(v and not v.startswith("memory") for v in configured if v != "None")
        for facts in project.by_module.values():
            for call in facts.calls:
                kwargs = dict(call.kwargs)
                if call.callee in LIMITERS:
                    uri = kwargs.get("storage_uri")
                    value = literal(uri) if uri else None
                    if uri is None and shared_in_config:
                        continue
                    if uri is not None and not (
                        isinstance(value, str) and value.startswith("memory")
                    ):
                        continue
                    how = (
                        f'`storage_uri="{value}"`'
                        if value
                        else "no `storage_uri` (memory is the default)"
                    )
                elif call.callee in MEMORY_STORAGES or (
                    call.callee.endswith("storage_from_string")
                    and call.args
                    and literal(call.args[0]) == "memory://"
                ):
                    how = "limits' in-memory storage"
                else:
                    continue
                symbol = module_name(call) or call.callee.rpartition(".")[2]
                yield finding(
                    self.category,
                    symbol=symbol,
                    qualname=f"{facts.module}.{symbol}",
                    path=facts.path,
                    line=call.line,
                    confidence="high",
                    message=(
                        f"The rate limiter `{symbol}` counts in process memory ({how}): with N replicas "
                        "a client gets N times its limit, and a restart forgives everyone. Give it "
                        "`storage_uri` on Redis (`migrator playbook counter_ratelimit`)."
                    ),
                    evidence=(Evidence(facts.path, call.line, "write", "config"),),
                    kind="limiter",
                    automation="config",
                    store_reason="the limiter's own Redis storage: no adapter needed",
                    detector=type(self).__name__,
                )
        if not configured:
            # Flask-AppBuilder makes its own Flask-Limiter: enabled with no storage is memory.
            for facts, item in config_items(project, "RATELIMIT_ENABLED"):
                if literal(item.value) is False:
                    continue
                yield finding(
                    self.category,
                    symbol="RATELIMIT_ENABLED",
                    qualname=f"{facts.module}.RATELIMIT_ENABLED",
                    path=facts.path,
                    line=item.line,
                    confidence="medium",
                    message=(
                        "Rate limiting is enabled with no `RATELIMIT_STORAGE_URI`, so Flask-Limiter "
                        "counts in process memory: with N replicas a client gets N times its limit. "
                        "Set `RATELIMIT_STORAGE_URI` to Redis (`migrator playbook counter_ratelimit`)."
                    ),
                    evidence=(Evidence(facts.path, item.line, "write", "config"),),
                    kind="limiter",
                    automation="config",
                    detector=type(self).__name__,
                )
        for key in STORAGE_KEYS:
            for facts, item in config_items(project, key):
                value = literal(item.value)
                if isinstance(value, str) and value.startswith("memory"):
                    yield finding(
                        self.category,
                        symbol=key,
                        qualname=f"{facts.module}.{key}",
                        path=facts.path,
                        line=item.line,
                        confidence="high",
                        message=(
                            f"`{key}` is `{value}`: rate limits are counted per process. Use a Redis "
                            "URI (`migrator playbook counter_ratelimit`)."
                        ),
                        evidence=(Evidence(facts.path, item.line, "write", "config"),),
                        kind="limiter",
                        automation="config",
                        detector=type(self).__name__,
                    )
