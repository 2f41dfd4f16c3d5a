"""Login, logout and the failed-login throttle."""

from flask import Flask
from flask.testing import FlaskClient


def test_login_gives_a_session_that_logout_ends(client: FlaskClient) -> None:
    assert client.get("/cart").status_code == 401
    response = client.post("/login", json={"username": "bob", "password": "builder"})
    assert response.status_code == 200
    assert client.get("/cart").get_json() == {"lines": [], "subtotal": 0}

    client.post("/logout")
    assert client.get("/cart").status_code == 401


def test_logged_out_session_id_cannot_be_reused(app: Flask, client: FlaskClient) -> None:
    client.post("/login", json={"username": "bob", "password": "builder"})
    sid = client.get_cookie("shop_sid")
    assert sid is not None
    client.post("/logout")

    thief = app.test_client()
    thief.set_cookie("shop_sid", sid.value)
    assert thief.get("/cart").status_code == 401


def test_wrong_password_is_refused(client: FlaskClient) -> None:
    response = client.post("/login", json={"username": "bob", "password": "guess"})
    assert response.status_code == 401
    assert client.get_cookie("shop_sid") is None


def test_repeated_failures_lock_out_that_client_only(app: Flask) -> None:
    attacker = app.test_client()
    attacker.environ_base["REMOTE_ADDR"] = "203.0.113.7"
    for _ in range(5):
        attacker.post("/login", json={"username": "alice", "password": "nope"})
    locked = attacker.post("/login", json={"username": "alice", "password": "wonderland"})
    assert locked.status_code == 429

    neighbour = app.test_client()
    neighbour.environ_base["REMOTE_ADDR"] = "203.0.113.8"
    ok = neighbour.post("/login", json={"username": "alice", "password": "wonderland"})
    assert ok.status_code == 200
