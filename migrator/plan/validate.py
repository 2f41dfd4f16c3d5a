"""plan.json checked when read: a hand-edited plan is input from outside, like a request.

`apply` reads and writes the files a plan names, runs the branch its slugs name and puts its
flags and stores into generated code; so before anything is used, every path must stay inside
the target, every id must name a component, every store and flag must be one the runtime
knows. Each problem is one phrase naming the field (`phases[2].findings[0]: no component with
id 'abc'`).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path, PurePosixPath, PureWindowsPath
from typing import Any

from migrator.model import ACCESS_KINDS, CATEGORIES, SCHEMA_VERSION, Finding
from migrator.plan.flags import flag_problem
from migrator.settings import STORES

PHASE_KINDS = ("migrate", "cleanup")
# A slug is part of a branch name: `stateless/phase-N-<slug>`.
_SLUG = re.compile(r"[a-z0-9][a-z0-9-]*\Z")
_FINDING_TEXT = ("category", "symbol", "qualname", "path", "confidence", "message")


def plan_problems(data: Any, root: Path | None = None) -> list[str]:
    """What is wrong with plan.json `data`, one phrase a problem naming its field; none when
    it can be used. With `root`, paths must also resolve inside it (symbolic links followed)."""
    if not isinstance(data, dict):
        return ["plan.json must hold a JSON object"]
    version = data.get("schema_version")
    if version != SCHEMA_VERSION:
        return [
            f"schema_version: a plan of schema_version {version!r} cannot be read by this "
            f"migrator, which reads {SCHEMA_VERSION}"
        ]
    components = data.get("components", {})
    if not isinstance(components, dict):
        return ["components: must be an object of id -> component"]
    problems = list(_component_problems(components, root))
    problems += _phase_problems(data.get("phases", []), components)
    problems += _exclusion_problems(data.get("excluded", []), components)
    deployment = data.get("deployment", {})
    if not isinstance(deployment, dict) or not _is_int(deployment.get("processes", 1)):
        problems.append("deployment.processes: must be a whole number")
    return problems


def _component_problems(components: dict[str, Any], root: Path | None) -> Iterator[str]:
    flags: dict[str, str] = {}
    for key, component in components.items():
        field = f"components.{key}"
        if not isinstance(component, dict):
            yield f"{field}: must be an object"
            continue
        missing = [name for name in _FINDING_TEXT if not isinstance(component.get(name), str)]
        if missing:
            yield f"{field}.{missing[0]}: missing, or not a string"
            continue
        if not _is_int(component.get("line")):
            yield f"{field}.line: must be a whole number"
            continue
        if component["category"] not in CATEGORIES:
            yield f"{field}.category: {component['category']!r} is not a category"
            continue
        yield from _path_problems(f"{field}.path", component["path"], root)
        yield from _evidence_problems(f"{field}.evidence", component.get("evidence", []), root)
        computed = _id_of(component)
        if computed is not None and computed != key:
            yield (
                f"{field}: its category, qualname and kind give the id {computed!r}; an id "
                "names the component and cannot be edited"
            )
        store = component.get("store")
        if store is not None and store not in STORES:
            yield f"{field}.store: {store!r} is not a store (known: {', '.join(STORES)})"
        flag = component.get("flag")
        if flag is None:
            continue
        problem = flag_problem(flag)
        if problem:
            yield f"{field}.flag: {problem}"
        elif flag in flags:
            yield f"{field}.flag: {flag!r} is already the flag of components.{flags[flag]}"
        else:
            flags[flag] = key


def _evidence_problems(field: str, evidence: Any, root: Path | None) -> Iterator[str]:
    if not isinstance(evidence, list):
        yield f"{field}: must be a list"
        return
    for index, site in enumerate(evidence):
        where = f"{field}[{index}]"
        if not isinstance(site, dict) or not isinstance(site.get("path"), str):
            yield f"{where}.path: missing, or not a string"
        elif not _is_int(site.get("line")):
            yield f"{where}.line: must be a whole number"
        elif site.get("access") not in ACCESS_KINDS:
            yield f"{where}.access: must be one of {', '.join(ACCESS_KINDS)}"
        else:
            yield from _path_problems(f"{where}.path", site["path"], root)


def _path_problems(field: str, path: str, root: Path | None) -> Iterator[str]:
    """A path of the plan must name a file inside the target, relative to its root."""
    posix = PurePosixPath(path)
    if not path or "\0" in path or "\\" in path:
        yield f"{field}: {path!r} is not a relative path with '/' separators"
    elif posix.is_absolute() or PureWindowsPath(path).is_absolute() or PureWindowsPath(path).drive:
        yield f"{field}: {path!r} is absolute; paths are relative to the project's root"
    elif ".." in posix.parts:
        yield f"{field}: {path!r} leaves the project's root"
    elif root is not None:
        base = root.resolve()
        try:
            (base / path).resolve().relative_to(base)
        except (ValueError, OSError, RuntimeError):
            yield f"{field}: {path!r} resolves outside the project's root (a symbolic link)"


def _phase_problems(phases: Any, components: dict[str, Any]) -> Iterator[str]:
    if not isinstance(phases, list):
        yield "phases: must be a list"
        return
    numbers: set[int] = set()
    for index, phase in enumerate(phases):
        field = f"phases[{index}]"
        if not isinstance(phase, dict):
            yield f"{field}: must be an object"
            continue
        number = phase.get("number")
        if not isinstance(number, int) or isinstance(number, bool) or number < 1:
            yield f"{field}.number: must be a whole number from 1"
        elif number in numbers:
            yield f"{field}.number: phase {number} is listed twice"
        else:
            numbers.add(number)
        slug = phase.get("slug")
        if not isinstance(slug, str) or not _SLUG.match(slug):
            yield f"{field}.slug: {slug!r} must be lower-case letters, digits and '-'"
        if phase.get("kind", "migrate") not in PHASE_KINDS:
            yield f"{field}.kind: must be one of {', '.join(PHASE_KINDS)}"
        yield from _ids(f"{field}.findings", phase.get("findings", []), components)
        flags = phase.get("flags", [])
        if not isinstance(flags, list):
            yield f"{field}.flags: must be a list"
            continue
        for position, flag in enumerate(flags):
            problem = flag_problem(flag)
            if problem:
                yield f"{field}.flags[{position}]: {problem}"


def _exclusion_problems(excluded: Any, components: dict[str, Any]) -> Iterator[str]:
    if not isinstance(excluded, list):
        yield "excluded: must be a list"
        return
    for index, entry in enumerate(excluded):
        field = f"excluded[{index}]"
        if not isinstance(entry, dict):
            yield f'{field}: must be an object {{"id": ..., "reason": ...}}'
            continue
        yield from _ids(f"{field}.id", [entry.get("id")], components, single=True)
        if not str(entry.get("reason") or "").strip():
            yield f'{field}.reason: an excluded component needs a non-empty "reason"'


def _ids(
    field: str, ids: Any, components: dict[str, Any], *, single: bool = False
) -> Iterator[str]:
    if not isinstance(ids, list):
        yield f"{field}: must be a list of component ids"
        return
    for position, finding_id in enumerate(ids):
        where = field if single else f"{field}[{position}]"
        if not isinstance(finding_id, str) or finding_id not in components:
            yield f"{where}: no component with id {finding_id!r}"


def _id_of(component: dict[str, Any]) -> str | None:
    try:
        return Finding.from_json(component).id
    except (KeyError, TypeError, ValueError):
        return None


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)
