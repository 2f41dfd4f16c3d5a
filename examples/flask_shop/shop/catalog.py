"""The product catalogue and prices."""

from __future__ import annotations

from functools import lru_cache
from typing import Any

TAX_RATES = {
    "books": 0.07,
    "food": 0.07,
    "garden": 0.19,
    "kitchen": 0.19,
}

PRODUCTS: dict[str, dict[str, Any]] = {
    "BK-001": {"name": "Gardening for Beginners", "price": 18.50, "category": "books"},
    "GD-014": {"name": "Watering Can 5l", "price": 12.90, "category": "garden"},
    "GD-020": {"name": "Pruning Shears", "price": 24.00, "category": "garden"},
    "KT-003": {"name": "Cast Iron Pan", "price": 39.00, "category": "kitchen"},
    "FD-101": {"name": "Wildflower Honey", "price": 7.40, "category": "food"},
}


def price_with_tax(sku: str) -> float:
    """Gross unit price of a product, rounded to cents."""
    product = PRODUCTS[sku]
    return round(float(product["price"]) * (1 + TAX_RATES[product["category"]]), 2)


@lru_cache(maxsize=16)
def list_products(category: str | None = None) -> tuple[dict[str, Any], ...]:
    """Products for the listing page, sorted by name; admin edits call cache_clear()."""
    rows = [
        {"sku": sku, **product, "gross": price_with_tax(sku)}
        for sku, product in PRODUCTS.items()
        if category is None or product["category"] == category
    ]
    return tuple(sorted(rows, key=lambda row: row["name"]))
