"""The README's test command is the one CI runs, so what a new user types is what CI proves."""

from __future__ import annotations

import os
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def readme_commands() -> list[str]:
    """The README's indented command blocks before its first `---`, in order."""
    top = (ROOT / "README.md").read_text().split("\n---\n", 1)[0]
    return [match.group(1) for match in re.finditer(r"^    (\S.*)$", top, re.MULTILINE)]


def test_ci_runs_the_readme_test_command() -> None:
    commands = readme_commands()
    assert len(commands) >= 2, commands
    test_command = commands[1]
    ci_lines = [line.strip() for line in (ROOT / ".ci" / "run").read_text().splitlines()]
    assert test_command in ci_lines, f".ci/run does not run the README's {test_command!r}"


def test_the_test_script_is_executable() -> None:
    script = ROOT / "scripts" / "test"
    assert script.is_file()
    assert os.access(script, os.X_OK), "scripts/test is not executable (chmod +x)"
    assert script.read_text().splitlines()[0] == "#!/usr/bin/env bash"
