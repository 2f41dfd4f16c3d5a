"""plan.json is input: `migrator apply` checks it before it reads, writes or branches anything.

Each broken field is refused with one line that names it, exit 2, and nothing written, inside
the repository or outside it.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

Edit = Callable[[dict[str, Any], Path], None]


def _component(plan: dict[str, Any], symbol: str) -> dict[str, Any]:
    return next(c for c in plan["components"].values() if c["symbol"] == symbol)


def _id_of(plan: dict[str, Any], symbol: str) -> str:
    return next(i for i, c in plan["components"].items() if c["symbol"] == symbol)


def _path_up(plan: dict[str, Any], outside: Path) -> None:
    _component(plan, "CACHE_TYPE")["path"] = "../outside.py"


def _absolute_path(plan: dict[str, Any], outside: Path) -> None:
    _component(plan, "CACHE_TYPE")["path"] = str(outside / "absolute.py")


def _evidence_up(plan: dict[str, Any], outside: Path) -> None:
    _component(plan, "CACHE_TYPE")["evidence"][0]["path"] = "shop/../../outside.py"


def _unknown_finding(plan: dict[str, Any], outside: Path) -> None:
    plan["phases"][0]["findings"].append("abc")


def _unknown_exclusion(plan: dict[str, Any], outside: Path) -> None:
    plan["excluded"].append({"id": "cache-000000000000", "reason": "not ours"})


def _unknown_store(plan: dict[str, Any], outside: Path) -> None:
    _component(plan, "SESSIONS")["store"] = "mongodb"


def _bad_flag(plan: dict[str, Any], outside: Path) -> None:
    _component(plan, "SESSIONS")["flag"] = 'STATELESS_X") or __import__("os").system("id'


def _reserved_flag(plan: dict[str, Any], outside: Path) -> None:
    _component(plan, "SESSIONS")["flag"] = "STATELESS_MODE"


def _same_flag_twice(plan: dict[str, Any], outside: Path) -> None:
    _component(plan, "SESSIONS")["flag"] = _component(plan, "ORDERS")["flag"]


def _phase_flag(plan: dict[str, Any], outside: Path) -> None:
    plan["phases"][1]["flags"][0] = "not a flag"


def _branch_slug(plan: dict[str, Any], outside: Path) -> None:
    plan["phases"][0]["slug"] = "../../main"


def _schema(plan: dict[str, Any], outside: Path) -> None:
    plan["schema_version"] = 2


def _edited_id(plan: dict[str, Any], outside: Path) -> None:
    _component(plan, "SESSIONS")["qualname"] = "shop.elsewhere.SESSIONS"


@pytest.mark.parametrize(
    ("edit", "field"),
    [
        pytest.param(_path_up, "components.{CACHE_TYPE}.path", id="path-up"),
        pytest.param(_absolute_path, "components.{CACHE_TYPE}.path", id="absolute-path"),
        pytest.param(_evidence_up, "components.{CACHE_TYPE}.evidence[0].path", id="evidence"),
        pytest.param(
            _unknown_finding, "phases[0].findings[1]: no component with id 'abc'", id="id"
        ),
        pytest.param(_unknown_exclusion, "excluded[0].id: no component", id="excluded-id"),
        pytest.param(_unknown_store, "components.{SESSIONS}.store: 'mongodb'", id="store"),
        pytest.param(_bad_flag, "components.{SESSIONS}.flag", id="flag-not-a-name"),
        pytest.param(_reserved_flag, "components.{SESSIONS}.flag", id="flag-reserved"),
        pytest.param(_same_flag_twice, "is already the flag of", id="flag-twice"),
        pytest.param(_phase_flag, "phases[1].flags[0]", id="phase-flag"),
        pytest.param(_branch_slug, "phases[0].slug", id="slug"),
        pytest.param(_schema, "schema_version", id="schema-version"),
        pytest.param(_edited_id, "components.{SESSIONS}: its category, qualname", id="edited-id"),
    ],
)
def test_a_broken_field_is_refused_in_one_line_and_nothing_is_written(
    planned_shop: Any, tmp_path: Path, edit: Edit, field: str
) -> None:
    plan_file = planned_shop.root / "migration-plan" / "plan.json"
    plan = json.loads(plan_file.read_text())
    expected = field.format(
        CACHE_TYPE=_id_of(plan, "CACHE_TYPE"), SESSIONS=_id_of(plan, "SESSIONS")
    )
    edit(plan, tmp_path)
    plan_file.write_text(json.dumps(plan, indent=2))
    files, outside = planned_shop.files(), _outside(tmp_path, planned_shop.root)
    head = planned_shop.git("rev-parse", "HEAD")

    run = planned_shop.migrator("apply", ".", "--phase", "1")

    assert run.code == 2, run.stdout + run.stderr
    assert len(run.error_lines) == 1, run.stderr
    assert "Traceback" not in run.stderr
    assert "plan.json: " in run.error_lines[0] and expected in run.error_lines[0], run.stderr
    assert planned_shop.files() == files
    assert _outside(tmp_path, planned_shop.root) == outside
    assert planned_shop.branches == {"main"}
    assert planned_shop.git("rev-parse", "HEAD") == head


def test_a_path_through_a_symbolic_link_out_of_the_project_is_refused(
    planned_shop: Any, tmp_path: Path
) -> None:
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (elsewhere / "settings.py").write_text('CACHE_TYPE = "SimpleCache"\n')
    os.symlink(elsewhere, planned_shop.root / "linked")
    planned_shop.git("add", "linked")
    planned_shop.git("commit", "--quiet", "-m", "A link to shared settings")
    plan_file = planned_shop.root / "migration-plan" / "plan.json"
    plan = json.loads(plan_file.read_text())
    _component(plan, "CACHE_TYPE")["path"] = "linked/settings.py"
    plan_file.write_text(json.dumps(plan, indent=2))

    run = planned_shop.migrator("apply", ".", "--phase", "1", "--dry-run")

    assert run.code == 2, run.stdout + run.stderr
    assert len(run.error_lines) == 1, run.stderr
    assert "resolves outside the project's root" in run.error_lines[0]
    assert (elsewhere / "settings.py").read_text() == 'CACHE_TYPE = "SimpleCache"\n'


def test_a_known_store_that_cannot_hold_the_component_is_refused_not_replaced_by_redis(
    planned_shop: Any,
) -> None:
    plan_file = planned_shop.root / "migration-plan" / "plan.json"
    plan = json.loads(plan_file.read_text())
    sessions = _id_of(plan, "SESSIONS")
    plan["components"][sessions]["store"] = "s3"
    plan_file.write_text(json.dumps(plan, indent=2))
    number = next(p["number"] for p in plan["phases"] if sessions in p["findings"])
    for phase in range(1, number):
        assert planned_shop.migrator("apply", ".", "--phase", str(phase)).code == 0
    files, head = planned_shop.files(), planned_shop.git("rev-parse", "HEAD")

    run = planned_shop.migrator("apply", ".", "--phase", str(number))

    assert run.code == 2, run.stdout + run.stderr
    assert len(run.error_lines) == 1, run.stderr
    assert f"components.{sessions}.store" in run.error_lines[0]
    assert "'s3'" in run.error_lines[0]
    assert planned_shop.files() == files
    assert planned_shop.git("rev-parse", "HEAD") == head


def test_a_plan_written_before_flags_were_recorded_still_applies(planned_shop: Any) -> None:
    plan_file = planned_shop.root / "migration-plan" / "plan.json"
    plan = json.loads(plan_file.read_text())
    for component in plan["components"].values():
        del component["flag"]
    plan_file.write_text(json.dumps(plan, indent=2))

    run = planned_shop.migrator("apply", ".", "--phase", "1")

    assert run.code == 0, run.stderr
    assert "STATELESS_CACHE_TYPE" in planned_shop.git("log", "-1", "--format=%B")


def _outside(folder: Path, project: Path) -> set[str]:
    """Every file under `folder` that is not in `project` (the test's other folders)."""
    return {
        p.relative_to(folder).as_posix()
        for p in folder.rglob("*")
        if p.is_file() and not p.is_relative_to(project)
    }
