"""Settings loaded with `app.config.from_object("shop.settings")`."""

import os

BASE_DIR = os.path.dirname(os.path.abspath(__file__))

SECRET_KEY = os.environ.get("SHOP_SECRET_KEY", "dev-only-secret")

# Fine on one box; the Redis move never got scheduled.
CACHE_TYPE = "SimpleCache"
CACHE_DEFAULT_TIMEOUT = 60

UPLOAD_FOLDER = os.environ.get("SHOP_UPLOAD_FOLDER", os.path.join(BASE_DIR, "..", "uploads"))
MAX_CONTENT_LENGTH = 4 * 1024 * 1024
ALLOWED_IMAGE_EXTENSIONS = frozenset({"png", "jpg", "jpeg", "webp"})

SHIPPING = {
    "flat_fee": 4.90,
    "free_over": 50.00,
    "zones": {"eu": 1.0, "world": 2.5},
}

LOGIN_MAX_FAILURES = 5
LOGIN_WINDOW_SECONDS = 300
