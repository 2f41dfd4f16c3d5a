"""Checkout: order numbers, the order book, and emptying the cart."""

from __future__ import annotations

import threading
import time
from typing import Any

from shop import state

ORDER_SEQ = 10000
ORDER_LOCK = threading.Lock()
ORDERS: list[dict[str, Any]] = []


def next_order_number() -> str:
    """A new order number, unique within this process."""
    global ORDER_SEQ
    with ORDER_LOCK:
        ORDER_SEQ += 1
        return f"SO-{ORDER_SEQ}"


def place_order(
    sid: str, number: str, lines: list[dict[str, Any]], total: float, payment_ref: str
) -> dict[str, Any]:
    """Record the order in the order book and empty the customer's cart."""
    order = {
        "number": number,
        "user": state.SESSIONS[sid]["user"],
        "lines": lines,
        "total": total,
        "payment_ref": payment_ref,
        "at": time.time(),
    }
    with ORDER_LOCK:
        ORDERS.append(order)
    state.SESSIONS[sid]["cart"] = []
    return order


def quantities_by_sku() -> dict[str, int]:
    """Units sold per product over the whole order book."""
    counts: dict[str, int] = {}
    for order in ORDERS:
        for line in order["lines"]:
            counts[line["sku"]] = counts.get(line["sku"], 0) + line["qty"]
    return counts
