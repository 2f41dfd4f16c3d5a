"""Files are written whole, and with the mode a plain `open()` would have given them."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from migrator.atomic import write_text_atomic


@pytest.fixture
def umask_022():
    old = os.umask(0o022)
    yield
    os.umask(old)


def test_a_new_file_gets_the_mode_the_umask_allows(tmp_path: Path, umask_022: None) -> None:
    target = tmp_path / "plan.json"
    write_text_atomic(target, "{}\n")
    assert stat.S_IMODE(target.stat().st_mode) == 0o644
    assert target.read_text() == "{}\n"


def test_an_existing_file_keeps_its_mode(tmp_path: Path, umask_022: None) -> None:
    target = tmp_path / "run.py"
    target.write_text("old\n")
    target.chmod(0o755)
    write_text_atomic(target, "new\n")
    assert stat.S_IMODE(target.stat().st_mode) == 0o755
    assert target.read_text() == "new\n"


def test_no_temporary_file_is_left_behind(tmp_path: Path) -> None:
    write_text_atomic(tmp_path / "a.txt", "x")
    assert [p.name for p in tmp_path.iterdir()] == ["a.txt"]
