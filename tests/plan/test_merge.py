"""plan.json is the source of truth: a person's edits survive planning again."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from migrator.plan import Plan, build_plan, load_plan, write_plan


def edit(path: Path, change) -> Plan:
    data = json.loads(path.read_text())
    change(data)
    path.write_text(json.dumps(data, indent=2))
    return load_plan(path)


def ids(plan: Plan) -> dict[str, str]:
    return {f.symbol: f.id for f in plan.components}


def phase_of(plan: Plan, finding_id: str) -> str:
    return next(p.slug for p in plan.phases if p.kind == "migrate" and finding_id in p.findings)


def test_plan_json_round_trips_without_loss(shop, make_result, tmp_path):
    plan = build_plan(make_result(shop, processes=3)).plan
    write_plan(plan, tmp_path / "out")
    loaded = load_plan(tmp_path / "out" / "plan.json")
    assert loaded.dumps() == plan.dumps()
    data = json.loads(plan.dumps())
    assert data["schema_version"] == 1
    for key in ("number", "slug", "title", "risk", "effort", "findings", "flags", "steps",
                "rollback"):
        assert key in data["phases"][0]
    assert data["excluded"] == []
    assert set(data["components"]) == {f.id for f in plan.components}


def test_planning_twice_writes_the_same_files(shop, make_result, tmp_path):
    out = tmp_path / "out"
    write_plan(build_plan(make_result(shop)), out)
    first = {p.name: p.read_bytes() for p in out.iterdir()}
    previous = load_plan(out / "plan.json")
    outcome = build_plan(make_result(shop), previous)
    write_plan(outcome, out)
    assert {p.name: p.read_bytes() for p in out.iterdir()} == first
    assert outcome.appeared == () and outcome.disappeared == () and outcome.notes == ()


def test_exclusion_with_reason_survives_replanning(shop, make_result, tmp_path):
    out = tmp_path / "out"
    plan = build_plan(make_result(shop)).plan
    write_plan(plan, out)
    lock = ids(plan)["ORDER_LOCK"]

    def exclude(data):
        for phase in data["phases"]:
            if lock in phase["findings"]:
                phase["findings"].remove(lock)
        data["excluded"].append({"id": lock, "reason": "guards a per-process file handle"})

    previous = edit(out / "plan.json", exclude)
    again = build_plan(make_result(shop), previous).plan
    assert [(e.id, e.reason) for e in again.excluded] == [
        (lock, "guards a per-process file handle")
    ]
    assert all(lock not in p.findings for p in again.phases)
    assert "STATELESS_ORDER_LOCK" not in again.phases[-1].flags
    write_plan(again, out)
    assert "guards a per-process file handle" in (out / "PLAN.md").read_text()


def test_a_moved_finding_stays_where_a_person_put_it(shop, make_result, tmp_path):
    out = tmp_path / "out"
    plan = build_plan(make_result(shop)).plan
    write_plan(plan, out)
    cache = ids(plan)["price_of"]

    def move(data):
        for phase in data["phases"]:
            if cache in phase["findings"]:
                phase["findings"].remove(cache)
            if phase["slug"] == "sessions":
                phase["findings"].append(cache)

    previous = edit(out / "plan.json", move)
    again = build_plan(make_result(shop), previous).plan
    assert phase_of(again, cache) == "sessions"
    assert phase_of(again, ids(plan)["PRODUCT_CACHE"]) == "caches"
    assert "STATELESS_PRICE_OF" in again.phase(2).flags
    # The move is still recognised as one the next time round.
    third = build_plan(make_result(shop), again).plan
    assert phase_of(third, cache) == "sessions"


def test_a_chosen_store_survives_replanning_and_reaches_the_rollout(shop, make_result, tmp_path):
    out = tmp_path / "out"
    plan = build_plan(make_result(shop)).plan
    write_plan(plan, out)
    sessions = ids(plan)["SESSIONS"]
    previous = edit(out / "plan.json",
                    lambda d: d["components"][sessions].__setitem__("store", "postgres"))
    again = build_plan(make_result(shop), previous).plan
    assert again.store_of(sessions) == "postgres"
    adapter = next(r for r in again.phase(2).rollouts if r.kind == "adapter")
    assert "postgres" in adapter.stages[1].does
    write_plan(again, out)
    assert "**postgres**: chosen in plan.json" in (out / "PLAN.md").read_text()


def test_replanning_reports_findings_that_appeared_and_disappeared(
        shop, make_result, make_finding, site):
    first = build_plan(make_result(shop)).plan
    findings = [f for f in first.components if f.symbol != "CONNECTIONS"]
    findings.append(make_finding("counter_ratelimit", "HITS", 30, (site(6, "mutate"),)))
    outcome = build_plan(make_result(shop, findings=tuple(findings)), first)
    assert [f.symbol for f in outcome.appeared] == ["HITS"]
    assert [f.symbol for f in outcome.disappeared] == ["CONNECTIONS"]
    assert not outcome.first


def test_an_exclusion_without_reason_is_refused(shop, make_result, tmp_path):
    out = tmp_path / "out"
    plan = build_plan(make_result(shop)).plan
    write_plan(plan, out)
    data = json.loads((out / "plan.json").read_text())
    data["excluded"].append({"id": plan.components[0].id, "reason": "  "})
    (out / "plan.json").write_text(json.dumps(data))
    with pytest.raises(ValueError, match="needs a non-empty \"reason\""):
        load_plan(out / "plan.json")


def test_a_broken_plan_file_says_what_is_wrong(tmp_path):
    path = tmp_path / "plan.json"
    path.write_text("{not json")
    with pytest.raises(ValueError, match=r"plan .*plan.json is not valid JSON \(line 1"):
        load_plan(path)
    path.write_text('{"schema_version": 7, "phases": []}')
    with pytest.raises(ValueError, match="schema_version 7"):
        load_plan(path)


def test_a_move_to_an_unknown_phase_is_reported_not_kept(shop, make_result, tmp_path):
    out = tmp_path / "out"
    plan = build_plan(make_result(shop)).plan
    write_plan(plan, out)
    cache = ids(plan)["price_of"]

    def rename(data):
        data["phases"][0]["slug"] = "my-own-phase"

    previous = edit(out / "plan.json", rename)
    outcome = build_plan(make_result(shop), previous)
    assert phase_of(outcome.plan, cache) == "caches"
    assert any("my-own-phase" in note for note in outcome.notes)
