"""Add the store client the generated runtime needs to the target's dependency lists.

`add_requirement(root, "redis>=5")` adds the requirement, once, to each list the target
declares: `pyproject.toml` `[project].dependencies` (unless `dynamic`), the main requirements
file, `setup.cfg` `[options] install_requires`, and `setup.py`'s `install_requires=[...]`
(rewritten with libcst). A list that already names the package (any version, any extras) is
left alone; everything else in each file stays byte-identical. With no list at all, a
`requirements.txt` is created. It returns the new texts and writes nothing.
"""

from __future__ import annotations

import configparser
import re
import sys
from pathlib import Path

import libcst as cst
import libcst.matchers as m

from .framework_backends import insert_after

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - the project declares tomli for 3.10
    import tomli as tomllib

MAIN_REQUIREMENTS = (
    "requirements.txt",
    "requirements/base.txt",
    "requirements/common.txt",
    "requirements/main.txt",
    "requirements/prod.txt",
    "requirements/production.txt",
)
NAME = re.compile(r"\s*([A-Za-z0-9][A-Za-z0-9._-]*)")


def add_requirement(root: Path, requirement: str) -> dict[Path, str]:
    """New texts of the dependency files under `root` that gain `requirement`."""
    wanted = package_name(requirement)
    changes: dict[Path, str] = {}
    found_any = False
    for path, add in (
        (root / "pyproject.toml", _pyproject),
        (_main_requirements(root), _requirements),
        (root / "setup.cfg", _setup_cfg),
        (root / "setup.py", _setup_py),
    ):
        if path is None or not path.is_file():
            continue
        text = path.read_text(encoding="utf-8")
        declared, new_text = add(text, requirement, wanted)
        found_any = found_any or declared
        if new_text != text:
            changes[path] = new_text
    if not found_any:
        changes[root / "requirements.txt"] = requirement + "\n"
    return changes


def package_name(requirement: str) -> str:
    """The normalised project name of a requirement string (PEP 503)."""
    match = NAME.match(requirement)
    if not match:
        raise ValueError(f"`{requirement}` does not start with a package name.")
    return re.sub(r"[-_.]+", "-", match.group(1)).lower()


def _main_requirements(root: Path) -> Path | None:
    return next((root / p for p in MAIN_REQUIREMENTS if (root / p).is_file()), None)


def _requirements(text: str, requirement: str, wanted: str) -> tuple[bool, str]:
    for line in text.splitlines():
        line = line.split("#", 1)[0].strip()
        if line and not line.startswith("-") and package_name(line) == wanted:
            return True, text
    separator = "" if text.endswith("\n") or not text else "\n"
    return True, f"{text}{separator}{requirement}\n"


def _pyproject(text: str, requirement: str, wanted: str) -> tuple[bool, str]:
    project = tomllib.loads(text).get("project")
    if not isinstance(project, dict) or "dependencies" in project.get("dynamic", ()):
        return False, text
    if any(package_name(d) == wanted for d in project.get("dependencies", ())):
        return True, text
    header = re.search(r"(?m)^\[project\]\s*$", text)
    assert header is not None
    following = re.search(r"(?m)^\[", text[header.end() :])
    end = header.end() + following.start() if following else len(text)
    key = re.compile(r"(?m)^dependencies\s*=\s*\[").search(text, header.end(), end)
    if key is None:
        at = header.end()
        return True, f'{text[:at]}\ndependencies = ["{requirement}"]{text[at:]}'
    return True, _append_to_array(text, key.end(), requirement)


def _append_to_array(text: str, start: int, requirement: str) -> str:
    """`text` with `requirement` added to the TOML array whose `[` ends at `start`."""
    close = _closing_bracket(text, start)
    inside = text[start:close]
    if "\n" not in inside:
        items = inside.strip().rstrip(",")
        joined = f'{items}, "{requirement}"' if items else f'"{requirement}"'
        return f"{text[:start]}{joined}{text[close:]}"
    last_line_start = text.rfind("\n", start, close) + 1
    before_close = text[start:last_line_start].rstrip()
    item_lines = [line for line in inside.splitlines() if line.strip()]
    indent = re.match(r"\s*", item_lines[-1]).group(0) if item_lines else "    "  # type: ignore[union-attr]
    comma = "" if not item_lines or before_close.endswith((",", "[")) else ","
    body_end = start + len(before_close)
    return f'{text[:body_end]}{comma}\n{indent}"{requirement}",\n{text[last_line_start:]}'


def _closing_bracket(text: str, start: int) -> int:
    depth, quote, position = 1, "", start
    while position < len(text):
        char = text[position]
        if quote:
            if char == "\\" and quote == '"':
                position += 1
            elif char == quote:
                quote = ""
        elif char in "\"'":
            quote = char
        elif char == "#":
            position = text.find("\n", position)
            position = len(text) if position < 0 else position
        elif char == "[":
            depth += 1
        elif char == "]":
            depth -= 1
            if depth == 0:
                return position
        position += 1
    raise ValueError("pyproject.toml has an unclosed dependencies array.")


def _setup_cfg(text: str, requirement: str, wanted: str) -> tuple[bool, str]:
    parser = configparser.ConfigParser()
    parser.read_string(text)
    if not parser.has_option("options", "install_requires"):
        return False, text
    declared = parser.get("options", "install_requires").splitlines()
    if any(line.strip() and package_name(line) == wanted for line in declared):
        return True, text
    lines = text.splitlines(keepends=True)
    in_options, key_at = False, None
    for number, line in enumerate(lines):
        if line.startswith("["):
            in_options = line.strip() == "[options]"
        elif in_options and re.match(r"install_requires\s*[=:]", line):
            key_at = number
            break
    assert key_at is not None
    last = key_at
    while last + 1 < len(lines) and lines[last + 1][:1] in (" ", "\t") and lines[last + 1].strip():
        last += 1
    indent = re.match(r"\s*", lines[last]).group(0) if last > key_at else "    "  # type: ignore[union-attr]
    if not lines[last].endswith("\n"):
        lines[last] += "\n"
    lines.insert(last + 1, f"{indent}{requirement}\n")
    return True, "".join(lines)


def _setup_py(text: str, requirement: str, wanted: str) -> tuple[bool, str]:
    module = cst.parse_module(text)
    adder = _InstallRequires(module, requirement, wanted)
    new = module.visit(adder)
    return adder.declared, new.code


class _InstallRequires(cst.CSTTransformer):
    """Appends to the list given as `install_requires=` (inline or by a module-level name)."""

    def __init__(self, module: cst.Module, requirement: str, wanted: str) -> None:
        super().__init__()
        self.requirement, self.wanted = requirement, wanted
        self.declared = False
        self.target: cst.List | None = None
        for arg in m.findall(module, m.Arg(keyword=m.Name("install_requires"))):
            assert isinstance(arg, cst.Arg)
            value = arg.value
            if isinstance(value, cst.Name):
                value = _module_list(module, value.value)
            if isinstance(value, cst.List):
                self.target, self.declared = value, True

    def leave_List(self, original_node: cst.List, updated_node: cst.List) -> cst.List:
        if original_node is not self.target:
            return updated_node
        names = {
            package_name(e.value.evaluated_value)
            for e in updated_node.elements
            if isinstance(e.value, cst.SimpleString) and isinstance(e.value.evaluated_value, str)
        }
        if self.wanted in names:
            return updated_node
        added = cst.Element(cst.SimpleString(f'"{self.requirement}"'))
        if not updated_node.elements:
            return updated_node.with_changes(elements=[added])
        elements = insert_after(
            list(updated_node.elements),
            len(updated_node.elements) - 1,
            [added],
            updated_node.lbracket.whitespace_after,
        )
        return updated_node.with_changes(elements=elements)


def _module_list(module: cst.Module, name: str) -> cst.BaseExpression | None:
    for assign in m.findall(module, m.Assign(targets=[m.AssignTarget(m.Name(name))])):
        assert isinstance(assign, cst.Assign)
        return assign.value
    return None
