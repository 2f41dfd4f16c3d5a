"""plan.html opens in a real browser without errors, shows every phase, and is screenshotted.

The screenshot lands in `artifacts/plan.png` (gitignored) for people to look at. A missing
Chromium fails the test: set MIGRATOR_ALLOW_NO_CHROMIUM=1 to skip on a machine without one.
"""

from __future__ import annotations

import html
import os
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
    return subprocess.run(
        [binary, *FLAGS, f"--user-data-dir={profile}", *args],
        capture_output=True, text=True, timeout=120, check=False,
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
