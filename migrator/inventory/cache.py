"""The scan's content-hash cache: facts of unchanged files are loaded, not re-parsed.

One pickle file per scanned root under the user's cache folder
(`$XDG_CACHE_HOME/migrator`, else `~/.cache/migrator`); it holds only what migrator
itself wrote there. A cache that cannot be read is ignored and rewritten.
"""

from __future__ import annotations

import hashlib
import os
import pickle
import tempfile
from pathlib import Path

from migrator.inventory.parse import FACTS_VERSION, ParseOutcome


def cache_dir() -> Path:
    base = os.environ.get("MIGRATOR_CACHE_DIR") or os.environ.get("XDG_CACHE_HOME")
    return Path(base) / "migrator" if base else Path.home() / ".cache" / "migrator"


def _cache_file(root: Path) -> Path:
    key = hashlib.blake2b(str(root.resolve()).encode(), digest_size=12).hexdigest()
    return cache_dir() / f"scan-{key}-v{FACTS_VERSION}.pickle"


def load_cache(root: Path) -> dict[str, ParseOutcome]:
    """Outcomes by content digest from the last scan of `root`; empty when there is none."""
    try:
        with open(_cache_file(root), "rb") as fh:
            data = pickle.load(fh)
    except (OSError, EOFError, pickle.UnpicklingError, AttributeError, ImportError, TypeError):
        return {}
    return data if isinstance(data, dict) else {}


def save_cache(root: Path, outcomes: dict[str, ParseOutcome]) -> None:
    """Replace the cache atomically; a failure to write costs only the next scan's speed."""
    target = _cache_file(root)
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=target.parent, suffix=".tmp")
        with os.fdopen(fd, "wb") as fh:
            pickle.dump(outcomes, fh, protocol=pickle.HIGHEST_PROTOCOL)
        os.replace(tmp, target)
    except OSError:
        return
