"""Flags: one per component, distinct across the plan, renamable in plan.json.

Two components with the same symbol in two modules each get a flag qualified by their module,
both migrate, and they keep their data apart in the store; a `flag` a team writes in plan.json
is the one `apply`, the code and the runtime use, and planning again keeps it.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
import redis

REDIS_URL = os.environ.get("MIGRATOR_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")
CART = '''"""Carts per session."""

SESSIONS = {}


def add_item(sid, item):
    SESSIONS[sid] = SESSIONS.get(sid, []) + [item]
    return SESSIONS[sid]


def forget(sid):
    SESSIONS.pop(sid, None)
'''
VIEWS = '''"""Signed-in users per session."""

SESSIONS = {}


def login(sid, user):
    SESSIONS[sid] = {"user": user}


def whoami(sid):
    return SESSIONS.get(sid, {}).get("user")


def logout(sid):
    SESSIONS.pop(sid, None)
'''
TWINS = {"cart.py": CART, "shop/__init__.py": "", "shop/views.py": VIEWS}


@pytest.fixture
def twins(git_service: Any) -> Any:
    """A service with a `SESSIONS` dict in `cart.py` and another in `shop/views.py`, planned."""
    project = git_service(TWINS)
    assert project.migrator("plan", ".").code == 0
    return project


@pytest.fixture
def key_prefix() -> Iterator[str]:
    prefix = f"flagtest{uuid.uuid4().hex[:10]}"
    yield prefix
    client = redis.Redis.from_url(REDIS_URL)
    try:
        names = list(client.scan_iter(match=f"*{prefix}*", count=1000))
        if names:
            client.delete(*names)
    finally:
        client.close()


def flags_by_qualname(project: Any) -> dict[str, str]:
    return {c["qualname"]: c["flag"] for c in project.plan_json()["components"].values()}


def test_two_components_with_one_symbol_get_flags_qualified_by_their_modules(twins):
    assert flags_by_qualname(twins) == {
        "cart.SESSIONS": "STATELESS_CART_SESSIONS",
        "shop.views.SESSIONS": "STATELESS_SHOP_VIEWS_SESSIONS",
    }
    assert twins.plan_json()["phases"][0]["flags"] == [
        "STATELESS_CART_SESSIONS",
        "STATELESS_SHOP_VIEWS_SESSIONS",
    ]


def test_both_apply_and_keep_their_data_apart_in_the_store(twins, key_prefix):
    run = twins.migrator("apply", ".", "--phase", "1")

    assert run.code == 0, run.stderr
    assert "migrated cart.SESSIONS: flag STATELESS_CART_SESSIONS" in run.stdout
    assert "migrated shop.views.SESSIONS: flag STATELESS_SHOP_VIEWS_SESSIONS" in run.stdout
    assert 'SESSIONS = kv("CART_SESSIONS", {})' in (twins.root / "cart.py").read_text()
    assert 'SESSIONS = kv("SHOP_VIEWS_SESSIONS", {})' in (twins.root / "shop/views.py").read_text()
    # The same session id in both components, at `complete`: two values, not one.
    script = (
        "import cart, shop.views as views\n"
        "cart.add_item('s1', 'book')\n"
        "views.login('s1', 'ada')\n"
        "assert cart.SESSIONS['s1'] == ['book'], cart.SESSIONS['s1']\n"
        "assert views.whoami('s1') == 'ada'\n"
        "from shop._stateless import FLAGS\n"
        "assert FLAGS['CART_SESSIONS'].variable == 'STATELESS_CART_SESSIONS'\n"
    )
    env = {
        **twins.env,
        "PYTHONPATH": str(twins.root),
        "STATELESS_MODE": "complete",
        "STATELESS_KEY_PREFIX": key_prefix,
        "STATELESS_REDIS_URL": REDIS_URL,
    }
    done = subprocess.run(
        [sys.executable, "-c", script], cwd=twins.root, env=env, capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr
    client = redis.Redis.from_url(REDIS_URL)
    try:
        keys = {k.decode() for k in client.scan_iter(match=f"*{key_prefix}*", count=1000)}
    finally:
        client.close()
    assert any("CART_SESSIONS" in k for k in keys), keys
    assert any("SHOP_VIEWS_SESSIONS" in k for k in keys), keys


def test_a_flag_renamed_in_plan_json_is_the_one_apply_and_the_runtime_use(twins):
    plan_file = twins.root / "migration-plan" / "plan.json"
    plan = json.loads(plan_file.read_text())
    cart = next(c for c in plan["components"].values() if c["qualname"] == "cart.SESSIONS")
    cart["flag"] = "STATELESS_BASKETS"
    plan_file.write_text(json.dumps(plan, indent=2))

    run = twins.migrator("apply", ".", "--phase", "1")

    assert run.code == 0, run.stderr
    assert "migrated cart.SESSIONS: flag STATELESS_BASKETS on redis" in run.stdout
    assert 'SESSIONS = kv("BASKETS", {})' in (twins.root / "cart.py").read_text()
    components = (twins.root / "shop/_stateless/components.py").read_text()
    assert '"BASKETS": ComponentSpec("BASKETS", "kv", "redis", 1209600)' in components
    assert "STATELESS_BASKETS" in twins.git("log", "-1", "--format=%B")


def test_planning_again_keeps_a_renamed_flag_and_the_flags_already_given(twins):
    plan_file = twins.root / "migration-plan" / "plan.json"
    plan = json.loads(plan_file.read_text())
    cart = next(c for c in plan["components"].values() if c["qualname"] == "cart.SESSIONS")
    cart["flag"] = "STATELESS_BASKETS"
    plan_file.write_text(json.dumps(plan, indent=2))
    # A third `SESSIONS` appears: the flags already given do not move.
    (twins.root / "shop" / "admin.py").write_text(VIEWS)

    run = twins.migrator("plan", ".")

    assert run.code == 0, run.stderr
    assert flags_by_qualname(twins) == {
        "cart.SESSIONS": "STATELESS_BASKETS",
        "shop.views.SESSIONS": "STATELESS_SHOP_VIEWS_SESSIONS",
        "shop.admin.SESSIONS": "STATELESS_SHOP_ADMIN_SESSIONS",
    }
