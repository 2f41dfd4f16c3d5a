"""Which files make up the project: `git ls-files`, else a walk that honours `.gitignore`."""

from __future__ import annotations

import os
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from migrator.model import Skipped

if TYPE_CHECKING:  # pathspec is imported where a pattern is needed: most scans need none
    import pathspec

# Folders that are never the service's own code.
EXCLUDED_DIRS = frozenset(
    """.git .hg .svn .tox .nox .venv venv env .env virtualenv site-packages dist-packages
    node_modules __pycache__ build dist .eggs .mypy_cache .pytest_cache .ruff_cache
    vendor vendored third_party _vendor .migrator-cache migration-plan _stateless""".split()
)


@dataclass(frozen=True)
class ProjectFiles:
    """The project's files, relative to the root with '/' separators."""

    python: tuple[str, ...]  # *.py files to scan
    other: tuple[str, ...]  # everything else (deployment files are read from these)
    skipped: tuple[Skipped, ...]  # symlinks out of the tree, loops, unreadable folders


# Tests, fixtures and docs hold no service state; `[tool.migrator] include_tests` keeps them.
TEST_DIRS = frozenset(
    {"tests", "test", "testing", "fixtures", "docs", "doc", "examples", "samples"}
)


def is_test_file(rel: str) -> bool:
    parts = rel.split("/")
    name = parts[-1]
    return (
        any(p in TEST_DIRS or p.startswith(("test_", "example_", "sample_")) for p in parts[:-1])
        or name.startswith("test")
        or "_test" in name
        or name in ("conftest.py", "setup.py", "noxfile.py", "fabfile.py")
    )


def _excluded(rel: str, spec: pathspec.PathSpec | None) -> bool:
    parts = rel.split("/")
    if any(p in EXCLUDED_DIRS or p.endswith(".egg-info") for p in parts[:-1]):
        return True
    return spec is not None and spec.match_file(rel)


def _in_git_work_tree(root: Path) -> bool:
    return any((folder / ".git").exists() for folder in (root, *root.parents))


def _git_files(root: Path) -> list[str] | None:
    if not _in_git_work_tree(root.resolve()):
        return None
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


def _walk(
    root: str,
    found: list[str],
    links: list[str],
    rel_dir: str = "",
    spec: pathspec.PathSpec | None = None,
) -> None:
    """Files below root, honouring `.gitignore` files on the way; symbolic links are not followed."""
    try:
        entries = list(os.scandir(os.path.join(root, rel_dir) if rel_dir else root))
    except OSError:
        return
    if any(e.name == ".gitignore" for e in entries):
        try:
            with open(
                os.path.join(root, rel_dir, ".gitignore"), encoding="utf-8", errors="replace"
            ) as fh:
                lines = [_anchor(line, rel_dir) for line in fh.read().splitlines()]
            from pathspec import GitIgnoreSpec

            local = GitIgnoreSpec.from_lines(lines)
            spec = local if spec is None else spec + local
        except OSError:
            pass
    for entry in entries:
        rel = rel_dir + entry.name
        if entry.is_symlink():
            links.append(rel)
        elif entry.is_dir(follow_symlinks=False):
            if (
                entry.name not in EXCLUDED_DIRS
                and not entry.name.endswith(".egg-info")
                and not (spec and spec.match_file(rel + "/"))
            ):
                _walk(root, found, links, rel + "/", spec)
        elif spec and spec.match_file(rel):
            continue
        elif entry.is_file(follow_symlinks=False):
            found.append(rel)
        else:
            links.append(rel)  # a pipe, socket or device: checked, never read (a pipe blocks)


def _anchor(pattern: str, prefix: str) -> str:
    """A pattern of a nested `.gitignore`, made relative to the walk's root."""
    stripped = pattern.strip()
    if not prefix or not stripped or stripped.startswith("#"):
        return pattern
    negate = "!" if stripped.startswith("!") else ""
    body = stripped[1:] if negate else stripped
    if "/" in body.rstrip("/"):
        return f"{negate}{prefix}{body.lstrip('/')}"
    return f"{negate}{prefix}**/{body}"


def list_project_files(
    root: Path, exclude: list[str] | tuple[str, ...] = (), include_tests: bool = False
) -> ProjectFiles:
    """The project's files below `root`, minus virtualenvs, build output, vendored trees,
    tests (unless `include_tests`) and `exclude`."""
    spec = None
    if exclude:
        from pathspec import GitIgnoreSpec

        spec = GitIgnoreSpec.from_lines(exclude)
    listed = _git_files(root)
    links: list[str] = []
    if listed is None:
        listed = []
        _walk(str(root), listed, links)
    else:
        listed = [rel for rel in listed if not _link_or_gone(root / rel, rel, links)]
    real_root = root.resolve()
    python, other, skipped = [], [], []
    for rel in links:
        if _excluded(rel, spec):
            continue
        try:
            target = (root / rel).resolve(strict=True)
        except (OSError, RuntimeError):
            skipped.append(Skipped(rel, "symbolic link that loops or points nowhere"))
            continue
        if not target.is_relative_to(real_root):
            skipped.append(Skipped(rel, "symbolic link that leaves the project tree"))
        elif target.is_file():
            listed.append(rel)
        elif not target.is_dir() and rel.endswith(".py"):
            skipped.append(Skipped(rel, "not a regular file (a pipe, socket or device)"))
    for rel in sorted(set(listed)):
        if _excluded(rel, spec):
            continue
        if rel.endswith(".py"):
            if include_tests or not is_test_file(rel):
                python.append(rel)
        else:
            other.append(rel)
    return ProjectFiles(tuple(python), tuple(other), tuple(skipped))


def _link_or_gone(path: Path, rel: str, links: list[str]) -> bool:
    """Set links and special files aside for checking; drop what git lists but is gone."""
    try:
        if path.is_symlink() or (os.path.lexists(path) and not path.is_file()):
            links.append(rel)
            return True
        return not path.is_file()
    except OSError:
        return True


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
