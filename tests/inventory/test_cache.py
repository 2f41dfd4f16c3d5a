"""The scan's content-hash caches: a re-scan gives the same answer, parses only what changed,
`--no-cache` leaves nothing behind, and a damaged cache file is ignored, never fatal."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

import migrator.inventory as inventory
from migrator.inventory import scan_project
from migrator.inventory.parse import ParseJob, ParseOutcome

PROJECT = {
    "shop/__init__.py": "",
    "shop/state.py": "SESSIONS = {}\nORDERS = []\n",
    "shop/views.py": (
        "from shop.state import ORDERS, SESSIONS\n\n\n"
        "def login(sid, user):\n    SESSIONS[sid] = user\n\n\n"
        "def order(item):\n    ORDERS.append(item)\n"
    ),
    "shop/pricing.py": (
        "import requests\n\n_PRICE_CACHE = {}\n\n\ndef price(sku):\n    if sku not in _PRICE_CACHE:\n"
        "        _PRICE_CACHE[sku] = requests.get('https://prices/' + sku).json()\n"
        "    return _PRICE_CACHE[sku]\n"
    ),
    "shop/util.py": "def slug(text):\n    return text.lower()\n",
}


def write_project(root: Path) -> Path:
    for rel, source in PROJECT.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(source, encoding="utf-8")
    return root


@pytest.fixture
def cache_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    folder = tmp_path / "cache"
    monkeypatch.setenv("MIGRATOR_CACHE_DIR", str(folder))
    return folder


def migrator_json(root: Path, cache: Path, *extra: str) -> dict[str, Any]:
    done = subprocess.run(
        [sys.executable, "-m", "migrator", "scan", str(root), "--format", "json", *extra],
        cwd=root,  # not the repository: `-m` would import its uninstalled source
        env={**os.environ, "MIGRATOR_CACHE_DIR": str(cache)},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def without_seconds(doc: dict[str, Any]) -> dict[str, Any]:
    copy = json.loads(json.dumps(doc))
    del copy["stats"]["seconds"]
    return copy


def record_parses(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Paths handed to the real parser from now on, in this process (scans run with jobs=1)."""
    parsed: list[str] = []
    real = inventory.parse_file

    def parse_and_record(root: str, job: ParseJob, data: bytes | None = None) -> ParseOutcome:
        parsed.append(job.path)
        return real(root, job, data)

    monkeypatch.setattr(inventory, "parse_file", parse_and_record)
    return parsed


def test_rescan_of_an_unchanged_tree_is_the_same(tmp_path: Path, cache_dir: Path) -> None:
    root = write_project(tmp_path / "project")
    first = migrator_json(root, cache_dir)
    assert sorted(p.name.split("-")[0] for p in cache_dir.iterdir()) == ["facts", "result"]
    second = migrator_json(root, cache_dir)
    assert without_seconds(second) == without_seconds(first)
    assert {f["symbol"] for f in first["findings"]} == {"SESSIONS", "ORDERS", "_PRICE_CACHE"}


def test_unchanged_tree_is_not_parsed_again(
    tmp_path: Path, cache_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = write_project(tmp_path / "project")
    first = scan_project(root, jobs=1)
    parsed = record_parses(monkeypatch)
    again = scan_project(root, jobs=1)
    assert parsed == []
    assert again.findings == first.findings


def test_after_an_edit_only_that_file_is_parsed_again(
    tmp_path: Path, cache_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Proof by the parser's own calls: every file the scan parses goes through
    `migrator.inventory.parse_file` (jobs=1 keeps it in this process), so recording its
    calls shows which files were parsed; comparing with a scan that uses no cache shows the
    facts taken from the cache for the other files are the right ones."""
    root = write_project(tmp_path / "project")
    scan_project(root, jobs=1)
    views = root / "shop/views.py"
    views.write_text(
        views.read_text() + "\n\ndef logout(sid):\n    SESSIONS.pop(sid, None)\n", encoding="utf-8"
    )
    parsed = record_parses(monkeypatch)
    cached = scan_project(root, jobs=1)
    assert parsed == ["shop/views.py"]
    fresh = scan_project(root, jobs=1, use_cache=False)
    assert cached.to_json()["findings"] == fresh.to_json()["findings"]
    sessions = next(f for f in cached.findings if f.symbol == "SESSIONS")
    assert ("shop/views.py", "delete") in {(e.path, e.access) for e in sessions.evidence}


def test_a_new_file_is_the_only_one_parsed(
    tmp_path: Path, cache_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = write_project(tmp_path / "project")
    scan_project(root, jobs=1)
    (root / "shop/helpers.py").write_text(PROJECT["shop/util.py"], encoding="utf-8")
    parsed = record_parses(monkeypatch)
    result = scan_project(root, jobs=1)
    assert parsed == ["shop/helpers.py"]
    assert result.files == 6
    assert result.findings == scan_project(root, jobs=1, use_cache=False).findings


def test_a_deleted_file_takes_its_findings_along_without_parsing(
    tmp_path: Path, cache_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = write_project(tmp_path / "project")
    assert "_PRICE_CACHE" in {f.symbol for f in scan_project(root, jobs=1).findings}
    (root / "shop/pricing.py").unlink()
    parsed = record_parses(monkeypatch)
    result = scan_project(root, jobs=1)
    assert parsed == []
    assert {f.symbol for f in result.findings} == {"SESSIONS", "ORDERS"}


def test_no_cache_writes_no_cache_files(tmp_path: Path) -> None:
    root = write_project(tmp_path / "project")
    cache = tmp_path / "cache"
    migrator_json(root, cache, "--no-cache")
    assert not cache.exists() or list(cache.iterdir()) == []


def _cache_file(cache: Path, kind: str) -> Path:
    (found,) = cache.glob(f"{kind}-*")
    return found


def _damaged_result(cache: Path) -> bytes:
    # Still JSON, still for this tree, but a finding lost a key: a half-written edit or bit flip.
    text = _cache_file(cache, "result").read_text(encoding="utf-8")
    return text.replace('"category"', '"categ0ry"', 1).encode()


CORRUPTIONS = {
    "facts-empty": ("facts", lambda cache: b""),
    "facts-zeros": ("facts", lambda cache: b"\0" * 512),
    "facts-truncated": ("facts", lambda cache: _cache_file(cache, "facts").read_bytes()[:40]),
    "facts-text": ("facts", lambda cache: b"this is not a pickle\n"),
    "result-empty": ("result", lambda cache: b""),
    "result-truncated": ("result", lambda cache: _cache_file(cache, "result").read_bytes()[:40]),
    "result-not-an-object": ("result", lambda cache: b"[1, 2, 3]"),
}


@pytest.mark.parametrize(("kind", "damage"), CORRUPTIONS.values(), ids=CORRUPTIONS.keys())
def test_corrupted_cache_file_is_ignored(
    tmp_path: Path, cache_dir: Path, kind: str, damage: Any
) -> None:
    root = write_project(tmp_path / "project")
    clean = scan_project(root, jobs=1)
    target = _cache_file(cache_dir, kind)
    target.write_bytes(damage(cache_dir))
    if kind == "facts":  # the result cache would answer first; make the facts cache matter
        _cache_file(cache_dir, "result").unlink()
    assert scan_project(root, jobs=1).findings == clean.findings
    assert scan_project(root, jobs=1).findings == clean.findings  # and rewritten usable


def test_facts_cache_of_text_starting_with_I_is_ignored(tmp_path: Path, cache_dir: Path) -> None:
    root = write_project(tmp_path / "project")
    clean = scan_project(root, jobs=1)
    _cache_file(cache_dir, "facts").write_bytes(b"Interrupted while writing\n")
    _cache_file(cache_dir, "result").unlink()
    assert scan_project(root, jobs=1).findings == clean.findings


def test_damaged_result_cache_is_ignored_by_the_cli(tmp_path: Path) -> None:
    root = write_project(tmp_path / "project")
    cache = tmp_path / "cache"
    clean = migrator_json(root, cache)
    _cache_file(cache, "result").write_bytes(_damaged_result(cache))
    assert without_seconds(migrator_json(root, cache)) == without_seconds(clean)


def test_cache_is_per_project(tmp_path: Path, cache_dir: Path) -> None:
    first = write_project(tmp_path / "one")
    second = write_project(tmp_path / "two")
    (second / "shop/pricing.py").unlink()
    assert {f.symbol for f in scan_project(first, jobs=1).findings} >= {"_PRICE_CACHE"}
    assert "_PRICE_CACHE" not in {f.symbol for f in scan_project(second, jobs=1).findings}
