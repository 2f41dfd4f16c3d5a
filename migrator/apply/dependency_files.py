"""Where the target declares its dependencies, and the store clients added there.

The project is the nearest folder at or above the runtime's (within the repository) that holds
a dependency declaration. In it: `pyproject.toml` (PEP 621, or Poetry's table), `setup.cfg`
`install_requires`, `setup.py` `install_requires`, a Pipfile, the requirements files these read
(`-r`, `file:`, `open(...)` in setup.py) and the project's main requirements file when a person
writes it (a generated one, or one that installs the project itself, `.`, is left alone).
A requirements file is created only when the project declares its dependencies nowhere. A lock
file beside them is reported: it is stale once a list changed.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from packaging.requirements import Requirement

from migrator.apply.text_files import keep_format, read_source, with_newline
from migrator.codemods.dependencies import ListEdit, pep621, pipfile, poetry
from migrator.codemods.requirement_files import (
    included_files,
    requirement_lines,
    requirements_file,
    setup_cfg,
)
from migrator.codemods.setup_py_requirements import setup_py

Editor = Callable[[str, Sequence[Requirement], str], ListEdit]

DECLARATIONS = ("pyproject.toml", "setup.cfg", "setup.py", "Pipfile")
MAIN_REQUIREMENTS = (
    "requirements.in",
    "requirements.txt",
    "requirements/base.in",
    "requirements/base.txt",
    "requirements/common.txt",
    "requirements/main.txt",
    "requirements/prod.txt",
    "requirements/production.txt",
)
# Each lock file and the command that refreshes it.
LOCK_FILES = {
    "uv.lock": "uv lock",
    "poetry.lock": "poetry lock",
    "pdm.lock": "pdm lock",
    "Pipfile.lock": "pipenv lock",
}
_SELF_INSTALL = frozenset({".", "-e .", "-e ./", "./"})


@dataclass(frozen=True)
class DependencyEdits:
    """New texts by absolute path, and what a person must do (refresh a lock, check a list)."""

    texts: dict[Path, str]
    notes: tuple[str, ...]


def add_dependencies(
    start: Path, top: Path, requirements: Sequence[str], newline: str = "\n"
) -> DependencyEdits:
    """Add `requirements` where the project around `start` (a folder under `top`, the
    repository) declares its dependencies; `newline` ends the lines of a created file."""
    wanted = [Requirement(r) for r in requirements]
    if not wanted:
        return DependencyEdits({}, ())
    project = project_folder(start, top)
    return _Declarations(project or start, top, wanted, newline).edit()


def project_folder(start: Path, top: Path) -> Path | None:
    """The nearest folder from `start` up to `top` that declares dependencies, or None."""
    start, top = start.resolve(), top.resolve()
    for folder in (start, *start.parents):
        if not folder.is_relative_to(top):
            return None
        names = (*DECLARATIONS, *MAIN_REQUIREMENTS)
        if any((folder / name).is_file() for name in names):
            return folder
        if folder == top:
            return None
    return None


class _Declarations:
    """The project's lists, edited in turn; each file read once and written once."""

    def __init__(self, project: Path, top: Path, wanted: list[Requirement], newline: str) -> None:
        self.project, self.top, self.wanted = project.resolve(), top.resolve(), wanted
        self.newline = newline
        self.old: dict[Path, str] = {}
        self.new: dict[Path, str] = {}
        self.notes: list[str] = []
        self.requirement_files: list[Path] = []

    def edit(self) -> DependencyEdits:
        declared = self._packaging()
        main = next(
            (self.project / n for n in MAIN_REQUIREMENTS if (self.project / n).is_file()), None
        )
        if main is not None and not self._installs_the_project(main):
            self.requirement_files.append(main)
        done: set[Path] = set()
        while self.requirement_files:
            path = self.requirement_files.pop(0).resolve()
            if path in done or not path.is_file() or not path.is_relative_to(self.top):
                continue
            done.add(path)
            declared = self._run(path, self._requirements_of(path)) or declared
        if not declared and main is None:
            path = self.project / "requirements.txt"
            self.new[path] = with_newline("".join(f"{r}\n" for r in self.wanted), self.newline)
            self.notes.append(
                "`requirements.txt` was created: the project declared its dependencies nowhere"
            )
        if self.new:
            self.notes += self._stale_locks()
        texts = {
            p: keep_format(self.old[p], t) if p in self.old else t for p, t in self.new.items()
        }
        return DependencyEdits(texts, tuple(dict.fromkeys(self.notes)))

    def _packaging(self) -> bool:
        declared = False
        pyproject = self.project / "pyproject.toml"
        if pyproject.is_file():
            edited = self._run(pyproject, pep621)
            if not edited:
                edited = self._run(pyproject, poetry)
            declared = edited
        for name, editor in (
            ("setup.cfg", setup_cfg),
            ("setup.py", setup_py),
            ("Pipfile", pipfile),
        ):
            if (self.project / name).is_file():
                declared = self._run(self.project / name, editor) or declared
        return declared

    def _run(self, path: Path, editor: Editor) -> bool:
        """Edit one list; True when the file declares the project's dependencies."""
        old = self.new.get(path) or self._read(path)
        if old is None:
            return False
        result = editor(old, self.wanted, self._shown(path))
        if result.text != old:
            self.new[path] = result.text
        self.notes += result.notes
        self.requirement_files += [path.parent / read for read in result.reads]
        return result.declared

    def _requirements_of(self, path: Path) -> Editor:
        """The editor of one requirements file, which knows what the files it includes hold."""
        elsewhere = self._included(path, set())

        def edit(text: str, wanted: Sequence[Requirement], where: str) -> ListEdit:
            return requirements_file(text, wanted, where, elsewhere)

        return edit

    def _included(self, path: Path, seen: set[Path]) -> list[Requirement]:
        """The requirements of the files `path` includes with `-r`, followed to any depth."""
        found: list[Requirement] = []
        text = self._read(path) or ""
        for name in included_files(text):
            child = (path.parent / name).resolve()
            if child in seen or not child.is_relative_to(self.top):
                continue
            seen.add(child)
            found += [r for _b, r in requirement_lines(self._read(child) or "") if r is not None]
            found += self._included(child, seen)
        return found

    def _installs_the_project(self, path: Path) -> bool:
        text = self._read(path) or ""
        return any(body in _SELF_INSTALL for body, _r in requirement_lines(text))

    def _read(self, path: Path) -> str | None:
        if path not in self.old:
            try:
                self.old[path] = read_source(path)
            except (OSError, ValueError):
                return None
        return self.old[path]

    def _shown(self, path: Path) -> str:
        return path.resolve().relative_to(self.top).as_posix()

    def _stale_locks(self) -> list[str]:
        notes = []
        for level in (self.project, *self.project.parents):
            for name, command in LOCK_FILES.items():
                if (level / name).is_file():
                    shown = (level / name).relative_to(self.top).as_posix()
                    notes.append(f"`{shown}` is stale: run `{command}` and commit it")
            if level == self.top or not level.is_relative_to(self.top):
                break
        return notes
