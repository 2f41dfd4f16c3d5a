"""A small path language for JSON answers: `lines[0].sku`, `products[sku=BK-001].price`,
`messages[*].text`, `notes.#` (a length), `$` (the whole value).

Small on purpose: a journey names a value the way a person reads an answer, and a path that
finds nothing is a result (`MISSING`), not an error.
"""

from __future__ import annotations

import re
from typing import Any

MISSING: Any = type("Missing", (), {"__repr__": lambda self: "<missing>"})()
_PART = re.compile(r"\[([^\]]*)\]|([^.\[\]]+)")


class PathError(ValueError):
    """A path that cannot be read, with the reason."""


def parse_path(path: str) -> tuple[str, ...]:
    """The parts of `path`; raises PathError when it is not one."""
    text = path.strip()
    if text in ("", "$"):
        return ()
    text = text.removeprefix("$").removeprefix(".")
    parts: list[str] = []
    at = 0
    for match in _PART.finditer(text):
        gap = text[at : match.start()]
        if gap not in ("", "."):
            raise PathError(f"cannot read the JSON path {path!r} at {gap!r}")
        parts.append(f"[{match[1]}]" if match[1] is not None else match[2])
        at = match.end()
    if text[at:] not in ("",):
        raise PathError(f"cannot read the JSON path {path!r} at {text[at:]!r}")
    return tuple(parts)


def find(value: Any, path: str) -> Any:
    """The value at `path` in `value`, a list for `[*]`, or MISSING."""
    return _find(value, parse_path(path))


def _find(value: Any, parts: tuple[str, ...]) -> Any:
    if not parts or value is MISSING:
        return value
    part, rest = parts[0], parts[1:]
    if part == "#":
        return len(value) if isinstance(value, (list, dict, str)) else MISSING
    if part == "[*]":
        if not isinstance(value, list):
            return MISSING
        found = [_find(item, rest) for item in value]
        return [item for item in found if item is not MISSING]
    if part.startswith("["):
        inner = part[1:-1].strip()
        if "=" in inner and isinstance(value, list):
            key, wanted = (s.strip() for s in inner.split("=", 1))
            chosen = (i for i in value if isinstance(i, dict) and str(i.get(key)) == wanted)
            return _find(next(chosen, MISSING), rest)
        if re.fullmatch(r"-?[0-9]+", inner) and isinstance(value, list):
            index = int(inner)
            return _find(value[index], rest) if -len(value) <= index < len(value) else MISSING
        return _find(value.get(inner, MISSING), rest) if isinstance(value, dict) else MISSING
    if isinstance(value, dict):
        return _find(value.get(part, MISSING), rest)
    if isinstance(value, list) and re.fullmatch(r"[0-9]+", part):
        return _find(value[int(part)] if int(part) < len(value) else MISSING, rest)
    return MISSING


def leaves(value: Any, prefix: str = "$") -> dict[str, Any]:
    """Every scalar in `value` by its path, and each list's and mapping's length (`path.#`)."""
    out: dict[str, Any] = {}
    if isinstance(value, dict):
        out[f"{prefix}.#"] = len(value)
        for key, item in value.items():
            out.update(leaves(item, f"{prefix}.{key}"))
    elif isinstance(value, list):
        out[f"{prefix}.#"] = len(value)
        for index, item in enumerate(value):
            out.update(leaves(item, f"{prefix}[{index}]"))
    else:
        out[prefix] = value
    return out
