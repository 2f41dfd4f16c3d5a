"""Cart, checkout and the order numbers it hands out."""

from concurrent.futures import ThreadPoolExecutor

from flask import Flask
from flask.testing import FlaskClient


def _login(client: FlaskClient, user: str = "bob", password: str = "builder") -> FlaskClient:
    assert client.post("/login", json={"username": user, "password": password}).status_code == 200
    return client


def test_cart_add_and_remove(client: FlaskClient) -> None:
    _login(client)
    client.post("/cart", json={"sku": "GD-014", "qty": 2})
    cart = client.post("/cart", json={"sku": "FD-101"}).get_json()
    assert [(line["sku"], line["qty"]) for line in cart["lines"]] == [("GD-014", 2), ("FD-101", 1)]
    assert cart["subtotal"] == round(2 * 15.35 + 7.92, 2)

    cart = client.delete("/cart/GD-014").get_json()
    assert [line["sku"] for line in cart["lines"]] == ["FD-101"]


def test_unknown_product_is_not_added(client: FlaskClient) -> None:
    _login(client)
    assert client.post("/cart", json={"sku": "NOPE-1"}).status_code == 400
    assert client.get("/cart").get_json()["lines"] == []


def test_carts_belong_to_their_session(app: Flask) -> None:
    first, second = _login(app.test_client()), _login(app.test_client())
    first.post("/cart", json={"sku": "KT-003"})
    assert second.get("/cart").get_json()["lines"] == []


def test_checkout_numbers_orders_in_sequence_and_empties_cart(client: FlaskClient) -> None:
    _login(client)
    client.post("/cart", json={"sku": "KT-003"})
    first = client.post("/checkout", json={"country": "DE", "provider": "card"})
    client.post("/cart", json={"sku": "FD-101"})
    second = client.post("/checkout", json={"country": "US"})

    assert first.status_code == second.status_code == 201
    a, b = first.get_json(), second.get_json()
    assert int(b["number"].removeprefix("SO-")) > int(a["number"].removeprefix("SO-"))
    assert a["total"] == round(46.41 + 4.90, 2)  # 39.00 plus 19% tax, under the free-shipping bar
    assert a["payment_ref"] == f"CARD-{a['number']}-5131"
    assert b["total"] == round(7.92 + 4.90 * 2.5, 2)
    assert client.get("/cart").get_json()["lines"] == []


def test_empty_cart_cannot_be_checked_out(client: FlaskClient) -> None:
    _login(client)
    assert client.post("/checkout", json={}).status_code == 400


def test_concurrent_checkouts_get_distinct_numbers(app: Flask) -> None:
    def buy(_: int) -> str:
        client = _login(app.test_client())
        client.post("/cart", json={"sku": "BK-001"})
        return str(client.post("/checkout", json={}).get_json()["number"])

    with ThreadPoolExecutor(max_workers=8) as pool:
        numbers = list(pool.map(buy, range(24)))
    assert len(set(numbers)) == 24


def test_bestsellers_count_units_sold(client: FlaskClient) -> None:
    _login(client)
    client.post("/cart", json={"sku": "GD-020", "qty": 40})
    client.post("/checkout", json={})
    top = client.get("/bestsellers").get_json()["bestsellers"]
    shears = next(row for row in top if row["sku"] == "GD-020")
    assert shears["name"] == "Pruning Shears"
    assert shears["sold"] >= 40
