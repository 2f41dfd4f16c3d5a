"""LimiterBackendCodemod: Flask-Limiter / slowapi / limits memory storage switches to Redis."""

# ruff: noqa: E501 -- the expected target code is quoted as the codemod writes it.

from libcst.codemod import CodemodTest
from migrator.codemods.limiter_backend import LimiterBackendCodemod


class LimiterBackendTest(CodemodTest):
    TRANSFORM = LimiterBackendCodemod

    def rewrites(self, before: str, after: str) -> None:
        self.assertCodemod(before, after)
        self.assertCodemod(after, after, expected_warnings=[])

    def test_redis_storage_is_unchanged(self) -> None:
        source = """
            from flask_limiter import Limiter
            from flask_limiter.util import get_remote_address

            limiter = Limiter(get_remote_address, storage_uri="redis://cache:6379")
        """
        self.assertCodemod(source, source, expected_warnings=[])

    def test_missing_storage_uri_keeps_the_library_default_on_the_old_side(self) -> None:
        self.rewrites(
            """
            from slowapi import Limiter
            from slowapi.util import get_remote_address

            limiter = Limiter(key_func=get_remote_address)
            """,
            """
            from slowapi import Limiter
            from slowapi.util import get_remote_address
            import os

            # Migration switch, read at start-up: off keeps the old backend, complete uses Redis.
            _ratelimit_storage_uri_on_redis = (
                os.environ.get("STATELESS_RATELIMIT_STORAGE_URI", os.environ.get("STATELESS_MODE", "off"))
                == "complete"
            )

            limiter = Limiter(key_func=get_remote_address, storage_uri=(
                os.environ.get("STATELESS_REDIS_URL", "redis://127.0.0.1:6379/0")
                if _ratelimit_storage_uri_on_redis
                else None
            ), key_prefix=os.environ.get("STATELESS_KEY_PREFIX", "service"))
            """,
        )

    def test_memory_storage_uri_and_config_key(self) -> None:
        self.rewrites(
            """
            from flask import Flask
            from flask_limiter import Limiter
            from flask_limiter.util import get_remote_address

            app = Flask(__name__)
            app.config["RATELIMIT_STORAGE_URI"] = "memory://"
            limiter = Limiter(
                get_remote_address,
                app=app,
                storage_uri="memory://",
            )
            """,
            """
            from flask import Flask
            from flask_limiter import Limiter
            from flask_limiter.util import get_remote_address
            import os

            # Migration switch, read at start-up: off keeps the old backend, complete uses Redis.
            _ratelimit_storage_uri_on_redis = (
                os.environ.get("STATELESS_RATELIMIT_STORAGE_URI", os.environ.get("STATELESS_MODE", "off"))
                == "complete"
            )

            app = Flask(__name__)
            app.config["RATELIMIT_STORAGE_URI"] = (
                os.environ.get("STATELESS_REDIS_URL", "redis://127.0.0.1:6379/0")
                if _ratelimit_storage_uri_on_redis
                else "memory://"
            )
            limiter = Limiter(
                get_remote_address,
                app=app,
                storage_uri=(
                    os.environ.get("STATELESS_REDIS_URL", "redis://127.0.0.1:6379/0")
                    if _ratelimit_storage_uri_on_redis
                    else "memory://"
                ),
                key_prefix=os.environ.get("STATELESS_KEY_PREFIX", "service"),
            )
            """,
        )

    def test_limits_memory_storage(self) -> None:
        self.rewrites(
            """
            import os

            from limits.storage import MemoryStorage
            from limits.strategies import FixedWindowRateLimiter

            window = FixedWindowRateLimiter(MemoryStorage())
            """,
            """
            import os

            from limits.storage import storage_from_string, MemoryStorage
            from limits.strategies import FixedWindowRateLimiter

            # Migration switch, read at start-up: off keeps the old backend, complete uses Redis.
            _ratelimit_storage_uri_on_redis = (
                os.environ.get("STATELESS_RATELIMIT_STORAGE_URI", os.environ.get("STATELESS_MODE", "off"))
                == "complete"
            )

            window = FixedWindowRateLimiter((
                storage_from_string(os.environ.get("STATELESS_REDIS_URL", "redis://127.0.0.1:6379/0"))
                if _ratelimit_storage_uri_on_redis
                else MemoryStorage()
            ))
            """,
        )

    def test_async_memory_storage_and_hidden_options_are_refused(self) -> None:
        source = """
            from flask_limiter import Limiter
            from limits.aio.storage import MemoryStorage

            storage = MemoryStorage()
            limiter = Limiter(**OPTIONS)
        """
        self.assertCodemod(
            source,
            source,
            expected_warnings=[
                "line 4: left unchanged: `limits.aio` memory storage: its Redis storage needs an "
                "`async+redis://` URL and an async client; switch it by hand.",
                "line 5: left unchanged: `Limiter(**options)`: cannot see whether it sets "
                "`storage_uri`.",
            ],
        )
