"""Where a project's packaging says its packages live: `(folder, dotted name)` pairs.

A name of `""` marks a folder Python puts on `sys.path` (`src/` in a src layout); a dotted name
marks a package's own folder (`package-dir = {"app" = "lib"}`, Poetry's `packages`). Read from
`pyproject.toml` (setuptools, Poetry, PDM, Hatch), `setup.cfg` and the literals of `setup.py`;
nothing is guessed from file names here, and a file that cannot be read adds nothing.
"""

from __future__ import annotations

import ast
import configparser
import sys
from pathlib import Path
from typing import Any

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - the project declares tomli for 3.10
    import tomli as tomllib

Place = tuple[Path, str]


def package_places(folder: Path) -> list[Place]:
    """What the packaging files in `folder` declare, in no particular order."""
    places: list[Place] = []
    places += _pyproject(folder)
    places += _setup_cfg(folder)
    places += _setup_py(folder)
    return places


def _pyproject(folder: Path) -> list[Place]:
    try:
        data = tomllib.loads((folder / "pyproject.toml").read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError):
        return []
    tool = _table(data, "tool")
    places: list[Place] = []
    setuptools = _table(tool, "setuptools")
    places += _package_dir(folder, setuptools.get("package-dir"), setuptools.get("packages"))
    found = _table(_table(setuptools, "packages"), "find")
    places += [(folder / where, "") for where in _strings(found.get("where"))]
    for entry in _table(tool, "poetry").get("packages", ()):
        if isinstance(entry, dict) and isinstance(entry.get("include"), str):
            base = folder / str(entry.get("from", "."))
            name = entry["include"].removesuffix(".py")
            if name.isidentifier():
                places.append((base / name, name))
    pdm_dir = _table(_table(tool, "pdm"), "build").get("package-dir")
    if isinstance(pdm_dir, str):
        places.append((folder / pdm_dir, ""))
    wheel = _table(_table(_table(_table(tool, "hatch"), "build"), "targets"), "wheel")
    for path in _strings(wheel.get("packages")):
        name = Path(path).name
        if name.isidentifier():
            places.append((folder / path, name))
    return places


def _setup_cfg(folder: Path) -> list[Place]:
    parser = configparser.ConfigParser(interpolation=None)
    try:
        parser.read_string((folder / "setup.cfg").read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, configparser.Error):
        return []
    places: list[Place] = []
    mapping: dict[str, str] = {}
    for line in parser.get("options", "package_dir", fallback="").splitlines():
        name, equals, where = line.partition("=")
        if equals:
            mapping[name.strip()] = where.strip()
    places += _package_dir(folder, mapping, None)
    where = parser.get("options.packages.find", "where", fallback="").strip()
    if where:
        places.append((folder / where, ""))
    return places


def _setup_py(folder: Path) -> list[Place]:
    try:
        tree = ast.parse((folder / "setup.py").read_bytes())
    except (OSError, SyntaxError, ValueError):
        return []
    places: list[Place] = []
    for node in ast.walk(tree):
        if not (isinstance(node, ast.Call) and _called(node) == "setup"):
            continue
        keywords = {k.arg: k.value for k in node.keywords if k.arg}
        mapping = _literal(keywords.get("package_dir"))
        packages = keywords.get("packages")
        places += _package_dir(folder, mapping, _literal(packages))
        if isinstance(packages, ast.Call) and _called(packages) == "find_packages":
            where = packages.args[0] if packages.args else None
            where = next((k.value for k in packages.keywords if k.arg == "where"), where)
            if isinstance(_literal(where), str):
                places.append((folder / _literal(where), ""))
    return places


def _package_dir(folder: Path, mapping: Any, packages: Any) -> list[Place]:
    """setuptools' `package_dir` ({"": "src"}, {"app": "lib"}) and `packages` ["app", ...]."""
    mapping = mapping if isinstance(mapping, dict) else {}
    places: list[Place] = []
    for name, where in mapping.items():
        if isinstance(name, str) and isinstance(where, str):
            places.append((folder / where, name))
    base = folder / mapping.get("", ".") if isinstance(mapping.get("", "."), str) else folder
    for name in _strings(packages):
        if all(part.isidentifier() for part in name.split(".")) and name not in mapping:
            places.append((base.joinpath(*name.split(".")), name))
    return places


def _table(data: Any, key: str) -> dict[str, Any]:
    value = data.get(key) if isinstance(data, dict) else None
    return value if isinstance(value, dict) else {}


def _strings(value: Any) -> list[str]:
    return [v for v in value if isinstance(v, str)] if isinstance(value, list) else []


def _called(call: ast.Call) -> str:
    func = call.func
    return func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")


def _literal(node: ast.expr | None) -> Any:
    if node is None:
        return None
    try:
        return ast.literal_eval(node)
    except (ValueError, SyntaxError, TypeError):
        return None
