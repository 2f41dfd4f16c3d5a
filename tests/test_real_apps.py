"""The pieces of benchmarks/real_apps.py that decide its figures: test outcomes from a time-boxed
pytest run, the components `apply` reported, which tests name a migrated component, and the
two-process check on a real generated runtime against the loopback Redis."""

from __future__ import annotations

import importlib.util
import json
import os
import sys
import textwrap
import uuid
from pathlib import Path
from types import ModuleType

import pytest

from migrator.runtime import Component, render_runtime

REPO = Path(__file__).resolve().parents[1]
REDIS_URL = os.environ.get("MIGRATOR_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")


def _load(name: str) -> ModuleType:
    sys.path.insert(0, str(REPO / "benchmarks"))
    sys.path.insert(0, str(REPO / "benchmarks" / "corpus"))
    try:
        spec = importlib.util.spec_from_file_location(name, REPO / "benchmarks" / f"{name}.py")
        assert spec is not None and spec.loader is not None
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module  # dataclasses look their module up while being built
        spec.loader.exec_module(module)
        return module
    finally:
        sys.path[:2] = []


envs = _load("real_apps_envs")
probe = _load("real_apps_probe")
real_apps = _load("real_apps")


def _recipe(**changes: object) -> object:
    fields = dict(name="toy", python="3.11", pip=(), project_deps=(), apt=(), files={},
                  before=(), env={}, runs=(envs.TestRun(".", ("tests",), ()),), subset="")
    fields.update(changes)
    return envs.Recipe(**fields)


def test_apply_output_entries_wrapped_at_160_columns_are_joined() -> None:
    stdout = (
        "Phase 2 committed on stateless/phase-2-files (55959fd7c4), 15 files changed.\n"
        "  manual   shop.views.DATA: manual: the codemod refused (shop/views.py: `DATA` is used as "
        "a plain value in `return {` (line 16) " + "x" * 40 + "\n"
        "(passed, stored, returned or aliased))\n"
        "  migrated shop.state.SESSIONS: flag STATELESS_SESSIONS on redis\n"
        "  still found by the scan: shop.state.OTHER\n"
        "Every flag starts at `off`.\n"
    )
    out = real_apps.parse_apply_output(stdout)
    assert out["manual"] == [{
        "qualname": "shop.views.DATA",
        "how": "manual: the codemod refused (shop/views.py: `DATA` is used as a plain value in "
               "`return {` (line 16) " + "x" * 40 + " (passed, stored, returned or aliased))",
    }]
    assert out["migrated"] == [
        {"qualname": "shop.state.SESSIONS", "how": "flag STATELESS_SESSIONS on redis"}]
    assert out["still_found"] == ["shop.state.OTHER"]


def test_outcomes_fold_setup_errors_reruns_and_skips() -> None:
    lines = [
        {"nodeid": "t.py::ok", "when": "setup", "outcome": "passed"},
        {"nodeid": "t.py::ok", "when": "call", "outcome": "passed"},
        {"nodeid": "t.py::ok", "when": "teardown", "outcome": "passed"},
        {"nodeid": "t.py::broken_fixture", "when": "setup", "outcome": "failed"},
        {"nodeid": "t.py::flaky", "when": "call", "outcome": "rerun"},
        {"nodeid": "t.py::flaky", "when": "call", "outcome": "passed"},
        {"nodeid": "t.py::skipped", "when": "setup", "outcome": "skipped"},
        {"nodeid": "t.py::bad_teardown", "when": "call", "outcome": "passed"},
        {"nodeid": "t.py::bad_teardown", "when": "teardown", "outcome": "failed"},
        {"nodeid": "t.py", "when": "collect", "outcome": "failed"},
    ]
    assert envs._fold(lines) == {
        "t.py::ok": "passed",
        "t.py::broken_fixture": "failed",
        "t.py::flaky": "passed",
        "t.py::skipped": "skipped",
        "t.py::bad_teardown": "failed",
        "t.py": "failed",
    }


def _toy_suite(tmp_path: Path, body: str) -> Path:
    copy = tmp_path / "toy"
    (copy / "tests").mkdir(parents=True)
    (copy / "tests" / "test_toy.py").write_text(textwrap.dedent(body), encoding="utf-8")
    return copy


def test_a_run_reports_each_test_and_new_failures_against_the_baseline(tmp_path: Path) -> None:
    copy = _toy_suite(tmp_path, """
        import os
        SESSIONS = {}

        def test_passes():
            assert True

        def test_fails_at_complete():
            SESSIONS["a"] = 1
            assert os.environ.get("STATELESS_MODE") != "complete"

        def test_always_fails():
            assert False
    """)
    venv = Path(sys.prefix)
    recipe = _recipe()
    base = envs.run_tests(recipe, copy, venv, env={}, timeout=120, logs=tmp_path / "logs",
                          label="before")
    assert base.outcomes == {
        "tests/test_toy.py::test_passes": "passed",
        "tests/test_toy.py::test_fails_at_complete": "passed",
        "tests/test_toy.py::test_always_fails": "failed",
    }
    now = envs.run_tests(recipe, copy, venv, env={"STATELESS_MODE": "complete"}, timeout=120,
                         logs=tmp_path / "logs", label="complete")
    compared = real_apps.compare(base, now, copy, recipe, {"SESSIONS"})
    assert compared["new_failures"] == [
        {"test": "tests/test_toy.py::test_fails_at_complete", "pokes": ["SESSIONS"]}]
    assert (compared["passed"], compared["failed"], compared["missing"]) == (1, 2, [])


def test_a_run_cut_by_the_time_box_keeps_the_tests_it_finished(tmp_path: Path) -> None:
    copy = _toy_suite(tmp_path, """
        import time

        def test_a_quick_one():
            pass

        def test_z_hangs():
            time.sleep(600)
    """)
    result = envs.run_tests(_recipe(), copy, Path(sys.prefix), env={}, timeout=8,
                            logs=tmp_path / "logs", label="before")
    assert result.timed_out
    assert result.outcomes["tests/test_toy.py::test_a_quick_one"] == "passed"
    assert result.seconds < 60


def _service_with_runtime(tmp_path: Path, state_py: str) -> Path:
    """A tiny service `shop` whose SESSIONS is a kv of a really generated runtime."""
    copy = tmp_path / "service"
    files = render_runtime("shop", [Component(name="SESSIONS", kind="kv", store="redis")])
    for rel, text in files.items():
        (copy / "shop" / rel).parent.mkdir(parents=True, exist_ok=True)
        (copy / "shop" / rel).write_text(text, encoding="utf-8")
    (copy / "shop" / "__init__.py").write_text("", encoding="utf-8")
    (copy / "shop" / "state.py").write_text(textwrap.dedent(state_py), encoding="utf-8")
    return copy


PLAN = {"components": {"kv-1": {"qualname": "shop.state.SESSIONS", "symbol": "SESSIONS",
                                "path": "shop/state.py", "category": "session_store"}}}


def test_choose_picks_the_module_binding_of_a_migrated_kv(tmp_path: Path) -> None:
    copy = _service_with_runtime(tmp_path, """
        from shop._stateless import kv

        SESSIONS = kv("SESSIONS", {})
    """)
    target = probe.choose(copy, PLAN, ["shop.state.SESSIONS"])
    assert probe.describe(target) == {
        "qualname": "shop.state.SESSIONS", "module": "shop.state", "symbol": "SESSIONS",
        "name": "SESSIONS", "kind": "kv", "import_root": "", "runtime": "shop._stateless",
        "via": "module",
    }
    assert probe.choose(copy, PLAN, []) is None


def test_two_processes_share_the_migrated_kv_and_not_the_dict_it_replaced(tmp_path: Path) -> None:
    pytest.importorskip("redis")
    migrated = _service_with_runtime(tmp_path, """
        from shop._stateless import kv

        SESSIONS = kv("SESSIONS", {})
    """)
    target = probe.choose(migrated, PLAN, ["shop.state.SESSIONS"])
    prefix = f"test-real-apps-{uuid.uuid4().hex[:8]}"
    env = dict(os.environ, STATELESS_MODE="complete", STATELESS_REDIS_URL=REDIS_URL,
               STATELESS_KEY_PREFIX=prefix)
    script = Path(probe.__file__)
    try:
        after = probe.check(sys.executable, script, target, "k1", cwd=migrated, env=env)
        assert after["shared"] is True, after
        assert after["read"] == {"observed": "k1:written", "type": "KeyValueStore"}
        (migrated / "shop" / "state.py").write_text("SESSIONS = {}\n", encoding="utf-8")
        before = probe.check(sys.executable, script, target, "k2", cwd=migrated, env=env,
                             via="module")
        assert before["shared"] is False, before
        assert before["read"] == {"observed": None, "type": "dict"}
    finally:
        real_apps.REDIS_URL = REDIS_URL
        real_apps.forget_keys(prefix)


def test_a_lock_held_by_a_finished_process_is_seen_only_when_shared(tmp_path: Path) -> None:
    copy = tmp_path / "service"
    (copy / "shop").mkdir(parents=True)
    (copy / "shop" / "__init__.py").write_text("", encoding="utf-8")
    (copy / "shop" / "state.py").write_text("import threading\nLOCK = threading.Lock()\n",
                                            encoding="utf-8")
    target = probe.Target("shop.state.LOCK", "shop.state", "LOCK", "LOCK", "lock", "",
                          "shop._stateless", "module")
    result = probe.check(sys.executable, Path(probe.__file__), target, "k", cwd=copy,
                         env=dict(os.environ))
    assert result["shared"] is False
    assert (result["wrote"]["observed"], result["read"]["observed"]) == ("held", "free")


def test_the_table_names_each_new_failure_and_what_it_pokes() -> None:
    row = {
        "name": "toy", "install": {"ok": True}, "scan": {"ok": True},
        "plan": {"ok": True, "phases": [{"number": 1, "slug": "s", "kind": "migrate"},
                                        {"number": 2, "slug": "c", "kind": "cleanup"}]},
        "phases": [{"number": 1, "ok": True}],
        "cleanup": {"number": 2, "ok": False, "reason": "nothing to commit"},
        "migrated": ["shop.state.SESSIONS"], "manual": [],
        "tests": {
            "before": {"passed": 2, "failed": 0, "timed_out": False},
            "off": {"passed": 2, "failed": 0, "timed_out": False, "new_failures": []},
            "complete": {"passed": 1, "failed": 1, "timed_out": True,
                         "new_failures": [{"test": "t.py::x", "pokes": ["SESSIONS"]}]},
        },
        "two_process": {"shared": True, "after": {"shared": True},
                        "before": {"shared": False}},
    }
    text = real_apps.render([row])
    body = text.splitlines()[2]
    assert body.split() == ["toy", "2/0", "2/0", "new", "0", "1/1", "new", "1", "T", "-",
                            "1/1", "cleanup", "failed", "1/0", "yes", "(was", "not)"]
    assert "toy: apply --phase 2: nothing to commit" in text
    assert "toy: new failure at complete: t.py::x (names SESSIONS)" in text


def test_every_recipe_names_a_corpus_service_and_a_pytest_run() -> None:
    labels = {json.loads(p.read_text(encoding="utf-8"))["name"]
              for p in (REPO / "benchmarks" / "corpus").glob("*.json")}
    recipes = envs.load_recipes()
    assert len(recipes) >= 12
    for name, recipe in recipes.items():
        assert name in labels, name
        assert recipe.runs and all(run.args for run in recipe.runs), name
