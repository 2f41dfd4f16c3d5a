"""PLAN.md and plan.html: readable by a manager, linked to the code, written atomically."""

from __future__ import annotations

import re
from dataclasses import replace
from pathlib import Path

import pytest

from migrator.plan import build_plan, write_plan
from migrator.plan.render import FILES


def test_write_plan_writes_three_files_into_the_plan_folder(shop, make_result):
    out = shop / "migration-plan"
    written = write_plan(build_plan(make_result(shop)), out)
    assert [p.name for p in written] == ["plan.json", "PLAN.md", "plan.html"]
    assert sorted(p.name for p in out.iterdir()) == sorted(FILES)


def test_markdown_summary_diagram_and_links(shop, make_result):
    out = shop / "migration-plan"
    write_plan(build_plan(make_result(shop)), out)
    md = (out / "PLAN.md").read_text()
    assert "**8 stateful components**" in md and "**4 phases**" in md
    assert "```mermaid\nflowchart LR" in md and "P1 --> P2" in md
    # Every component row links to its definition, relative to the plan folder.
    links = re.findall(r"\]\((\.\./[^)#]+)#L(\d+)\)", md)
    assert ("../shop/state.py", "4") in links and ("../settings.py", "1") in links
    for target, line in links:
        source = (out / target).resolve()
        assert source.is_file()
        assert int(line) <= len(source.read_text().splitlines())
    for phase in ("Phase 1: Caches", "Phase 5: Clean up flags and old paths"):
        assert f"## {phase}" in md
    assert "| `dualwrite` |" in md and "What the switch costs:" in md


def test_markdown_calls_multi_process_state_a_live_bug(shop, make_result):
    out = shop / "migration-plan"
    write_plan(build_plan(make_result(shop, processes=4)), out)
    md = (out / "PLAN.md").read_text()
    assert "live bug today" in md and "gunicorn.conf.py: workers = 4" in md
    write_plan(build_plan(make_result(shop, processes=1)), out)
    md = (out / "PLAN.md").read_text()
    assert "live bug" not in md and "runs one process today" in md


def test_markdown_lists_changes_since_the_last_plan(shop, make_result, make_finding, site):
    first = build_plan(make_result(shop)).plan
    findings = (*first.components,
                make_finding("counter_ratelimit", "HITS", 30, (site(6, "mutate"),)))
    out = shop / "migration-plan"
    write_plan(build_plan(make_result(shop, findings=findings), first), out)
    md = (out / "PLAN.md").read_text()
    assert "**New:** `shop.state.HITS`" in md


def test_html_is_self_contained_and_prints(shop, make_result):
    out = shop / "migration-plan"
    write_plan(build_plan(make_result(shop, processes=2)), out)
    html = (out / "plan.html").read_text()
    assert "<script" not in html and "<link" not in html and "src=" not in html
    assert "@media print" in html and "<svg" in html
    urls = set(re.findall(r"https?://[^\s\"'<>)]+", html))
    assert urls <= {"http://www.w3.org/2000/svg"}  # the SVG namespace, never fetched


def test_text_from_findings_is_escaped_in_html(shop, make_result, make_finding):
    evil = make_finding("cache", "X", 2, message="<img src=x onerror=alert(1)>",
                        automation="manual")
    out = shop / "migration-plan"
    write_plan(build_plan(make_result(shop, findings=(evil,))), out)
    html = (out / "plan.html").read_text()
    assert "<img" not in html and "&lt;img src=x" in html


def test_a_failed_render_leaves_the_previous_files_whole(shop, make_result):
    out = shop / "migration-plan"
    outcome = build_plan(make_result(shop))
    write_plan(outcome, out)
    before = {p.name: p.read_bytes() for p in out.iterdir()}
    # A phase naming a finding the plan does not hold cannot be rendered.
    broken_phase = replace(outcome.plan.phases[0], findings=("cache-000000000000",))
    broken = replace(outcome.plan, phases=(broken_phase, *outcome.plan.phases[1:]))
    with pytest.raises(Exception, match="cache-000000000000"):
        write_plan(broken, out)
    assert {p.name: p.read_bytes() for p in out.iterdir()} == before


def test_out_dir_is_created(tmp_path: Path, shop, make_result):
    out = tmp_path / "deep" / "plans"
    write_plan(build_plan(make_result(shop)), out)
    assert (out / "PLAN.md").read_text().count("](../../project/shop/state.py#L") >= 1
