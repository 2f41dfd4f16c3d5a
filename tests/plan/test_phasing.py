"""Findings become phases: lowest risk first, coupled findings together, each phase complete."""

from __future__ import annotations

from pathlib import Path

from migrator.model import Evidence, ScanResult
from migrator.plan import Plan, build_plan
from migrator.plan.rollout import ADAPTER_STAGES, flag_name


def symbols(plan: Plan, number: int) -> list[str]:
    return [plan.component(i).symbol for i in plan.phase(number).findings]


def phase_of(plan: Plan, symbol: str) -> str:
    for phase in plan.phases:
        if phase.kind == "migrate" and any(
            plan.component(i).symbol == symbol for i in phase.findings
        ):
            return phase.slug
    raise AssertionError(f"{symbol} is in no phase")


def test_phases_ship_lowest_risk_first_and_end_with_cleanup(shop, make_result):
    plan = build_plan(make_result(shop)).plan
    assert [p.slug for p in plan.phases] == [
        "caches", "sessions", "counters-locks", "connections", "cleanup"
    ]
    assert [p.number for p in plan.phases] == [1, 2, 3, 4, 5]
    assert symbols(plan, 1) == ["PRODUCT_CACHE", "price_of"]
    assert plan.phase(1).risk == "low"
    cleanup = plan.phases[-1]
    assert cleanup.kind == "cleanup"
    assert set(cleanup.flags) == {flag_name(f.symbol) for f in plan.components}


def test_findings_changed_together_share_the_later_phase(shop, make_result):
    plan = build_plan(make_result(shop)).plan
    # ORDERS (app data) is appended in place_order under ORDER_LOCK next to NEXT_ORDER += 1.
    assert phase_of(plan, "ORDERS") == "counters-locks"
    phase = plan.phase(3)
    assert set(symbols(plan, 3)) == {"ORDERS", "NEXT_ORDER", "ORDER_LOCK"}
    assert phase.title == "Counters and locks, with application data"
    assert any("`ORDERS`" in line and "place_order" in line for line in phase.coupling)


def test_a_read_beside_a_change_does_not_couple(shop, make_result):
    # place_order reads SESSIONS while it appends to ORDERS: sessions still ship on their own.
    plan = build_plan(make_result(shop)).plan
    assert phase_of(plan, "SESSIONS") == "sessions"
    assert phase_of(plan, "PRODUCT_CACHE") == "caches"


def test_a_call_between_functions_couples_what_they_change(tmp_path, make_finding):
    (tmp_path / "app").mkdir()
    (tmp_path / "app" / "jobs.py").write_text(
        "def record(order):\n"
        "    HISTORY.append(order)\n"
    )
    (tmp_path / "app" / "views.py").write_text(
        "from app.jobs import record\n"
        "\n"
        "def checkout(order):\n"
        "    CARTS.pop(order)\n"
        "    record(order)\n"
    )
    carts = make_finding("session_store", "CARTS", 1,
                         (Evidence("app/views.py", 4, "delete"),), path="app/state.py")
    history = make_finding("app_data", "HISTORY", 2,
                           (Evidence("app/jobs.py", 2, "mutate"),), path="app/state.py")
    result = ScanResult(str(tmp_path), 2, 7, 0.0, findings=(carts, history))
    plan = build_plan(result).plan
    assert phase_of(plan, "CARTS") == "app-data"
    assert "calls `app/jobs.py:record`" in " ".join(plan.phase(1).coupling)


def test_unreadable_sources_couple_by_file(tmp_path, make_finding):
    # Without the source there are no functions to tell apart: the whole file is one scope.
    a = make_finding("cache", "A", 1, (Evidence("gone.py", 3, "write"),))
    b = make_finding("lock", "B", 2, (Evidence("gone.py", 90, "mutate"),), kind="lock")
    result = ScanResult(str(tmp_path), 1, 1, 0.0, findings=(a, b))
    plan = build_plan(result).plan
    assert [p.slug for p in plan.phases] == ["counters-locks", "cleanup"]


def test_flags_are_named_after_the_symbol():
    assert flag_name("SESSIONS") == "STATELESS_SESSIONS"
    assert flag_name("price_of") == "STATELESS_PRICE_OF"
    assert flag_name("cache-v2") == "STATELESS_CACHE_V2"
    # An attribute is named by its last part, as the generated runtime names the component.
    assert flag_name("ConnectionManager.active_connections") == "STATELESS_ACTIVE_CONNECTIONS"


def test_adapter_rollout_walks_six_stages_with_watch_and_rollback(shop, make_result):
    plan = build_plan(make_result(shop)).plan
    (rollout,) = plan.phase(1).rollouts
    assert rollout.kind == "adapter"
    assert rollout.flags == ("STATELESS_PRODUCT_CACHE", "STATELESS_PRICE_OF")
    assert tuple(s.name for s in rollout.stages) == ADAPTER_STAGES
    assert all(s.watch and s.rollback and s.does for s in rollout.stages)


def test_config_switch_has_two_stages_and_says_what_it_costs(shop, make_result):
    plan = build_plan(make_result(shop)).plan
    switch = next(r for r in plan.phase(2).rollouts if r.kind == "switch")
    assert switch.flags == ("STATELESS_SESSION_TYPE",)
    assert [s.name for s in switch.stages] == ["off", "complete"]
    assert "signs in once more" in switch.cost
    assert "copied" in switch.cost
    adapter = next(r for r in plan.phase(2).rollouts if r.kind == "adapter")
    assert adapter.flags == ("STATELESS_SESSIONS",)


def test_broadcasts_cut_over_in_one_step(shop, make_result):
    plan = build_plan(make_result(shop)).plan
    (rollout,) = plan.phase(4).rollouts
    assert rollout.kind == "cutover"
    assert [s.name for s in rollout.stages] == ["off", "complete"]
    assert "twice" in rollout.cost


def test_manual_components_raise_risk_and_list_work_for_a_person(shop, make_result):
    plan = build_plan(make_result(shop)).plan
    phase = plan.phase(4)
    assert phase.risk == "high"
    assert any("shop.state.CONNECTIONS" in s and "shop/state.py:9" in s
               for s in phase.manual_steps)
    # A nested mutation through a codemod-covered dict needs a person's review too.
    assert any("shop/views.py:10" in s and "edit" in s for s in plan.phase(2).manual_steps)


def test_effort_is_the_sum_of_the_components_and_says_so(shop, make_result):
    plan = build_plan(make_result(shop)).plan
    phase = plan.phase(3)
    assert phase.effort.points == 2 + 2 + 2
    assert "`ORDERS` 2" in phase.effort.basis and "3 components" in phase.effort.basis


def test_steps_come_from_the_playbooks_with_the_phase_number(shop, make_result):
    plan = build_plan(make_result(shop)).plan
    steps = plan.phase(2).steps
    assert any("migrator apply --phase 2" in s for s in steps)
    assert not any("--phase N" in s for p in plan.phases for s in p.steps)
    titles = [title for title, _ in plan.phase(2).step_groups]
    assert len(titles) == 2 and all(titles)
    assert plan.phase(2).rollback and plan.phase(2).acceptance


def test_no_findings_means_no_phases(tmp_path: Path):
    plan = build_plan(ScanResult(str(tmp_path), 0, 0, 0.0)).plan
    assert plan.phases == ()


def test_module_level_code_does_not_couple(tmp_path, make_finding):
    # Two settings written side by side at import are set up together, not changed together.
    (tmp_path / "settings.py").write_text('CACHES = {}\nMEDIA_ROOT = "media"\n')
    caches = make_finding("cache", "CACHES", 1, (Evidence("settings.py", 1, "write"),),
                          automation="config", path="settings.py")
    media = make_finding("local_file", "MEDIA_ROOT", 2, (Evidence("settings.py", 2, "write"),),
                         automation="manual", path="settings.py")
    plan = build_plan(ScanResult(str(tmp_path), 1, 2, 0.0, findings=(caches, media))).plan
    assert [p.slug for p in plan.phases] == ["caches", "files", "cleanup"]
