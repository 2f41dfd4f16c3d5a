"""What `apply` knows about the target's tree before it edits anything.

Which Python files it may edit (the scan's default exclusions apply: tests, migrations,
management commands, release scripts, examples and vendored code are never touched), how each
file is named as a module (`ImportRoots`), and the newline new files get.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from migrator.apply.import_root import ImportRoots
from migrator.apply.text_files import project_newline
from migrator.inventory.files import (
    COMMANDS,
    EXAMPLES,
    MIGRATIONS,
    SCRIPTS,
    TESTS,
    VENDORED,
    list_project_files,
)
from migrator.settings import Settings

# How a reason of the scan's default exclusions reads in a sentence about one file.
_WHAT_IT_IS = {
    TESTS: "a test, fixture or documentation file",
    MIGRATIONS: "a database migration",
    COMMANDS: "a management command",
    SCRIPTS: "a release script or offline tool",
    EXAMPLES: "an example",
    VENDORED: "vendored code",
}
_NEWLINE_SAMPLE = 50  # files read to find the project's newline
_IMPORT_SAMPLE = 300  # files whose imports are read to find the import root
_SAMPLE_BYTES = 8192


@dataclass(frozen=True)
class TargetLayout:
    root: Path
    roots: ImportRoots
    editable: frozenset[str]  # Python files `apply` may edit, relative to root
    left_out: dict[str, str]  # Python files it never edits -> the scan's reason
    newline: str  # for the files `apply` creates

    @classmethod
    def read(cls, root: Path, settings: Settings, samples: Iterable[str] = ()) -> TargetLayout:
        """The layout of the target at `root`; `samples` are files (relative to root) whose
        imports show where the import root is."""
        files = list_project_files(root, settings.exclude, settings.include_tests, settings.include)
        # The phase's own files first, then the service's other modules: their imports show
        # where the import root is (a namespace package is named only by its importers).
        chosen = list(dict.fromkeys([*samples, *files.python]))[:_IMPORT_SAMPLE]
        roots = ImportRoots.find(root, [root / path for path in chosen if (root / path).is_file()])
        heads = [_head(root / path) for path in files.python[:_NEWLINE_SAMPLE]]
        return cls(
            root, roots, frozenset(files.python), dict(files.reasons), project_newline(heads)
        )

    def module_of(self, path: str) -> str:
        """The dotted module of the Python file at `path` (relative to root)."""
        return self.roots.module_of(self.root / path)

    def why_not_editable(self, path: str) -> str | None:
        """Why `apply` must not edit `path` (relative to root), or None when it may."""
        if path in self.editable or not path.endswith(".py"):
            return None
        reason = self.left_out.get(path)
        what = _WHAT_IT_IS.get(reason, "") if reason else "left out of the scan"
        what = what or reason or "left out of the scan"
        return f"`{path}` is {what}, which `apply` never edits"


def _head(path: Path) -> str:
    try:
        with open(path, "rb") as fh:
            return fh.read(_SAMPLE_BYTES).decode("utf-8", "replace")
    except OSError:
        return ""
