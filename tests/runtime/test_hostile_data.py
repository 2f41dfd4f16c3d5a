"""A pickle payload or garbage under a key is rejected with a clear error, never executed."""

from __future__ import annotations

import os
import pickle
from collections.abc import Callable
from pathlib import Path
from types import ModuleType

import psycopg
import pytest
import redis

from migrator.runtime import Component

from .conftest import DATABASE_URL, REDIS_URL


class _Exploit:
    def __init__(self, marker: Path) -> None:
        self.marker = marker

    def __reduce__(self) -> tuple[object, tuple[str]]:
        return (os.mkdir, (str(self.marker),))


def _plant(store: str, prefix: str, key: str, data: bytes) -> None:
    namespace = f"{prefix}:SESSIONS"
    if store == "redis":
        redis.Redis.from_url(REDIS_URL).set("{" + namespace + "}:" + key, data)
        return
    with psycopg.connect(DATABASE_URL, autocommit=True) as connection:
        connection.execute(
            "INSERT INTO stateless_values (namespace, key, value) VALUES (%s, %s, %s)",
            (namespace, key, data),
        )


@pytest.mark.parametrize("store", ["redis", "postgres"])
@pytest.mark.parametrize("payload", ["pickle", "garbage"])
def test_a_poisoned_value_is_refused_and_never_run(
    runtime: Callable[..., ModuleType],
    key_prefix: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    store: str,
    payload: str,
) -> None:
    rt = runtime(Component("SESSIONS", "kv", store))
    monkeypatch.setenv("STATELESS_MODE", "complete")
    sessions = rt.kv("SESSIONS", {})
    sessions["warm-up"] = 1  # creates the table on PostgreSQL
    marker = tmp_path / "exploit-ran"
    data = pickle.dumps(_Exploit(marker)) if payload == "pickle" else b"\x00\xff\xfe{{garbage"
    _plant(store, key_prefix, "sid", data)

    with pytest.raises(
        ValueError, match=r"^SESSIONS: the value under key 'sid' is rejected"
    ) as err:
        sessions["sid"]
    assert isinstance(err.value, rt.CorruptValueError)
    with pytest.raises(rt.CorruptValueError):
        with sessions.edit("sid"):
            pass
    assert not marker.exists()


def test_before_live_a_poisoned_value_is_counted_and_the_old_side_answers(
    runtime: Callable[..., ModuleType], key_prefix: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    rt = runtime(Component("SESSIONS", "kv", "redis"))
    monkeypatch.setenv("STATELESS_MODE", "shadow")
    sessions = rt.kv("SESSIONS", {"sid": "the truth"})
    _plant("redis", key_prefix, "sid", pickle.dumps({"not": "ours"}))
    assert sessions["sid"] == "the truth"
    assert rt.metrics.get("SESSIONS", "new_side_failure") == 1
