"""Staff and demo customer accounts (the real ones come from the ERP export at build time)."""

from __future__ import annotations

from werkzeug.security import check_password_hash, generate_password_hash

# pbkdf2 with few rounds keeps start-up fast; these are demo accounts.
_HASH_METHOD = "pbkdf2:sha256:1000"

ACCOUNTS = {
    "alice": {"password": generate_password_hash("wonderland", _HASH_METHOD), "is_admin": True},
    "bob": {"password": generate_password_hash("builder", _HASH_METHOD), "is_admin": False},
}


def authenticate(username: str, password: str) -> dict[str, object] | None:
    """Return the account when the password matches, else None."""
    account = ACCOUNTS.get(username)
    if account is None or not check_password_hash(str(account["password"]), password):
        return None
    return account
