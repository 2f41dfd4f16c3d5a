"""The components a runtime already in the target carries: its `components.py`, read as data.

Earlier phases rendered the runtime with the components they migrated; that registry, not the
plan, says which ones were migrated (a component the plan listed may have been refused). It is
read with `ast` and only literal values are taken: nothing in the target runs.
"""

from __future__ import annotations

import ast
from pathlib import Path

from migrator.apply.text_files import read_source
from migrator.runtime import Component


def registered_components(runtime_folder: Path) -> list[Component]:
    """The components listed in `runtime_folder/components.py`; none when it is absent or
    not as `apply` wrote it."""
    try:
        tree = ast.parse(read_source(runtime_folder / "components.py").removeprefix("\ufeff"))
    except (OSError, SyntaxError, ValueError):
        return []
    found: list[Component] = []
    for node in ast.walk(tree):
        if not (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Name)
            and node.func.id == "ComponentSpec"
        ):
            continue
        try:
            args = [ast.literal_eval(arg) for arg in node.args]
            keywords = {k.arg: ast.literal_eval(k.value) for k in node.keywords if k.arg}
            found.append(Component(*args, **keywords))
        except (ValueError, TypeError, SyntaxError):
            continue
    return found
