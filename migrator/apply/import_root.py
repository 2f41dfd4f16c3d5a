"""The dotted module of each file of the target, wherever `apply` is pointed.

Python names a module after the folder on `sys.path` it is found from (the import root), not
after the folder `apply` was given: run on `app/` where the package is `app.utils`, a file
`app/utils/cache.py` is `app.utils.cache`. The import root of a file is, in order:

1. what the packaging says (`package_places`: a src layout, `package-dir`, Poetry `packages`),
   read from the folders between the command's root and the repository's top;
2. else the first folder above the file without `__init__.py` (regular packages), or one of
   its parents when the target's own imports resolve from there more often (namespace
   packages: `from app.utils import x` where `app/` has no `__init__.py`).
"""

from __future__ import annotations

import ast
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from migrator.apply.package_dirs import Place, package_places
from migrator.apply.text_files import read_source


def repository_top(root: Path) -> Path:
    """The top of the git work tree holding `root` (`root` itself outside git)."""
    folder = root.resolve()
    for candidate in (folder, *folder.parents):
        if (candidate / ".git").exists():
            return candidate
    return folder


@dataclass
class ImportRoots:
    """Module names of files under `top`, from the packaging and the imports of `samples`."""

    top: Path
    places: list[Place]  # from packaging, deepest folders first
    samples: list[Path]  # files whose imports show where the import root is
    _imports: set[str] | None = field(default=None, repr=False)
    _counts: dict[Path, int] = field(default_factory=dict, repr=False)

    @classmethod
    def find(cls, root: Path, samples: Iterable[Path] = ()) -> ImportRoots:
        """The import roots of the target at `root`; `samples` are the files `apply` edits."""
        top = repository_top(root)
        folder = root.resolve()
        places: list[Place] = []
        for level in (folder, *folder.parents):
            places += [(where.resolve(), name) for where, name in package_places(level)]
            if level == top or not level.is_relative_to(top):
                break
        places = [(where, name) for where, name in places if where.is_dir()]
        places.sort(key=lambda place: len(place[0].parts), reverse=True)
        return cls(top, places, [Path(s).resolve() for s in samples])

    def module_of(self, file: Path) -> str:
        """The dotted module name of the Python file at `file` (a package's `__init__.py`
        names the package)."""
        folder, prefix = self.root_of(file)
        parts = list(file.resolve().relative_to(folder).with_suffix("").parts)
        if parts and parts[-1] == "__init__":
            parts.pop()
        return ".".join([p for p in prefix.split(".") if p] + parts)

    def root_of(self, file: Path) -> Place:
        """(folder, dotted name of that folder) that `file`'s module name starts from."""
        file = file.resolve()
        for where, name in self.places:
            if file.is_relative_to(where) and (name or _importable(file, where)):
                return where, name
        classic = file.parent
        while (classic / "__init__.py").is_file() and classic != self.top:
            classic = classic.parent
        best, score = classic, self._resolved_from(classic)
        for parent in classic.parents:
            if not parent.is_relative_to(self.top) or not _importable(file, parent):
                break
            count = self._resolved_from(parent)
            if count > score:
                best, score = parent, count
        return best, ""

    def package_folder(self, package: str, file: Path) -> Path | None:
        """The folder of `package`, a package that holds `file`; None when the packaging
        places `file`'s package elsewhere and says nothing of `package`'s folder."""
        folder, prefix = self.root_of(file)
        prefix_parts = [p for p in prefix.split(".") if p]
        parts = package.split(".")
        if len(parts) < len(prefix_parts):
            return None
        return folder.joinpath(*parts[len(prefix_parts) :])

    def resolves(self, module: str, file: Path, created: set[Path]) -> bool:
        """Whether `import module` in `file` finds a module or package of the tree (with the
        files `created` beside it)."""
        for folder, prefix in [*self.places, self.root_of(file)]:
            prefix_parts = [p for p in prefix.split(".") if p]
            parts = module.split(".")
            if parts[: len(prefix_parts)] != prefix_parts:
                continue
            if _exists(folder.joinpath(*parts[len(prefix_parts) :]), created):
                return True
        return False

    def _resolved_from(self, folder: Path) -> int:
        if folder not in self._counts:
            imports = self._sample_imports()
            self._counts[folder] = sum(1 for module in imports if _exists_module(folder, module))
        return self._counts[folder]

    def _sample_imports(self) -> set[str]:
        if self._imports is None:
            self._imports = set()
            for path in self.samples:
                self._imports |= absolute_imports(path)
        return self._imports


def absolute_imports(path: Path) -> set[str]:
    """The modules a file imports by absolute name (`import a.b`, `from a.b import c`)."""
    try:
        tree = ast.parse(read_source(path).removeprefix("\ufeff"))
    except (OSError, SyntaxError, ValueError):
        return set()
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            found.add(node.module)
    return found


def _importable(file: Path, folder: Path) -> bool:
    """Whether every folder between `folder` and `file` is a valid module name."""
    return all(part.isidentifier() for part in file.relative_to(folder).parent.parts)


def _exists_module(folder: Path, module: str) -> bool:
    return _exists(folder.joinpath(*module.split(".")), set())


def _exists(base: Path, created: set[Path]) -> bool:
    module_file = base.with_name(base.name + ".py")
    return (
        module_file.is_file()
        or module_file in created
        or base.is_dir()
        or any(path.is_relative_to(base) for path in created)
    )
