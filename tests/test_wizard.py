"""`migrator wizard`: a person at a terminal (pexpect), unattended with `--yes`, and nothing to do."""

from __future__ import annotations

import io
import re
import subprocess
import sys
from typing import Any

import pexpect

REVIEW = r"accept the \[r\]est[^\n]*: "
REASON = r"\(required\)[^\n]*: "
STORE = r"Store [^\n]*: "
APPLY = r"Apply phase (\d+) now on a new branch\?[^\n]*: "
# A finding's panel title, as "2/9  cache: list_products".
TITLE = re.compile(r"(\d+)/\d+\s+(\w+): ([\w.]+)")
SUGGESTED = re.compile(r"· store (\w+) ·")


def spawn_wizard(project: Any, *args: str) -> tuple[pexpect.spawn, io.StringIO]:
    transcript = io.StringIO()
    child = pexpect.spawn(
        sys.executable,
        ["-m", "migrator", "wizard", str(project.root), *args],
        cwd=str(project.root),  # not the repository: `-m` would import its uninstalled source
        env=project.env,
        encoding="utf-8",
        dimensions=(50, 160),
        timeout=60,
    )
    child.logfile_read = transcript
    return child, transcript


def answer(child: pexpect.spawn, prompt: str, text: str) -> str:
    """Wait for `prompt`, type `text`; what the wizard printed before the prompt."""
    child.expect(prompt)
    before = str(child.before)
    child.sendline(text)
    return before


def finding_id(plan: dict[str, Any], shown: str, plain: Any) -> str:
    """The id of the finding whose review panel is in `shown`."""
    number, category, symbol = TITLE.findall(plain(shown))[-1]
    matches = [
        fid
        for fid, c in plan["components"].items()
        if c["symbol"] == symbol and c["category"] == category
    ]
    assert len(matches) == 1, (number, category, symbol)
    return matches[0]


def test_a_person_reviews_excludes_picks_a_store_and_applies_phase_one(git_shop, plain):
    reason = "filled once from the catalogue file; never changed by a request"
    child, transcript = spawn_wizard(git_shop)

    answer(child, REVIEW, "a")
    second = answer(child, REVIEW, "e")
    answer(child, REASON, reason)
    third = answer(child, REVIEW, "s")
    suggested = SUGGESTED.findall(plain(third))[-1]
    store = "postgres" if suggested != "postgres" else "redis"
    answer(child, STORE, store)
    answer(child, REVIEW, "r")
    answer(child, APPLY, "y")
    child.expect(pexpect.EOF)
    child.close()

    shown = plain(transcript.getvalue())
    assert child.exitstatus == 0, shown[-3000:]
    plan = git_shop.plan_json()
    excluded, stored = finding_id(plan, second, plain), finding_id(plan, third, plain)
    assert plan["excluded"] == [{"id": excluded, "reason": reason}]
    assert all(excluded not in p["findings"] for p in plan["phases"])
    assert plan["components"][stored]["store"] == store
    branch = git_shop.branch_of(1)
    assert branch in git_shop.branches
    assert git_shop.head_branch == branch
    assert branch in shown
    assert "Migrator-Phase: 1" in git_shop.git("log", "-1", "--format=%B")
    assert git_shop.status() == []


def test_a_person_can_decline_to_apply(git_shop, plain):
    child, transcript = spawn_wizard(git_shop)

    answer(child, REVIEW, "r")
    answer(child, APPLY, "n")
    child.expect(pexpect.EOF)
    child.close()

    assert child.exitstatus == 0
    assert (git_shop.root / "migration-plan" / "plan.json").is_file()
    assert git_shop.branches == {"main"}
    assert "migrator apply" in plain(transcript.getvalue())


def test_yes_runs_unattended_and_creates_the_branch(git_shop):
    done = subprocess.run(
        [sys.executable, "-m", "migrator", "wizard", ".", "--yes"],
        cwd=git_shop.root,
        env=git_shop.env,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=120,
    )

    assert done.returncode == 0, done.stdout[-2000:] + done.stderr
    branch = git_shop.branch_of(1)
    assert git_shop.head_branch == branch
    assert branch in done.stdout
    assert git_shop.plan_json()["excluded"] == []
    assert "Traceback" not in done.stderr


def test_yes_on_a_dirty_tree_fails_with_the_reason(git_shop):
    (git_shop.root / "notes.txt").write_text("work in progress\n")
    done = subprocess.run(
        [sys.executable, "-m", "migrator", "wizard", ".", "--yes"],
        cwd=git_shop.root,
        env=git_shop.env,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=120,
    )

    assert done.returncode == 2, done.stdout[-2000:] + done.stderr
    assert "Not applied" in done.stdout and "uncommitted changes" in done.stdout
    assert not git_shop.head_branch.startswith("stateless/")


def test_a_project_without_state_ends_politely(tmp_path, isolated_env):
    project = tmp_path / "pricing"
    (project / "pricing").mkdir(parents=True)
    (project / "pricing" / "__init__.py").write_text("")
    (project / "pricing" / "tax.py").write_text(
        "RATES = {'eu': 0.2, 'us': 0.0}\n\n\ndef gross(net: float, zone: str) -> float:\n"
        "    return net * (1 + RATES[zone])\n"
    )

    done = subprocess.run(
        [sys.executable, "-m", "migrator", "wizard", str(project)],
        cwd=project,
        env=isolated_env(tmp_path),
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=60,
    )

    assert done.returncode == 0, done.stderr
    assert "Nothing to migrate" in done.stdout
    assert not (project / "migration-plan").exists()
    assert "Traceback" not in done.stderr
    assert done.stderr.strip() == ""
