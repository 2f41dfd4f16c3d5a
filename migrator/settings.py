"""`[tool.migrator]` in the target's pyproject.toml: what the scan excludes, stores, prefix, TTLs."""

from __future__ import annotations

import re
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from migrator.model import CATEGORIES

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - exercised on 3.10 only
    import tomli as tomllib


# The stores the generated runtime has a backend for (the playbooks' RUNTIME_STORES).
STORES = ("redis", "postgres", "dynamodb", "s3")


class SettingsError(ValueError):
    """The target's `[tool.migrator]` table cannot be used; the message says why."""


@dataclass(frozen=True)
class Settings:
    exclude: tuple[str, ...] = ()  # gitignore-style patterns
    include_tests: bool = False  # tests, fixtures, docs and examples are left out by default
    include: tuple[str, ...] = ()  # gitignore-style patterns kept despite the default exclusions
    stores: dict[str, str] = field(default_factory=dict)  # category -> store
    key_prefix: str = ""
    ttls: dict[str, int] = field(default_factory=dict)  # category or symbol -> seconds


# The keys `[tool.migrator]` may hold, and what each must be.
KNOWN_KEYS = {
    "exclude": "a list of gitignore-style patterns",
    "include": "a list of gitignore-style patterns",
    "include_tests": "true or false",
    "stores": "a table of category = store",
    "key_prefix": "letters, digits and . _ : - (at most 64)",
    "ttl": "a table of category or symbol = seconds (a positive integer)",
}
# A key prefix reaches generated code and every key in the store: plain characters only.
_KEY_PREFIX = re.compile(r"[A-Za-z0-9_.:-]{1,64}")


def load_settings(root: Path) -> Settings:
    """The target's settings; defaults when it has no pyproject.toml or no `[tool.migrator]`.

    Raises `SettingsError` with one line naming the key, the value and what is allowed
    when the table holds an unknown key, an unknown category or store, or a wrong type."""
    path = root / "pyproject.toml"
    if not path.is_file():
        return Settings()
    try:
        data: dict[str, Any] = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise SettingsError(f"{path}: cannot read [tool.migrator]: {exc}") from None
    tool = data.get("tool", {})
    table = tool.get("migrator", {}) if isinstance(tool, dict) else {}
    if not isinstance(table, dict):
        raise SettingsError(f"{path}: [tool.migrator] must be a table")

    def wrong(key: str, value: object) -> SettingsError:
        return SettingsError(
            f"{path}: tool.migrator.{key} = {value!r} is not allowed: it must be {KNOWN_KEYS[key.partition('.')[0]]}"
        )

    for key in table:
        if key not in KNOWN_KEYS:
            known = ", ".join(KNOWN_KEYS)
            raise SettingsError(f"{path}: tool.migrator.{key} is not a setting (known: {known})")
    patterns = {}
    for key in ("exclude", "include"):
        value = table.get(key, [])
        if not isinstance(value, list) or not all(isinstance(p, str) for p in value):
            raise wrong(key, value)
        patterns[key] = tuple(value)
    include_tests = table.get("include_tests", False)
    if not isinstance(include_tests, bool):
        raise wrong("include_tests", include_tests)
    key_prefix = table.get("key_prefix", "")
    if not isinstance(key_prefix, str) or (key_prefix and not _KEY_PREFIX.fullmatch(key_prefix)):
        raise wrong("key_prefix", key_prefix)
    stores = table.get("stores", {})
    if not isinstance(stores, dict):
        raise wrong("stores", stores)
    for category, store in stores.items():
        if category not in CATEGORIES:
            raise SettingsError(
                f"{path}: tool.migrator.stores.{category} is not a category "
                f"(known: {', '.join(CATEGORIES)})"
            )
        if store not in STORES:
            raise SettingsError(
                f"{path}: tool.migrator.stores.{category} = {store!r} is not a store "
                f"(known: {', '.join(STORES)})"
            )
    ttls = table.get("ttl", {})
    if not isinstance(ttls, dict):
        raise wrong("ttl", ttls)
    for name, seconds in ttls.items():
        if isinstance(seconds, bool) or not isinstance(seconds, int) or seconds <= 0:
            raise wrong(f"ttl.{name}", seconds)
    return Settings(
        exclude=patterns["exclude"],
        include_tests=include_tests,
        include=patterns["include"],
        stores=dict(stores),
        key_prefix=key_prefix,
        ttls=dict(ttls),
    )
