"""Removes what a run wrote to the shared stores under its own key prefix, where it can.

Each run has a `STATELESS_KEY_PREFIX` of its own, so nothing here touches the service's real
keys. Best effort: when redis-py or psycopg is not installed beside migrator, or a store does
not answer within a second, the keys stay (sessions and caches expire by their TTLs).
"""

from __future__ import annotations

from collections.abc import Mapping

DEFAULT_REDIS_URL = "redis://127.0.0.1:6379/0"
RUNTIME_TABLES = ("stateless_values", "stateless_counters")


def forget_prefix(prefix: str, env: Mapping[str, str]) -> None:
    """Delete the Redis keys and the runtime's PostgreSQL rows written under `prefix`."""
    _forget_redis(prefix, env.get("STATELESS_REDIS_URL") or DEFAULT_REDIS_URL)
    if env.get("STATELESS_DATABASE_URL"):
        _forget_postgres(prefix, env["STATELESS_DATABASE_URL"])


def _forget_redis(prefix: str, url: str) -> None:
    try:
        import redis
    except ImportError:
        return
    try:
        client = redis.Redis.from_url(url, socket_timeout=1.0, socket_connect_timeout=1.0)
        try:
            # The runtime tags keys `{prefix:NAME}:...`; framework backends write `prefix:...`.
            for pattern in ("{" + prefix + ":*", prefix + ":*"):
                names = list(client.scan_iter(match=pattern, count=1000))
                if names:
                    client.delete(*names)
        finally:
            client.close()
    except (redis.RedisError, OSError, ValueError):
        return


def _forget_postgres(prefix: str, url: str) -> None:
    try:
        import psycopg
    except ImportError:
        return
    try:
        with psycopg.connect(url, autocommit=True, connect_timeout=1) as connection:
            for table in RUNTIME_TABLES:
                found = connection.execute("SELECT to_regclass(%s)", (table,)).fetchone()
                if found and found[0]:
                    connection.execute(
                        f"DELETE FROM {table} WHERE namespace LIKE %s", (prefix + ":%",)
                    )
    except (psycopg.Error, OSError):
        return
