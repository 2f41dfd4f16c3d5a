"""A small web shop: accounts, carts, checkout, an admin catalogue and product images."""

from __future__ import annotations

import os
from typing import Any

from flask import Flask

from shop.extensions import cache

__all__ = ["create_app", "__version__"]
__version__ = "1.4.2"


def create_app(overrides: dict[str, Any] | None = None) -> Flask:
    """Build the shop application; `overrides` wins over shop.settings (tests use it)."""
    app = Flask(__name__)
    app.config.from_object("shop.settings")
    if overrides:
        app.config.update(overrides)
    os.makedirs(app.config["UPLOAD_FOLDER"], exist_ok=True)
    cache.init_app(app)

    from shop.views import bp

    app.register_blueprint(bp)
    return app
