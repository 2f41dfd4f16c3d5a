"""The scan's content-hash caches, under the user's cache folder
(`$MIGRATOR_CACHE_DIR`, else `$XDG_CACHE_HOME/migrator`, else `~/.cache/migrator`):

- facts: each file's facts by the digest of its bytes, so a re-scan parses only
  changed files;
- result: the last scan's findings, keyed by the digest of every file, so a scan of
  an unchanged tree only hashes it.

Both hold only what migrator itself wrote there; one that cannot be read is ignored
and rewritten, and a failure to write costs only the next scan's speed.
"""

from __future__ import annotations

import hashlib
import json
import os
import pickle
import tempfile
from pathlib import Path
from typing import Any

from migrator.inventory.parse import FACTS_VERSION

# Findings are reused only from the very code that made them.
RESULT_VERSION = hashlib.blake2b(
    b"".join(
        path.read_bytes()
        for folder in (Path(__file__).parent, Path(__file__).parent / "detectors")
        for path in sorted(folder.glob("*.py"))
    ),
    digest_size=6,
).hexdigest()


def cache_dir() -> Path:
    explicit = os.environ.get("MIGRATOR_CACHE_DIR")
    if explicit:
        return Path(explicit)
    base = os.environ.get("XDG_CACHE_HOME")
    return Path(base) / "migrator" if base else Path.home() / ".cache" / "migrator"


def _cache_file(root: Path, kind: str, suffix: str) -> Path:
    key = hashlib.blake2b(str(root.resolve()).encode(), digest_size=12).hexdigest()
    version = FACTS_VERSION if kind == "facts" else RESULT_VERSION
    return cache_dir() / f"{kind}-{key}-{version}.{suffix}"


def _write_atomic(target: Path, data: bytes) -> None:
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=target.parent, suffix=".tmp")
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
        os.replace(tmp, target)
    except OSError:
        return


def has_cache(root: Path) -> bool:
    """Whether an earlier scan of `root` by this code left anything to reuse."""
    return (
        _cache_file(root, "facts", "pickle").exists()
        or _cache_file(root, "result", "json").exists()
    )


def load_facts(root: Path) -> dict[str, bytes]:
    """Pickled parse outcomes by content digest from earlier scans of `root`; empty when none.

    Entries stay pickled until used: a scan unpickles only what it needs, and saving again
    writes the same bytes without pickling the facts a second time.
    """
    try:
        with open(_cache_file(root, "facts", "pickle"), "rb") as fh:
            data = pickle.load(fh)
    except Exception:  # noqa: BLE001 - a damaged cache of ours is never the user's problem
        return {}
    if not isinstance(data, dict):
        return {}
    return {k: v for k, v in data.items() if isinstance(k, str) and isinstance(v, bytes)}


def save_facts(root: Path, blobs: dict[str, bytes]) -> None:
    _write_atomic(
        _cache_file(root, "facts", "pickle"), pickle.dumps(blobs, protocol=pickle.HIGHEST_PROTOCOL)
    )


def load_result(root: Path, tree_key: str) -> dict[str, Any] | None:
    """The JSON document of the last scan when the tree is byte-for-byte the same."""
    try:
        data = json.loads(_cache_file(root, "result", "json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if not isinstance(data, dict) or data.get("tree_key") != tree_key:
        return None
    result = data.get("result")
    return result if isinstance(result, dict) else None


def save_result(root: Path, tree_key: str, result: dict[str, Any]) -> None:
    payload = json.dumps({"tree_key": tree_key, "result": result}, separators=(",", ":"))
    _write_atomic(_cache_file(root, "result", "json"), payload.encode("utf-8"))
