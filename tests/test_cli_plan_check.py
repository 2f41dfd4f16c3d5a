"""`migrator plan` and `migrator check` through the command line, on a copy of the shop."""

from __future__ import annotations

import json
from typing import Any

import pytest

PLAN_FILES = ("plan.json", "PLAN.md", "plan.html")
# New state in a new file: a Flask handler that keeps wish lists in a module dict.
WISHLIST = '''\
"""Wish lists per user."""

from flask import Blueprint, jsonify, request

wishlist_bp = Blueprint("wishlist", __name__)
WISHLISTS: dict[str, list[str]] = {{}}{comment}


@wishlist_bp.post("/wishlist/<user>")
def add_to_wishlist(user: str):
    WISHLISTS.setdefault(user, []).append(request.get_json()["sku"])
    return jsonify(WISHLISTS[user])
'''


def add_wishlist(project: Any, comment: str = "") -> None:
    (project.root / "shop" / "wishlist.py").write_text(WISHLIST.format(comment=comment))


def assert_bad_input(run: Any) -> None:
    assert run.code == 2, run.stderr
    assert len(run.error_lines) == 1, run.stderr
    assert run.error_lines[0].startswith("migrator: ")
    assert "Traceback" not in run.stderr + run.stdout


def test_plan_writes_the_three_documents_into_the_plan_folder(shop_copy):
    run = shop_copy.migrator("plan", ".")

    assert run.code == 0, run.stderr
    folder = shop_copy.root / "migration-plan"
    assert sorted(p.name for p in folder.iterdir()) == sorted(PLAN_FILES)
    plan = json.loads((folder / "plan.json").read_text())
    assert [p["number"] for p in plan["phases"]] == list(range(1, len(plan["phases"]) + 1))
    assert set(plan["phases"][0]["findings"]) <= set(plan["components"])
    assert "SESSIONS" in (folder / "PLAN.md").read_text()
    assert (folder / "plan.html").read_text().lstrip().lower().startswith("<!doctype html")
    assert "phase 1" in run.stdout


def test_plan_out_writes_where_it_is_told(shop_copy, tmp_path):
    out = tmp_path / "review" / "shop-plan"

    run = shop_copy.migrator("plan", ".", "--out", str(out))

    assert run.code == 0, run.stderr
    assert all((out / name).is_file() for name in PLAN_FILES)
    assert not (shop_copy.root / "migration-plan").exists()


def test_planning_again_keeps_a_persons_exclusion_and_store_choice(shop_copy):
    assert shop_copy.migrator("plan", ".").code == 0
    plan_file = shop_copy.root / "migration-plan" / "plan.json"
    plan = json.loads(plan_file.read_text())
    by_symbol = {c["symbol"]: fid for fid, c in plan["components"].items()}
    excluded, moved = by_symbol["ORDERS"], by_symbol["SESSIONS"]
    reason = "orders are written to the ERP already; this list is a debug echo"
    assert plan["components"][moved]["suggested_store"] != "postgres"
    # What a person does in an editor: drop the id from its phase, list it with a reason.
    for phase in plan["phases"]:
        phase["findings"] = [i for i in phase["findings"] if i != excluded]
    plan["excluded"].append({"id": excluded, "reason": reason})
    plan["components"][moved]["store"] = "postgres"
    plan_file.write_text(json.dumps(plan, indent=2))

    run = shop_copy.migrator("plan", ".")

    assert run.code == 0, run.stderr
    again = json.loads(plan_file.read_text())
    assert again["excluded"] == [{"id": excluded, "reason": reason}]
    assert all(excluded not in p["findings"] for p in again["phases"] if p["kind"] == "migrate")
    assert again["components"][moved]["store"] == "postgres"
    assert any(moved in p["findings"] for p in again["phases"])
    assert reason in (shop_copy.root / "migration-plan" / "PLAN.md").read_text()


@pytest.mark.parametrize(
    "text",
    [
        pytest.param('{"schema_version": 1, "phases": [', id="not-json"),
        pytest.param('{"schema_version": 1, "phases": [], "excluded": ["x"]}', id="no-reason"),
        pytest.param('{"schema_version": 7, "phases": []}', id="other-version"),
    ],
)
def test_a_malformed_plan_is_refused_and_left_alone(shop_copy, text: str):
    plan_file = shop_copy.root / "migration-plan" / "plan.json"
    plan_file.parent.mkdir()
    plan_file.write_text(text)

    run = shop_copy.migrator("plan", ".")

    assert_bad_input(run)
    assert "plan.json" in run.error_lines[0]
    assert plan_file.read_text() == text


def test_check_fails_on_local_state_without_a_baseline(shop_copy):
    run = shop_copy.migrator("check", ".")

    assert run.code == 1, run.stderr
    assert "SESSIONS" in run.stdout


def test_check_passes_once_the_baseline_accepts_what_is_there(shop_copy):
    written = shop_copy.migrator("check", ".", "--write-baseline")
    assert written.code == 0, written.stderr
    assert (shop_copy.root / "migrator-baseline.json").is_file()

    run = shop_copy.migrator("check", ".")

    assert run.code == 0, run.stdout + run.stderr
    assert "No new local state" in run.stdout


def test_check_names_new_state_in_a_new_file(shop_copy):
    assert shop_copy.migrator("check", ".", "--write-baseline").code == 0
    add_wishlist(shop_copy)

    run = shop_copy.migrator("check", ".")
    as_json = shop_copy.migrator("check", ".", "--format", "json")

    assert run.code == 1, run.stdout + run.stderr
    assert "WISHLISTS" in run.stdout
    assert as_json.code == 1
    report = json.loads(as_json.stdout)
    assert report["exit_code"] == 1
    assert [(f["symbol"], f["path"]) for f in report["new"]] == [("WISHLISTS", "shop/wishlist.py")]


def test_an_allow_comment_with_a_reason_accepts_the_finding(shop_copy):
    assert shop_copy.migrator("check", ".", "--write-baseline").code == 0
    reason = "per-process demo lists, reset on every deploy"
    add_wishlist(shop_copy, f"  # migrator: allow[app_data] {reason}")

    run = shop_copy.migrator("check", ".")

    assert run.code == 0, run.stdout + run.stderr
    assert "WISHLISTS" in run.stdout and reason in run.stdout


def test_an_allow_comment_without_a_reason_does_not_count(shop_copy):
    assert shop_copy.migrator("check", ".", "--write-baseline").code == 0
    add_wishlist(shop_copy, "  # migrator: allow[app_data]")

    run = shop_copy.migrator("check", ".", "--format", "json")

    assert run.code == 1, run.stderr
    report = json.loads(run.stdout)
    assert [f["symbol"] for f in report["new"]] == ["WISHLISTS"]
    assert report["allowed"] == []
    assert [i["path"] for i in report["invalid_allows"]] == ["shop/wishlist.py"]


def test_check_sarif_is_valid_json_naming_the_new_state(shop_copy):
    assert shop_copy.migrator("check", ".", "--write-baseline").code == 0
    add_wishlist(shop_copy)

    run = shop_copy.migrator("check", ".", "--format", "sarif")

    assert run.code == 1, run.stderr
    sarif = json.loads(run.stdout)
    assert sarif["version"] == "2.1.0"
    results = sarif["runs"][0]["results"]
    assert len(results) == 1
    assert "WISHLISTS" in json.dumps(results[0])


@pytest.mark.parametrize(
    "text",
    [
        pytest.param(None, id="missing"),
        pytest.param("not json at all", id="not-json"),
        pytest.param('{"schema_version": 1, "findings": {}}', id="findings-not-a-list"),
    ],
)
def test_a_bad_baseline_is_refused(shop_copy, tmp_path, text: str | None):
    baseline = tmp_path / "baseline.json"
    if text is not None:
        baseline.write_text(text)

    run = shop_copy.migrator("check", ".", "--baseline", str(baseline))

    assert_bad_input(run)
    assert "baseline" in run.error_lines[0]


# A lock on an object made at import: the scan offers the lock codemod, which rewrites only
# module-level locks, so `apply` would refuse it.
RESTOCK = '''\
"""Restocking, one at a time."""

import threading

from flask import Blueprint, jsonify

restock_bp = Blueprint("restock", __name__)


class Restocker:
    def __init__(self):
        self.busy = threading.Lock()
        self.done = 0

    def run(self):
        with self.busy:
            self.done += 1
            return self.done


RESTOCKER = Restocker()


@restock_bp.post("/restock")
def restock():
    return jsonify(RESTOCKER.run())
'''


def test_plan_makes_manual_what_the_codemod_would_refuse_with_its_reason(shop_copy):
    (shop_copy.root / "shop" / "restock.py").write_text(RESTOCK)
    scanned = json.loads(shop_copy.migrator("scan", ".", "--format", "json").stdout)
    (lock,) = [f for f in scanned["findings"] if f["symbol"] == "Restocker.busy"]
    assert lock["automation"] == "codemod"  # what the scan alone offers

    run = shop_copy.migrator("plan", ".")

    assert run.code == 0, run.stderr
    plan = json.loads((shop_copy.root / "migration-plan" / "plan.json").read_text())
    (planned,) = [c for c in plan["components"].values() if c["symbol"] == "Restocker.busy"]
    assert planned["automation"] == "manual"
    assert (
        "No codemod: tried on the files as they are, the codemod refused (shop/restock.py: "
        "`Restocker.busy` is not assigned at the top level of this module)" in planned["message"]
    )
    sessions = [c for c in plan["components"].values() if c["symbol"] == "SESSIONS"]
    assert [c["automation"] for c in sessions] == ["codemod"]  # the rest is untouched
