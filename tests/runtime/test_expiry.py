"""Sessions, caches and memo generations expire: every key written carries the TTL."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from types import ModuleType

import pytest
import redis

from migrator.apply.recipes import recipe_for
from migrator.model import Evidence, Finding
from migrator.runtime import Component

from .conftest import REDIS_URL


@pytest.fixture
def client() -> Iterator[redis.Redis]:
    connection = redis.Redis.from_url(REDIS_URL)
    yield connection
    connection.close()


def _ttls(client: redis.Redis, prefix: str, component: str) -> dict[bytes, int]:
    pattern = "{" + f"{prefix}:{component}" + "}:*"
    return {name: client.pttl(name) for name in client.scan_iter(match=pattern)}


def test_every_write_of_a_session_sets_its_ttl(
    runtime: Callable[..., ModuleType],
    key_prefix: str,
    client: redis.Redis,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("STATELESS_MODE", "dualwrite")
    rt = runtime(Component("SESSIONS", "kv", "redis", ttl=600))
    sessions = rt.kv("SESSIONS", {"loaded": 1})  # copied into the store on first use
    sessions["set"] = {"cart": []}
    with sessions.edit("set") as session:
        session["cart"].append("book")
    sessions.setdefault("default", {})
    sessions.augment("n", "+=", 1, default=0)
    ttls = _ttls(client, key_prefix, "SESSIONS")
    assert len(ttls) == 4, ttls
    assert all(0 < ms <= 600_000 for ms in ttls.values()), ttls


def test_two_hundred_clears_leave_only_keys_that_expire(
    runtime: Callable[..., ModuleType],
    key_prefix: str,
    client: redis.Redis,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("STATELESS_MODE", "complete")
    rt = runtime(Component("list_products", "cache", "redis", ttl=300))

    @rt.cache("list_products").memoize
    def list_products(page: int) -> list[int]:
        return [page]

    for _ in range(200):
        list_products(1), list_products(2)
        list_products.cache_clear()
    ttls = _ttls(client, key_prefix, "list_products")
    assert len(ttls) == 401
    assert all(0 < ms <= 300_000 for ms in ttls.values())


def _finding(category: str, kind: str) -> Finding:
    return Finding(
        category=category,
        symbol="STATE",
        qualname="shop.STATE",
        path="shop/__init__.py",
        line=1,
        confidence="high",
        message="m",
        evidence=(Evidence("shop/__init__.py", 2, "write"),),
        automation="codemod",
        suggested_store="redis",
        kind=kind,
    )


@pytest.mark.parametrize(
    ("category", "kind", "ttl"),
    [
        ("session_store", "dict", 14 * 24 * 3600),
        ("cache", "memo_dict", 3600),
        ("cache", "lru_cache", 3600),
        ("app_data", "dict", None),
        ("counter_ratelimit", "counter", None),
    ],
)
def test_the_plan_gives_sessions_and_caches_a_default_ttl_and_keeps_data(
    category: str, kind: str, ttl: int | None
) -> None:
    recipe = recipe_for(_finding(category, kind), "shop", "shop._stateless", "redis", None)
    assert recipe is not None and recipe.component is not None
    assert recipe.component.ttl == ttl


def test_a_ttl_from_the_settings_wins_over_the_default() -> None:
    finding = _finding("session_store", "dict")
    recipe = recipe_for(finding, "shop", "shop._stateless", "redis", 900)
    assert recipe is not None and recipe.component is not None
    assert recipe.component.ttl == 900
