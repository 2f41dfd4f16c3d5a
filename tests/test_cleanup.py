"""The cleanup phase on real git repositories: honest about what it removes and when to run it.

It waits until told the rollout reached `complete`, removes exactly the flags `apply` made (read
from the runtime's registry and the switches in the code, not from the plan's lines), says in
its commit that merging removes the old path, and a phase with nothing to change exits 0.
"""

from __future__ import annotations

import ast
import subprocess
from pathlib import Path
from typing import Any

import git
import pytest

from migrator.apply.gitops import git_reason

NOTES = '''"""Notes kept in a local JSON file."""

import json

NOTES_FILE = "notes.json"


def save(notes):
    with open(NOTES_FILE, "w") as out:
        json.dump(notes, out)
'''
CART = '''"""Carts per session."""

SESSIONS = {}


def add_item(sid, item):
    SESSIONS[sid] = SESSIONS.get(sid, []) + [item]
    return SESSIONS[sid]


def forget(sid):
    SESSIONS.pop(sid, None)
'''

SIGNING = '''"""The app, signing its cookies with a key it makes at start-up."""

import secrets

from flask import Flask

app = Flask(__name__)
app.secret_key = secrets.token_hex(16)
'''


@pytest.fixture(scope="module")
def migrated_shop(shop_states: Any, tmp_path_factory: pytest.TempPathFactory) -> Any:
    """The shop with every migrate phase applied (built once; tests take copies)."""
    project = shop_states.phase2_run[0].copy_to(tmp_path_factory.mktemp("migrated-shop"))
    for phase in project.plan_json()["phases"][2:]:
        if phase["kind"] == "migrate":
            run = project.migrator("apply", ".", "--phase", str(phase["number"]))
            assert run.code == 0, run.stderr
    return project


def cleanup_number(project: Any) -> str:
    return str(next(p["number"] for p in project.plan_json()["phases"] if p["kind"] == "cleanup"))


def registry(project: Any, folder: str = "shop/_stateless") -> dict[str, bool]:
    """Component name -> pinned, as the runtime's `components.py` lists them."""
    tree = ast.parse((project.root / folder / "components.py").read_text())
    found = {}
    for call in ast.walk(tree):
        if isinstance(call, ast.Call) and getattr(call.func, "id", "") == "ComponentSpec":
            pinned = any(k.arg == "pinned" and k.value.value for k in call.keywords)
            found[call.args[0].value] = pinned
    return found


def test_it_refuses_until_told_the_rollout_reached_complete(migrated_shop, tmp_path):
    project = migrated_shop.copy_to(tmp_path)
    number, files, branches = cleanup_number(project), project.files(), project.branches

    run = project.migrator("apply", ".", "--phase", number)

    assert run.code == 2, run.stdout
    assert len(run.error_lines) == 1, run.stderr
    assert f"migrator apply --phase {number} --rollout-complete" in run.error_lines[0]
    assert "`complete`" in run.error_lines[0]
    assert project.files() == files and project.branches == branches
    # A dry run shows the change first, without the confirmation.
    dry = project.migrator("apply", ".", "--phase", number, "--dry-run")
    assert dry.code == 0, dry.stderr
    assert "+++ b/shop/_stateless/components.py" in dry.stdout


def test_it_pins_every_component_apply_made_and_says_why_one_is_kept(migrated_shop, tmp_path):
    project = migrated_shop.copy_to(tmp_path)
    before = registry(project)
    assert "ORDER_SEQ" in before  # `counter("ORDER_SEQ", start=...)`: no old side to drop

    run = project.migrator("apply", ".", "--phase", cleanup_number(project), "--rollout-complete")

    assert run.code == 0, run.stderr
    after = registry(project)
    assert set(after) == set(before)
    assert after["ORDER_SEQ"] and after["SESSIONS"] and after["ORDER_LOCK"], after
    assert "removed  shop.orders.ORDER_SEQ: flag STATELESS_ORDER_SEQ removed" in run.stdout
    kept = {name for name, pinned in after.items() if not pinned}
    for name in kept:  # a flag left in place is reported with its reason
        assert f"STATELESS_{name.upper()} stays (" in run.stdout, run.stdout
    code = "".join(p.read_text() for p in (project.root / "shop").glob("*.py"))
    assert "_on_redis" not in code
    assert project.status() == []


def test_its_commit_says_merging_removes_the_old_path(migrated_shop, tmp_path):
    project = migrated_shop.copy_to(tmp_path)
    number = cleanup_number(project)

    run = project.migrator("apply", ".", "--phase", number, "--rollout-complete")

    assert run.code == 0, run.stderr
    message = project.git("log", "-1", "--format=%B")
    assert "merging this changes no behaviour" not in message.lower()
    assert "starts at `off`" not in message
    assert "Pinned at `complete`" in message
    assert "Merging this removes the old path" in message
    assert message.rstrip().endswith(f"Migrator-Phase: {number}")
    assert "Every flag starts at `off`" not in run.stdout


def test_it_finds_a_flag_in_a_module_that_moved_since_the_plan(git_service):
    project = git_service({"cart.py": CART, "shop/__init__.py": ""})
    assert project.migrator("plan", ".").code == 0
    assert project.migrator("apply", ".", "--phase", "1").code == 0
    # The plan still says `cart.py`; the team moved the module since.
    project.git("mv", "cart.py", "shop/cart.py")
    project.git("commit", "--quiet", "-m", "Move the cart into the package")

    run = project.migrator("apply", ".", "--phase", "2", "--rollout-complete")

    assert run.code == 0, run.stderr
    assert 'SESSIONS = kv("SESSIONS")\n' in (project.root / "shop/cart.py").read_text()
    runtime = next(project.root.rglob("_stateless/components.py")).parent
    assert registry(project, runtime.relative_to(project.root).as_posix()) == {"SESSIONS": True}


def test_a_phase_with_nothing_to_change_says_so_and_exits_0(git_service):
    project = git_service({"notes.py": NOTES})
    assert project.migrator("plan", ".").code == 0
    assert project.migrator("apply", ".", "--phase", "1").code == 0  # a marker, no flag
    branches, head = project.branches, project.git("rev-parse", "HEAD")

    run = project.migrator("apply", ".", "--phase", "2", "--rollout-complete")

    assert run.code == 0, run.stderr
    assert "Phase 2 has nothing to change" in run.stdout
    assert "nothing to remove" in run.stdout
    assert project.branches == branches
    assert project.git("rev-parse", "HEAD") == head


def test_a_shared_signing_key_is_read_first_then_required(git_service):
    project = git_service({"shop/__init__.py": "", "shop/app.py": SIGNING})
    assert project.migrator("plan", ".").code == 0
    run = project.migrator("apply", ".", "--phase", "1")
    assert run.code == 0, run.stderr
    applied = (project.root / "shop/app.py").read_text()
    assert 'app.secret_key = os.environ.get("STATELESS_SECRET_KEY") or secrets.token_hex(16)\n' in (
        applied
    )

    run = project.migrator("apply", ".", "--phase", "2", "--rollout-complete")

    assert run.code == 0, run.stderr
    assert "every replica must now have STATELESS_SECRET_KEY" in run.stdout
    cleaned = (project.root / "shop/app.py").read_text()
    assert 'app.secret_key = os.environ["STATELESS_SECRET_KEY"]\n' in cleaned
    assert "import secrets" not in cleaned
    scan = project.migrator("scan", ".", "--format", "concise")
    assert "secret_key" not in scan.stdout


def test_gits_own_reason_is_reported_not_hidden(tmp_path: Path):
    subprocess.run(["git", "init", "--quiet", str(tmp_path)], check=True)
    repo = git.Repo(tmp_path)
    with pytest.raises(git.GitCommandError) as failed:
        repo.git.commit("-m", "nothing staged")

    assert git_reason(failed.value).startswith("nothing to commit")
