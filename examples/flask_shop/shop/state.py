"""Process-wide state shared by the views.

SESSIONS maps the `shop_sid` cookie to the logged-in user's data:
{"user": str, "is_admin": bool, "cart": [{"sku": str, "qty": int}], "since": float}
"""

from __future__ import annotations

from typing import Any

SESSIONS: dict[str, dict[str, Any]] = {}
