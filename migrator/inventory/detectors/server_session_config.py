"""server_session_config: sessions kept on one machine by the framework's configuration.

Looks for: Flask-Session `SESSION_TYPE = "filesystem"` (or `cachelib` on a file cache);
Django `SESSION_ENGINE` on `...backends.file`, or on `...backends.cache` while the cache
is local memory (`LocMemCache`, or `CACHES` unset). Ignores: cookie-based sessions
(Flask's default, Django's `signed_cookies`), database-backed sessions.
"""

from __future__ import annotations

from collections.abc import Iterable

from migrator.inventory.detectors import ProjectDetector, finding, register
from migrator.inventory.detectors._settings import (
    config_items,
    django_cache_is_local,
    django_settings,
)
from migrator.inventory.extract import literal
from migrator.inventory.facts import ConfigItem, ModuleFacts
from migrator.inventory.symbols import Project
from migrator.model import Evidence, Finding

LOCAL_FLASK_SESSION_TYPES = frozenset({"filesystem", "cachelib", "null"})
FILE_ENGINE = "django.contrib.sessions.backends.file"
CACHE_ENGINE = "django.contrib.sessions.backends.cache"


@register
class SessionConfigDetector(ProjectDetector):
    category = "server_session_config"
    STATE = (
        "SESSION_TYPE = 'filesystem'\n",
        "INSTALLED_APPS = ['django.contrib.sessions']\nROOT_URLCONF = 'urls'\n"
        "SESSION_ENGINE = 'django.contrib.sessions.backends.file'\n",
        "INSTALLED_APPS = ['django.contrib.sessions']\nROOT_URLCONF = 'urls'\n"
        "SESSION_ENGINE = 'django.contrib.sessions.backends.cache'\n",
    )
    NOT_STATE = (
        "SESSION_TYPE = 'redis'\n",
        "INSTALLED_APPS = ['a']\nROOT_URLCONF = 'u'\n"
        "SESSION_ENGINE = 'django.contrib.sessions.backends.signed_cookies'\n",
    )

    def detect(self, project: Project) -> Iterable[Finding]:
        for facts, item in config_items(project, "SESSION_TYPE"):
            value = literal(item.value)
            if isinstance(value, str) and value.lower() in LOCAL_FLASK_SESSION_TYPES:
                yield self._finding(
                    facts,
                    item,
                    f"Flask-Session stores sessions with `{value}` on this machine: a user whose next "
                    'request reaches another replica is logged out. Set `SESSION_TYPE = "redis"`',
                )
        if not django_settings(project):
            return
        caches_local = django_cache_is_local(project)
        for facts, item in config_items(project, "SESSION_ENGINE"):
            engine = literal(item.value)
            if engine == FILE_ENGINE:
                yield self._finding(
                    facts,
                    item,
                    "Django keeps sessions in files on this machine (`backends.file`): other replicas "
                    "cannot read them, so users are logged out at random. Use the cache engine on Redis "
                    "or `cached_db`",
                )
            elif engine == CACHE_ENGINE and caches_local:
                yield self._finding(
                    facts,
                    item,
                    "Django keeps sessions in the cache, and the cache is local memory: sessions live "
                    "in one process and vanish on restart. Point `CACHES` at Redis",
                )

    def _finding(self, facts: ModuleFacts, item: ConfigItem, what: str) -> Finding:
        kind = "flask_session" if item.key == "SESSION_TYPE" else "django_session"
        return finding(
            self.category,
            symbol=item.key,
            qualname=f"{facts.module}.{item.key}",
            path=facts.path,
            line=item.line,
            confidence="high",
            message=f"{what} (`migrator playbook server_session_config`).",
            evidence=(Evidence(facts.path, item.line, "write", "config"),),
            kind=kind,
            automation="config",
            store_reason="the framework's own Redis session backend: no adapter needed",
            detector=type(self).__name__,
        )
