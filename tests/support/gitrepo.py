"""Real git repositories of `examples/flask_shop` in a temporary folder, and the real CLI on them.

Every command runs in a subprocess with an environment of its own: HOME in the test's folder
(no global git config), no system git config, no inherited `STATELESS_*` settings, and the
scan cache in the test's folder. Nothing here mocks git or the CLI.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Any

REPO_ROOT = Path(__file__).resolve().parents[2]
FLASK_SHOP = REPO_ROOT / "examples" / "flask_shop"
ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")
# Leftovers of running the example's own tests in the repository; not part of the example.
NOT_SOURCE = shutil.ignore_patterns("__pycache__", ".pytest_cache", "uploads", "*.pyc")


def plain(text: str) -> str:
    """`text` without terminal colour and style codes."""
    return ANSI.sub("", text).replace("\r\n", "\n")


def isolated_env(folder: Path) -> dict[str, str]:
    """An environment for the CLI and git that reads no setting from outside `folder`."""
    home = folder / "home"
    home.mkdir(parents=True, exist_ok=True)
    env = {
        name: value
        for name, value in os.environ.items()
        if not name.startswith(("GIT_", "STATELESS_", "MIGRATOR_")) and name != "EMAIL"
    }
    env.update(
        HOME=str(home),
        XDG_CONFIG_HOME=str(home / ".config"),
        GIT_CONFIG_NOSYSTEM="1",
        # A project in the test's folder must never find a repository above it.
        GIT_CEILING_DIRECTORIES=str(folder),
        MIGRATOR_CACHE_DIR=str(folder / "scan-cache"),
        PYTHONDONTWRITEBYTECODE="1",
    )
    return env


@dataclass(frozen=True)
class Run:
    """A finished CLI run."""

    code: int
    stdout: str
    stderr: str

    @property
    def error_lines(self) -> list[str]:
        return [line for line in self.stderr.splitlines() if line.strip()]


@dataclass(frozen=True)
class Project:
    """A copy of the example shop at `root`, maybe a git repository, with its environment."""

    root: Path
    env: dict[str, str]

    def migrator(self, *args: str, extra_env: dict[str, str] | None = None) -> Run:
        """`python -m migrator ARGS` run from the project's root."""
        done = subprocess.run(
            [sys.executable, "-m", "migrator", *args],
            cwd=self.root,
            env={**self.env, **(extra_env or {})},
            capture_output=True,
            text=True,
            timeout=120,
        )
        return Run(done.returncode, done.stdout, done.stderr)

    def git(self, *args: str, check: bool = True) -> str:
        """The stdout of `git ARGS` in the project; a failure raises unless `check` is False."""
        done = subprocess.run(
            ["git", *args], cwd=self.root, env=self.env, capture_output=True, text=True
        )
        if check and done.returncode != 0:
            raise AssertionError(f"git {' '.join(args)} failed: {done.stderr.strip()}")
        return done.stdout

    @property
    def head_branch(self) -> str:
        """The checked-out branch, or "" when HEAD is detached."""
        return self.git("symbolic-ref", "--quiet", "--short", "HEAD", check=False).strip()

    @property
    def branches(self) -> set[str]:
        return set(self.git("branch", "--format=%(refname:short)").split())

    def status(self) -> list[str]:
        """`git status --porcelain` lines, untracked files listed one by one."""
        return self.git("status", "--porcelain", "--untracked-files=all").splitlines()

    def commit_count(self, revision: str = "HEAD") -> int:
        return int(self.git("rev-list", "--count", revision))

    def files(self) -> dict[str, bytes]:
        """Every file of the work tree outside `.git`, by relative path."""
        return {
            path.relative_to(self.root).as_posix(): path.read_bytes()
            for path in sorted(self.root.rglob("*"))
            if path.is_file() and ".git" not in path.relative_to(self.root).parts
        }

    def plan_json(self) -> dict[str, Any]:
        return json.loads((self.root / "migration-plan" / "plan.json").read_text("utf-8"))

    def branch_of(self, number: int) -> str:
        """The branch `apply --phase number` makes, from the slug in plan.json."""
        phase = next(p for p in self.plan_json()["phases"] if p["number"] == number)
        return f"stateless/phase-{number}-{phase['slug']}"

    def copy_to(self, folder: Path) -> Project:
        """The same project, its git history included, in `folder`."""
        root = folder / self.root.name
        shutil.copytree(self.root, root)
        return Project(root, isolated_env(folder))


def copy_shop(folder: Path) -> Project:
    """A plain copy of the example shop in `folder` (no git)."""
    root = folder / "flask_shop"
    shutil.copytree(FLASK_SHOP, root, ignore=NOT_SOURCE)
    return Project(root, isolated_env(folder))


def git_shop(folder: Path) -> Project:
    """The example shop committed on `main` in a new repository in `folder`."""
    project = copy_shop(folder)
    project.git("init", "--quiet", "--initial-branch=main")
    project.git("config", "user.name", "Shop Developer")
    project.git("config", "user.email", "dev@shop.test")
    project.git("add", "--all")
    project.git("commit", "--quiet", "-m", "The shop as it runs today")
    return project


def git_service(folder: Path, files: dict[str, str]) -> Project:
    """A small service of `files` (relative path -> text) committed on `main` in `folder`."""
    root = folder / "service"
    for relative, text in files.items():
        (root / relative).parent.mkdir(parents=True, exist_ok=True)
        (root / relative).write_text(text)
    project = Project(root, isolated_env(folder))
    project.git("init", "--quiet", "--initial-branch=main")
    project.git("config", "user.name", "Service Developer")
    project.git("config", "user.email", "dev@service.test")
    project.git("add", "--all")
    project.git("commit", "--quiet", "-m", "The service as it runs today")
    return project


class ShopStates:
    """The shop repository after `plan`, after phase 1 and after phase 2, each built once.

    Tests copy a state (`copy_to`) instead of running the commands that lead to it again.
    """

    def __init__(self, folder: Path) -> None:
        self.folder = folder

    def _must(self, project: Project, *args: str) -> Run:
        run = project.migrator(*args)
        if run.code != 0:
            raise AssertionError(f"migrator {' '.join(args)} exited {run.code}: {run.stderr}")
        return run

    @cached_property
    def planned(self) -> Project:
        project = git_shop(self.folder / "planned")
        self._must(project, "plan", ".")
        return project

    @cached_property
    def phase1(self) -> Project:
        project = self.planned.copy_to(self.folder / "phase1")
        self._must(project, "apply", ".", "--phase", "1")
        return project

    @cached_property
    def phase2_run(self) -> tuple[Project, Run]:
        """The repository after phase 2 and the output of `apply --phase 2`."""
        project = self.phase1.copy_to(self.folder / "phase2")
        return project, self._must(project, "apply", ".", "--phase", "2")
