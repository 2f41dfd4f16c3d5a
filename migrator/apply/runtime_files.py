"""Where the runtime goes in the target, and which of its parts a phase renders.

The runtime is a package `_stateless` inside the target's outermost package that lies under the
folder `apply` was given (`app/_stateless`, imported as `app._stateless`), or beside the modules
when they are in no package. It carries the components migrated so far: those an earlier phase
registered in the runtime's `components.py` and those this phase migrates. A phase that
migrates none renders nothing, so a service where no component uses the runtime gets none.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path

from migrator.apply.import_root import ImportRoots
from migrator.apply.runtime_registry import registered_components
from migrator.apply.text_files import with_newline
from migrator.model import Finding
from migrator.runtime import RUNTIME_DIR, Component, render_runtime


def place_runtime(roots: ImportRoots, root: Path, findings: Sequence[Finding]) -> tuple[str, str]:
    """(importable runtime package, the folder that holds it, relative to root) for these
    findings, the first one in a package deciding."""
    base = root.resolve()
    for finding in findings:
        file = base / finding.path
        module = roots.module_of(file).split(".")
        packages = module if file.name == "__init__.py" else module[:-1]
        for depth in range(1, len(packages) + 1):
            name = ".".join(packages[:depth])
            folder = roots.package_folder(name, file)
            if folder is not None and folder.is_relative_to(base):
                return f"{name}.{RUNTIME_DIR}", _relative(folder, base)
    beside = (base / findings[0].path).parent if findings else base
    return RUNTIME_DIR, _relative(beside, base)


def runtime_components(
    root: Path, runtime_dir: str, migrated: Sequence[Component]
) -> list[Component]:
    """The components the runtime must carry after this phase: the registered ones, updated by
    those `migrated` now; none when this phase migrates none (the runtime stays as it is)."""
    if not migrated:
        return []
    folder = root / runtime_dir / RUNTIME_DIR if runtime_dir else root / RUNTIME_DIR
    now = {c.name: c for c in migrated}
    kept = [c for c in registered_components(folder) if c.name not in now]
    return [*kept, *migrated]


def runtime_texts(
    runtime: str,
    runtime_dir: str,
    components: Sequence[Component],
    key_prefix: str,
    package_fallback: str,
    newline: str,
) -> dict[str, str]:
    """The rendered runtime by path relative to root, in the project's newline."""
    if not components:
        return {}
    package = runtime.rpartition(".")[0] or package_fallback
    return {
        f"{runtime_dir}/{rel}" if runtime_dir else rel: with_newline(text, newline)
        for rel, text in render_runtime(package, components, key_prefix).items()
    }


def _relative(folder: Path, base: Path) -> str:
    shown = os.path.relpath(folder, base).replace(os.sep, "/")
    return "" if shown == "." else shown
