"""Add requirements to `setup.py`'s `install_requires`, edited with libcst.

`install_requires=[...]`, or a module-level name bound to a list literal, gains the missing
requirements after its last element, laid out like the others. Any other expression is not
guessed at: the string literals it reads (`open("requirements.txt")`, also in the `with` that
binds the name) are reported in `reads`, so the requirements files it reads are edited
instead; with none, a note asks a person to add the requirement.
"""

from __future__ import annotations

from collections.abc import Sequence

import libcst as cst
import libcst.matchers as m
from packaging.requirements import Requirement

from .dependencies import ListEdit, parse_requirement, requirements_to_add
from .framework_backends import insert_after

_FILE_SUFFIXES = (".txt", ".in")


def setup_py(text: str, wanted: Sequence[Requirement], where: str = "setup.py") -> ListEdit:
    """See the module's docstring; a setup.py that does not parse or passes no
    `install_requires` declares nothing."""
    try:
        module = cst.parse_module(text)
    except cst.ParserSyntaxError:
        return ListEdit(text)
    argument = next(iter(m.findall(module, m.Arg(keyword=m.Name("install_requires")))), None)
    if not isinstance(argument, cst.Arg):
        return ListEdit(text)
    value: cst.BaseExpression | None = argument.value
    sources: list[cst.CSTNode] = [argument.value]
    if isinstance(value, cst.Name):
        sources = list(_bindings(module, value.value))
        value = next((s.value for s in sources if isinstance(s, cst.Assign)), None)
    if not isinstance(value, cst.List):
        reads = tuple(sorted({name for s in sources for name in _file_names(s)}))
        if reads:
            return ListEdit(text, declared=True, reads=reads)
        note = (
            f"`{where}` computes `install_requires`; add "
            + ", ".join(f"`{r}`" for r in wanted)
            + " to it by hand"
        )
        return ListEdit(text, declared=True, notes=(note,))
    declared = [
        r
        for e in value.elements
        if isinstance(e.value, cst.SimpleString) and isinstance(e.value.evaluated_value, str)
        for r in [parse_requirement(e.value.evaluated_value)]
        if r is not None
    ]
    added, notes = requirements_to_add(declared, wanted, where)
    if not added:
        return ListEdit(text, declared=True, notes=notes)
    new = module.deep_replace(value, _with_elements(value, added))
    assert isinstance(new, cst.Module)
    return ListEdit(new.code, declared=True, notes=notes)


def _with_elements(target: cst.List, added: Sequence[Requirement]) -> cst.List:
    extra = [cst.Element(cst.SimpleString(_string(str(r)))) for r in added]
    if not target.elements:
        return target.with_changes(elements=extra)
    elements = insert_after(
        list(target.elements), len(target.elements) - 1, extra, target.lbracket.whitespace_after
    )
    return target.with_changes(elements=elements)


def _string(value: str) -> str:
    """A Python string literal of `value` (a requirement holds no quote or backslash)."""
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _bindings(module: cst.Module, name: str) -> list[cst.CSTNode]:
    """Every module-level `name = ...` and the `with` statements that hold one."""
    found: list[cst.CSTNode] = []
    target = m.AssignTarget(m.Name(name))

    class _Finder(cst.CSTVisitor):
        def __init__(self) -> None:
            self.withs: list[cst.With] = []

        def visit_FunctionDef(self, node: cst.FunctionDef) -> bool:
            return False

        def visit_With(self, node: cst.With) -> None:
            self.withs.append(node)

        def leave_With(self, original_node: cst.With) -> None:
            self.withs.pop()

        def visit_Assign(self, node: cst.Assign) -> None:
            if any(m.matches(t, target) for t in node.targets):
                found.append(node)
                found.extend(item for w in self.withs for item in w.items)

    module.visit(_Finder())
    return found


def _file_names(node: cst.CSTNode) -> set[str]:
    """String literals in `node` that name a requirements-like file."""
    names: set[str] = set()
    for string in m.findall(node, m.SimpleString()):
        assert isinstance(string, cst.SimpleString)
        value = string.evaluated_value
        if isinstance(value, str) and value.endswith(_FILE_SUFFIXES) and "\n" not in value:
            names.add(value)
    return names
