"""HTTP endpoints of the shop."""

from __future__ import annotations

import os
import secrets
import time
from typing import Any

from flask import Blueprint, Response, abort, current_app, jsonify, request, send_from_directory
from werkzeug.utils import secure_filename

from shop.catalog import PRODUCTS, list_products, price_with_tax
from shop.extensions import cache
from shop.orders import next_order_number, place_order, quantities_by_sku
from shop.payments import PAYMENT_PROVIDERS
from shop.ratelimit import record_failure, too_many_failures
from shop.shipping import shipping_cost
from shop.state import SESSIONS as S
from shop.users import authenticate

bp = Blueprint("shop", __name__)

SESSION_COOKIE = "shop_sid"


def _session() -> tuple[str, dict[str, Any]]:
    sid = request.cookies.get(SESSION_COOKIE)
    if sid is None or sid not in S:
        abort(401)
    return sid, S[sid]


def _admin_session() -> dict[str, Any]:
    _, session = _session()
    if not session["is_admin"]:
        abort(403)
    return session


def _cart_view(cart: list[dict[str, Any]]) -> dict[str, Any]:
    lines = [
        {"sku": line["sku"], "qty": line["qty"], "unit": price_with_tax(line["sku"])}
        for line in cart
    ]
    subtotal = round(sum(line["unit"] * line["qty"] for line in lines), 2)
    return {"lines": lines, "subtotal": subtotal}


@bp.post("/login")
def login() -> Response | tuple[Response, int]:
    client = request.remote_addr or "unknown"
    cfg = current_app.config
    if too_many_failures(client, cfg["LOGIN_MAX_FAILURES"], cfg["LOGIN_WINDOW_SECONDS"]):
        return jsonify(error="too many failed logins, try again later"), 429
    body = request.get_json(force=True)
    account = authenticate(body.get("username", ""), body.get("password", ""))
    if account is None:
        record_failure(client)
        return jsonify(error="wrong username or password"), 401
    sid = secrets.token_urlsafe(24)
    S[sid] = {
        "user": body["username"],
        "is_admin": bool(account["is_admin"]),
        "cart": [],
        "since": time.time(),
    }
    response = jsonify(user=body["username"])
    response.set_cookie(SESSION_COOKIE, sid, httponly=True, samesite="Lax")
    return response


@bp.post("/logout")
def logout() -> Response:
    sid = request.cookies.get(SESSION_COOKIE)
    if sid:
        S.pop(sid, None)
    response = jsonify(ok=True)
    response.delete_cookie(SESSION_COOKIE)
    return response


@bp.get("/products")
def products() -> Response:
    return jsonify(products=list(list_products(request.args.get("category"))))


@bp.get("/cart")
def show_cart() -> Response:
    _, session = _session()
    return jsonify(_cart_view(session["cart"]))


@bp.post("/cart")
def add_to_cart() -> Response | tuple[Response, int]:
    sid, _ = _session()
    body = request.get_json(force=True)
    sku, qty = body.get("sku"), int(body.get("qty", 1))
    if sku not in PRODUCTS or qty < 1:
        return jsonify(error=f"cannot add {qty} x {sku!r}"), 400
    S[sid]["cart"].append({"sku": sku, "qty": qty})
    return jsonify(_cart_view(S[sid]["cart"]))


@bp.delete("/cart/<sku>")
def remove_from_cart(sku: str) -> Response:
    sid, session = _session()
    S[sid]["cart"] = [line for line in session["cart"] if line["sku"] != sku]
    return jsonify(_cart_view(S[sid]["cart"]))


@bp.post("/checkout")
def checkout() -> Response | tuple[Response, int]:
    sid, session = _session()
    if not session["cart"]:
        return jsonify(error="the cart is empty"), 400
    body = request.get_json(force=True)
    pay = PAYMENT_PROVIDERS.get(body.get("provider", "invoice"))
    if pay is None:
        return jsonify(error=f"unknown payment provider {body.get('provider')!r}"), 400
    cart = _cart_view(session["cart"])
    shipping = shipping_cost(
        body.get("country", "DE"), cart["subtotal"], current_app.config["SHIPPING"]
    )
    total = round(cart["subtotal"] + shipping, 2)
    number = next_order_number()
    order = place_order(sid, number, cart["lines"], total, pay(number, total))
    return jsonify(number=order["number"], total=total, payment_ref=order["payment_ref"]), 201


@bp.get("/bestsellers")
@cache.cached(timeout=60, key_prefix="bestsellers")
def bestsellers() -> Response:
    counts = quantities_by_sku()
    top = sorted(counts.items(), key=lambda item: item[1], reverse=True)[:5]
    return jsonify(
        bestsellers=[{"sku": sku, "name": PRODUCTS[sku]["name"], "sold": n} for sku, n in top]
    )


@bp.put("/admin/products/<sku>")
def update_product(sku: str) -> Response:
    _admin_session()
    body = request.get_json(force=True)
    product = PRODUCTS.setdefault(sku, {"name": sku, "price": 0.0, "category": "garden"})
    product.update({k: body[k] for k in ("name", "price", "category") if k in body})
    list_products.cache_clear()
    cache.delete("bestsellers")
    return jsonify(sku=sku, **product)


@bp.post("/admin/products/<sku>/image")
def upload_product_image(sku: str) -> tuple[Response, int]:
    _admin_session()
    if sku not in PRODUCTS:
        abort(404)
    image = request.files.get("image")
    ext = (image.filename or "").rsplit(".", 1)[-1].lower() if image else ""
    if image is None or ext not in current_app.config["ALLOWED_IMAGE_EXTENSIONS"]:
        return jsonify(error="send a png, jpg or webp file as `image`"), 400
    name = secure_filename(f"{sku}.{ext}")
    image.save(os.path.join(current_app.config["UPLOAD_FOLDER"], name))
    PRODUCTS[sku]["image"] = name
    list_products.cache_clear()
    return jsonify(sku=sku, image=f"/images/{name}"), 201


@bp.get("/images/<name>")
def product_image(name: str) -> Response:
    return send_from_directory(current_app.config["UPLOAD_FOLDER"], name)
