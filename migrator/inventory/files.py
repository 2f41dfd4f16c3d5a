"""Which files make up the project: `git ls-files`, else a walk that honours `.gitignore`."""

from __future__ import annotations

import os
import subprocess
from dataclasses import dataclass
from pathlib import Path

import pathspec

from migrator.model import Skipped

# Folders that are never the service's own code.
EXCLUDED_DIRS = frozenset(
    """.git .hg .svn .tox .nox .venv venv env .env virtualenv site-packages dist-packages
    node_modules __pycache__ build dist .eggs .mypy_cache .pytest_cache .ruff_cache
    vendor vendored third_party _vendor .migrator-cache migration-plan""".split()
)


@dataclass(frozen=True)
class ProjectFiles:
    """The project's files, relative to the root with '/' separators."""

    python: tuple[str, ...]  # *.py files to scan
    other: tuple[str, ...]  # everything else (deployment files are read from these)
    skipped: tuple[Skipped, ...]  # symlinks out of the tree, loops, unreadable folders


def _excluded(rel: str, spec: pathspec.PathSpec | None) -> bool:
    parts = rel.split("/")
    if any(p in EXCLUDED_DIRS or p.endswith(".egg-info") for p in parts[:-1]):
        return True
    return spec is not None and spec.match_file(rel)


def _git_files(root: Path) -> list[str] | None:
    try:
        out = subprocess.run(
            ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
            cwd=root,
            capture_output=True,
            check=True,
            timeout=60,
        ).stdout
    except (OSError, subprocess.SubprocessError):
        return None
    return [p for p in out.decode("utf-8", "surrogateescape").split("\0") if p]


def _walk(root: Path) -> list[str]:
    ignore_file = root / ".gitignore"
    spec = None
    if ignore_file.is_file():
        lines = ignore_file.read_text(encoding="utf-8", errors="replace").splitlines()
        spec = pathspec.GitIgnoreSpec.from_lines(lines)
    found = []
    for dirpath, dirnames, filenames in os.walk(root, followlinks=False):
        rel_dir = os.path.relpath(dirpath, root).replace(os.sep, "/")
        rel_dir = "" if rel_dir == "." else rel_dir + "/"
        dirnames[:] = sorted(
            d for d in dirnames
            if d not in EXCLUDED_DIRS and not (spec and spec.match_file(rel_dir + d + "/"))
        )
        found.extend(rel_dir + f for f in filenames if not (spec and spec.match_file(rel_dir + f)))
    return found


def list_project_files(root: Path, exclude: list[str] | tuple[str, ...] = ()) -> ProjectFiles:
    """The project's files below `root`, minus virtualenvs, build output, vendored trees and `exclude`."""
    spec = pathspec.GitIgnoreSpec.from_lines(exclude) if exclude else None
    listed = _git_files(root)
    if listed is None:
        listed = _walk(root)
    real_root = root.resolve()
    python, other, skipped = [], [], []
    for rel in sorted(set(listed)):
        if _excluded(rel, spec):
            continue
        full = root / rel
        if full.is_symlink():
            try:
                target = full.resolve(strict=True)
            except (OSError, RuntimeError):
                skipped.append(Skipped(rel, "symbolic link that loops or points nowhere"))
                continue
            if not target.is_relative_to(real_root):
                skipped.append(Skipped(rel, "symbolic link that leaves the project tree"))
                continue
        if rel.endswith(".py"):
            python.append(rel)
        else:
            other.append(rel)
    return ProjectFiles(tuple(python), tuple(other), tuple(skipped))


def module_name(rel: str, packages: frozenset[str]) -> tuple[str, bool]:
    """The dotted module name of a file and whether it is a package's `__init__`.

    Leading folders without `__init__.py` (src/, a service's own folder) are not part
    of the name, so `src/shop/auth.py` is `shop.auth`.
    """
    parts = rel[:-3].split("/")
    leaf, dirs = parts[-1], parts[:-1]
    is_package = leaf == "__init__"
    names = [] if is_package else [leaf]
    depth = len(dirs)
    while depth > 0 and "/".join(dirs[:depth]) in packages:
        names.insert(0, dirs[depth - 1])
        depth -= 1
    return ".".join(names) or leaf, is_package
