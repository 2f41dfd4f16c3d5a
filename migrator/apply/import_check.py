"""After the rewrite: every import a phase adds to the target must find its module.

A codemod that names the runtime `utils._stateless` where the package is `app.utils` writes
code that fails on import; this check finds it before anything is written. It looks at the
imports a phase added to a module (not those it already had) that name the target's own code:
relative imports, and absolute ones whose first name is one `apply` chose (the runtime's
package, a component's module) or a module of the tree.
"""

from __future__ import annotations

import ast
from collections.abc import Iterable, Mapping
from pathlib import Path

from migrator.apply.import_root import ImportRoots


class UnresolvedImport(ValueError):
    """The phase would add an import that does not resolve; the message is one line."""


def check_added_imports(
    root: Path,
    before: Mapping[str, str],
    after: Mapping[str, str],
    roots: ImportRoots,
    ours: Iterable[str],
) -> None:
    """Raise UnresolvedImport for the first added import of the target's code that finds
    nothing. `before`/`after`: old and new texts by path relative to `root` (new files have
    no old text); `ours`: the dotted modules `apply` made the codemods import."""
    base = root.resolve()
    created = {(base / path).resolve() for path in after if path not in before}
    tops = {module.split(".")[0] for module in ours}
    for path, text in sorted(after.items()):
        if not path.endswith(".py") or path not in before:
            continue  # a generated file imports only what is generated beside it
        file = (base / path).resolve()
        for module, line in added_imports(before[path], text, file, roots):
            first = module.split(".")[0]
            if first not in tops and not roots.resolves(first, file, created):
                continue  # a library's module: the dependency files say where it comes from
            if not roots.resolves(module, file, created):
                where, _name = roots.root_of(file)
                shown = where.relative_to(roots.top).as_posix() if where != roots.top else "."
                raise UnresolvedImport(
                    f"{path}:{line}: the rewrite would import `{module}`, which is not found "
                    f"from the import root `{shown}`; nothing was written"
                )


def added_imports(old: str, new: str, file: Path, roots: ImportRoots) -> list[tuple[str, int]]:
    """(absolute module, line) of each import in `new` that `old` did not have."""
    had = {module for module, _line in _imports(old, file, roots)}
    return [(module, line) for module, line in _imports(new, file, roots) if module not in had]


def _imports(text: str, file: Path, roots: ImportRoots) -> list[tuple[str, int]]:
    try:
        tree = ast.parse(text.removeprefix("\ufeff"))
    except (SyntaxError, ValueError):
        return []
    module = roots.module_of(file)
    package = module if file.name == "__init__.py" else module.rpartition(".")[0]
    found: list[tuple[str, int]] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [(alias.name, node.lineno) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level == 0:
                if node.module:
                    found.append((node.module, node.lineno))
                continue
            base = package.split(".") if package else []
            base = base[: len(base) - (node.level - 1)] if node.level > 1 else base
            name = ".".join([*base, *([node.module] if node.module else [])])
            if name:
                found.append((name, node.lineno))
    return found
