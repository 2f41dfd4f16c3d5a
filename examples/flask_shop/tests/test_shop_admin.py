"""The admin catalogue: product edits and product images."""

import io
from pathlib import Path

from flask import Flask
from flask.testing import FlaskClient


def _login(client: FlaskClient, user: str, password: str) -> FlaskClient:
    assert client.post("/login", json={"username": user, "password": password}).status_code == 200
    return client


def test_product_edit_shows_in_the_listing_at_once(client: FlaskClient) -> None:
    _login(client, "alice", "wonderland")
    before = client.get("/products", query_string={"category": "kitchen"}).get_json()["products"]
    assert "KT-077" not in [row["sku"] for row in before]

    client.put(
        "/admin/products/KT-077", json={"name": "Bread Knife", "price": 20.0, "category": "kitchen"}
    )
    after = client.get("/products", query_string={"category": "kitchen"}).get_json()["products"]
    knife = next(row for row in after if row["sku"] == "KT-077")
    assert knife["gross"] == 23.8


def test_customers_cannot_edit_products(client: FlaskClient) -> None:
    _login(client, "bob", "builder")
    response = client.put("/admin/products/BK-001", json={"price": 0.01})
    assert response.status_code == 403
    listing = client.get("/products", query_string={"category": "books"}).get_json()["products"]
    assert next(row for row in listing if row["sku"] == "BK-001")["price"] == 18.5


def test_uploaded_image_is_stored_and_served(app: Flask, client: FlaskClient) -> None:
    _login(client, "alice", "wonderland")
    payload = b"\x89PNG\r\n\x1a\nfake-image"
    response = client.post(
        "/admin/products/GD-014/image",
        data={"image": (io.BytesIO(payload), "can.png")},
        content_type="multipart/form-data",
    )
    assert response.status_code == 201
    assert (Path(app.config["UPLOAD_FOLDER"]) / "GD-014.png").read_bytes() == payload
    assert client.get(response.get_json()["image"]).data == payload
    listing = client.get("/products", query_string={"category": "garden"}).get_json()["products"]
    assert next(row for row in listing if row["sku"] == "GD-014")["image"] == "GD-014.png"


def test_upload_refuses_other_file_types(client: FlaskClient) -> None:
    _login(client, "alice", "wonderland")
    response = client.post(
        "/admin/products/GD-014/image",
        data={"image": (io.BytesIO(b"#!/bin/sh"), "run.sh")},
        content_type="multipart/form-data",
    )
    assert response.status_code == 400
