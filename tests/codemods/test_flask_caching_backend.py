"""FlaskCachingBackendCodemod: CACHE_TYPE switches to RedisCache behind a start-up flag."""

# ruff: noqa: E501 -- the expected target code is quoted as the codemod writes it.

import uuid

import libcst as cst
import pytest
import redis
from libcst.codemod import CodemodContext, CodemodTest
from migrator.codemods.flask_caching_backend import FlaskCachingBackendCodemod

from .conftest import REDIS_URL


class FlaskCachingBackendTest(CodemodTest):
    TRANSFORM = FlaskCachingBackendCodemod

    def rewrites(self, before: str, after: str) -> None:
        self.assertCodemod(before, after)
        self.assertCodemod(after, after, expected_warnings=[])

    def test_shared_or_stateless_backends_are_unchanged(self) -> None:
        source = """
            class Config:
                CACHE_TYPE = "RedisCache"


            app.config["CACHE_TYPE"] = "null"
            cache = Cache(config={"CACHE_TYPE": CACHE_KIND})
        """
        self.assertCodemod(source, source, expected_warnings=[])

    def test_config_class_attribute(self) -> None:
        self.rewrites(
            """
            \"\"\"Settings.\"\"\"
            import os


            class Config:
                DEBUG = False
                CACHE_TYPE = "SimpleCache"  # one per worker
                CACHE_DEFAULT_TIMEOUT = 300
            """,
            """
            \"\"\"Settings.\"\"\"
            import os

            # Migration switch, read at start-up: off keeps the old backend, complete uses Redis.
            _cache_type_on_redis = (
                os.environ.get("STATELESS_CACHE_TYPE", os.environ.get("STATELESS_MODE", "off"))
                == "complete"
            )


            class Config:
                DEBUG = False
                CACHE_TYPE = "RedisCache" if _cache_type_on_redis else "SimpleCache"  # one per worker
                CACHE_REDIS_URL = os.environ.get("STATELESS_REDIS_URL", "redis://127.0.0.1:6379/0")
                CACHE_KEY_PREFIX = os.environ.get("STATELESS_KEY_PREFIX", "service") + ":"
                CACHE_DEFAULT_TIMEOUT = 300
            """,
        )

    def test_app_config_item_update_and_cache_config_dict(self) -> None:
        self.rewrites(
            """
            from flask import Flask
            from flask_caching import Cache

            app = Flask(__name__)
            app.config["CACHE_TYPE"] = "simple"
            app.config.update(CACHE_TYPE="simple", DEBUG=True)
            cache = Cache(
                app,
                config={
                    "CACHE_TYPE": "flask_caching.backends.simplecache.SimpleCache",
                    "CACHE_DEFAULT_TIMEOUT": 60,
                },
            )
            """,
            """
            from flask import Flask
            from flask_caching import Cache
            import os

            # Migration switch, read at start-up: off keeps the old backend, complete uses Redis.
            _cache_type_on_redis = (
                os.environ.get("STATELESS_CACHE_TYPE", os.environ.get("STATELESS_MODE", "off"))
                == "complete"
            )

            app = Flask(__name__)
            app.config["CACHE_TYPE"] = "RedisCache" if _cache_type_on_redis else "simple"
            app.config["CACHE_REDIS_URL"] = os.environ.get("STATELESS_REDIS_URL", "redis://127.0.0.1:6379/0")
            app.config["CACHE_KEY_PREFIX"] = os.environ.get("STATELESS_KEY_PREFIX", "service") + ":"
            app.config.update(CACHE_TYPE="RedisCache" if _cache_type_on_redis else "simple", CACHE_REDIS_URL=os.environ.get("STATELESS_REDIS_URL", "redis://127.0.0.1:6379/0"), CACHE_KEY_PREFIX=os.environ.get("STATELESS_KEY_PREFIX", "service") + ":", DEBUG=True)
            cache = Cache(
                app,
                config={
                    "CACHE_TYPE": (
                        "RedisCache"
                        if _cache_type_on_redis
                        else "flask_caching.backends.simplecache.SimpleCache"
                    ),
                    "CACHE_REDIS_URL": os.environ.get("STATELESS_REDIS_URL", "redis://127.0.0.1:6379/0"),
                    "CACHE_KEY_PREFIX": os.environ.get("STATELESS_KEY_PREFIX", "service") + ":",
                    "CACHE_DEFAULT_TIMEOUT": 60,
                },
            )
            """,
        )

    def test_a_crafted_key_prefix_is_a_string_literal_not_code(self) -> None:
        # Pasted into source and parsed, this prefix ran `os.system` when settings were imported.
        self.assertCodemod(
            """
            class Config:
                CACHE_TYPE = "SimpleCache"
            """,
            """
            import os

            # Migration switch, read at start-up: off keeps the old backend, complete uses Redis.
            _cache_type_on_redis = (
                os.environ.get("STATELESS_CACHE_TYPE", os.environ.get("STATELESS_MODE", "off"))
                == "complete"
            )

            class Config:
                CACHE_TYPE = "RedisCache" if _cache_type_on_redis else "SimpleCache"
                CACHE_REDIS_URL = os.environ.get("STATELESS_REDIS_URL", "redis://127.0.0.1:6379/0")
                CACHE_KEY_PREFIX = os.environ.get("STATELESS_KEY_PREFIX", 'x" + __import__("os").system("echo pwned") * "" + "') + ":"
            """,
            None,
            'x" + __import__("os").system("echo pwned") * "" + "',
        )

    def test_a_flag_that_is_not_a_name_is_refused(self) -> None:
        with pytest.raises(ValueError, match="cannot name a migration flag"):
            FlaskCachingBackendCodemod(CodemodContext(), 'X") or __import__("os").system("id") #')

    def test_from_mapping_in_an_app_factory_keeps_an_existing_url(self) -> None:
        self.rewrites(
            """
            import os

            from flask import Flask


            def create_app():
                app = Flask(__name__)
                app.config.from_mapping(
                    SECRET_KEY="dev",
                    CACHE_TYPE="SimpleCache",
                    CACHE_REDIS_URL="redis://cache:6379/1",
                )
                return app
            """,
            """
            import os

            from flask import Flask

            # Migration switch, read at start-up: off keeps the old backend, complete uses Redis.
            _cache_type_on_redis = (
                os.environ.get("STATELESS_CACHE_TYPE", os.environ.get("STATELESS_MODE", "off"))
                == "complete"
            )


            def create_app():
                app = Flask(__name__)
                app.config.from_mapping(
                    SECRET_KEY="dev",
                    CACHE_TYPE="RedisCache" if _cache_type_on_redis else "SimpleCache",
                    CACHE_KEY_PREFIX=os.environ.get("STATELESS_KEY_PREFIX", "service") + ":",
                    CACHE_REDIS_URL="redis://cache:6379/1",
                )
                return app
            """,
        )


APP = '''
from flask import Flask
from flask_caching import Cache

app = Flask(__name__)
app.config["CACHE_TYPE"] = "SimpleCache"
app.config["CACHE_KEY_PREFIX"] = PREFIX
cache = Cache(app)
'''


@pytest.mark.parametrize(("stage", "backend"), [("off", "SimpleCache"), ("complete", "RedisCache")])
def test_rewritten_app_uses_redis_only_once_switched(
    monkeypatch: pytest.MonkeyPatch, stage: str, backend: str
) -> None:
    prefix = f"t{uuid.uuid4().hex[:12]}:"
    monkeypatch.setenv("STATELESS_MODE", stage)
    monkeypatch.setenv("STATELESS_REDIS_URL", REDIS_URL)
    tree = FlaskCachingBackendCodemod(CodemodContext()).transform_module(cst.parse_module(APP))
    namespace: dict[str, object] = {"__name__": "shop", "PREFIX": prefix}
    exec(compile(tree.code, "shop.py", "exec"), namespace)
    cache = namespace["cache"]
    with namespace["app"].app_context():  # type: ignore[attr-defined]
        cache.set("answer", 42)  # type: ignore[attr-defined]
        assert cache.get("answer") == 42  # type: ignore[attr-defined]
    assert type(cache.cache).__name__ == backend  # type: ignore[attr-defined]
    client = redis.Redis.from_url(REDIS_URL)
    stored = list(client.scan_iter(match=prefix + "*"))
    assert bool(stored) == (stage == "complete")
    if stored:
        client.delete(*stored)
    client.close()
