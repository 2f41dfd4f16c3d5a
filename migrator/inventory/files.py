"""Which files make up the project: `git ls-files`, else a walk that honours `.gitignore`."""

from __future__ import annotations

import os
import re
import subprocess
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from migrator.model import Skipped

if TYPE_CHECKING:  # pathspec is imported where a pattern is needed: most scans need none
    import pathspec

# Folders that are never the service's own code, and are not counted as left out.
EXCLUDED_DIRS = frozenset(
    """.git .hg .svn .tox .nox .venv venv env .env virtualenv site-packages dist-packages
    node_modules __pycache__ build dist .eggs .mypy_cache .pytest_cache .ruff_cache
    .migrator-cache migration-plan _stateless""".split()
)

# Code that does not serve requests, left out by default; each name is a reason that
# `ProjectFiles.left_out` counts and the summary line reports.
TESTS = "tests"  # tests, fixtures, docs
MIGRATIONS = "migrations"
COMMANDS = "management commands"
SCRIPTS = "scripts and tools"
EXAMPLES = "examples"
VENDORED = "vendored"
REASONS = (TESTS, MIGRATIONS, COMMANDS, SCRIPTS, EXAMPLES, VENDORED)  # the order they are told

TEST_DIRS = frozenset({"tests", "test", "testing", "fixtures", "docs", "doc", "e2e"})
EXAMPLE_DIRS = frozenset({"examples", "samples"})
VENDOR_DIRS = frozenset(
    {"vendor", "_vendor", "vendored", "third_party", "thirdparty", "extern", "externals"}
)
# Folders and files at the top of a project (a folder with its own packaging, or the scan's
# root unless that is a package) that hold release scripts and offline tools.
TOOL_DIRS = frozenset(
    {"scripts", "tools", "bin", "benchmarks", "bench", "contrib", "extras", "dev", "ci", ".github"}
)
TOOL_FILES = frozenset({"setup.py", "noxfile.py", "fabfile.py"})  # wherever they are
TOP_TOOL_FILES = frozenset({"release.py", "tasks.py"})  # tasks.py only when it uses invoke
PACKAGING = frozenset({"pyproject.toml", "setup.py", "setup.cfg"})
_DJANGO_MIGRATION = re.compile(r"\d{4}_\w*\.py")


@dataclass(frozen=True)
class ProjectFiles:
    """The project's files, relative to the root with '/' separators."""

    python: tuple[str, ...]  # *.py files to scan
    other: tuple[str, ...]  # everything else (deployment files are read from these)
    skipped: tuple[Skipped, ...]  # symlinks out of the tree, loops, unreadable folders
    left_out: dict[str, int] = field(default_factory=dict)  # reason -> Python files left out
    scanned_examples: bool = False  # nothing but examples held Python code, so they were scanned
    reasons: dict[str, str] = field(default_factory=dict)  # left-out Python file -> its reason


def _is_test(dirs: list[str], name: str) -> bool:
    return (
        not TEST_DIRS.isdisjoint(dirs)
        or any(d.startswith(("test_", "tests_")) or d.endswith("_tests") for d in dirs)
        or name.startswith("test")
        or "_test" in name
        or name == "conftest.py"
    )


def is_test_file(rel: str) -> bool:
    """Whether a Python file is a test, a fixture or documentation, by its path alone."""
    *dirs, name = rel.split("/")
    return _is_test(dirs, name)


def _is_example_dir(name: str) -> bool:
    return name in EXAMPLE_DIRS or name.startswith(("example_", "sample_"))


class _Layout:
    """What the listing says about folders, gathered in one pass over the paths: packages,
    packaging files, migrations folders. The few files whose content decides a rule
    (`setup.py`, `pyproject.toml`, a top-level `tasks.py`) are read once, when needed."""

    def __init__(self, root: Path, listed: list[str]) -> None:
        self.root = root
        self.packaging: dict[str, set[str]] = {}  # folder -> its packaging files
        self.packages: set[str] = set()  # folders with an `__init__.py`
        self.migrations: set[str] = set()  # Django migrations and Alembic script folders
        migration_py: dict[str, set[str]] = {}
        alembic_env: set[str] = set()
        alembic_versions: set[str] = set()
        for rel in listed:
            folder, _, name = rel.rpartition("/")
            if name in PACKAGING:
                self.packaging.setdefault(folder, set()).add(name)
            elif name == "__init__.py":
                self.packages.add(folder)
            if "migrations" not in folder and "alembic" not in folder:
                continue  # most files: the rest is about migrations folders
            leaf = folder.rpartition("/")[2]
            if leaf == "migrations" and name.endswith(".py"):
                migration_py.setdefault(folder, set()).add(name)
            if leaf in ("alembic", "migrations") and name in ("env.py", "script.py.mako"):
                alembic_env.add(folder)
            elif leaf == "versions":
                alembic_versions.add(folder.rpartition("/")[0])
        for folder, names in migration_py.items():
            if names == {"__init__.py"} or any(_DJANGO_MIGRATION.fullmatch(n) for n in names):
                self.migrations.add(folder)
        self.migrations |= alembic_env & alembic_versions
        self._read: dict[tuple[str, str], bool] = {}

    def reason(self, rel: str) -> str | None:
        """Why a default rule leaves this Python file out, or None when none does; a file
        that several rules match gets the first, so `examples` means no other rule matched."""
        *dirs, name = rel.split("/")
        if not VENDOR_DIRS.isdisjoint(dirs):
            return VENDORED
        if _is_test(dirs, name):
            return TESTS
        if ("migrations" in dirs or "alembic" in dirs) and self._in_migrations(dirs):
            return MIGRATIONS
        if "commands" in dirs and "/management/commands/" in f"/{rel}":
            return COMMANDS
        if self._is_tool(dirs, name):
            return SCRIPTS
        if any(_is_example_dir(d) for d in dirs):
            return EXAMPLES
        return None

    def _in_migrations(self, dirs: list[str]) -> bool:
        if len(dirs) > 1 and dirs[-1] == "versions" and dirs[-2] in ("alembic", "migrations"):
            return True  # Alembic revisions, with or without `env.py` beside them
        return any(
            "/".join(dirs[: i + 1]) in self.migrations
            for i, d in enumerate(dirs)
            if d in ("migrations", "alembic")
        )

    def _is_tool(self, dirs: list[str], name: str) -> bool:
        """Release scripts and offline tools: at the top of a project, or a packaging script."""
        if name in TOOL_FILES:
            return name != "setup.py" or self._declares("/".join(dirs), "setup.py")
        if not TOOL_DIRS.isdisjoint(dirs) and any(
            d in TOOL_DIRS and self.is_project_top("/".join(dirs[:i])) for i, d in enumerate(dirs)
        ):
            return True
        if name not in TOP_TOOL_FILES or not self.is_project_top(folder := "/".join(dirs)):
            return False
        return name == "release.py" or self._declares(folder, "tasks.py")

    def is_project_top(self, folder: str) -> bool:
        """A folder with packaging files of its own, or the scan's root unless it is a package
        (then its `contrib/` or `tools/` is application code, as `django/contrib/` is)."""
        if not folder:
            return "" not in self.packages
        names = self.packaging.get(folder)
        return bool(names and (names - {"setup.py"} or self._declares(folder, "setup.py")))

    def is_packaged(self, folder: str) -> bool:
        """Whether a folder carries its own packaging: a `setup.py` that calls setuptools,
        or a `pyproject.toml` with a `[project]` or `[tool.poetry]` table."""
        names = self.packaging.get(folder, set())
        return ("setup.py" in names and self._declares(folder, "setup.py")) or (
            "pyproject.toml" in names and self._declares(folder, "pyproject.toml")
        )

    def _declares(self, folder: str, name: str) -> bool:
        """Whether a file says what its name suggests, read once: a `setup.py` that packages
        (a Flask app's `forms/setup.py` does not), a `pyproject.toml` that names a project,
        a `tasks.py` of invoke tasks (one of Celery tasks serves the application)."""
        key = (folder, name)
        if key not in self._read:
            head = _head(self.root / folder / name)
            self._read[key] = _DECLARES[name].search(head) is not None
        return self._read[key]


_DECLARES = {
    "setup.py": re.compile(r"^\s*(?:from|import)\s+(?:setuptools|distutils)\b|^setup\(", re.M),
    "pyproject.toml": re.compile(r"^\[(?:project|tool\.poetry)\]", re.M),
    "tasks.py": re.compile(r"^\s*(?:from|import)\s+invoke\b", re.M),
}


def _head(path: Path, limit: int = 65536) -> str:
    try:
        with open(path, "rb") as fh:
            return fh.read(limit).decode("utf-8", "replace")
    except OSError:
        return ""


def _excluded(rel: str, spec: pathspec.PathSpec | None) -> bool:
    parts = rel.split("/")
    if any(p in EXCLUDED_DIRS or p.endswith(".egg-info") for p in parts[:-1]):
        return True
    return _matches(spec, rel)


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
    root: Path,
    exclude: list[str] | tuple[str, ...] = (),
    include_tests: bool = False,
    include: list[str] | tuple[str, ...] = (),
) -> ProjectFiles:
    """The project's files below `root`, minus virtualenvs, build output and `exclude`, and
    minus code that does not serve requests unless `include` matches it (`include_tests`
    keeps tests and examples): tests, migrations, management commands, release scripts and
    offline tools, examples, vendored trees. `left_out` counts the Python files each of
    these rules left out. When they leave nothing but examples, the examples are scanned."""
    spec = _spec(exclude)
    keep = _spec(include)
    listed = _git_files(root)
    links: list[str] = []
    if listed is None:
        listed = []
        _walk(str(root), listed, links)
    else:
        listed = [rel for rel in listed if not _link_or_gone(root / rel, rel, links)]
    real_root = root.resolve()
    skipped = []
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
    files = []
    for rel in sorted(set(listed)):
        if not _decodable(rel):
            # A name that is not UTF-8 cannot be a module name, nor be written to a report.
            shown = rel.encode("utf-8", "surrogateescape").decode("utf-8", "replace")
            skipped.append(Skipped(shown, "the file name is not valid UTF-8"))
        elif not _excluded(rel, spec):
            files.append(rel)
    layout = _Layout(root, files)
    python, other = [], []
    left: dict[str, list[str]] = {}
    for rel in files:
        if not rel.endswith(".py"):
            if VENDOR_DIRS.isdisjoint(rel.split("/")[:-1]) or _matches(keep, rel):
                other.append(rel)
            continue
        why = layout.reason(rel)
        if why is None or (include_tests and why in (TESTS, EXAMPLES)) or _matches(keep, rel):
            python.append(rel)
        else:
            left.setdefault(why, []).append(rel)
    scanned_examples = not python and EXAMPLES in left
    if scanned_examples:
        python = left.pop(EXAMPLES)
    vendored = _vendored_packages(python, layout, keep)
    if vendored:
        inside = {rel for rel in python if _owner(rel, vendored) and not _matches(keep, rel)}
        left.setdefault(VENDORED, []).extend(sorted(inside))
        python = [rel for rel in python if rel not in inside]
        other = [rel for rel in other if not _owner(rel, vendored) or _matches(keep, rel)]
    return ProjectFiles(
        tuple(python),
        tuple(other),
        tuple(skipped),
        {why: len(left[why]) for why in REASONS if why in left},
        scanned_examples,
        {rel: why for why, paths in left.items() for rel in paths},
    )


def _decodable(rel: str) -> bool:
    try:
        rel.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _spec(patterns: list[str] | tuple[str, ...]) -> pathspec.PathSpec | None:
    if not patterns:
        return None
    from pathspec import GitIgnoreSpec

    return GitIgnoreSpec.from_lines(patterns)


def _matches(spec: pathspec.PathSpec | None, rel: str) -> bool:
    return spec is not None and spec.match_file(rel)


def _owner(rel: str, folders: set[str]) -> str | None:
    """The outermost of `folders` that holds `rel`, or None."""
    cut = rel.find("/")
    while cut != -1:
        if rel[:cut] in folders:
            return rel[:cut]
        cut = rel.find("/", cut + 1)
    return None


def _vendored_packages(
    python: list[str], layout: _Layout, keep: pathspec.PathSpec | None
) -> set[str]:
    """Sub-folders with packaging of their own, carried inside a project: the scan's root is
    packaged too and has code outside them. Each holds fewer Python files than that code, and
    together they hold at most half the Python files: a monorepo's `backend/` that is all or
    most of the code is where the service lives, and sibling services (`demos/chat/`,
    `demos/polls/`) in a folder that is no project are all scanned."""
    if not layout.is_packaged(""):
        return set()
    packaged = {folder for folder in layout.packaging if folder and layout.is_packaged(folder)}
    if not packaged:
        return set()
    sizes: dict[str, int] = {}
    outside = 0
    for rel in python:
        if _matches(keep, rel):
            continue  # kept on purpose: neither vendored nor a measure of what is
        folder = _owner(rel, packaged)
        if folder is None:
            outside += 1
        else:
            sizes[folder] = sizes.get(folder, 0) + 1
    vendored = {folder for folder, size in sizes.items() if size < outside}
    if 2 * sum(sizes[folder] for folder in vendored) > outside + sum(sizes.values()):
        return set()
    return vendored


def _link_or_gone(path: Path, rel: str, links: list[str]) -> bool:
    """Set links and special files aside for checking; drop what git lists but is gone."""
    try:
        if path.is_symlink() or (os.path.lexists(path) and not path.is_file()):
            links.append(rel)
            return True
        return not path.is_file()
    except OSError:
        return True


def module_name(rel: str, packages: frozenset[str], root_package: str = "") -> tuple[str, bool]:
    """The dotted module name of a file and whether it is a package's `__init__`.

    Leading folders without `__init__.py` (src/, a service's own folder) are not part
    of the name, so `src/shop/auth.py` is `shop.auth`. When the scan starts inside a
    package, `root_package` (see `package_of_root`) leads the names of the files that
    hang from it, so `from shop.auth import x` still resolves.
    """
    parts = rel[:-3].split("/")
    leaf, dirs = parts[-1], parts[:-1]
    is_package = leaf == "__init__"
    names = [] if is_package else [leaf]
    depth = len(dirs)
    while depth > 0 and "/".join(dirs[:depth]) in packages:
        names.insert(0, dirs[depth - 1])
        depth -= 1
    if root_package and depth == 0 and "" in packages:
        names.insert(0, root_package)
    return ".".join(names) or leaf, is_package


def package_of_root(root: Path) -> str:
    """The dotted name of the package the scan root is (`shop` for a root holding
    `__init__.py`, `app.shop` when its parent is a package too), or ''."""
    names: list[str] = []
    folder = root.resolve()
    while (folder / "__init__.py").is_file() and folder.name.isidentifier():
        names.insert(0, folder.name)
        folder = folder.parent
    return ".".join(names)
