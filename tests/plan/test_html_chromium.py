"""plan.html opens in a real browser without errors, shows every phase, and is screenshotted.

A 200-component plan with 200-character paths stays inside a 1280 px window with every column
visible, measured by `width_check.js` injected into a copy of the page. Screenshots land in
`artifacts/` (gitignored) for people to look at. A missing Chromium fails the test: set
MIGRATOR_ALLOW_NO_CHROMIUM=1 to skip on a machine without one.
"""

from __future__ import annotations

import html
import json
import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from migrator.plan import build_plan, write_plan

REPO = Path(__file__).resolve().parents[2]
FLAGS = (
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
    "--hide-scrollbars", "--enable-logging=stderr", "--v=0",
)


def chromium() -> str:
    for candidate in ("/usr/bin/chromium", shutil.which("chromium"),
                      shutil.which("chromium-browser"), shutil.which("google-chrome")):
        if candidate and Path(candidate).exists():
            return candidate
    if os.environ.get("MIGRATOR_ALLOW_NO_CHROMIUM") == "1":
        pytest.skip("no Chromium, and MIGRATOR_ALLOW_NO_CHROMIUM=1")
    pytest.fail("Chromium is not installed (apt-get install -y chromium); "
                "set MIGRATOR_ALLOW_NO_CHROMIUM=1 to skip this test")


def run(binary: str, profile: Path, *args: str) -> subprocess.CompletedProcess[str]:
    # Generous: a 200-component page on a loaded 2-core machine can take a while to lay out.
    return subprocess.run(
        [binary, *FLAGS, f"--user-data-dir={profile}", *args],
        capture_output=True, text=True, timeout=300, check=False,
    )


def console_messages(stderr: str) -> list[str]:
    # The page has no scripts, so any console line at all (an error, a failed load) is a bug.
    return [line for line in stderr.splitlines() if ":CONSOLE" in line or "Uncaught" in line]


def test_plan_html_renders_every_phase_in_chromium(shop, make_result, tmp_path):
    binary = chromium()
    outcome = build_plan(make_result(shop, processes=4))
    out = shop / "migration-plan"
    write_plan(outcome, out)
    page = (out / "plan.html").as_uri()

    dom = run(binary, tmp_path / "profile-dom", "--dump-dom", page)
    assert dom.returncode == 0, dom.stderr[-2000:]
    text = html.unescape(dom.stdout)
    for phase in outcome.plan.phases:
        assert f'id="phase-{phase.number}"' in text
        assert phase.title in text
    assert "live bug today" in text
    assert console_messages(dom.stderr) == []

    artifacts = REPO / "artifacts"
    artifacts.mkdir(exist_ok=True)
    shot = artifacts / "plan.png"
    shot.unlink(missing_ok=True)
    snap = run(binary, tmp_path / "profile-shot", f"--screenshot={shot}",
               "--window-size=1280,2000", page)
    assert snap.returncode == 0, snap.stderr[-2000:]
    assert console_messages(snap.stderr) == []
    assert shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert shot.stat().st_size > 20_000  # a blank page compresses to far less


def measured(binary: str, page: Path, profile: Path, width: int) -> dict[str, object]:
    """`width_check.js`'s verdict on a copy of `page` laid out `width` px wide."""
    probe = page.with_name(f"{page.stem}-measured.html")
    script = (Path(__file__).with_name("width_check.js")).read_text()
    probe.write_text(page.read_text().replace("</body>", f"<script>{script}</script>\n</body>"))
    dom = run(binary, profile, f"--window-size={width},900", "--dump-dom", probe.as_uri())
    assert dom.returncode == 0, dom.stderr[-2000:]
    found = re.search(r'<pre id="verdict">([^<]*)</pre>', dom.stdout)
    assert found, f"no verdict in the page: {dom.stderr[-2000:]}"
    verdict: dict[str, object] = json.loads(html.unescape(found.group(1)))
    return verdict


def test_a_200_component_plan_fits_1280_px_with_every_column_visible(large_result, tmp_path):
    binary = chromium()
    outcome = build_plan(large_result)
    plan = outcome.plan
    assert len(plan.components) == 200 and max(len(p.findings) for p in plan.phases) >= 60
    out = Path(large_result.root) / "migration-plan"
    write_plan(outcome, out)
    page = out / "plan.html"
    text = page.read_text()
    # Phases collapse: only the first one is open when the page loads.
    phases = re.findall(r'<section class="phase[^>]*>\s*<details([^>]*)>', text)
    assert len(phases) == len(plan.phases)
    assert [" open" in attrs for attrs in phases] == [True] + [False] * (len(phases) - 1)

    verdict = measured(binary, page, tmp_path / "profile-measure", 1280)
    assert verdict["viewport"] == 1280
    assert verdict["details"] == text.count("<details")  # all opened, so all measured
    assert isinstance(verdict["cells"], int) and verdict["cells"] > 6 * 200
    assert verdict["wide"] == [], verdict
    assert verdict["page_width"] == 1280, verdict
    assert verdict["hidden"] == [], verdict
    assert verdict["overflowing"] == [], verdict
    assert verdict["broken_headers"] == [], verdict

    artifacts = REPO / "artifacts"
    artifacts.mkdir(exist_ok=True)
    shot = artifacts / "plan-200.png"
    shot.unlink(missing_ok=True)
    snap = run(binary, tmp_path / "profile-shot", f"--screenshot={shot}",
               "--window-size=1280,2400", page.as_uri())
    assert snap.returncode == 0, snap.stderr[-2000:]
    assert console_messages(snap.stderr) == []
    assert shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
