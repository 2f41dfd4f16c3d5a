"""cache: memo dicts, `functools.lru_cache`/`cache`, cachetools, Flask-Caching `SimpleCache`,
Django `LocMemCache` (also the implicit default when `CACHES` is unset).

A process-local cache is harmless while data never changes; once something changes
the data (an admin edit, `cache_clear()`), each replica answers from its own stale
copy. Looks for: dicts named or used as memos (`if k in C: return C[k]` then
`C[k] = v`); decorated functions that take arguments or are cleared; cachetools and
cachelib caches made at import; framework cache settings. Ignores: `lru_cache` on a
function without arguments that nothing clears (a lazily computed constant), and memos of
pure functions (see `_memo.py`). A memo whose values the runtime cannot store (objects,
generators, what the scan cannot show to be plain data) is reported for a person, with the type.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from migrator.inventory.detectors import (
    Claim,
    ContainerDetector,
    ProjectDetector,
    evidence_of,
    finding,
    register,
)
from migrator.inventory.detectors._memo import (
    STORABLE_TYPES,
    reads_changing_data,
    unstorable_results,
    unstorable_values,
)
from migrator.inventory.detectors._settings import (
    config_items,
    django_settings,
    imports_anything_of,
)
from migrator.inventory.detectors._shapes import CACHE_CTORS, container_kind
from migrator.inventory.extract import literal
from migrator.inventory.facts import Binding, ModuleFacts
from migrator.inventory.symbols import Component, Project
from migrator.model import Evidence, Finding

CACHE_NAME = re.compile(r"cache|memo|_cached|lookup")
MEMO_DECORATORS = frozenset(
    {
        "functools.lru_cache",
        "functools.cache",
        "cachetools.cached",
        "cachetools.func.lru_cache",
        "cachetools.func.ttl_cache",
        "cachetools.func.lfu_cache",
        "cachetools.func.fifo_cache",
    }
)
LOCAL_FLASK_CACHES = frozenset(
    {
        "simple",
        "simplecache",
        "flask_caching.backends.simplecache",
        "flask_caching.backends.simple",
        "flask_caching.backends.simplecache.simplecache",
        "filesystem",
        "filesystemcache",
        "flask_caching.backends.filesystemcache",
        "flask_caching.backends.filesystem",
    }
)
LOCAL_DJANGO_CACHES = (
    "django.core.cache.backends.locmem.",
    "django.core.cache.backends.filebased.",
)


@register
class CacheContainerDetector(ContainerDetector):
    category = "cache"
    priority = 60
    STATE = (
        "import requests\n_PRICE_CACHE = {}\n\ndef price(key):\n"
        "    if key in _PRICE_CACHE:\n        return _PRICE_CACHE[key]\n"
        "    value = requests.get('https://prices/' + key).json()\n    _PRICE_CACHE[key] = value\n"
        "    return value\n",
    )
    NOT_STATE = (
        "CACHE_TIMEOUT = 300\n\ndef timeout():\n    return CACHE_TIMEOUT\n",
        "import re\n_PATTERN_CACHE = {}\n\ndef pattern(text):\n    if text not in _PATTERN_CACHE:\n"
        "        _PATTERN_CACHE[text] = re.compile(text)\n    return _PATTERN_CACHE[text]\n",
    )

    def claim(self, comp: Component, project: Project) -> Claim | None:
        binding = comp.binding
        if binding.kind == "call" and binding.ctor in CACHE_CTORS:
            return Claim("high", f"it is a `{binding.ctor}` filled while serving", "cache_object")
        container = container_kind(binding)
        if not container:
            return None
        if CACHE_NAME.search(comp.symbol.rpartition(".")[2].lower()):
            if container not in ("dict", "defaultdict", "ordereddict"):
                return Claim("high", "it keeps computed or loaded values for reuse", container)
            return _memo_claim(
                "high", "it keeps computed or loaded values for reuse", comp, project
            )
        if container not in ("dict", "defaultdict", "ordereddict"):
            return None
        checked = {s.func for s in comp.sites if s.detail == "in" or s.detail == "get"}
        stored = {s.func for s in comp.sites if s.access == "write"}
        if checked & stored and any(project.serves(s) for s in comp.changes):
            why = "it is used as a memo: looked up, then filled on a miss"
            return _memo_claim("low", why, comp, project)
        return None


def _memo_claim(confidence: str, why: str, comp: Component, project: Project) -> Claim:
    """A dict memo's claim: a codemod only when the runtime can store what it keeps."""
    unstorable = unstorable_values(comp, project)
    if not unstorable:
        return Claim(confidence, why, "memo_dict")
    return Claim(
        confidence,
        f"{why}, but {unstorable} by the runtime (JSON values: {STORABLE_TYPES}; never "
        "pickle), so no codemod moves it: store plain data in it first",
        "memo_dict",
        automation="manual",
    )


@register
class CacheConfigDetector(ProjectDetector):
    category = "cache"
    STATE = (
        "import functools\n\n@functools.lru_cache(maxsize=128)\ndef products(category):\n"
        "    return [category]\n\ndef admin_update():\n    products.cache_clear()\n",
        "from flask import Flask\nfrom flask_caching import Cache\napp = Flask(__name__)\n"
        "cache = Cache(app, config={'CACHE_TYPE': 'SimpleCache'})\n",
        "from django.core.cache import cache\nINSTALLED_APPS = ['django.contrib.sessions']\n"
        "ROOT_URLCONF = 'urls'\n\ndef board_stats():\n    return cache.get('stats')\n",
        "import functools\nfrom shop.models import Product\n\n@functools.lru_cache(maxsize=64)\n"
        "def product_name(pid):\n    return Product.objects.get(pk=pid).name\n",
        "import cachetools\nPRICES = cachetools.TTLCache(maxsize=100, ttl=60)\n\n"
        "@cachetools.cached(PRICES)\ndef price(sku):\n    return 1\n",
    )
    NOT_STATE = (
        "INSTALLED_APPS = ['django.contrib.sessions']\nROOT_URLCONF = 'urls'\n",
        "import functools\n\n@functools.lru_cache(maxsize=None)\ndef settings():\n    return {}\n",
        "import functools\nimport re\n\n@functools.lru_cache(maxsize=256)\ndef compiled(pattern):\n"
        "    return re.compile(pattern)\n",
        "import functools\nimport httpx\n\n@functools.lru_cache(maxsize=256)\ndef host(url):\n"
        "    return httpx.URL(url).host\n",
        "INSTALLED_APPS = ['a']\nROOT_URLCONF = 'u'\nCACHES = {'default': {'BACKEND': "
        "'django.core.cache.backends.redis.RedisCache', 'LOCATION': 'redis://x'}}\n",
    )

    def detect(self, project: Project) -> Iterable[Finding]:
        yield from self._memoised_functions(project)
        yield from self._cache_objects(project)
        yield from self._flask_caching(project)
        yield from self._django_caches(project)

    def _memoised_functions(self, project: Project) -> Iterable[Finding]:
        cleared = _cleared_functions(project)
        for module, facts in project.by_module.items():
            for b in facts.bindings:
                if b.kind != "function" or not b.decorators:
                    continue
                decorator = _memo_decorator(b)
                if not decorator:
                    continue
                qualname = f"{module}.{b.name}"
                params = b.value[1] if b.value[0] == "params" else 0
                is_cleared = qualname in cleared
                if params == 0 and not is_cleared:
                    continue  # computed once per process: a lazy constant, not shared state
                if not is_cleared and not reads_changing_data(project, module, b.name):
                    continue  # a memo of a pure function of its arguments: right per process
                # Uncleared, it is harmless while the function is pure; cleared, data changes.
                confidence = "high" if is_cleared else "low"
                reason = (
                    "it is cleared with `cache_clear()` when data changes, but only in the process "
                    "that makes the change"
                    if is_cleared
                    else "each process fills and keeps its own copy, which goes stale if what it "
                    "computes from can change"
                )
                sites = cleared.get(qualname, ())
                refusal = _memo_refusal(project, module, b)
                yield finding(
                    self.category,
                    symbol=b.name,
                    qualname=qualname,
                    path=facts.path,
                    line=b.line,
                    confidence=confidence,
                    message=(
                        f"`{b.name}` is memoised with `@{decorator}`: {reason}. Replace it with a "
                        "shared cache that keeps `cache_clear()` (`migrator playbook cache`)."
                        f"{refusal}"
                    ),
                    evidence=(Evidence(facts.path, b.line, "write", "decorator"), *sites),
                    kind="lru_cache",
                    automation="manual" if refusal else "codemod",
                    detector=type(self).__name__,
                )

    def _cache_objects(self, project: Project) -> Iterable[Finding]:
        """cachetools/cachelib caches made at import and handed to decorators: no direct mutation."""
        claimed = {c.qualname for c in project.state_components()}
        for module, facts in project.by_module.items():
            for b in facts.bindings:
                if b.kind == "call" and b.ctor in CACHE_CTORS and b.scope == "module":
                    qualname = f"{module}.{b.name}"
                    if qualname in claimed:
                        continue  # the container detector reports it with its sites
                    comp = project.components.get(qualname)
                    decorated = _decorated_with(facts, b.name)
                    yield finding(
                        self.category,
                        symbol=b.name,
                        qualname=qualname,
                        path=facts.path,
                        line=b.line,
                        confidence="high",
                        message=(
                            f"`{b.name}` is a `{b.ctor}` in process memory: every replica fills its "
                            "own and invalidation reaches only one. Use a shared cache "
                            "(`migrator playbook cache`)."
                        ),
                        evidence=(evidence_of(comp.sites) if comp else ()) + decorated,
                        kind="cache_object",
                        automation="manual",
                        detector=type(self).__name__,
                    )

    def _flask_caching(self, project: Project) -> Iterable[Finding]:
        sites: list[tuple[ModuleFacts, int, str]] = []
        for facts, item in config_items(project, "CACHE_TYPE"):
            sites.append((facts, item.line, str(literal(item.value))))
        for facts in project.by_module.values():
            for call in facts.calls:
                if call.callee.startswith("flask_caching.Cache"):
                    config = literal(dict(call.kwargs).get("config", ("const", None)))
                    if isinstance(config, dict) and "CACHE_TYPE" in config:
                        sites.append((facts, call.line, str(config["CACHE_TYPE"])))
        for facts, line, value in sites:
            if value.lower() not in LOCAL_FLASK_CACHES:
                continue
            yield finding(
                self.category,
                symbol="CACHE_TYPE",
                qualname=f"{facts.module}.CACHE_TYPE",
                path=facts.path,
                line=line,
                confidence="high",
                message=(
                    f"Flask-Caching uses `{value}`, a cache inside each process: replicas cache "
                    "separately and `cache.delete()` reaches one of them. Switch to `RedisCache` "
                    "(`migrator playbook cache`)."
                ),
                evidence=(Evidence(facts.path, line, "write", "config"),),
                kind="flask_caching",
                automation="config",
                store="redis",
                store_reason="Flask-Caching's own `RedisCache` backend: no adapter needed",
                detector=type(self).__name__,
            )

    def _django_caches(self, project: Project) -> Iterable[Finding]:
        settings = django_settings(project)
        if not settings:
            return
        configured = [(f, i) for f, i in config_items(project, "CACHES") if i.where == "module"]
        if not configured:
            target = settings[0]
            uses_cache = imports_anything_of(project, "django.core.cache")
            if not uses_cache:
                return  # nothing of the service's own keeps values in the implicit cache
            yield finding(
                self.category,
                symbol="CACHES",
                qualname=f"{target.module}.CACHES",
                path=target.path,
                line=1,
                confidence="high" if uses_cache else "medium",
                message=(
                    "`CACHES` is not set, so Django uses `LocMemCache`: a cache inside each process"
                    f"{' that the code uses' if uses_cache else ''}. Replicas miss each other's entries "
                    "and invalidation reaches one. Set `CACHES` to "
                    "`django.core.cache.backends.redis.RedisCache` (`migrator playbook cache`)."
                ),
                evidence=(Evidence(target.path, 1, "write", "implicit default"),),
                kind="django_caches",
                automation="config",
                store_reason="Django's own `RedisCache` backend: no adapter needed",
                detector=type(self).__name__,
            )
            return
        for facts, item in configured:
            caches = literal(item.value)
            if not isinstance(caches, dict):
                continue
            for alias, conf in caches.items():
                backend = conf.get("BACKEND", "") if isinstance(conf, dict) else ""
                if isinstance(backend, str) and backend.startswith(LOCAL_DJANGO_CACHES):
                    yield finding(
                        self.category,
                        symbol="CACHES",
                        qualname=f"{facts.module}.CACHES.{alias}",
                        path=facts.path,
                        line=item.line,
                        confidence="high",
                        message=(
                            f"Django cache `{alias}` uses `{backend.rpartition('.')[2]}`, local to one "
                            "process or machine. Switch it to "
                            "`django.core.cache.backends.redis.RedisCache` (`migrator playbook cache`)."
                        ),
                        evidence=(Evidence(facts.path, item.line, "write", "config"),),
                        kind="django_caches",
                        automation="config",
                        store_reason="Django's own `RedisCache` backend: no adapter needed",
                        detector=type(self).__name__,
                    )


def _memo_refusal(project: Project, module: str, binding: Binding) -> str:
    """Why no codemod moves a memoised function, as a sentence, or ''."""
    if binding.scope != "module":
        return (
            f" No codemod: `{binding.name}` is a method, whose memo keys on `self`; the "
            "playbook lists the steps."
        )
    unstorable = unstorable_results(project, module, binding.name)
    if not unstorable:
        return ""
    return (
        f" No codemod: {unstorable} by the runtime (JSON values: {STORABLE_TYPES}; never "
        "pickle), so moving the memo would fail on its first shared result. Return plain data, "
        "or keep the local memo and clear it on every replica."
    )


def _decorated_with(facts: ModuleFacts, name: str) -> tuple[Evidence, ...]:
    """Functions whose decorator is handed the cache `name` (`@cached(PRICES)`)."""
    sites = []
    for b in facts.bindings:
        for dec in b.decorators:
            args = list(dec[2]) + list(dec[3].values()) if dec[0] == "call" else []
            if ("name", name) in args:
                sites.append(Evidence(facts.path, b.line, "mutate", "decorator"))
    return tuple(sites)


def _memo_decorator(binding: Binding) -> str:
    for dec in binding.decorators:
        name = dec[1] if dec[0] in ("name", "call") else ""
        if name in MEMO_DECORATORS:
            return name
    return ""


def _cleared_functions(project: Project) -> dict[str, tuple[Evidence, ...]]:
    """Memoised functions whose `cache_clear()` is called somewhere, with those sites."""
    out: dict[str, list[Evidence]] = {}
    for comp in project.components.values():
        if comp.binding.kind != "function":
            continue
        for site in comp.sites:
            if site.detail == "cache_clear":
                out.setdefault(comp.qualname, []).append(
                    Evidence(site.path, site.line, "delete", "cache_clear")
                )
    return {k: tuple(v) for k, v in out.items()}
