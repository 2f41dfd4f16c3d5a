"""DjangoSessionBackendCodemod: file or local-cache sessions move to a Redis cache alias."""

from libcst.codemod import CodemodTest
from migrator.codemods.django_session_backend import DjangoSessionBackendCodemod


class DjangoSessionBackendTest(CodemodTest):
    TRANSFORM = DjangoSessionBackendCodemod

    def rewrites(self, before: str, after: str) -> None:
        self.assertCodemod(before, after)
        self.assertCodemod(after, after, expected_warnings=[])

    def test_database_engine_and_shared_cache_are_unchanged(self) -> None:
        database = """
            SESSION_ENGINE = "django.contrib.sessions.backends.db"
        """
        self.assertCodemod(database, database, expected_warnings=[])
        shared = """
            CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache"}}
            SESSION_ENGINE = "django.contrib.sessions.backends.cache"
        """
        self.assertCodemod(shared, shared, expected_warnings=[])

    def test_file_engine_with_locmem_caches(self) -> None:
        self.rewrites(
            """
            import os

            INSTALLED_APPS = ["notes"]
            CACHES = {
                "default": {
                    "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
                },
            }
            SESSION_ENGINE = "django.contrib.sessions.backends.file"
            SESSION_FILE_PATH = "/var/sessions"
            """,
            """
            import os

            # Migration switch, read at start-up: off keeps the old backend, complete uses Redis.
            _session_engine_on_redis = (
                os.environ.get("STATELESS_SESSION_ENGINE", os.environ.get("STATELESS_MODE", "off"))
                == "complete"
            )

            INSTALLED_APPS = ["notes"]
            CACHES = {
                "default": {
                    "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
                },
                "stateless_sessions": {
                    "BACKEND": "django.core.cache.backends.redis.RedisCache",
                    "LOCATION": os.environ.get("STATELESS_REDIS_URL", "redis://127.0.0.1:6379/0"),
                    "KEY_PREFIX": os.environ.get("STATELESS_KEY_PREFIX", "service"),
                },
            }
            SESSION_ENGINE = (
                "django.contrib.sessions.backends.cache"
                if _session_engine_on_redis
                else "django.contrib.sessions.backends.file"
            )
            SESSION_CACHE_ALIAS = "stateless_sessions" if _session_engine_on_redis else "default"
            SESSION_FILE_PATH = "/var/sessions"
            """,
        )

    def test_cache_engine_on_the_implicit_locmem_default(self) -> None:
        self.rewrites(
            """
            INSTALLED_APPS = ["notes"]
            SESSION_ENGINE = "django.contrib.sessions.backends.cache"
            """,
            """
            import os

            # Migration switch, read at start-up: off keeps the old backend, complete uses Redis.
            _session_engine_on_redis = (
                os.environ.get("STATELESS_SESSION_ENGINE", os.environ.get("STATELESS_MODE", "off"))
                == "complete"
            )

            INSTALLED_APPS = ["notes"]
            SESSION_ENGINE = "django.contrib.sessions.backends.cache"
            SESSION_CACHE_ALIAS = "stateless_sessions" if _session_engine_on_redis else "default"

            CACHES = {
                "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"},
                "stateless_sessions": {
                    "BACKEND": "django.core.cache.backends.redis.RedisCache",
                    "LOCATION": os.environ.get("STATELESS_REDIS_URL", "redis://127.0.0.1:6379/0"),
                    "KEY_PREFIX": os.environ.get("STATELESS_KEY_PREFIX", "service"),
                },
            }
            """,
        )

    def test_cached_db_engine_with_its_own_local_alias(self) -> None:
        self.rewrites(
            """
            CACHES = {
                "default": {"BACKEND": "django.core.cache.backends.redis.RedisCache"},
                "local": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"},
            }
            SESSION_ENGINE = "django.contrib.sessions.backends.cached_db"
            SESSION_CACHE_ALIAS = "local"
            """,
            """
            import os

            # Migration switch, read at start-up: off keeps the old backend, complete uses Redis.
            _session_engine_on_redis = (
                os.environ.get("STATELESS_SESSION_ENGINE", os.environ.get("STATELESS_MODE", "off"))
                == "complete"
            )

            CACHES = {
                "default": {"BACKEND": "django.core.cache.backends.redis.RedisCache"},
                "local": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"},
                "stateless_sessions": {
                    "BACKEND": "django.core.cache.backends.redis.RedisCache",
                    "LOCATION": os.environ.get("STATELESS_REDIS_URL", "redis://127.0.0.1:6379/0"),
                    "KEY_PREFIX": os.environ.get("STATELESS_KEY_PREFIX", "service"),
                },
            }
            SESSION_ENGINE = "django.contrib.sessions.backends.cached_db"
            SESSION_CACHE_ALIAS = "stateless_sessions" if _session_engine_on_redis else "local"
            """,
        )

    def test_star_import_without_caches_is_refused(self) -> None:
        source = """
            from .base import *

            SESSION_ENGINE = "django.contrib.sessions.backends.file"
        """
        self.assertCodemod(
            source,
            source,
            expected_warnings=[
                "sessions left unchanged: a star import may define `CACHES`; add it where it is "
                "defined."
            ],
        )
