"""Switch Flask-Caching from a per-process backend to its own `RedisCache`.

Rewrites `CACHE_TYPE` wherever it is set to `"simple"`, `"SimpleCache"`, `"filesystem"` or
`"FileSystemCache"` (config class or module attributes, `app.config["CACHE_TYPE"] = ...`,
`app.config.update(...)`, `from_mapping(...)`, `Cache(config={...})`)::

    CACHE_TYPE = "SimpleCache"
    # becomes
    CACHE_TYPE = "RedisCache" if _cache_type_on_redis else "SimpleCache"
    CACHE_REDIS_URL = os.environ.get("STATELESS_REDIS_URL", ...)
    CACHE_KEY_PREFIX = os.environ.get("STATELESS_KEY_PREFIX", "<package>") + ":"

`CACHE_REDIS_URL` and `CACHE_KEY_PREFIX` are added beside each switched site that lacks them;
both are ignored while the old backend runs. Leaves alone `"null"` (caches nothing, so holds no state), backends already
shared, and values it cannot read (a variable, an f-string).
"""

from __future__ import annotations

from .framework_backends import KEY_PREFIX, REDIS_URL, ConfigKeySwitchCodemod


class FlaskCachingBackendCodemod(ConfigKeySwitchCodemod):
    DESCRIPTION = "Switch Flask-Caching CACHE_TYPE from a per-process backend to RedisCache."
    FLAG = "CACHE_TYPE"
    KEYS = ("CACHE_TYPE",)
    OLD_VALUES = frozenset(
        {
            "simple",
            "SimpleCache",
            "flask_caching.backends.SimpleCache",
            "flask_caching.backends.simplecache.SimpleCache",
            "filesystem",
            "FileSystemCache",
            "flask_caching.backends.FileSystemCache",
            "flask_caching.backends.filesystemcache.FileSystemCache",
        }
    )
    NEW_VALUE = '"RedisCache"'
    COMPANIONS = (("CACHE_REDIS_URL", REDIS_URL), ("CACHE_KEY_PREFIX", KEY_PREFIX))
