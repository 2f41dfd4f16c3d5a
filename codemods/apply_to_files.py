"""Run one component codemod over the modules that use the component; return texts, write nothing.

A component is migrated in every module or in none: a module half on the store and half on the
old dict would break (``S.edit`` on a plain dict). So when any module is refused, every changed
module is ``withheld`` and no new text is returned.

A file is read as its author keeps it: its newlines (a CRLF file stays CRLF), a UTF-8 byte-order
mark (libcst drops it; it is put back) and the encoding its coding cookie names.
"""

from __future__ import annotations

import io
import tokenize
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path

import libcst as cst
from libcst.codemod import Codemod, CodemodContext, SkipFile
from libcst.helpers import ModuleNameAndPackage, calculate_module_and_package

from ._support import CodemodOutcome

BOM = "\ufeff"


@dataclass(frozen=True)
class FilesResult:
    """New texts by path relative to the root (changed files only) and one outcome a file."""

    texts: dict[str, str] = field(default_factory=dict)
    outcomes: tuple[CodemodOutcome, ...] = ()

    @property
    def refused(self) -> tuple[CodemodOutcome, ...]:
        return tuple(outcome for outcome in self.outcomes if outcome.refused)


def apply_codemod_to_files(
    root: str | Path,
    files: Iterable[str | Path],
    codemod: Codemod,
    all_or_nothing: bool = True,
    sources: Mapping[str, str] | None = None,
    module_of: Callable[[str], str] | None = None,
) -> FilesResult:
    """Run ``codemod`` over ``files`` (paths under ``root``) and return what it would write.

    Each module gets a fresh ``CodemodContext`` naming its file, module and package, so the
    codemod can tell the defining module from the importing ones. Refusals, a codemod failure and
    unparsable files become ``refused`` outcomes with a reason; warnings become notes.
    ``sources`` gives the current text of files already changed in memory (by relative path).
    ``module_of`` names the module of a relative path (the target's import root decides it);
    without it, modules are named from ``root``.
    """
    base = Path(root).resolve()
    texts: dict[str, str] = {}
    outcomes: list[CodemodOutcome] = []
    for file in files:
        path = (base / file).resolve()
        relative = path.relative_to(base).as_posix()
        old = sources.get(relative) if sources else None
        names = (
            _names(module_of(relative), path)
            if module_of
            else calculate_module_and_package(base, path)
        )
        new_text, outcome = _run_one(path, relative, codemod, names, old)
        outcomes.append(outcome)
        if outcome.status == "changed" and new_text is not None:
            texts[relative] = new_text
    if all_or_nothing and any(outcome.refused for outcome in outcomes):
        reason = "; ".join(f"{o.path}: {o.reason}" for o in outcomes if o.refused)
        withheld = [
            replace(o, status="withheld", reason=f"another module was refused ({reason})")
            if o.status == "changed"
            else o
            for o in outcomes
        ]
        return FilesResult({}, tuple(withheld))
    return FilesResult(texts, tuple(outcomes))


def _names(module: str, path: Path) -> ModuleNameAndPackage:
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    return ModuleNameAndPackage(module, package)


def read_exactly(path: Path) -> str:
    """The file's text as written: newlines kept, decoded as its coding cookie says, a UTF-8
    byte-order mark kept as a leading U+FEFF."""
    data = path.read_bytes()
    encoding, _lines = tokenize.detect_encoding(io.BytesIO(data).readline)
    with io.TextIOWrapper(io.BytesIO(data), encoding=encoding, newline="") as text:
        body = text.read()
    return BOM + body if encoding == "utf-8-sig" else body


def _run_one(
    path: Path,
    relative: str,
    codemod: Codemod,
    names: ModuleNameAndPackage,
    old_text: str | None = None,
) -> tuple[str | None, CodemodOutcome]:
    try:
        if old_text is None:
            old_text = read_exactly(path)
        tree = cst.parse_module(old_text.removeprefix(BOM))
    except (OSError, SyntaxError, UnicodeDecodeError, cst.ParserSyntaxError) as error:
        return None, CodemodOutcome(relative, "refused", f"the file could not be read: {error}")
    codemod.context = CodemodContext(
        filename=str(path), full_module_name=names.name, full_package_name=names.package
    )
    try:
        new_text = codemod.transform_module(tree).code
    except SkipFile as skipped:
        return None, CodemodOutcome(
            relative, "refused", str(skipped), tuple(codemod.context.warnings)
        )
    except Exception as error:  # a codemod bug must refuse one module, not abort the phase
        reason = f"the codemod failed ({type(error).__name__}: {error})"
        return None, CodemodOutcome(relative, "refused", reason)
    notes = tuple(codemod.context.warnings)
    if old_text.startswith(BOM):
        new_text = BOM + new_text
    status = "changed" if new_text != old_text else "unchanged"
    return new_text, CodemodOutcome(relative, status, notes=notes)
