"""Shipping costs by destination country."""

from __future__ import annotations

from typing import Any

COUNTRY_ZONES: dict[str, str] = {}
for _code in ("AT", "BE", "DE", "DK", "ES", "FR", "IT", "NL", "PL", "SE"):
    COUNTRY_ZONES[_code] = "eu"


def shipping_cost(country: str, subtotal: float, rules: dict[str, Any]) -> float:
    """Shipping for an order; free above the threshold, otherwise flat fee times zone factor."""
    if subtotal >= rules["free_over"]:
        return 0.0
    zone = COUNTRY_ZONES.get(country.upper(), "world")
    return round(float(rules["flat_fee"]) * float(rules["zones"][zone]), 2)
