"""Two processes of the migrated flask_shop serve a shopper as one process does.

The same journey against two processes of the original shop breaks wherever the shop keeps
state per process, which is what proves the journey can fail. Components `apply` left to a
person (the login throttle, the upload folder, the order book) are checked only against the
original, never against the migrated shop.
"""

from __future__ import annotations

import sys
from collections.abc import Collection, Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import migrator_tests_e2e_replicas as replicas
import pytest

SESSIONS = "shop.state.SESSIONS"
PRODUCTS = "shop.catalog.PRODUCTS"
LIST_PRODUCTS = "shop.catalog.list_products"
ORDER_SEQ = "shop.orders.ORDER_SEQ"
FLASK_CACHE = "shop.settings.CACHE_TYPE"
LOGIN_FAILURES = "shop.ratelimit.LOGIN_FAILURES"
UPLOAD_FOLDER = "shop.views.UPLOAD_FOLDER"
EVERY_COMPONENT = (
    SESSIONS,
    PRODUCTS,
    LIST_PRODUCTS,
    ORDER_SEQ,
    FLASK_CACHE,
    LOGIN_FAILURES,
    UPLOAD_FOLDER,
)

CART_FOLLOWS = "a cart filled on B is the cart seen on A"
ADMIN_EDIT = "a product changed on A is listed changed on B"
ORDER_NUMBERS = "checkouts alternating A and B get unique, increasing order numbers"
BESTSELLERS = "the bestsellers cached through A are what B serves"
IMAGE = "a product image uploaded on A is served by B"
LOGOUT = "logging out on B ends the session on A"
LOGIN_LIMIT = "failed logins on A and B count against one limit"

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32


def shop_journey(a: str, b: str, components: Collection[str]) -> replicas.Journey:
    """A shopper and an admin alternating between the servers at `a` and `b`.

    Checks the expectations that rest on `components` only; returns what it checked and what
    broke. Raises only when a step fails that a single process must pass (a test bug).
    """
    journey = replicas.Journey(components)
    with replicas.http_client() as http:

        def login(server: str, user: str, password: str) -> dict[str, str]:
            answer = http.post(server + "/login", json={"username": user, "password": password})
            assert answer.status_code == 200, f"{user} cannot log in on {server}: {answer.text}"
            return {"Cookie": f"shop_sid={answer.cookies['shop_sid']}"}

        bob, alice = login(a, "bob", "builder"), login(a, "alice", "wonderland")

        if journey.covers(SESSIONS):
            added = http.post(b + "/cart", json={"sku": "FD-101", "qty": 3}, headers=bob)
            seen = http.get(a + "/cart", headers=bob)
            lines = [(line["sku"], line["qty"]) for line in replicas.body(seen).get("lines", [])]
            journey.expect(
                CART_FOLLOWS,
                added.status_code == 200 and lines == [("FD-101", 3)],
                f"adding on B: {added.status_code}; the cart on A: {seen.status_code} {lines}",
            )

        if journey.covers(PRODUCTS, LIST_PRODUCTS):

            def listed(server: str) -> dict[str, Any]:
                rows = replicas.body(http.get(server + "/products"))["products"]
                return next(row for row in rows if row["sku"] == "BK-001")

            listed(b)  # B has the listing cached before the change
            change = {"name": "Gardening for Experts", "price": 21.0}
            changed = http.put(a + "/admin/products/BK-001", json=change, headers=alice)
            assert changed.status_code == 200, changed.text
            after = listed(b)
            journey.expect(
                ADMIN_EDIT,
                (after["name"], after["price"]) == (change["name"], change["price"]),
                f"B lists {after}",
            )

        # Each server gets a session of its own here, so the order numbers and the bestsellers
        # are checked apart from whether sessions are shared.
        session_on = {a: bob, b: login(b, "bob", "builder")}
        numbers: list[str] = []
        for server, sku in ((a, "GD-014"), (b, "GD-020"), (a, "GD-014"), (b, "GD-020")):
            http.post(server + "/cart", json={"sku": sku}, headers=session_on[server])
            placed = http.post(server + "/checkout", json={}, headers=session_on[server])
            assert placed.status_code == 201, placed.text
            numbers.append(replicas.body(placed)["number"])
        if journey.covers(ORDER_SEQ):
            sequence = [int(number.removeprefix("SO-")) for number in numbers]
            journey.expect(ORDER_NUMBERS, sequence == sorted(set(sequence)), numbers)

        if journey.covers(FLASK_CACHE):
            # A and B each hold the orders placed through them, so only a shared cache agrees.
            through_a = replicas.body(http.get(a + "/bestsellers"))
            through_b = replicas.body(http.get(b + "/bestsellers"))
            journey.expect(BESTSELLERS, through_b == through_a, f"A: {through_a}; B: {through_b}")

        if journey.covers(UPLOAD_FOLDER):
            files = {"image": ("cover.png", PNG, "image/png")}
            uploaded = http.post(a + "/admin/products/BK-001/image", files=files, headers=alice)
            assert uploaded.status_code == 201, uploaded.text
            served = http.get(b + replicas.body(uploaded)["image"])
            journey.expect(
                IMAGE, served.status_code == 200 and served.content == PNG, served.status_code
            )

        if journey.covers(SESSIONS):
            http.post(b + "/logout", headers=bob)
            after_logout = http.get(a + "/cart", headers=bob)
            journey.expect(LOGOUT, after_logout.status_code == 401, after_logout.status_code)

        if journey.covers(LOGIN_FAILURES):
            # Last: five failures (LOGIN_MAX_FAILURES) lock the address out of logging in.
            wrong = {"username": "bob", "password": "not-his"}
            for server in (a, b, a, b, a):
                http.post(server + "/login", json=wrong)
            sixth = http.post(b + "/login", json=wrong)
            journey.expect(LOGIN_LIMIT, sixth.status_code == 429, sixth.status_code)
    return journey


@contextmanager
def shop_pair(root: Path, env: Mapping[str, str], folder: Path) -> Iterator[list[str]]:
    """Two `flask run` processes of the shop at `root`, each with an upload folder of its own."""

    def launch(port: int) -> list[str]:
        app = ["--app", "shop:create_app()"]
        return [
            sys.executable,
            "-m",
            "flask",
            *app,
            "run",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
        ]

    envs = [{**env, "SHOP_UPLOAD_FOLDER": str(folder / f"uploads-{name}")} for name in "ab"]
    with replicas.serving(root, launch, envs, folder / "logs") as urls:
        yield urls


@pytest.fixture(scope="module")
def migrated_shop(tmp_path_factory: pytest.TempPathFactory) -> tuple[Any, replicas.Migration]:
    """The shop in git with every migrate phase applied, and what `apply` said it migrated."""
    project = replicas.git_example("flask_shop", tmp_path_factory.mktemp("migrated-shop"))
    return project, replicas.migrate(project)


def test_two_migrated_processes_serve_the_journey_as_one(
    migrated_shop: tuple[Any, replicas.Migration], key_prefix: str, tmp_path: Path
) -> None:
    project, migration = migrated_shop
    assert {SESSIONS, PRODUCTS, LIST_PRODUCTS, ORDER_SEQ, FLASK_CACHE} <= migration.migrated
    with shop_pair(project.root, replicas.stateless_env(key_prefix), tmp_path) as (a, b):
        journey = shop_journey(a, b, migration.migrated)
    assert journey.broken == []
    assert {CART_FOLLOWS, ADMIN_EDIT, ORDER_NUMBERS, BESTSELLERS, LOGOUT} <= set(journey.checked)


def test_two_original_processes_break_where_the_shop_keeps_state(tmp_path: Path) -> None:
    project = replicas.copy_example("flask_shop", tmp_path)
    with shop_pair(project.root, {}, tmp_path) as (a, b):
        journey = shop_journey(a, b, EVERY_COMPONENT)
    assert journey.broken_names == [
        CART_FOLLOWS,
        ADMIN_EDIT,
        ORDER_NUMBERS,
        BESTSELLERS,
        IMAGE,
        LOGOUT,
        LOGIN_LIMIT,
    ]
