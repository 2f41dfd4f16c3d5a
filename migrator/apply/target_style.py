"""Rewritten code in the target's own style: its import order and its formatter, where it has them.

The target's configuration decides: ruff (`ruff.toml`, `.ruff.toml`, `[tool.ruff]`) is run
with that configuration; black (`[tool.black]`) becomes `ruff format` at black's line length;
isort (`[tool.isort]`, `.isort.cfg`, `[isort]` in setup.cfg) becomes ruff's import sorting.
A step runs on a file only when the file already passed it before the rewrite, so a file the
team never formatted gets no unrelated changes; the style step changes nothing else.
"""

from __future__ import annotations

import configparser
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - Python 3.10
    import tomli as tomllib

Step = Callable[[str, str], str | None]  # (path, text) -> the text after the step, None: failed


@dataclass(frozen=True)
class TargetStyle:
    """What the target configures: a tool a step, each with the arguments that select it."""

    sort_imports: tuple[str, ...] | None  # `ruff check` arguments, None: imports are not sorted
    format_code: tuple[str, ...] | None  # `ruff format` arguments, None: no formatter


def target_style(root: Path) -> TargetStyle:
    """The style configured in `root` or a folder above it, nearest first, up to the top of
    the repository."""
    root = root.resolve()
    for folder in (root, *root.parents):
        style = _configured(folder)
        if style is not None:
            return style
        if (folder / ".git").exists():
            break
    return TargetStyle(None, None)


def _configured(folder: Path) -> TargetStyle | None:
    tool = _tool_tables(folder / "pyproject.toml")
    if any((folder / name).is_file() for name in ("ruff.toml", ".ruff.toml")) or "ruff" in tool:
        # The target's own ruff configuration, found from the file's path.
        return TargetStyle(("--select", "I"), ())
    black = tool.get("black")
    isort = "isort" in tool or (folder / ".isort.cfg").is_file() or _setup_cfg_has_isort(folder)
    if black is None and not isort:
        return None
    length = black.get("line-length", 88) if isinstance(black, dict) else 88
    isolated = ("--isolated", "--line-length", str(length))
    return TargetStyle(
        (*isolated, "--select", "I") if isort else None, isolated if black is not None else None
    )


def _tool_tables(pyproject: Path) -> dict:
    try:
        data = tomllib.loads(pyproject.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError):
        return {}
    tool = data.get("tool")
    return tool if isinstance(tool, dict) else {}


def _setup_cfg_has_isort(folder: Path) -> bool:
    parser = configparser.ConfigParser()
    try:
        parser.read(folder / "setup.cfg", encoding="utf-8")
    except (configparser.Error, UnicodeDecodeError):
        return False
    return parser.has_section("isort") or parser.has_section("tool:isort")


def restyle(
    root: Path, style: TargetStyle, originals: dict[str, str], texts: dict[str, str]
) -> dict[str, str]:
    """`texts` with each Python file passed through the target's steps that its original
    already satisfied (a new file through every step)."""
    steps: list[Step] = []
    if style.sort_imports is not None:
        sort = ["check", "--fix", *style.sort_imports]
        steps.append(lambda path, text: _ruff(root, sort, path, text))
    if style.format_code is not None:
        form = ["format", *style.format_code]
        steps.append(lambda path, text: _ruff(root, form, path, text))
    if not steps:
        return texts
    out = dict(texts)
    for path, text in texts.items():
        if not path.endswith(".py"):
            continue
        before = originals.get(path)
        for step in steps:
            if before is not None and step(path, before) != before:
                continue  # the file did not follow this step before: leave it to the team
            styled = step(path, text)
            if styled is not None:
                text = styled
        out[path] = text
    return out


def _ruff(root: Path, args: list[str], path: str, text: str) -> str | None:
    """The text after `ruff ARGS` on it as the file at `path`; None when ruff fails on it."""
    try:
        done = subprocess.run(
            [sys.executable, "-m", "ruff", *args, "--quiet", "--stdin-filename", path, "-"],
            input=text,
            cwd=root,
            capture_output=True,
            text=True,
            timeout=60,
        )
    except (OSError, subprocess.TimeoutExpired):
        return None
    if not done.stdout and text:
        return None  # a syntax error or an unreadable configuration: keep the text as it is
    return done.stdout
