"""Rewritten code follows the target's own import order and formatter, and nothing else changes.

Real repositories in temporary folders; the target's ruff configuration is what judges.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any

from migrator.apply.target_style import TargetStyle, restyle, target_style

RUFF_CONFIG = """[project]
name = "shop"
version = "1"
dependencies = ["flask>=3"]

[tool.ruff]
line-length = 79

[tool.ruff.lint]
select = ["E", "I"]

[tool.ruff.lint.isort]
known-first-party = ["shop"]
"""
VIEWS = '''"""Sign-in by session id."""

import json
import logging

from flask import Flask

from shop.names import display_name

app = Flask(__name__)
log = logging.getLogger(__name__)
SESSIONS = {}


@app.post("/login/<sid>/<user>")
def login(sid, user):
    SESSIONS[sid] = {"user": user, "name": display_name(user)}
    log.info("login %s", json.dumps(sid))
    return "ok"


@app.get("/whoami/<sid>")
def whoami(sid):
    return SESSIONS.get(sid, {}).get("user", "")
'''
NAMES = "def display_name(user):\n    return user.title()\n"


def ruff(root: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "ruff", *args], cwd=root, capture_output=True, text=True
    )


def apply_first_phase(project: Any) -> None:
    assert project.migrator("plan", ".").code == 0
    done = project.migrator("apply", ".", "--phase", "1")
    assert done.code == 0, done.stderr


def test_a_rewritten_file_passes_the_targets_own_import_and_format_checks(
    git_service: Any,
) -> None:
    project = git_service(
        {
            "pyproject.toml": RUFF_CONFIG,
            "shop/__init__.py": "",
            "shop/views.py": VIEWS,
            "shop/names.py": NAMES,
        }
    )
    assert ruff(project.root, "check", "shop/views.py").returncode == 0

    apply_first_phase(project)

    views = (project.root / "shop/views.py").read_text(encoding="utf-8")
    assert views == VIEWS.replace(
        "from shop.names import display_name\n",
        "from shop._stateless import kv\nfrom shop.names import display_name\n",
    ).replace("SESSIONS = {}", 'SESSIONS = kv("SESSIONS", {})')
    checked = ruff(project.root, "check", "shop/views.py")
    assert checked.returncode == 0, checked.stdout
    assert ruff(project.root, "format", "--check", "shop/views.py").returncode == 0


def test_a_file_the_team_never_formatted_gets_only_the_rewrite(git_service: Any) -> None:
    unformatted = VIEWS.replace('{"user": user, "name": display_name(user)}', "{'user':user}")
    project = git_service(
        {
            "pyproject.toml": RUFF_CONFIG,
            "shop/__init__.py": "",
            "shop/views.py": unformatted,
            "shop/names.py": NAMES,
        }
    )

    apply_first_phase(project)

    views = (project.root / "shop/views.py").read_text(encoding="utf-8")
    assert "SESSIONS[sid] = {'user':user}" in views  # not reformatted: it never was
    assert "from shop._stateless import kv\nfrom shop.names import display_name\n" in views


def test_the_style_comes_from_the_nearest_configuration(tmp_path: Path) -> None:
    (tmp_path / ".git").mkdir()
    assert target_style(tmp_path) == TargetStyle(None, None)
    (tmp_path / "pyproject.toml").write_text("[tool.black]\nline-length = 60\n")
    service = tmp_path / "svc"
    service.mkdir()
    black = target_style(service)
    assert black.format_code == ("--isolated", "--line-length", "60")
    assert black.sort_imports is None
    (tmp_path / ".isort.cfg").write_text("[settings]\nprofile = black\n")
    assert target_style(service).sort_imports == (
        "--isolated",
        "--line-length",
        "60",
        "--select",
        "I",
    )
    (service / "ruff.toml").write_text("line-length = 100\n")
    assert target_style(service) == TargetStyle(("--select", "I"), ())


def test_without_a_configuration_nothing_is_run(tmp_path: Path) -> None:
    texts = {"a.py": "import sys\nimport os\nx = {'a':1}\n"}
    assert restyle(tmp_path, TargetStyle(None, None), {}, texts) == texts


def test_black_line_length_wraps_a_new_long_line(tmp_path: Path) -> None:
    style = TargetStyle(None, ("--isolated", "--line-length", "40"))
    original = "x = 1\n"
    new = "x = 1\nPLACES = compute_places(first_argument, second_argument)\n"
    styled = restyle(tmp_path, style, {"m.py": original}, {"m.py": new})
    assert styled["m.py"] == (
        "x = 1\nPLACES = compute_places(\n    first_argument, second_argument\n)\n"
    )
