"""Puts the source of every corpus service under one folder, at its pinned version.

    python benchmarks/corpus/checkout.py [NAME ...] [--into DIR]

A service labelled with {"pypi": "Name==1.2"} is an sdist from the package index
(`pip download --no-binary :all:`). One labelled with {"git": "owner/repo", "commit": ...}
comes from a local bare copy of that repository: `$MIGRATOR_MIRRORS/<owner>+<repo>/repo`
(default /work/.mirror), archived at the pinned commit. No code of the services is kept in
this repository. Prints one line a service; exits 1 when any could not be had.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tarfile
import tempfile
import zipfile
from pathlib import Path

CORPUS = Path(__file__).resolve().parent
DEFAULT_INTO = Path(os.environ.get("MIGRATOR_CORPUS_DIR", "/tmp/migrator-corpus"))
MIRRORS = Path(os.environ.get("MIGRATOR_MIRRORS", "/work/.mirror"))
MARKER = ".corpus-source"


def labels(names: list[str] | None = None) -> list[dict]:
    """The label files of the corpus, all or those named, sorted by name."""
    found = []
    for path in sorted(CORPUS.glob("*.json")):
        data = json.loads(path.read_text(encoding="utf-8"))
        if not names or data["name"] in names:
            found.append(data)
    missing = set(names or ()) - {d["name"] for d in found}
    if missing:
        raise SystemExit(f"checkout: no label file for {', '.join(sorted(missing))}")
    return found


def _extract_archive(archive: Path, dest: Path) -> None:
    """Unpack an sdist into dest, without its single top-level folder."""
    with tempfile.TemporaryDirectory() as tmp:
        if archive.suffix == ".zip":
            with zipfile.ZipFile(archive) as zf:
                zf.extractall(tmp)
        else:
            with tarfile.open(archive) as tf:
                tf.extractall(tmp, filter="data")
        tops = list(Path(tmp).iterdir())
        top = tops[0] if len(tops) == 1 and tops[0].is_dir() else Path(tmp)
        shutil.copytree(top, dest)


def _from_pypi(spec: str, dest: Path) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        subprocess.run(
            [sys.executable, "-m", "pip", "download", "-q", "--no-deps", "--no-binary", ":all:",
             "-d", tmp, spec],
            check=True,
            capture_output=True,
            text=True,
        )
        archives = [p for p in Path(tmp).iterdir() if p.suffix in (".gz", ".zip", ".bz2")]
        if len(archives) != 1:
            raise RuntimeError(f"expected one sdist for {spec}, got {len(archives)}")
        _extract_archive(archives[0], dest)


def _from_git(repo: str, commit: str, dest: Path) -> None:
    git_dir = MIRRORS / repo.replace("/", "+") / "repo"
    if not git_dir.is_dir():
        raise RuntimeError(
            f"no local copy of {repo} at {git_dir}: fetch github:{repo} with the search tool "
            "(or set MIGRATOR_MIRRORS)"
        )
    dest.mkdir(parents=True)
    archive = subprocess.run(
        ["git", "--git-dir", str(git_dir), "archive", "--format=tar", commit],
        capture_output=True,
    )
    if archive.returncode != 0:  # a snapshot without some large or LFS blobs: file by file
        _copy_blobs(git_dir, commit, dest)
        return
    with tempfile.TemporaryFile() as tmp:
        tmp.write(archive.stdout)
        tmp.seek(0)
        with tarfile.open(fileobj=tmp) as tf:
            tf.extractall(dest, filter="data")


def _copy_blobs(git_dir: Path, commit: str, dest: Path) -> None:
    """Every regular file of the commit that the snapshot holds, skipping absent blobs."""
    listing = subprocess.run(
        ["git", "--git-dir", str(git_dir), "ls-tree", "-r", "-z", commit],
        check=True,
        capture_output=True,
    ).stdout.decode("utf-8", "surrogateescape")
    for entry in filter(None, listing.split("\0")):
        meta, _, rel = entry.partition("\t")
        mode, kind, sha = meta.split()
        if kind != "blob" or mode not in ("100644", "100755") or rel.startswith("/") or ".." in rel:
            continue
        blob = subprocess.run(
            ["git", "--git-dir", str(git_dir), "cat-file", "blob", sha], capture_output=True
        )
        if blob.returncode != 0:
            continue  # not in the snapshot
        target = dest / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(blob.stdout)


def checkout(service: dict, into: Path) -> str:
    """Make sure the service's source is at into/<name>; a line that says what was done."""
    source = service["source"]
    key = json.dumps(source, sort_keys=True)
    dest = into / service["name"]
    marker = dest / MARKER
    if marker.is_file() and marker.read_text() == key:
        return f"{service['name']}: present"
    if dest.exists():
        shutil.rmtree(dest)
    if "pypi" in source:
        _from_pypi(source["pypi"], dest)
    else:
        _from_git(source["git"], source["commit"], dest)
    marker.write_text(key)
    return f"{service['name']}: checked out ({source.get('pypi') or source['git']})"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("names", nargs="*")
    parser.add_argument("--into", type=Path, default=DEFAULT_INTO)
    args = parser.parse_args()
    args.into.mkdir(parents=True, exist_ok=True)
    failed = 0
    for service in labels(args.names):
        try:
            print(checkout(service, args.into))
        except (RuntimeError, subprocess.CalledProcessError, OSError) as exc:
            detail = getattr(exc, "stderr", "") or str(exc)
            print(f"{service['name']}: not checked out: {str(detail).strip().splitlines()[-1]}")
            failed += 1
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
