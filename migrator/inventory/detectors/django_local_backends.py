"""Django settings whose backend keeps state in one process or on one machine.

Looks for, in a Django project's settings (not those for tests or CI):
- `server_session_config`: `SESSION_ENGINE` on `cached_db` while the default cache is local
  (`LocMemCache`, `FileBasedCache`, or `CACHES` unset), and on `cache` where
  `server_session_config.py` does not see that (a file cache, a `locmemcache://` fallback);
- `counter_ratelimit`: limits counted in that local cache: Django REST framework throttles
  (`DEFAULT_THROTTLE_CLASSES`/`_RATES`), django-allauth's `ACCOUNT_RATE_LIMITS` (on by default
  once `allauth.account` is installed), django-axes on `AxesCacheHandler`, django-ratelimit;
- `local_file`: `STORAGES["default"]` or `DEFAULT_FILE_STORAGE` on `FileSystemStorage` where
  `local_file.py` does not already report `MEDIA_ROOT`, and a Haystack Whoosh index.
Ignores: the same settings on a shared cache (Redis, Memcached, the database cache) or a
`DummyCache`, which keeps nothing to diverge; axes on its default database handler;
`ACCOUNT_RATE_LIMITS = False`; Haystack's `simple` engine, which searches the database.
"""

from __future__ import annotations

from collections.abc import Iterable

from migrator.inventory.detectors import ProjectDetector, finding, register
from migrator.inventory.detectors._settings import (
    TEST_SETTINGS,
    config_items,
    django_cache_is_local,
    django_settings,
    imports_anything_of,
)
from migrator.inventory.detectors.local_file import django_media_findings

# Imported so that the cases those detectors report are not reported twice.
from migrator.inventory.detectors.server_session_config import CACHE_ENGINE
from migrator.inventory.extract import literal, strings_in
from migrator.inventory.facts import ConfigItem, ModuleFacts
from migrator.inventory.symbols import Project
from migrator.model import Evidence, Finding

CACHED_DB_ENGINE = "django.contrib.sessions.backends.cached_db"
LOCAL_CACHES = {
    "locmem": "LocMemCache",
    "filebased": "FileBasedCache",
    "filecache": "FileBasedCache",
}
# django-allauth's own limits: a dict in ACCOUNT_RATE_LIMITS overrides these, it does not replace them.
ALLAUTH_LIMITS = frozenset(
    """change_password change_phone manage_email reset_password reauthenticate
    reset_password_from_key signup login login_failed request_login_code confirm_email
    verify_phone""".split()
)
DJANGO_SETTINGS = "INSTALLED_APPS = ['django.contrib.sessions']\nROOT_URLCONF = 'urls'\n"
REDIS_CACHE = (
    "CACHES = {'default': {'BACKEND': 'django.core.cache.backends.redis.RedisCache', "
    "'LOCATION': 'redis://cache:6379'}}\n"
)


def _settings_items(project: Project, key: str) -> list[tuple[ModuleFacts, ConfigItem]]:
    """Where a Django project sets `key` in its settings, leaving out settings for tests and CI."""
    if not django_settings(project):
        return []
    return [
        (facts, item)
        for facts, item in config_items(project, key)
        if item.where != "config" and not TEST_SETTINGS.search(facts.path)
    ]


def _local_cache(project: Project, alias: str = "default") -> str:
    """The local backend of cache `alias` ("LocMemCache", "FileBasedCache"), or "" when shared."""
    configured = _settings_items(project, "CACHES")
    if not configured:
        return "LocMemCache" if alias == "default" else ""
    for _, item in configured:
        caches = item.value[1] if item.value[0] == "dict" else {}
        entry = caches.get(alias, ("expr",))
        for text in strings_in(entry):  # the backend, or an env fallback: `locmemcache://`
            for marker, backend in LOCAL_CACHES.items():
                if marker in text.lower():
                    return backend
    return ""


def _cache_alias(project: Project, key: str) -> str:
    aliases = [literal(i.value) for _, i in _settings_items(project, key)]
    return next((a for a in aliases if isinstance(a, str)), "default")


def _installed(project: Project, app: str) -> tuple[ModuleFacts, ConfigItem] | None:
    """The `INSTALLED_APPS` that lists `app` (or its `AppConfig`), if one does."""
    for facts, item in _settings_items(project, "INSTALLED_APPS"):
        if any(s == app or s.startswith(app + ".apps.") for s in strings_in(item.value)):
            return facts, item
    return None


def _kept_where(project: Project, backend: str) -> str:
    """'`LocMemCache`, kept in each process' — for messages."""
    where = "in each process" if backend == "LocMemCache" else "on each machine"
    unset = (
        " (Django's default: `CACHES` is not set)" if not _settings_items(project, "CACHES") else ""
    )
    return f"`{backend}`, kept {where}{unset}"


def _switched_off(project: Project, key: str) -> bool:
    """Whether every setting of `key` is a literal False (`AXES_ENABLED = False`)."""
    values = [literal(i.value) for _, i in _settings_items(project, key)]
    return bool(values) and all(v is False for v in values)


def _evidence(facts: ModuleFacts, item: ConfigItem, detail: str = "config") -> tuple[Evidence, ...]:
    return (Evidence(facts.path, item.line, "write", detail),)


@register
class DjangoCachedSessionDetector(ProjectDetector):
    category = "server_session_config"
    STATE = (DJANGO_SETTINGS + f"SESSION_ENGINE = '{CACHED_DB_ENGINE}'\n",)
    NOT_STATE = (DJANGO_SETTINGS + REDIS_CACHE + f"SESSION_ENGINE = '{CACHED_DB_ENGINE}'\n",)

    def detect(self, project: Project) -> Iterable[Finding]:
        backend = _local_cache(project)
        if not backend:
            return
        for facts, item in _settings_items(project, "SESSION_ENGINE"):
            engines = strings_in(item.value)
            cache = _kept_where(project, backend)
            if CACHED_DB_ENGINE in engines:
                what = (
                    "Django reads sessions through the cache first (`cached_db`), and the cache is "
                    f"{cache}: after a logout or a change on one replica, another replica keeps "
                    "serving the old session from its own copy"
                )
            elif CACHE_ENGINE in engines and not django_cache_is_local(project):
                what = (
                    f"Django keeps sessions in the cache, and the cache is {cache}: a user whose "
                    "next request reaches another replica is logged out"
                )
            else:
                continue
            yield finding(
                self.category,
                symbol="SESSION_ENGINE",
                qualname=f"{facts.module}.SESSION_ENGINE",
                path=facts.path,
                line=item.line,
                confidence="high" if literal(item.value) is not None else "medium",
                message=(
                    f"{what}. Point `CACHES` at Redis, or give sessions a Redis cache alias of their "
                    "own (`migrator playbook server_session_config`)."
                ),
                evidence=_evidence(facts, item),
                kind="django_session",
                automation="config",
                store_reason="Django's own Redis cache backend under the session engine: no adapter needed",
                detector=type(self).__name__,
            )


@register
class DjangoThrottleDetector(ProjectDetector):
    category = "counter_ratelimit"
    STATE = (
        DJANGO_SETTINGS + "REST_FRAMEWORK = {'DEFAULT_THROTTLE_RATES': {'anon': '100/hour'}}\n",
        "INSTALLED_APPS = ['allauth', 'allauth.account']\nROOT_URLCONF = 'urls'\n"
        "ACCOUNT_RATE_LIMITS = {'login_failed': None}\n",
        "INSTALLED_APPS = ['axes']\nROOT_URLCONF = 'urls'\n"
        "AXES_HANDLER = 'axes.handlers.cache.AxesCacheHandler'\n",
    )
    NOT_STATE = (
        DJANGO_SETTINGS
        + REDIS_CACHE
        + "REST_FRAMEWORK = {'DEFAULT_THROTTLE_RATES': {'anon': '100/hour'}}\n",
        "INSTALLED_APPS = ['allauth.account']\nROOT_URLCONF = 'urls'\nACCOUNT_RATE_LIMITS = False\n",
        "INSTALLED_APPS = ['axes']\nROOT_URLCONF = 'urls'\nAXES_FAILURE_LIMIT = 5\n",
    )

    def detect(self, project: Project) -> Iterable[Finding]:
        backend = _local_cache(project)
        if backend:
            yield from self._rest_framework(project, backend)
            yield from self._allauth(project, backend)
        yield from self._axes(project)
        yield from self._django_ratelimit(project)

    def _rest_framework(self, project: Project, backend: str) -> Iterable[Finding]:
        for facts, item in _settings_items(project, "REST_FRAMEWORK"):
            conf = item.value[1] if item.value[0] == "dict" else {}
            throttles = [
                literal(conf[k])
                for k in ("DEFAULT_THROTTLE_CLASSES", "DEFAULT_THROTTLE_RATES")
                if k in conf
            ]
            if throttles and any(t is None or t for t in throttles):
                yield self._finding(
                    facts,
                    item,
                    "Django REST framework's throttles count requests",
                    backend,
                    project,
                )

    def _allauth(self, project: Project, backend: str) -> Iterable[Finding]:
        configured = _settings_items(project, "ACCOUNT_RATE_LIMITS")
        for facts, item in configured:
            limits = literal(item.value)
            if limits is False or (
                isinstance(limits, dict)
                and all(limits.get(k, True) in (None, False) for k in ALLAUTH_LIMITS)
            ):
                continue
            yield self._finding(
                facts, item, "django-allauth counts its rate limits", backend, project
            )
        apps = _installed(project, "allauth.account")
        if not configured and apps is not None:
            yield self._finding(
                *apps,
                "django-allauth, installed here, counts its default rate limits (logins, sign-ups, "
                "password resets)",
                backend,
                project,
                symbol="ACCOUNT_RATE_LIMITS",
                detail="implicit default",
            )

    def _axes(self, project: Project) -> Iterable[Finding]:
        if _switched_off(project, "AXES_ENABLED"):
            return
        backend = _local_cache(project, _cache_alias(project, "AXES_CACHE"))
        if not backend:
            return
        for facts, item in _settings_items(project, "AXES_HANDLER"):
            if any("axes.handlers.cache" in s for s in strings_in(item.value)):
                yield self._finding(
                    facts, item, "django-axes counts failed logins and lockouts", backend, project
                )

    def _django_ratelimit(self, project: Project) -> Iterable[Finding]:
        in_use = imports_anything_of(project, "django_ratelimit") or imports_anything_of(
            project, "ratelimit.decorators"
        )
        if not in_use or _switched_off(project, "RATELIMIT_ENABLE"):
            return
        backend = _local_cache(project, _cache_alias(project, "RATELIMIT_USE_CACHE"))
        if not backend:
            return
        for key in ("RATELIMIT_USE_CACHE", "RATELIMIT_ENABLE"):
            for facts, item in _settings_items(project, key):
                yield self._finding(
                    facts, item, "django-ratelimit counts requests", backend, project
                )
                return

    def _finding(
        self,
        facts: ModuleFacts,
        item: ConfigItem,
        who: str,
        backend: str,
        project: Project,
        symbol: str = "",
        detail: str = "config",
    ) -> Finding:
        symbol = symbol or item.key
        return finding(
            self.category,
            symbol=symbol,
            qualname=f"{facts.module}.{symbol}",
            path=facts.path,
            line=item.line,
            confidence="medium" if detail != "config" else "high",
            message=(
                f"{who} in Django's cache, and that cache is {_kept_where(project, backend)}: "
                "with N replicas a client gets N times its limit, and a restart forgives everyone. "
                "Set `CACHES` to "
                "`django.core.cache.backends.redis.RedisCache` (`migrator playbook counter_ratelimit`)."
            ),
            evidence=_evidence(facts, item, detail),
            kind="django_throttle_local_cache",
            automation="config",
            store_reason="Django's own Redis cache backend, which these limits already count in",
            detector=type(self).__name__,
        )


@register
class DjangoLocalStorageDetector(ProjectDetector):
    category = "local_file"
    STATE = (
        DJANGO_SETTINGS + "HAYSTACK_CONNECTIONS = {'default': {'ENGINE': "
        "'haystack.backends.whoosh_backend.WhooshEngine', 'PATH': 'whoosh_index'}}\n",
        DJANGO_SETTINGS + "STORAGES = {'default': {'BACKEND': "
        "'django.core.files.storage.FileSystemStorage'}}\n",
    )
    NOT_STATE = (
        DJANGO_SETTINGS + "HAYSTACK_CONNECTIONS = {'default': {'ENGINE': "
        "'haystack.backends.simple_backend.SimpleEngine'}}\n",
        DJANGO_SETTINGS + "STORAGES = {'default': {'BACKEND': 'storages.backends.s3.S3Storage'}}\n",
    )

    def detect(self, project: Project) -> Iterable[Finding]:
        for facts, item in _settings_items(project, "HAYSTACK_CONNECTIONS"):
            if any("whoosh_backend" in s for s in strings_in(item.value)):
                yield self._finding(
                    facts,
                    item,
                    "The Haystack search index is a Whoosh directory on the local disk: each replica "
                    "indexes only the objects saved through it, so search results differ by replica, "
                    "and a replaced machine loses the index. Use a search server that every replica "
                    "shares, such as Elasticsearch or Solr",
                    store="elasticsearch",
                    store_reason="a search server every replica indexes into and queries",
                )
        # local_file.py reports the same files as `MEDIA_ROOT` where it sees uploads.
        if next(iter(django_media_findings(project)), None) is not None:
            return
        for key in ("STORAGES", "DEFAULT_FILE_STORAGE"):
            for facts, item in _settings_items(project, key):
                value = item.value
                if key == "STORAGES":
                    value = value[1].get("default", ("expr",)) if value[0] == "dict" else ("expr",)
                if any(s.endswith("FileSystemStorage") for s in strings_in(value)):
                    yield self._finding(
                        facts,
                        item,
                        f"`{key}` keeps uploaded files on the local disk (`FileSystemStorage`): other "
                        "replicas cannot serve them, and a replaced machine loses them. Use an "
                        "object-storage backend such as django-storages' S3",
                    )

    def _finding(
        self,
        facts: ModuleFacts,
        item: ConfigItem,
        what: str,
        store: str = "",
        store_reason: str = "",
    ) -> Finding:
        return finding(
            self.category,
            symbol=item.key,
            qualname=f"{facts.module}.{item.key}",
            path=facts.path,
            line=item.line,
            confidence="high",
            message=f"{what} (`migrator playbook local_file`).",
            evidence=_evidence(facts, item),
            kind="django_local_storage",
            automation="manual",
            store=store,
            store_reason=store_reason,
            detector=type(self).__name__,
        )
