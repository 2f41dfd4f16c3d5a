"""Add the store clients the generated runtime needs to one dependency list, formatting kept.

Each editor takes a file's text and the requirements to add, and returns a `ListEdit`: the
new text (the same text when every requirement is already declared), whether the file
declares the project's dependencies at all, notes for a person, and the requirements files the
list is read from. The TOML lists are edited with `tomlkit` (comments, order and layout stay):
`[project] dependencies` (PEP 621: setuptools, PDM, Hatch, uv, Poetry 2), Poetry's
`[tool.poetry.dependencies]` and a Pipfile's `[packages]`. Whether a list already has a
requirement is decided by `packaging`: the same project name (PEP 503) with the extras and a
version the runtime needs; a name declared with another version or without the extras is left
as it is, with a note.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

import tomlkit
from packaging.requirements import InvalidRequirement, Requirement
from packaging.specifiers import InvalidSpecifier, SpecifierSet
from packaging.utils import canonicalize_name
from packaging.version import InvalidVersion, Version
from tomlkit.exceptions import TOMLKitError

# Specifier operators whose version is the lowest one a declaration lets in.
_LOWER_BOUNDS = ("==", "===", ">=", "~=", ">")


@dataclass(frozen=True)
class ListEdit:
    """One dependency file after adding: its text, whether it declares the dependencies, what a
    person must check, and the requirements files it is read from (as written in it)."""

    text: str
    declared: bool = False
    notes: tuple[str, ...] = ()
    reads: tuple[str, ...] = field(default_factory=tuple)


def parse_requirement(line: str) -> Requirement | None:
    """The requirement a declaration names, or None when it names none (an URL, an option)."""
    try:
        return Requirement(line.strip())
    except InvalidRequirement:
        return None


def still_needed(
    declared: Iterable[Requirement], wanted: Requirement, where: str
) -> tuple[bool, str]:
    """(whether `wanted` must be added, a note for a person or "").

    Declared under the same name, it is never added twice; when that declaration may install a
    version `wanted` excludes, or lacks its extras, the note says so."""
    name = canonicalize_name(wanted.name)
    same = [d for d in declared if canonicalize_name(d.name) == name]
    if not same:
        return True, ""
    if any(_covers(d, wanted) for d in same):
        return False, ""
    return False, (
        f"`{where}` declares `{same[0]}`; the migrated code needs `{wanted}`: check that "
        "the version installed qualifies"
    )


def _covers(declared: Requirement, wanted: Requirement) -> bool:
    if not set(wanted.extras) <= set(declared.extras):
        return False
    if not wanted.specifier:
        return True
    lowest = [
        _version(spec.version)
        for spec in declared.specifier
        if spec.operator in _LOWER_BOUNDS and not spec.version.endswith(".*")
    ]
    return any(v is not None and wanted.specifier.contains(v, prereleases=True) for v in lowest)


def _version(text: str) -> Version | None:
    try:
        return Version(text)
    except InvalidVersion:
        return None


def pep621(text: str, wanted: Sequence[Requirement], where: str = "pyproject.toml") -> ListEdit:
    """`[project] dependencies` of a pyproject.toml, unless they are `dynamic`; the files a
    setuptools `[tool.setuptools.dynamic] dependencies = {file = [...]}` reads otherwise."""
    document = _parse(text)
    project = document.get("project") if document is not None else None
    if not isinstance(project, dict):
        return ListEdit(text)
    if "dependencies" in project.get("dynamic", ()):
        dynamic = document.get("tool", {}).get("setuptools", {}).get("dynamic", {})
        files = dynamic.get("dependencies", {}).get("file", ()) if isinstance(dynamic, dict) else ()
        files = [files] if isinstance(files, str) else list(files)
        if files:
            return ListEdit(text, declared=True, reads=tuple(str(f) for f in files))
        note = (
            f"`{where}` computes its dependencies (`dynamic`); add {_quoted(wanted)} where they "
            "come from"
        )
        return ListEdit(text, declared=True, notes=(note,))
    current = project.get("dependencies")
    if current is None and isinstance(_poetry_table(document), dict):
        return ListEdit(text)  # Poetry 2 with its dependencies in its own table
    declared = [r for r in map(parse_requirement, current or ()) if r is not None]
    added, notes = requirements_to_add(declared, wanted, where)
    if not added:
        return ListEdit(text, declared=True, notes=notes)
    if current is None:
        project["dependencies"] = [str(r) for r in added]
    else:
        for requirement in added:
            current.append(str(requirement))
    return ListEdit(tomlkit.dumps(document), declared=True, notes=notes)


def poetry(text: str, wanted: Sequence[Requirement], where: str = "pyproject.toml") -> ListEdit:
    """`[tool.poetry.dependencies]`: `redis = ">=5"`, extras in an inline table."""
    document = _parse(text)
    table = _poetry_table(document)
    if not isinstance(table, dict):
        return ListEdit(text)
    return _name_table(document, table, wanted, where)


def pipfile(text: str, wanted: Sequence[Requirement], where: str = "Pipfile") -> ListEdit:
    """A Pipfile's `[packages]`, in the same form as Poetry's table."""
    document = _parse(text)
    table = document.get("packages") if document is not None else None
    if not isinstance(table, dict):
        return ListEdit(text)
    return _name_table(document, table, wanted, where)


def _name_table(document: Any, table: Any, wanted: Sequence[Requirement], where: str) -> ListEdit:
    """A table of `name = "version"` or `name = {version = ..., extras = [...]}`."""
    declared = [_from_table(name, value) for name, value in table.items()]
    added, notes = requirements_to_add([d for d in declared if d is not None], wanted, where)
    for requirement in added:
        spec = str(requirement.specifier) or "*"
        if requirement.extras or requirement.marker:
            value = tomlkit.inline_table()
            value["version"] = spec
            if requirement.extras:
                value["extras"] = sorted(requirement.extras)
            if requirement.marker:
                value["markers"] = str(requirement.marker)
            table[requirement.name] = value
        else:
            table[requirement.name] = spec
    text = tomlkit.dumps(document)
    return ListEdit(text, declared=True, notes=notes)


def _from_table(name: str, value: Any) -> Requirement | None:
    """A Poetry or Pipfile entry as a requirement (a version Poetry writes `^1.2` is not PEP 440:
    it names the package and nothing more)."""
    version = value.get("version", "") if isinstance(value, dict) else value
    extras = value.get("extras", []) if isinstance(value, dict) else []
    requirement = parse_requirement(f"{name}[{','.join(map(str, extras))}]" if extras else name)
    if requirement is None:
        return None
    if isinstance(version, str) and version not in ("", "*"):
        # Poetry's `^5.1` and `~5.1` let in 5.1 and up to a bound: their lowest version is 5.1.
        if version.startswith("^") or (version.startswith("~") and not version.startswith("~=")):
            version = ">=" + version[1:]
        try:
            requirement.specifier = SpecifierSet(version)
        except InvalidSpecifier:
            pass
    return requirement


def requirements_to_add(
    declared: Sequence[Requirement], wanted: Sequence[Requirement], where: str
) -> tuple[list[Requirement], tuple[str, ...]]:
    added: list[Requirement] = []
    notes: list[str] = []
    for requirement in wanted:
        needed, note = still_needed(declared, requirement, where)
        if needed:
            added.append(requirement)
        if note:
            notes.append(note)
    return added, tuple(notes)


def _poetry_table(document: Any) -> Any:
    tool = document.get("tool", {}) if document is not None else {}
    poetry = tool.get("poetry", {}) if isinstance(tool, dict) else {}
    return poetry.get("dependencies") if isinstance(poetry, dict) else None


def _parse(text: str) -> Any:
    try:
        return tomlkit.parse(text)
    except TOMLKitError:
        return None


def _quoted(wanted: Sequence[Requirement]) -> str:
    return ", ".join(f"`{r}`" for r in wanted)
