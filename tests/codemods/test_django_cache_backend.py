"""DjangoCacheBackendCodemod: LocMemCache/FileBasedCache (or none) switch to RedisCache."""

import uuid
from typing import Any

import libcst as cst
import pytest
from django.utils.module_loading import import_string
from libcst.codemod import CodemodContext, CodemodTest
from migrator.codemods.django_cache_backend import DjangoCacheBackendCodemod

from .conftest import REDIS_URL


class DjangoCacheBackendTest(CodemodTest):
    TRANSFORM = DjangoCacheBackendCodemod

    def rewrites(self, before: str, after: str) -> None:
        self.assertCodemod(before, after)
        self.assertCodemod(after, after, expected_warnings=[])

    def test_shared_backend_and_non_settings_module_are_unchanged(self) -> None:
        shared = """
            INSTALLED_APPS = ["notes"]
            CACHES = {
                "default": {
                    "BACKEND": "django.core.cache.backends.memcached.PyMemcacheCache",
                    "LOCATION": "memcached:11211",
                }
            }
        """
        self.assertCodemod(shared, shared, expected_warnings=[])
        not_settings = """
            DEBUG = True
        """
        self.assertCodemod(not_settings, not_settings, expected_warnings=[])

    def test_locmem_alias_with_location_and_options(self) -> None:
        self.rewrites(
            """
            from pathlib import Path

            BASE_DIR = Path(__file__).resolve().parent.parent
            INSTALLED_APPS = ["notes"]

            CACHES = {
                "default": {
                    "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
                    "LOCATION": "unique-snowflake",
                    "OPTIONS": {"MAX_ENTRIES": 1000},
                    "TIMEOUT": 60,
                }
            }
            """,
            """
            from pathlib import Path
            import os

            # Migration switch, read at start-up: off keeps the old backend, complete uses Redis.
            _caches_on_redis = (
                os.environ.get("STATELESS_CACHES", os.environ.get("STATELESS_MODE", "off"))
                == "complete"
            )

            BASE_DIR = Path(__file__).resolve().parent.parent
            INSTALLED_APPS = ["notes"]

            CACHES = {
                "default": {
                    "BACKEND": (
                        "django.core.cache.backends.redis.RedisCache"
                        if _caches_on_redis
                        else "django.core.cache.backends.locmem.LocMemCache"
                    ),
                    "LOCATION": (
                        os.environ.get("STATELESS_REDIS_URL", "redis://127.0.0.1:6379/0")
                        if _caches_on_redis
                        else "unique-snowflake"
                    ),
                    "OPTIONS": {} if _caches_on_redis else {"MAX_ENTRIES": 1000},
                    "TIMEOUT": 60,
                    "KEY_PREFIX": os.environ.get("STATELESS_KEY_PREFIX", "service"),
                }
            }
            """,
        )

    def test_missing_location_gets_the_url_on_the_redis_side_only(self) -> None:
        self.rewrites(
            """
            import os

            ROOT_URLCONF = "notes.urls"
            CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
            """,
            """
            import os

            # Migration switch, read at start-up: off keeps the old backend, complete uses Redis.
            _caches_on_redis = (
                os.environ.get("STATELESS_CACHES", os.environ.get("STATELESS_MODE", "off"))
                == "complete"
            )

            ROOT_URLCONF = "notes.urls"
            CACHES = {"default": {"BACKEND": (
                "django.core.cache.backends.redis.RedisCache"
                if _caches_on_redis
                else "django.core.cache.backends.locmem.LocMemCache"
            ), "LOCATION": (
                os.environ.get("STATELESS_REDIS_URL", "redis://127.0.0.1:6379/0")
                if _caches_on_redis
                else ""
            ), "KEY_PREFIX": os.environ.get("STATELESS_KEY_PREFIX", "service")}}
            """,
        )

    def test_missing_caches_is_written_out_in_a_settings_module(self) -> None:
        self.rewrites(
            """
            \"\"\"Settings for notes.\"\"\"

            INSTALLED_APPS = ["notes"]
            """,
            """
            \"\"\"Settings for notes.\"\"\"
            import os

            # Migration switch, read at start-up: off keeps the old backend, complete uses Redis.
            _caches_on_redis = (
                os.environ.get("STATELESS_CACHES", os.environ.get("STATELESS_MODE", "off"))
                == "complete"
            )

            INSTALLED_APPS = ["notes"]

            # Django's implicit default cache, written out so the migration switch can move it.
            CACHES = {
                "default": {
                    "BACKEND": (
                        "django.core.cache.backends.redis.RedisCache"
                        if _caches_on_redis
                        else "django.core.cache.backends.locmem.LocMemCache"
                    ),
                    "LOCATION": os.environ.get("STATELESS_REDIS_URL", "redis://127.0.0.1:6379/0"),
                    "KEY_PREFIX": os.environ.get("STATELESS_KEY_PREFIX", "service"),
                }
            }
            """,
        )

    def test_star_import_and_unreadable_caches_are_refused(self) -> None:
        star = """
            from .base import *

            INSTALLED_APPS = ["notes"]
        """
        self.assertCodemod(
            star,
            star,
            expected_warnings=[
                "`CACHES` left unchanged: a star import may define `CACHES`; add it where it is "
                "defined."
            ],
        )
        built = """
            import environ

            env = environ.Env()
            INSTALLED_APPS = ["notes"]
            CACHES = {"default": env.cache()} if env("X") else build()
        """
        self.assertCodemod(
            built,
            built,
            expected_warnings=[
                "line 5: left unchanged: `CACHES` is not a dict literal; switch it by hand."
            ],
        )


SETTINGS = '''
INSTALLED_APPS = ["notes"]
CACHES = {
    "default": {
        "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
        "LOCATION": "notes",
        "OPTIONS": {"MAX_ENTRIES": 1000},
    }
}
'''


@pytest.mark.parametrize(("stage", "backend"), [("off", "LocMemCache"), ("complete", "RedisCache")])
def test_rewritten_settings_build_a_working_cache(
    monkeypatch: pytest.MonkeyPatch, stage: str, backend: str
) -> None:
    monkeypatch.setenv("STATELESS_CACHES", stage)
    monkeypatch.setenv("STATELESS_REDIS_URL", REDIS_URL)
    tree = DjangoCacheBackendCodemod(CodemodContext()).transform_module(cst.parse_module(SETTINGS))
    settings: dict[str, Any] = {}
    exec(compile(tree.code, "settings.py", "exec"), settings)
    params = {**settings["CACHES"]["default"], "KEY_PREFIX": f"t{uuid.uuid4().hex[:12]}"}
    cache = import_string(params["BACKEND"])(params["LOCATION"], params)
    assert type(cache).__name__ == backend
    cache.set("answer", 42)
    assert cache.get("answer") == 42
    cache.delete("answer")
