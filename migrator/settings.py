"""`[tool.migrator]` in the target's pyproject.toml: what the scan excludes, stores, prefix, TTLs."""

from __future__ import annotations

import ast
import configparser
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
# Seconds a store keeps an entry of each category when `[tool.migrator.ttl]` says nothing; every
# write sets it again. Sessions: Django's default session age (two weeks), so a session in use
# never expires; caches: an hour, so a stale entry is bounded. Others hold data that must stay.
DEFAULT_TTLS = {"session_store": 14 * 24 * 3600, "cache": 3600}


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
        return Settings(key_prefix=distribution_name(root))
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
    # Two services with the same package name on one Redis must not share keys by default.
    key_prefix = key_prefix or distribution_name(root)
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


def distribution_name(root: Path) -> str:
    """The target's distribution name, read as data (never run): `[project].name` or
    `[tool.poetry].name` in pyproject.toml, `[metadata] name` in setup.cfg, or a literal
    `setup(name=...)` in setup.py; '' when none is found or it cannot be a key prefix."""
    for read in (_pyproject_name, _setup_cfg_name, _setup_py_name):
        try:
            name = read(root)
        except (OSError, UnicodeDecodeError, ValueError, SyntaxError, configparser.Error):
            name = ""
        if name:
            return name if _KEY_PREFIX.fullmatch(name) else ""
    return ""


def _pyproject_name(root: Path) -> str:
    path = root / "pyproject.toml"
    if not path.is_file():
        return ""
    data = tomllib.loads(path.read_text(encoding="utf-8"))
    tool = data.get("tool")
    poetry = tool.get("poetry") if isinstance(tool, dict) else None
    for table in (data.get("project"), poetry):
        if isinstance(table, dict) and isinstance(table.get("name"), str):
            return str(table["name"]).strip()
    return ""


def _setup_cfg_name(root: Path) -> str:
    path = root / "setup.cfg"
    if not path.is_file():
        return ""
    parser = configparser.ConfigParser(interpolation=None)
    parser.read_string(path.read_text(encoding="utf-8"))
    return parser.get("metadata", "name", fallback="").strip()


def _setup_py_name(root: Path) -> str:
    path = root / "setup.py"
    if not path.is_file():
        return ""
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if not isinstance(node, ast.Call):
            continue
        called = node.func.id if isinstance(node.func, ast.Name) else ""
        if isinstance(node.func, ast.Attribute):
            called = node.func.attr
        for keyword in node.keywords if called == "setup" else ():
            value = keyword.value
            if keyword.arg == "name" and isinstance(value, ast.Constant):
                return value.value.strip() if isinstance(value.value, str) else ""
    return ""
