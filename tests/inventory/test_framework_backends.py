"""Framework backends that keep state per process or per machine, in projects of several
modules: Socket.IO servers without a message queue, and Django settings whose sessions,
rate limits, uploads or search index stay local (layered settings, test settings beside)."""

from __future__ import annotations

from pathlib import Path

from migrator.model import ScanResult
from tests.inventory.test_cross_module import scan_tree


def reported(result: ScanResult, *categories: str) -> set[tuple[str, str, str, str, int]]:
    """(category, symbol, automation, path, line) of the findings in `categories`."""
    return {
        (f.category, f.symbol, f.automation, f.path, f.line)
        for f in result.findings
        if f.category in categories
    }


# ---- Socket.IO ------------------------------------------------------------------------------

FLASK_FACTORY = """
from flask import Flask
from flask_socketio import SocketIO


def create_app():
    app = Flask(__name__)
    socketio = SocketIO(app, async_mode="threading"{queue})
    return app, socketio
"""


def test_socketio_servers_without_a_queue_are_connection_registries(tmp_path: Path) -> None:
    result = scan_tree(
        tmp_path,
        {
            "svc/__init__.py": "",
            "svc/app.py": FLASK_FACTORY.format(queue=""),
            "svc/asgi.py": """
                import socketio

                sio = socketio.AsyncServer(async_mode="asgi", cors_allowed_origins=[])
                app = socketio.ASGIApp(sio)
                """,
        },
    )
    assert reported(result, "connection_registry") == {
        ("connection_registry", "SocketIO", "manual", "svc/app.py", 7),
        ("connection_registry", "sio", "manual", "svc/asgi.py", 3),
    }
    for found in result.findings:
        assert (found.kind, found.suggested_store, found.confidence) == (
            "socketio_no_queue",
            "redis",
            "high",
        )
        assert found.message.endswith("(`migrator playbook connection_registry`).")


def test_socketio_server_given_a_message_queue_is_not_reported(tmp_path: Path) -> None:
    result = scan_tree(
        tmp_path,
        {
            "svc/__init__.py": "",
            "svc/app.py": FLASK_FACTORY.format(queue=', message_queue="redis://queue:6379/0"'),
            "svc/asgi.py": """
                import os

                import socketio

                manager = socketio.AsyncRedisManager(os.environ["REDIS_URL"])
                sio = socketio.AsyncServer(client_manager=manager, async_mode="asgi")
                """,
        },
    )
    assert result.findings == ()


def test_a_queue_handed_to_init_app_in_another_module_counts(tmp_path: Path) -> None:
    result = scan_tree(
        tmp_path,
        {
            "svc/__init__.py": "",
            "svc/extensions.py": """
                from flask_socketio import SocketIO

                socketio = SocketIO()
                """,
            "svc/app.py": """
                import os

                from flask import Flask

                from svc.extensions import socketio


                def create_app():
                    app = Flask(__name__)
                    socketio.init_app(app, message_queue=os.environ["SOCKETIO_QUEUE"])
                    return app
                """,
        },
    )
    assert reported(result, "connection_registry") == set()


# ---- Django settings ------------------------------------------------------------------------

BASE_SETTINGS = """
INSTALLED_APPS = [
    "django.contrib.sessions",
    "rest_framework",
    "allauth",
    "allauth.account",
    "axes",
]
ROOT_URLCONF = "shop.urls"
{caches}
REST_FRAMEWORK = {{
    "DEFAULT_THROTTLE_CLASSES": ["rest_framework.throttling.ScopedRateThrottle"],
    "DEFAULT_THROTTLE_RATES": {{"login": "10/min"}},
}}
ACCOUNT_RATE_LIMITS = {{"login_failed": None}}
AXES_HANDLER = "axes.handlers.database.AxesDatabaseHandler"
"""

PRODUCTION_SETTINGS = """
import os

from .base import *

SESSION_ENGINE = "django.contrib.sessions.backends.cached_db"
AXES_HANDLER = os.environ.get("AXES_HANDLER", "axes.handlers.cache.AxesCacheHandler")
"""

# Settings for the test suite: never reported, and they do not make the cache local.
CI_SETTINGS = """
from .base import *

CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
AXES_HANDLER = "axes.handlers.cache.AxesCacheHandler"
"""

LOCMEM = 'CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}'
REDIS = (
    'CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", '
    '"LOCATION": "redis://cache:6379/0"}}'
)


def django_settings(caches: str) -> dict[str, str]:
    return {
        "shop/__init__.py": "",
        "shop/settings/__init__.py": "",
        "shop/settings/base.py": BASE_SETTINGS.format(caches=caches),
        "shop/settings/production.py": PRODUCTION_SETTINGS,
        "shop/settings/ci.py": CI_SETTINGS,
    }


def test_sessions_and_rate_limits_in_a_local_cache_are_reported(tmp_path: Path) -> None:
    result = scan_tree(tmp_path, django_settings(LOCMEM))
    assert reported(result, "server_session_config", "counter_ratelimit") == {
        ("server_session_config", "SESSION_ENGINE", "config", "shop/settings/production.py", 5),
        ("counter_ratelimit", "REST_FRAMEWORK", "config", "shop/settings/base.py", 10),
        ("counter_ratelimit", "ACCOUNT_RATE_LIMITS", "config", "shop/settings/base.py", 14),
        ("counter_ratelimit", "AXES_HANDLER", "config", "shop/settings/production.py", 6),
    }
    throttles = [f for f in result.findings if f.category == "counter_ratelimit"]
    assert {f.kind for f in throttles} == {"django_throttle_local_cache"}
    for found in throttles:
        assert "`LocMemCache`, kept in each process" in found.message
        assert found.message.endswith("(`migrator playbook counter_ratelimit`).")


def test_allauth_installed_with_no_limits_set_counts_its_defaults(tmp_path: Path) -> None:
    settings = """
        INSTALLED_APPS = ["django.contrib.auth", "allauth", "allauth.account"]
        ROOT_URLCONF = "shop.urls"
        """
    result = scan_tree(tmp_path, {"shop/__init__.py": "", "shop/settings.py": settings})
    (found,) = [f for f in result.findings if f.category == "counter_ratelimit"]
    assert (found.symbol, found.line, found.confidence) == ("ACCOUNT_RATE_LIMITS", 1, "medium")
    assert [e.detail for e in found.evidence] == ["implicit default"]
    assert "`CACHES` is not set" in found.message


def test_the_same_settings_on_redis_are_not_reported(tmp_path: Path) -> None:
    result = scan_tree(tmp_path, django_settings(REDIS))
    assert reported(result, "server_session_config", "counter_ratelimit") == set()


def test_axes_on_its_default_database_handler_is_not_reported(tmp_path: Path) -> None:
    settings = """
        INSTALLED_APPS = ["django.contrib.auth", "axes"]
        ROOT_URLCONF = "shop.urls"
        AXES_FAILURE_LIMIT = 5
        """
    result = scan_tree(tmp_path, {"shop/__init__.py": "", "shop/settings.py": settings})
    assert reported(result, "counter_ratelimit") == set()


STORAGE_SETTINGS = """
INSTALLED_APPS = ["django.contrib.staticfiles", "haystack", "shop"]
ROOT_URLCONF = "shop.urls"
MEDIA_ROOT = "/srv/media"
STORAGES = {{
    "default": {{"BACKEND": "django.core.files.storage.FileSystemStorage"}},
    "staticfiles": {{"BACKEND": "{static}"}},
}}
HAYSTACK_CONNECTIONS = {{
    "default": {{
        "ENGINE": "{search}",
        "PATH": "/srv/whoosh_index",
    }},
}}
"""

MODELS = """
from django.db import models


class Product(models.Model):
    image = models.ImageField(upload_to="products")
"""


def test_local_storage_and_a_whoosh_index_are_local_files(tmp_path: Path) -> None:
    settings = STORAGE_SETTINGS.format(
        static="storages.backends.s3.S3Storage",  # static files on S3, uploads still on disk
        search="haystack.backends.whoosh_backend.WhooshEngine",
    )
    result = scan_tree(
        tmp_path,
        {"shop/__init__.py": "", "shop/settings.py": settings, "shop/models.py": MODELS},
    )
    assert reported(result, "local_file") == {
        ("local_file", "STORAGES", "manual", "shop/settings.py", 4),
        ("local_file", "HAYSTACK_CONNECTIONS", "manual", "shop/settings.py", 8),
    }
    assert {f.kind for f in result.findings if f.category == "local_file"} == {
        "django_local_storage"
    }


def test_storage_already_reported_as_media_root_is_not_reported_twice(tmp_path: Path) -> None:
    settings = STORAGE_SETTINGS.format(
        static="django.contrib.staticfiles.storage.StaticFilesStorage",
        search="haystack.backends.simple_backend.SimpleEngine",  # searches the database
    )
    result = scan_tree(
        tmp_path,
        {"shop/__init__.py": "", "shop/settings.py": settings, "shop/models.py": MODELS},
    )
    assert {f.symbol for f in result.findings if f.category == "local_file"} == {"MEDIA_ROOT"}


def test_django_ratelimit_on_the_default_local_cache_is_reported(tmp_path: Path) -> None:
    result = scan_tree(
        tmp_path,
        {
            "shop/__init__.py": "",
            "shop/settings.py": """
                INSTALLED_APPS = ["django.contrib.auth", "shop"]
                ROOT_URLCONF = "shop.urls"
                RATELIMIT_USE_CACHE = "default"
                """,
            "shop/views.py": """
                from django_ratelimit.decorators import ratelimit


                @ratelimit(key="ip", rate="5/m")
                def login(request):
                    return None
                """,
        },
    )
    assert reported(result, "counter_ratelimit") == {
        ("counter_ratelimit", "RATELIMIT_USE_CACHE", "config", "shop/settings.py", 3),
    }
