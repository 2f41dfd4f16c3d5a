"""`[tool.migrator]` in the target's pyproject.toml: what the scan excludes, stores, prefix, TTLs."""

from __future__ import annotations

import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - exercised on 3.10 only
    import tomli as tomllib


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


def load_settings(root: Path) -> Settings:
    """The target's settings; defaults when it has no pyproject.toml or no `[tool.migrator]`."""
    path = root / "pyproject.toml"
    if not path.is_file():
        return Settings()
    try:
        data: dict[str, Any] = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise SettingsError(f"{path}: cannot read [tool.migrator]: {exc}") from None
    table = data.get("tool", {}).get("migrator", {})
    if not isinstance(table, dict):
        raise SettingsError(f"{path}: [tool.migrator] must be a table")
    patterns = {}
    for key in ("exclude", "include"):
        value = table.get(key, [])
        if not isinstance(value, list) or not all(isinstance(p, str) for p in value):
            raise SettingsError(f"{path}: tool.migrator.{key} must be a list of strings")
        patterns[key] = tuple(value)
    stores = table.get("stores", {})
    ttls = table.get("ttl", {})
    if not isinstance(stores, dict) or not isinstance(ttls, dict):
        raise SettingsError(f"{path}: tool.migrator.stores and tool.migrator.ttl must be tables")
    return Settings(
        exclude=patterns["exclude"],
        include_tests=bool(table.get("include_tests", False)),
        include=patterns["include"],
        stores={str(k): str(v) for k, v in stores.items()},
        key_prefix=str(table.get("key_prefix", "")),
        ttls={str(k): int(v) for k, v in ttls.items()},
    )
