"""A stage setting that names no stage stops the service when the runtime is imported."""

from __future__ import annotations

from pathlib import Path

import pytest

from migrator.runtime import Component

from .conftest import run_python, write_runtime

STAGES = "off, dualwrite, shadow, live, rampdown, complete"


@pytest.mark.parametrize(
    ("variable", "value"),
    [("STATELESS_MODE", ""), ("STATELESS_MODE", "shadw"), ("STATELESS_SESSIONS", "on")],
)
def test_a_bad_stage_refuses_to_start_with_one_line(
    tmp_path: Path, variable: str, value: str
) -> None:
    package = write_runtime(tmp_path, [Component("SESSIONS", "kv", "redis")])
    process = run_python(f"import {package}._stateless", {variable: value}, tmp_path)
    _, stderr = process.communicate(timeout=60)
    assert process.returncode == 1
    assert stderr.splitlines() == [
        f"{package}._stateless: {variable}={value!r} is not a migration stage; "
        f"set one of {STAGES}, or unset it for `off`"
    ]


def test_good_stages_in_any_case_start(tmp_path: Path) -> None:
    package = write_runtime(tmp_path, [Component("SESSIONS", "kv", "redis")])
    env = {"STATELESS_MODE": "Shadow", "STATELESS_SESSIONS": " live "}
    process = run_python(f"import {package}._stateless", env, tmp_path)
    _, stderr = process.communicate(timeout=60)
    assert process.returncode == 0, stderr


def test_a_pinned_component_ignores_its_variable(tmp_path: Path) -> None:
    package = write_runtime(tmp_path, [Component("SESSIONS", "kv", "redis", pinned=True)])
    process = run_python(f"import {package}._stateless", {"STATELESS_SESSIONS": "x"}, tmp_path)
    _, stderr = process.communicate(timeout=60)
    assert process.returncode == 0, stderr
