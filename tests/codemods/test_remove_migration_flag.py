"""RemoveMigrationFlagCodemod: old sides dropped, framework switches collapsed, refusals, reruns."""

# ruff: noqa: E501 -- the target code is quoted as the codemods write it.

from __future__ import annotations

from textwrap import dedent

import libcst as cst
import pytest
from libcst.codemod import Codemod, CodemodContext, CodemodTest, SkipFile
from migrator.codemods.apscheduler_jobstore import APSchedulerJobstoreCodemod
from migrator.codemods.celery_result_backend import CeleryResultBackendCodemod
from migrator.codemods.django_cache_backend import DjangoCacheBackendCodemod
from migrator.codemods.django_session_backend import DjangoSessionBackendCodemod
from migrator.codemods.flask_caching_backend import FlaskCachingBackendCodemod
from migrator.codemods.flask_session_backend import FlaskSessionBackendCodemod
from migrator.codemods.framework_backends import ConfigSwitchCodemod
from migrator.codemods.limiter_backend import LimiterBackendCodemod
from migrator.codemods.remove_migration_flag import RemoveMigrationFlagCodemod

RUNTIME = "shop._stateless"


def context() -> CodemodContext:
    return CodemodContext(full_module_name="shop.state", full_package_name="shop")


class CleanupTest(CodemodTest):
    TRANSFORM = RemoveMigrationFlagCodemod

    def rewrites(self, before: str, after: str, symbol: str, flag: str | None = None) -> None:
        """`before` becomes `after`, and a second run leaves `after` as it is."""
        self.assertCodemod(before, after, symbol, RUNTIME, flag, context_override=context())
        self.assertCodemod(after, after, symbol, RUNTIME, flag, context_override=context())

    def unchanged(self, source: str, symbol: str, flag: str | None = None) -> None:
        self.assertCodemod(source, source, symbol, RUNTIME, flag, context_override=context())

    def refusal(self, source: str, symbol: str, flag: str | None = None) -> str:
        codemod = RemoveMigrationFlagCodemod(context(), symbol, RUNTIME, flag)
        with self.assertRaises(SkipFile) as raised:
            codemod.transform_module(cst.parse_module(dedent(source)))
        return str(raised.exception)


class TestRuntimeComponents(CleanupTest):
    def test_a_counter_start_is_the_store_offset_and_stays(self) -> None:
        self.unchanged(
            """
            from shop._stateless import counter

            ORDER_SEQ = counter("ORDER_SEQ", start=10000)
            """,
            "ORDER_SEQ",
        )

    def test_a_memoized_function_and_a_broadcast_have_no_old_side_and_stay(self) -> None:
        source = """
            from shop._stateless import broadcast, cache

            ROOM_CHANNEL = broadcast("ROOM_CHANNEL")


            @cache("list_products", None, ttl=300).memoize
            def list_products():
                return []
            """
        self.unchanged(source, "list_products")
        self.unchanged(source, "ROOM_CHANNEL")

    def test_other_components_and_factories_not_from_the_runtime_stay(self) -> None:
        self.unchanged(
            """
            from shop._stateless import kv
            from shop.legacy import kv as legacy_kv

            CARTS = kv("CARTS", {}, ttl=60)
            SESSIONS_COPY = legacy_kv("SESSIONS", {})
            """,
            "SESSIONS",
        )

    def test_a_kv_loses_its_old_dict_and_keeps_its_ttl(self) -> None:
        self.rewrites(
            """
            from shop._stateless import kv

            SESSIONS = kv("SESSIONS", {}, ttl=3600)  # sid -> user


            def login(sid, user):
                SESSIONS[sid] = {"user": user}
            """,
            """
            from shop._stateless import kv

            SESSIONS = kv("SESSIONS", ttl=3600)  # sid -> user


            def login(sid, user):
                SESSIONS[sid] = {"user": user}
            """,
            "SESSIONS",
        )

    def test_every_other_line_stays_byte_for_byte(self) -> None:
        source = (
            '"""Sessions."""\nfrom shop._stateless import kv  # the runtime\n\n'
            'X  =  {"a" :1}   # odd spacing\n'
            'SESSIONS = kv("SESSIONS", {}, ttl=3600)\n\n\n\n'
            "def f( a ):\n\treturn a\n"
        )
        cleaned = RemoveMigrationFlagCodemod(context(), "SESSIONS", RUNTIME).transform_module(
            cst.parse_module(source)
        )
        assert cleaned.code == source.replace('", {}, ttl', '", ttl')

    def test_a_lock_loses_its_old_lock_and_the_threading_import_only_it_used(self) -> None:
        self.rewrites(
            """
            import threading

            from shop._stateless import lock

            ORDER_LOCK = lock("ORDER_LOCK", threading.Lock(), timeout=10)
            """,
            """
            from shop._stateless import lock

            ORDER_LOCK = lock("ORDER_LOCK", timeout=10)
            """,
            "ORDER_LOCK",
        )
        source = "import threading\n\nfrom shop._stateless import lock\n\nL = lock(\"L\", threading.Lock())\n"
        cleaned = RemoveMigrationFlagCodemod(context(), "L", RUNTIME).transform_module(
            cst.parse_module(source)
        )
        assert cleaned.code == 'from shop._stateless import lock\n\nL = lock("L")\n'

    def test_a_threading_import_still_used_stays(self) -> None:
        self.rewrites(
            """
            import threading

            from shop._stateless import lock

            ORDER_LOCK = lock("ORDER_LOCK", threading.Lock(), timeout=10)
            WORKER = threading.Thread(target=print)
            """,
            """
            import threading

            from shop._stateless import lock

            ORDER_LOCK = lock("ORDER_LOCK", timeout=10)
            WORKER = threading.Thread(target=print)
            """,
            "ORDER_LOCK",
        )

    def test_a_counter_map_loses_its_defaultdict_and_its_import(self) -> None:
        self.rewrites(
            """
            from collections import Counter, defaultdict

            from shop._stateless import counter

            HITS = counter("HITS", defaultdict(int))
            WORDS = Counter()
            """,
            """
            from collections import Counter

            from shop._stateless import counter

            HITS = counter("HITS")
            WORDS = Counter()
            """,
            "HITS",
        )

    def test_a_call_over_several_lines_keeps_its_layout(self) -> None:
        before = """
            from threading import Lock

            from shop._stateless import kv, lock

            PROFILES = kv(
                "PROFILES",
                {},
                ttl=600,
            )
            PROFILE_LOCK = lock(
                "PROFILE_LOCK",
                Lock(),
            )
            """
        self.rewrites(
            before,
            """
            from threading import Lock

            from shop._stateless import kv, lock

            PROFILES = kv(
                "PROFILES",
                ttl=600,
            )
            PROFILE_LOCK = lock(
                "PROFILE_LOCK",
                Lock(),
            )
            """,
            "PROFILES",
        )
        self.rewrites(
            before,
            """
            from shop._stateless import kv, lock

            PROFILES = kv(
                "PROFILES",
                {},
                ttl=600,
            )
            PROFILE_LOCK = lock(
                "PROFILE_LOCK",
            )
            """,
            "PROFILE_LOCK",
        )

    def test_an_old_side_by_keyword_through_a_relative_or_module_import(self) -> None:
        self.rewrites(
            """
            from collections import OrderedDict

            from . import _stateless
            from ._stateless import cache

            PRICES = cache("PRICES", old=OrderedDict(), ttl=300)
            RATES = _stateless.kv("RATES", dict())
            """,
            """
            from . import _stateless
            from ._stateless import cache

            PRICES = cache("PRICES", ttl=300)
            RATES = _stateless.kv("RATES", dict())
            """,
            "PRICES",
        )
        self.rewrites(
            """
            from . import _stateless

            RATES = _stateless.kv("RATES", dict())
            """,
            """
            from . import _stateless

            RATES = _stateless.kv("RATES")
            """,
            "RATES",
        )

    def test_a_blob_loses_its_old_directory(self) -> None:
        self.rewrites(
            """
            from shop._stateless import blob

            UPLOADS = blob("UPLOADS", old_dir="uploads")
            """,
            """
            from shop._stateless import blob

            UPLOADS = blob("UPLOADS")
            """,
            "UPLOADS",
        )

    def test_refuses_an_old_side_that_seeds_records(self) -> None:
        reason = self.refusal(
            """
            from shop._stateless import kv

            USERS = kv("USERS", {"admin": {"name": "Ada"}})
            """,
            "USERS",
        )
        assert reason.startswith("line 4: the old side of `USERS`")
        assert "a fresh store (a new environment, a test) would start without them" in reason

    def test_refuses_an_old_side_held_in_a_variable(self) -> None:
        reason = self.refusal(
            """
            from shop._stateless import kv

            _USERS = {}
            USERS = kv("USERS", _USERS)
            """,
            "USERS",
        )
        assert "(`_USERS`) is not an empty container this cleanup recognises" in reason

    def test_refuses_spread_arguments_and_a_computed_old_directory(self) -> None:
        assert "spreads its arguments" in self.refusal(
            """
            from shop._stateless import kv

            USERS = kv("USERS", *OPTIONS)
            """,
            "USERS",
        )
        assert "(`BASE / \"uploads\"`) is computed" in self.refusal(
            """
            from shop._stateless import blob

            UPLOADS = blob("UPLOADS", old_dir=BASE / "uploads")
            """,
            "UPLOADS",
        )


class TestFrameworkSwitches(CleanupTest):
    def test_a_module_without_the_switch_or_with_another_flags_stays(self) -> None:
        self.unchanged(
            """
            import os

            # Migration switch, read at start-up: off keeps the old backend, complete uses Redis.
            _caches_on_redis = (
                os.environ.get("STATELESS_CACHES", os.environ.get("STATELESS_MODE", "off"))
                == "complete"
            )

            CACHE_TYPE = "RedisCache"
            CACHES = {"default": {"BACKEND": "x.RedisCache" if _caches_on_redis else "x.LocMemCache"}}
            """,
            "CACHE_TYPE",
            "CACHE_TYPE",
        )

    def test_flask_caching_in_every_form_the_switch_codemod_writes(self) -> None:
        self.rewrites(
            """
            import os

            from flask import Flask

            # Migration switch, read at start-up: off keeps the old backend, complete uses Redis.
            _cache_type_on_redis = (
                os.environ.get("STATELESS_CACHE_TYPE", os.environ.get("STATELESS_MODE", "off"))
                == "complete"
            )

            app = Flask(__name__)
            app.config["CACHE_TYPE"] = "RedisCache" if _cache_type_on_redis else "SimpleCache"
            app.config["CACHE_REDIS_URL"] = os.environ.get("STATELESS_REDIS_URL", "redis://127.0.0.1:6379/0")
            app.config.update(CACHE_TYPE="RedisCache" if _cache_type_on_redis else "simple", DEBUG=True)
            app.config.from_mapping({"CACHE_TYPE": (
                "RedisCache"
                if _cache_type_on_redis
                else "flask_caching.backends.filesystemcache.FileSystemCache"
            ), "CACHE_DEFAULT_TIMEOUT": 300})


            class Config:
                CACHE_TYPE = "RedisCache" if _cache_type_on_redis else "SimpleCache"  # one per worker
            """,
            """
            import os

            from flask import Flask

            app = Flask(__name__)
            app.config["CACHE_TYPE"] = "RedisCache"
            app.config["CACHE_REDIS_URL"] = os.environ.get("STATELESS_REDIS_URL", "redis://127.0.0.1:6379/0")
            app.config.update(CACHE_TYPE="RedisCache", DEBUG=True)
            app.config.from_mapping({"CACHE_TYPE": "RedisCache", "CACHE_DEFAULT_TIMEOUT": 300})


            class Config:
                CACHE_TYPE = "RedisCache"  # one per worker
            """,
            "CACHE_TYPE",
            "CACHE_TYPE",
        )

    def test_django_caches_entries_inside_the_config_dict(self) -> None:
        self.rewrites(
            """
            import os

            # Migration switch, read at start-up: off keeps the old backend, complete uses Redis.
            _caches_on_redis = (
                os.environ.get("STATELESS_CACHES", os.environ.get("STATELESS_MODE", "off"))
                == "complete"
            )

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
                }
            }
            """,
            """
            import os

            INSTALLED_APPS = ["notes"]
            CACHES = {
                "default": {
                    "BACKEND": "django.core.cache.backends.redis.RedisCache",
                    "LOCATION": os.environ.get("STATELESS_REDIS_URL", "redis://127.0.0.1:6379/0"),
                    "OPTIONS": {},
                }
            }
            """,
            "CACHES",
            "CACHES",
        )

    def test_a_new_side_too_long_for_one_line_keeps_its_parentheses(self) -> None:
        self.rewrites(
            """
            import os

            from flask_limiter import Limiter
            from limits.storage import MemoryStorage, storage_from_string

            # Migration switch, read at start-up: off keeps the old backend, complete uses Redis.
            _ratelimit_storage_uri_on_redis = (
                os.environ.get("STATELESS_RATELIMIT_STORAGE_URI", os.environ.get("STATELESS_MODE", "off"))
                == "complete"
            )

            limiter = Limiter(get_remote_address, app=app, storage_uri=(
                os.environ.get("STATELESS_REDIS_URL", "redis://127.0.0.1:6379/0")
                if _ratelimit_storage_uri_on_redis
                else None
            ))
            storage = (
                storage_from_string(os.environ.get("STATELESS_REDIS_URL", "redis://127.0.0.1:6379/0"))
                if _ratelimit_storage_uri_on_redis
                else MemoryStorage()
            )
            """,
            """
            import os

            from flask_limiter import Limiter
            from limits.storage import storage_from_string

            limiter = Limiter(get_remote_address, app=app, storage_uri=(
                os.environ.get("STATELESS_REDIS_URL", "redis://127.0.0.1:6379/0")
            ))
            storage = storage_from_string(os.environ.get("STATELESS_REDIS_URL", "redis://127.0.0.1:6379/0"))
            """,
            "limiter",
            "RATELIMIT_STORAGE_URI",
        )

    def test_a_comment_of_the_services_own_above_the_switch_stays(self) -> None:
        self.rewrites(
            """
            import os

            # Settings for the cache.
            # Migration switch, read at start-up: off keeps the old backend, complete uses Redis.
            _cache_type_on_redis = (
                os.environ.get("STATELESS_CACHE_TYPE", os.environ.get("STATELESS_MODE", "off"))
                == "complete"
            )
            CACHE_TYPE = "RedisCache" if _cache_type_on_redis else "SimpleCache"
            """,
            """
            # Settings for the cache.
            CACHE_TYPE = "RedisCache"
            """,
            "CACHE_TYPE",
            "CACHE_TYPE",
        )

    def test_refuses_a_switch_used_other_than_as_a_switch(self) -> None:
        reason = self.refusal(
            """
            import os

            # Migration switch, read at start-up: off keeps the old backend, complete uses Redis.
            _cache_type_on_redis = (
                os.environ.get("STATELESS_CACHE_TYPE", os.environ.get("STATELESS_MODE", "off"))
                == "complete"
            )
            CACHE_TYPE = "RedisCache" if _cache_type_on_redis else "SimpleCache"
            if not _cache_type_on_redis:
                CACHE_THRESHOLD = 500
            """,
            "CACHE_TYPE",
            "CACHE_TYPE",
        )
        assert reason == (
            "line 10: `_cache_type_on_redis` is used other than as "
            "`new if _cache_type_on_redis else old`; remove that use by hand, then run the "
            "cleanup again."
        )

    def test_refuses_a_switch_defined_otherwise(self) -> None:
        reason = self.refusal(
            """
            import os

            _cache_type_on_redis = os.environ.get("CACHE_ON_REDIS") == "1"
            CACHE_TYPE = "RedisCache" if _cache_type_on_redis else "SimpleCache"
            """,
            "CACHE_TYPE",
            "CACHE_TYPE",
        )
        assert "is not defined as `migrator apply` wrote it" in reason


LEGACY: list[tuple[type[ConfigSwitchCodemod], str]] = [
    (FlaskCachingBackendCodemod, 'app.config.update(CACHE_TYPE="simple")\n'),
    (FlaskSessionBackendCodemod, 'class Config:\n    SESSION_TYPE = "filesystem"\n'),
    (
        DjangoCacheBackendCodemod,
        'INSTALLED_APPS = ["notes"]\nCACHES = {"default": {"BACKEND": '
        '"django.core.cache.backends.filebased.FileBasedCache", "LOCATION": "/var/tmp/c"}}\n',
    ),
    (DjangoCacheBackendCodemod, 'INSTALLED_APPS = ["notes"]\n'),
    (
        DjangoSessionBackendCodemod,
        'INSTALLED_APPS = ["notes"]\nSESSION_ENGINE = "django.contrib.sessions.backends.file"\n',
    ),
    (LimiterBackendCodemod, "from flask_limiter import Limiter\n\nlimiter = Limiter(key, app=app)\n"),
    (
        APSchedulerJobstoreCodemod,
        "from apscheduler.schedulers.background import BackgroundScheduler\n\n"
        "scheduler = BackgroundScheduler()\n",
    ),
    (CeleryResultBackendCodemod, 'app = Celery("shop", backend="cache+memory://")\n'),
]


@pytest.mark.parametrize(("switch", "legacy"), LEGACY, ids=lambda v: getattr(v, "__name__", ""))
def test_every_switch_the_framework_codemods_write_is_removed_for_good(
    switch: type[ConfigSwitchCodemod], legacy: str
) -> None:
    switching = switch(context())
    switched = _run(switching, legacy)
    assert switching.switch_name in switched
    cleaned = _run(RemoveMigrationFlagCodemod(context(), "x", RUNTIME, switching.flag), switched)
    assert switching.switch_name not in cleaned
    assert "STATELESS_MODE" not in cleaned
    assert "if " not in cleaned  # only the new side is left
    compile(cleaned, "cleaned.py", "exec")
    again = _run(RemoveMigrationFlagCodemod(context(), "x", RUNTIME, switching.flag), cleaned)
    assert again == cleaned


def _run(codemod: Codemod, source: str) -> str:
    return codemod.transform_module(cst.parse_module(source)).code
