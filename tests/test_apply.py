"""`migrator apply`: one phase, one branch, one commit, on a real git repository of the shop."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import uuid
from collections.abc import Callable, Iterator
from typing import Any

import psycopg
import pytest
import redis

REDIS_URL = os.environ.get("MIGRATOR_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")
DATABASE_URL = os.environ.get(
    "MIGRATOR_TEST_DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/test"
)
PLAN_DOCUMENTS = {"migration-plan/plan.json", "migration-plan/PLAN.md", "migration-plan/plan.html"}
MIGRATED = re.compile(r"^\s+migrated (\S+):", re.MULTILINE)


def changed_paths(diff: str) -> set[str]:
    """The files a unified diff changes (its `+++ b/<path>` lines)."""
    return {line[len("+++ b/") :] for line in diff.splitlines() if line.startswith("+++ b/")}


def assert_refused(run: Any) -> None:
    """Exit 2 with one line on stderr that gives the reason, and no traceback anywhere."""
    assert run.code == 2, run.stderr
    assert len(run.error_lines) == 1, run.stderr
    assert run.error_lines[0].startswith("migrator: ")
    assert "Traceback" not in run.stderr + run.stdout


def test_dry_run_prints_the_diff_and_changes_nothing(planned_shop):
    files, status = planned_shop.files(), planned_shop.status()
    branches, commits = planned_shop.branches, planned_shop.commit_count()

    run = planned_shop.migrator("apply", ".", "--phase", "1", "--dry-run")

    assert run.code == 0, run.stderr
    assert run.stdout.startswith("--- ")
    assert "shop/settings.py" in changed_paths(run.stdout)
    assert re.search(r"^\+CACHE_TYPE = .*RedisCache", run.stdout, re.MULTILINE)
    assert planned_shop.files() == files
    assert planned_shop.status() == status
    assert all(line.startswith("?? migration-plan/") for line in status)
    assert planned_shop.branches == branches == {"main"}
    assert planned_shop.head_branch == "main"
    assert planned_shop.commit_count() == commits


def test_apply_commits_the_phase_on_its_own_branch(planned_shop, tmp_path):
    dry = planned_shop.migrator("apply", ".", "--phase", "1", "--dry-run")
    branch = planned_shop.branch_of(1)
    phase = planned_shop.plan_json()["phases"][0]
    components = planned_shop.plan_json()["components"]

    run = planned_shop.migrator("apply", ".", "--phase", "1")

    assert run.code == 0, run.stderr
    assert branch in run.stdout
    assert planned_shop.head_branch == branch
    assert planned_shop.branches == {"main", branch}
    assert planned_shop.commit_count("main..HEAD") == 1
    assert planned_shop.status() == []
    message = planned_shop.git("log", "-1", "--format=%B")
    for finding_id in phase["findings"]:
        assert components[finding_id]["qualname"] in message
    for flag in phase["flags"]:
        assert flag in message
    assert message.rstrip().splitlines()[-1] == "Migrator-Phase: 1"
    trailers = subprocess.run(
        ["git", "interpret-trailers", "--parse"], input=message, capture_output=True, text=True
    ).stdout
    assert trailers.strip() == "Migrator-Phase: 1"
    committed = set(planned_shop.git("show", "--name-only", "--format=", "HEAD").split())
    assert PLAN_DOCUMENTS <= committed
    assert committed - PLAN_DOCUMENTS == changed_paths(dry.stdout)

    # The dry run's diff, applied to main elsewhere, gives exactly the committed files.
    main_copy = tmp_path / "main-copy"
    planned_shop.git("worktree", "add", "--quiet", "--detach", str(main_copy), "main")
    patch = tmp_path / "dry-run.diff"
    patch.write_text(dry.stdout)
    subprocess.run(["git", "apply", str(patch)], cwd=main_copy, env=planned_shop.env, check=True)
    for path in changed_paths(dry.stdout):
        assert (main_copy / path).read_bytes() == (planned_shop.root / path).read_bytes(), path


def test_applying_a_phase_again_changes_nothing(phase1_shop):
    files, commits = phase1_shop.files(), phase1_shop.commit_count()
    branch = phase1_shop.head_branch

    run = phase1_shop.migrator("apply", ".", "--phase", "1")

    assert run.code == 0, run.stderr
    assert "already applied" in run.stderr
    assert phase1_shop.commit_count() == commits
    assert phase1_shop.head_branch == branch
    assert phase1_shop.files() == files
    assert phase1_shop.status() == []


def test_phase_two_stacks_on_the_branch_of_phase_one(phase1_shop):
    first, second = phase1_shop.branch_of(1), phase1_shop.branch_of(2)

    run = phase1_shop.migrator("apply", ".", "--phase", "2")

    assert run.code == 0, run.stderr
    assert phase1_shop.head_branch == second
    assert phase1_shop.branches == {"main", first, second}
    phase1_shop.git("merge-base", "--is-ancestor", first, second)
    assert phase1_shop.commit_count(f"{first}..{second}") == 1
    assert "Migrator-Phase: 2" in phase1_shop.git("log", "-1", "--format=%B")
    assert phase1_shop.status() == []


def _modify_a_tracked_file(project: Any) -> None:
    with (project.root / "shop" / "state.py").open("a") as source:
        source.write("\nVISITS = {}\n")


def _detach_head(project: Any) -> None:
    project.git("checkout", "--quiet", "--detach")


def _remove_the_repository(project: Any) -> None:
    shutil.rmtree(project.root / ".git")


def _remove_the_plan(project: Any) -> None:
    shutil.rmtree(project.root / "migration-plan")


def _nothing(project: Any) -> None:
    return None


@pytest.mark.parametrize(
    ("prepare", "phase", "reason"),
    [
        pytest.param(_nothing, "2", "phase 1", id="phase-2-before-phase-1"),
        pytest.param(_nothing, "99", "no phase 99", id="unknown-phase"),
        pytest.param(_modify_a_tracked_file, "1", "shop/state.py", id="dirty-tree"),
        pytest.param(_detach_head, "1", "detached", id="detached-head"),
        pytest.param(_remove_the_repository, "1", "git", id="not-a-repository"),
        pytest.param(_remove_the_plan, "1", "migrator plan", id="no-plan"),
    ],
)
def test_refusals_exit_2_with_one_line_and_change_nothing(
    planned_shop, prepare: Callable[[Any], None], phase: str, reason: str
):
    prepare(planned_shop)
    files = planned_shop.files()
    repository = (planned_shop.root / ".git").is_dir()
    if repository:
        branches, head = planned_shop.branches, planned_shop.git("rev-parse", "HEAD")

    run = planned_shop.migrator("apply", ".", "--phase", phase)

    assert_refused(run)
    assert reason in run.error_lines[0]
    assert planned_shop.files() == files
    if repository:
        assert planned_shop.branches == branches
        assert planned_shop.git("rev-parse", "HEAD") == head


def test_the_cleanup_phase_waits_for_every_phase_before_it(planned_shop):
    cleanup = next(p for p in planned_shop.plan_json()["phases"] if p["kind"] == "cleanup")

    run = planned_shop.migrator("apply", ".", "--phase", str(cleanup["number"]))

    assert_refused(run)
    assert "phase 1" in run.error_lines[0]
    assert planned_shop.branches == {"main"}


def test_the_cleanup_phase_removes_every_flag_and_pins_the_stores(
    shop_states, tmp_path, redis_prefix
):
    project = shop_states.phase2_run[0].copy_to(tmp_path)
    phases = project.plan_json()["phases"]
    for phase in phases[2:]:
        confirm = ["--rollout-complete"] if phase["kind"] == "cleanup" else []
        run = project.migrator("apply", ".", "--phase", str(phase["number"]), *confirm)
        assert run.code == 0, run.stderr

    settings = (project.root / "shop/settings.py").read_text()
    state = (project.root / "shop/state.py").read_text()
    components = (project.root / "shop/_stateless/components.py").read_text()
    assert "_on_redis" not in settings and 'CACHE_TYPE = "RedisCache"\n' in settings
    assert 'kv("SESSIONS")' in state
    assert '"SESSIONS", "kv", "redis", 1209600, pinned=True' in components  # two weeks
    # Pinned at `complete`: even with every flag `off` the shop runs on the stores.
    done = run_example_tests(
        project,
        {
            "STATELESS_MODE": "off",
            "STATELESS_KEY_PREFIX": redis_prefix,
            "STATELESS_REDIS_URL": REDIS_URL,
            "STATELESS_DATABASE_URL": DATABASE_URL,
        },
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-2000:]
    client = redis.Redis.from_url(REDIS_URL)
    try:
        assert any(client.scan_iter(match=f"*{redis_prefix}*SESSIONS*", count=1000))
    finally:
        client.close()


@pytest.fixture(scope="module")
def failed_commit(shop_states, tmp_path_factory) -> tuple[Any, dict[str, bytes], Any]:
    """`apply --phase 1` where `git commit` fails for real: the repository has no identity.

    (project, its files before, the run). Git itself refuses: an unset user.email with
    `user.useConfigOnly` and no global config.
    """
    project = shop_states.planned.copy_to(tmp_path_factory.mktemp("failed-commit"))
    project.git("config", "--unset", "user.email")
    project.git("config", "user.useConfigOnly", "true")
    files = project.files()
    return project, files, project.migrator("apply", ".", "--phase", "1")


def test_a_failed_commit_leaves_files_and_branches_as_they_were(failed_commit):
    project, files, run = failed_commit
    assert run.code != 0
    assert "commit" in run.stderr.lower()  # it failed at the commit, after the branch was made
    assert "Traceback" not in run.stderr
    assert project.head_branch == "main"
    assert project.branches == {"main"}
    assert project.files() == files


def test_a_failed_commit_is_reported_in_one_line(failed_commit):
    _project, _files, run = failed_commit
    assert run.code == 2
    assert len(run.error_lines) == 1, run.stderr
    assert "internal error" not in run.stderr


def test_a_failed_commit_leaves_the_index_as_it_was(failed_commit):
    project, _files, _run = failed_commit
    status = project.status()
    assert all(line.startswith("?? migration-plan/") for line in status), status


PASSING_HOOK = """#!/bin/sh
echo "checked $(git diff --cached --name-only | wc -l) files" >> "$(git rev-parse --git-dir)/hook.log"
"""
FAILING_HOOK = """#!/bin/sh
echo "lint: shop/settings.py:1: line too long" >&2
exit 1
"""


def _install_hook(project: Any, text: str) -> None:
    hook = project.root / ".git" / "hooks" / "pre-commit"
    hook.parent.mkdir(exist_ok=True)
    hook.write_text(text)
    hook.chmod(0o755)


def test_the_commit_runs_the_repositorys_own_hooks(planned_shop):
    _install_hook(planned_shop, PASSING_HOOK)

    run = planned_shop.migrator("apply", ".", "--phase", "1")

    assert run.code == 0, run.stderr
    log = (planned_shop.root / ".git" / "hook.log").read_text()
    assert log.startswith("checked "), log
    assert planned_shop.head_branch == planned_shop.branch_of(1)


def test_a_hook_that_refuses_is_named_and_everything_is_put_back(phase1_shop):
    _install_hook(phase1_shop, FAILING_HOOK)
    files, branches = phase1_shop.files(), phase1_shop.branches
    branch, head = phase1_shop.head_branch, phase1_shop.git("rev-parse", "HEAD")

    run = phase1_shop.migrator("apply", ".", "--phase", "2")

    assert_refused(run)
    line = run.error_lines[0]
    assert "`pre-commit` hook refused the commit: lint: shop/settings.py:1: line too long" in line
    assert f"the files are as they were and `{branch}` is checked out again" in line
    assert phase1_shop.files() == files  # the runtime's new folder is gone too
    assert not (phase1_shop.root / "shop" / "_stateless").exists()
    assert phase1_shop.branches == branches and phase1_shop.head_branch == branch
    assert phase1_shop.git("rev-parse", "HEAD") == head
    assert phase1_shop.status() == []


@pytest.fixture
def redis_prefix() -> Iterator[str]:
    """A key prefix no other test uses; every key carrying it is deleted afterwards."""
    prefix = f"applytest{uuid.uuid4().hex[:10]}"
    yield prefix
    client = redis.Redis.from_url(REDIS_URL)
    names = list(client.scan_iter(match=f"*{prefix}*", count=1000))
    if names:
        client.delete(*names)
    client.close()
    # Components the plan put on PostgreSQL leave rows under the same prefix.
    with psycopg.connect(DATABASE_URL, autocommit=True) as connection:
        tables = connection.execute(
            "SELECT table_name FROM information_schema.tables WHERE table_name LIKE 'stateless_%'"
        ).fetchall()
        for (table,) in tables:
            connection.execute(
                f"DELETE FROM {table} WHERE namespace LIKE %s",  # noqa: S608 - our own table names
                (prefix + ":%",),
            )


def run_example_tests(project: Any, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    """The migrated shop's own test suite, run inside the copy."""
    return subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider"],
        cwd=project.root,
        env={**project.env, **env},
        capture_output=True,
        text=True,
        timeout=300,
    )


def test_after_phase_two_the_shops_own_tests_pass_with_every_flag_off(
    shop_states, tmp_path, redis_prefix
):
    project = shop_states.phase2_run[0].copy_to(tmp_path)

    done = run_example_tests(
        project,
        {
            "STATELESS_MODE": "off",
            "STATELESS_KEY_PREFIX": redis_prefix,
            "STATELESS_REDIS_URL": REDIS_URL,
        },
    )

    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-2000:]
    client = redis.Redis.from_url(REDIS_URL)
    try:  # `off` is what merging the branch gives: the store is never touched
        assert not any(client.scan_iter(match=f"*{redis_prefix}*", count=1000))
    finally:
        client.close()


def test_after_phase_two_the_shops_own_tests_pass_on_redis(shop_states, tmp_path, redis_prefix):
    project = shop_states.phase2_run[0].copy_to(tmp_path)

    done = run_example_tests(
        project,
        {
            "STATELESS_MODE": "complete",
            "STATELESS_KEY_PREFIX": redis_prefix,
            "STATELESS_REDIS_URL": REDIS_URL,
        },
    )

    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-2000:]
    client = redis.Redis.from_url(REDIS_URL)
    try:
        assert any(client.scan_iter(match=f"*{redis_prefix}*SESSIONS*", count=1000))
    finally:
        client.close()


def test_the_framework_cache_switch_keeps_keys_under_the_service_prefix(phase1_shop, redis_prefix):
    request = (
        "from shop import create_app\n"
        "client = create_app({'TESTING': True, 'UPLOAD_FOLDER': 'uploads'}).test_client()\n"
        "assert client.get('/bestsellers').status_code == 200\n"
    )
    env = {
        **phase1_shop.env,
        "STATELESS_MODE": "complete",
        "STATELESS_KEY_PREFIX": redis_prefix,
        "STATELESS_REDIS_URL": REDIS_URL,
        "PYTHONPATH": str(phase1_shop.root),
    }
    subprocess.run(
        [sys.executable, "-c", request], cwd=phase1_shop.root, env=env, check=True, timeout=60
    )

    client = redis.Redis.from_url(REDIS_URL)
    try:
        assert any(client.scan_iter(match=f"*{redis_prefix}*bestsellers*", count=1000))
    finally:
        client.close()


def test_a_scan_after_phase_two_no_longer_reports_what_it_migrated(shop_states, tmp_path):
    project, applied = shop_states.phase2_run
    migrated = set(MIGRATED.findall(applied.stdout))
    assert migrated, applied.stdout
    assert "still found by the scan" not in applied.stdout

    scan = project.copy_to(tmp_path).migrator("scan", ".", "--format", "json")

    assert scan.code == 0, scan.stderr
    remaining = {f["qualname"] for f in json.loads(scan.stdout)["findings"]}
    assert remaining, "the manual components of phase 2 and phase 3's are still there"
    assert migrated.isdisjoint(remaining)


def test_the_configured_key_prefix_is_the_default_of_every_store(planned_shop):
    (planned_shop.root / "pyproject.toml").write_text(
        '[project]\nname = "shop"\nversion = "1"\n\n[tool.migrator]\nkey_prefix = "shop-eu"\n'
    )
    planned_shop.git("add", "pyproject.toml")
    planned_shop.git("commit", "--quiet", "-m", "Configure migrator")
    for phase in ("1", "2"):
        run = planned_shop.migrator("apply", ".", "--phase", phase)
        assert run.code == 0, run.stderr

    runtime_settings = (planned_shop.root / "shop/_stateless/settings.py").read_text()
    assert 'DEFAULT_KEY_PREFIX = "shop-eu"' in runtime_settings
    flask_settings = (planned_shop.root / "shop/settings.py").read_text()
    assert 'os.environ.get("STATELESS_KEY_PREFIX", "shop-eu") + ":"' in flask_settings
