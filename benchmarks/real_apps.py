"""Migrates real services end to end and runs their own test suites at each stage.

    python benchmarks/real_apps.py [NAME ...] [--work DIR] [--corpus DIR] [--skip-install]
                                   [--timeout S] [--install-timeout S] [--fresh]
                                   [--json FILE] [--quiet]

For each corpus service with a recipe in corpus/apps.toml (the sources put in place by
corpus/checkout.py), one at a time:

1. a git copy of the service in WORK/<name> (one commit, tagged `real-apps-base`; reused
   and reset between runs), and a virtualenv per service from its recipe (cached in
   WORK/.venvs under a hash of the recipe);
2. its tests on the original code: the baseline, since some fail already;
3. `migrator scan`, `migrator plan`, `migrator apply --phase N` for every phase but cleanup;
4. its tests with every flag `off`, then with `STATELESS_MODE=complete` (Redis and
   PostgreSQL on loopback, a key prefix of its own per run);
5. a two-process check of one migrated component (real_apps_probe.py): per process on the
   original code, shared through the store at `complete`;
6. the cleanup phase (with `--rollout-complete` where `apply` has it) and its tests again.

Each test run is compared with the baseline by test id: the tests that fail now and did not
before are listed, and for each, which migrated components its code names (a test that
pokes the old in-memory object). Prints a table (a row a service), then every apply
failure, new failure and install failure by name; `--json` writes all the details. Progress
goes to stderr. A failure in one service never stops the others. A figure printer: exit 0
whatever the figures, 2 for bad arguments.
"""

from __future__ import annotations

import argparse
import ast
import json
import os
import re
import secrets
import shutil
import subprocess
import sys
import time
import uuid
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent / "corpus"))
import real_apps_probe as probe  # noqa: E402
from checkout import DEFAULT_INTO  # noqa: E402
from real_apps_envs import (  # noqa: E402
    InstallError,
    Recipe,
    SuiteResult,
    install,
    load_recipes,
    python_of,
    run_tests,
)

DEFAULT_WORK = Path(os.environ.get("MIGRATOR_APPS_DIR", "/tmp/migrator-apps"))
BASE_TAG = "real-apps-base"
REDIS_URL = os.environ.get("MIGRATOR_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")
DATABASE_URL = os.environ.get("MIGRATOR_TEST_DATABASE_URL",
                              "postgresql://postgres@127.0.0.1:5432/test")
STAGES = ("off", "complete", "cleanup")
_QUIET = False


def say(name: str, message: str) -> None:
    if not _QUIET:
        print(f"[{time.strftime('%H:%M:%S')}] {name}: {message}", file=sys.stderr, flush=True)


# --- git and the migrator CLI -----------------------------------------------------------


def git(copy: Path, *args: str) -> str:
    done = subprocess.run(["git", "-C", str(copy), *args], capture_output=True, text=True)
    if done.returncode != 0:
        raise RuntimeError(f"git {' '.join(args)}: {done.stderr.strip().splitlines()[-1:]}")
    return done.stdout


def tidy(copy: Path) -> None:
    """Undo what a test run left in the tree: tracked files back, untracked files gone."""
    git(copy, "checkout", "-q", "--", ".")
    git(copy, "clean", "-qfd")


def prepare_copy(name: str, recipe: Recipe, corpus: Path, work: Path, fresh: bool) -> Path:
    """WORK/<name>: the service at its corpus version, one commit on `main`, nothing else."""
    source = corpus / name
    if not source.is_dir():
        raise InstallError(f"no source at {source}: run benchmarks/corpus/checkout.py {name}")
    marker = (source / ".corpus-source").read_text(encoding="utf-8") \
        if (source / ".corpus-source").is_file() else ""
    copy = work / name
    stamp = copy / ".git" / "real-apps-source"
    if not fresh and stamp.is_file() and stamp.read_text(encoding="utf-8") == marker:
        git(copy, "checkout", "-qf", "main")
        for branch in git(copy, "branch", "--format=%(refname:short)").split():
            if branch != "main":
                git(copy, "branch", "-qD", branch)
        git(copy, "reset", "-q", "--hard", BASE_TAG)
        git(copy, "clean", "-qfd")
        return copy
    shutil.rmtree(copy, ignore_errors=True)
    shutil.copytree(source, copy, symlinks=True, ignore=shutil.ignore_patterns(".corpus-source"))
    for rel, text in recipe.files.items():
        (copy / rel).parent.mkdir(parents=True, exist_ok=True)
        (copy / rel).write_text(text, encoding="utf-8")
    git(copy, "init", "-q", "-b", "main")
    git(copy, "config", "user.name", "real-apps")
    git(copy, "config", "user.email", "real-apps@localhost")
    git(copy, "add", "-A")
    git(copy, "commit", "-qm", f"{name} as the corpus has it", "--no-verify")
    git(copy, "tag", BASE_TAG)
    stamp.write_text(marker, encoding="utf-8")
    return copy


def commit_install_leftovers(copy: Path) -> None:
    """Files an editable install made in the tree become part of the base commit."""
    if git(copy, "status", "--porcelain", "--untracked-files=all").strip():
        git(copy, "add", "-A")
        git(copy, "commit", "-qm", "files the install made", "--no-verify")
        git(copy, "tag", "-f", BASE_TAG)


def migrator(*args: str, env: dict[str, str], timeout: float = 900) -> subprocess.CompletedProcess[str]:
    try:
        return subprocess.run([sys.executable, "-m", "migrator", *args], capture_output=True,
                              text=True, env=env, timeout=timeout)
    except subprocess.TimeoutExpired:
        return subprocess.CompletedProcess(args, 124, "", f"timed out after {timeout:.0f} s")


def reason(done: subprocess.CompletedProcess[str]) -> str:
    """The one line a failed command gave for itself."""
    lines = [line.strip() for line in (done.stderr or done.stdout).splitlines() if line.strip()]
    tracebacks = [line for line in lines if re.match(r"^[A-Za-z_.]+(Error|Exception)\b", line)]
    last = (tracebacks or lines or [f"exit {done.returncode}"])[-1]
    return re.sub(r"^(migrator:\s*)?(Error|error):\s*|^migrator:\s*", "", last)[:300]


def parse_apply_output(stdout: str) -> dict[str, list[Any]]:
    """The components `apply` reports as migrated and manual, and those the re-scan still sees."""
    out: dict[str, list[Any]] = {"migrated": [], "manual": [], "still_found": []}
    # `apply` prints 160 columns wide into a pipe: a long entry goes on, unindented, below.
    entry: dict[str, str] | None = None
    previous = ""
    for line in stdout.splitlines():
        if m := re.match(r"^\s+(migrated|manual)\s+(\S+?): (.*)$", line):
            entry = {"qualname": m.group(2), "how": m.group(3).strip()}
            out[m.group(1)].append(entry)
        elif m := re.match(r"^\s+still found by the scan: (\S+)", line):
            out["still_found"].append(m.group(1))
            entry = None
        elif entry is not None and len(previous) >= 120 and not line.startswith(" "):
            entry["how"] += " " + line.strip()
        else:
            entry = None
        previous = line
    return out


def apply_phase(copy: Path, number: int, env: dict[str, str], extra: list[str]) -> dict[str, Any]:
    done = migrator("apply", str(copy), "--phase", str(number), *extra, env=env)
    out: dict[str, Any] = {"number": number, "ok": done.returncode == 0}
    out.update(parse_apply_output(done.stdout))
    if done.returncode != 0:
        out["reason"] = reason(done)
    else:
        text = (done.stdout or done.stderr).strip()
        out["message"] = text.splitlines()[0][:200] if text else ""
    return out


# --- comparing test runs ----------------------------------------------------------------


def _test_function(copy: Path, recipe: Recipe, nodeid: str) -> ast.AST | None:
    """The def of the test `nodeid` names, parsed from its file."""
    runs = {f"{r.cwd}::": r for r in recipe.runs} if len(recipe.runs) > 1 else {}
    cwd = recipe.runs[0].cwd
    for prefix, run in runs.items():
        if nodeid.startswith(prefix):
            nodeid, cwd = nodeid[len(prefix):], run.cwd
    parts = re.sub(r"\[.*\]$", "", nodeid).split("::")
    # Test ids are relative to pytest's rootdir: the run's folder, a parent with its config,
    # or (with no config anywhere) the folder the run was pointed at.
    files = [f for f in (copy / cwd / parts[0], copy / parts[0]) if f.is_file()]
    files += sorted(f for f in (copy / cwd).rglob(Path(parts[0]).name)
                    if f.as_posix().endswith("/" + parts[0]))
    try:
        tree = ast.parse(files[0].read_text(encoding="utf-8"))
    except (IndexError, OSError, SyntaxError, ValueError):
        return None
    node: ast.AST = tree
    for name in parts[1:]:
        found = [n for n in ast.iter_child_nodes(node)
                 if isinstance(n, (ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef))
                 and n.name == name]
        if not found:
            return None
        node = found[0]
    return node


def pokes(copy: Path, recipe: Recipe, nodeid: str, symbols: set[str]) -> list[str]:
    """Migrated components the test's own code names (it reaches the old object directly)."""
    node = _test_function(copy, recipe, nodeid)
    if node is None or not symbols:
        return []
    names = {n.id for n in ast.walk(node) if isinstance(n, ast.Name)}
    names |= {n.attr for n in ast.walk(node) if isinstance(n, ast.Attribute)}
    return sorted(names & symbols)


def compare(base: SuiteResult, now: SuiteResult, copy: Path, recipe: Recipe,
            symbols: set[str]) -> dict[str, Any]:
    new = sorted(now.failed - base.failed)
    out = now.summary()
    out["new_failures"] = [{"test": t, "pokes": pokes(copy, recipe, t, symbols)} for t in new]
    if not now.timed_out and not base.timed_out:
        out["missing"] = sorted(t for t, o in base.outcomes.items()
                                if o == "passed" and t not in now.outcomes)
    out["tail"] = now.tail if (new or now.error) else ""
    return out


# --- the stores the complete runs used ----------------------------------------------------


def forget_keys(prefix: str) -> None:
    """Delete what runs under `prefix` left in Redis and PostgreSQL (best effort)."""
    try:
        import redis

        client = redis.Redis.from_url(REDIS_URL)
        for pattern in (f"{{{prefix}*", f"{prefix}*"):
            for key in client.scan_iter(match=pattern, count=1000):
                client.delete(key)
    except Exception:  # noqa: BLE001 - the figures do not depend on it
        pass
    try:
        import psycopg

        with psycopg.connect(DATABASE_URL, autocommit=True) as conn:
            for table in ("stateless_values", "stateless_counters"):
                found = conn.execute("SELECT to_regclass(%s)", (table,)).fetchone()
                if found and found[0]:
                    conn.execute(f"DELETE FROM {table} WHERE namespace LIKE %s",  # noqa: S608
                                 (prefix + "%",))
    except Exception:  # noqa: BLE001
        pass


# --- one service ------------------------------------------------------------------------


# One key for this run, the same in every process (as the plan's rollout tells a team to set).
SHARED_SECRET = secrets.token_hex(32)


def stage_env(stage: str, prefix: str) -> dict[str, str]:
    env = {"STATELESS_REDIS_URL": REDIS_URL, "STATELESS_DATABASE_URL": DATABASE_URL,
           "STATELESS_KEY_PREFIX": f"{prefix}-{stage}"}
    if stage != "before":
        env["STATELESS_MODE"] = "off" if stage == "off" else "complete"
    if stage in ("complete", "cleanup"):
        # What a rollout to `complete` sets on every replica: one signing key for all of them.
        env["STATELESS_SECRET_KEY"] = SHARED_SECRET
    return env


def rollout_flag() -> bool:
    """Whether this `migrator apply` asks to be told that the rollout reached `complete`."""
    help_text = migrator("apply", "--help", env=dict(os.environ, COLUMNS="4000")).stdout
    return "--rollout-complete" in help_text


def run_service(name: str, recipe: Recipe, opts: argparse.Namespace,
                helpers: Path) -> dict[str, Any]:
    row: dict[str, Any] = {"name": name, "subset": recipe.subset, "tests": {}, "phases": [],
                           "cleanup": None, "migrated": [], "manual": [], "two_process": None}
    prefix = f"real-apps-{name}-{uuid.uuid4().hex[:8]}"
    logs = opts.work / ".logs" / name
    cli_env = {k: v for k, v in os.environ.items() if not k.startswith("STATELESS_")}
    cli_env.update({"COLUMNS": "4000", "NO_COLOR": "1", "TERM": "dumb",
                    "MIGRATOR_CACHE_DIR": str(opts.work / ".migrator-cache" / prefix)})
    started = time.monotonic()
    row["started"] = time.strftime("%Y-%m-%dT%H:%M:%S")
    try:
        say(name, "preparing the git copy")
        copy = prepare_copy(name, recipe, opts.corpus, opts.work, opts.fresh)
        say(name, "installing" + (" (skipped)" if opts.skip_install else ""))
        venv = install(recipe, copy, opts.work / ".venvs", timeout=opts.install_timeout,
                       skip=opts.skip_install)
        commit_install_leftovers(copy)
        row["install"] = {"ok": True, "venv": str(venv)}
    except (InstallError, RuntimeError) as exc:
        row["install"] = {"ok": False, "reason": str(exc)}
        say(name, f"install failed: {exc}")
        return row

    def tests(stage: str) -> SuiteResult:
        say(name, f"tests: {stage}")
        result = run_tests(recipe, copy, venv, env=stage_env(stage, prefix),
                           timeout=opts.timeout, logs=logs, label=stage)
        tidy(copy)
        say(name, f"tests: {stage}: {result.passed} passed, {len(result.failed)} failed"
                  f"{' (timed out)' if result.timed_out else ''}{' ' + result.error if result.error else ''}")
        return result

    try:
        base = tests("before")
        row["tests"]["before"] = dict(base.summary(), failing=sorted(base.failed), tail=base.tail)
        say(name, "scan and plan")
        scan = migrator("scan", str(copy), "--format", "json", "--no-cache", env=cli_env)
        if scan.returncode != 0:
            row["scan"] = {"ok": False, "reason": reason(scan)}
            return row
        row["scan"] = {"ok": True, "findings": len(json.loads(scan.stdout)["findings"])}
        planned = migrator("plan", str(copy), env=cli_env)
        if planned.returncode != 0:
            row["plan"] = {"ok": False, "reason": reason(planned)}
            return row
        plan = json.loads((copy / "migration-plan" / "plan.json").read_text(encoding="utf-8"))
        row["plan"] = {"ok": True, "components": len(plan.get("components", {})),
                       "phases": [{"number": p["number"], "slug": p["slug"],
                                   "kind": p.get("kind", "migrate")} for p in plan["phases"]]}
        for phase in plan["phases"]:
            if phase.get("kind") == "cleanup":
                continue
            say(name, f"apply --phase {phase['number']} ({phase['slug']})")
            outcome = apply_phase(copy, phase["number"], cli_env, [])
            outcome["slug"] = phase["slug"]
            row["phases"].append(outcome)
            row["migrated"] += [m["qualname"] for m in outcome["migrated"]]
            row["manual"] += [m["qualname"] for m in outcome["manual"]]
            if not outcome["ok"]:
                say(name, f"phase {phase['number']} failed: {outcome['reason']}")
                break
        symbols = {q.rsplit(".", 1)[-1] for q in row["migrated"]}
        for stage in ("off", "complete"):
            row["tests"][stage] = compare(base, tests(stage), copy, recipe, symbols)
        row["two_process"] = two_process(name, copy, plan, row["migrated"], venv, recipe,
                                         helpers, prefix, logs)
        tidy(copy)
        cleanup = [p for p in plan["phases"] if p.get("kind") == "cleanup"]
        if cleanup and all(p["ok"] for p in row["phases"]):
            say(name, f"apply --phase {cleanup[0]['number']} (cleanup)")
            extra = ["--rollout-complete"] if rollout_flag() else []
            row["cleanup"] = apply_phase(copy, cleanup[0]["number"], cli_env, extra)
            if row["cleanup"]["ok"]:
                row["tests"]["cleanup"] = compare(base, tests("cleanup"), copy, recipe, symbols)
            else:
                say(name, f"cleanup failed: {row['cleanup']['reason']}")
    except Exception as exc:  # noqa: BLE001 - one service's surprise must not stop the rest
        row["error"] = f"{type(exc).__name__}: {exc}"
        say(name, f"stopped: {row['error']}")
    finally:
        forget_keys(prefix)
        row["seconds"] = round(time.monotonic() - started, 1)
    return row


def two_process(name: str, copy: Path, plan: dict[str, Any], migrated: list[str], venv: Path,
                recipe: Recipe, helpers: Path, prefix: str, logs: Path) -> dict[str, Any] | None:
    """Shared after (migrated code, `complete`) and per process before (original code)?"""
    target = probe.choose(copy, plan, migrated)
    if target is None:
        return None if not migrated else {
            "shared": None,
            "skipped": "no migrated component is a kv, counter, cache or lock of the generated "
                       "runtime (framework switches are not checked)"}
    say(name, f"two processes: {target.qualname} ({target.kind}, via {target.via})")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("STATELESS_", "PYTHONPATH"))}
    env.update(recipe.env)
    env.update(stage_env("complete", prefix + "-probe"))
    env["PATH"] = f"{venv / 'bin'}{os.pathsep}{env.get('PATH', '')}"
    paths = [str(copy / p) for p in recipe.runs[0].pythonpath]
    env["PYTHONPATH"] = os.pathsep.join(paths)
    key = f"real-apps-probe-{uuid.uuid4().hex[:8]}"
    script = helpers / Path(probe.__file__).name
    cwd = copy / target.import_root
    out: dict[str, Any] = {"component": probe.describe(target)}
    out["after"] = probe.check(python_of(venv), script, target, key, cwd=cwd, env=env)
    branch = git(copy, "branch", "--show-current").strip()
    tidy(copy)
    git(copy, "checkout", "-q", BASE_TAG)
    try:
        out["before"] = probe.check(python_of(venv), script, target, key + "-before", cwd=cwd,
                                    env=env, via="module")
    finally:
        tidy(copy)
        git(copy, "checkout", "-q", branch)
    out["shared"] = out["after"].get("shared")
    return out


# --- the report ---------------------------------------------------------------------------


def _cell(row: dict[str, Any], stage: str) -> str:
    t = row["tests"].get(stage)
    if t is None:
        return "-"
    if t.get("error") and not t["passed"] and not t["failed"]:
        return "no run"
    text = f"{t['passed']}/{t['failed']}"
    if stage != "before":
        text += f" new {len(t['new_failures'])}"
    return text + (" T" if t["timed_out"] else "")


def _phases_cell(row: dict[str, Any]) -> str:
    if not row.get("install", {}).get("ok"):
        return "install failed"
    for step in ("scan", "plan"):
        if row.get(step) and not row[step]["ok"]:
            return f"{step} failed"
    planned = [p for p in row.get("plan", {}).get("phases", []) if p["kind"] != "cleanup"]
    ok = sum(1 for p in row["phases"] if p["ok"])
    text = f"{ok}/{len(planned)}"
    if row["cleanup"] is not None:
        text += " +cleanup" if row["cleanup"]["ok"] else " cleanup failed"
    return text


def _two_cell(row: dict[str, Any]) -> str:
    two = row.get("two_process")
    if not two:
        return "-"
    if two.get("skipped"):
        return "not checked"
    if two.get("shared") is None:
        return "error"
    before = two.get("before", {}).get("shared")
    was = {True: "was shared", False: "was not", None: "before: not checked"}[before]
    return f"{'yes' if two['shared'] else 'no'} ({was})"


def render(rows: list[dict[str, Any]]) -> str:
    head = ("service", "before P/F", "flags off", "complete", "after cleanup", "phases",
            "migrated/manual", "shared by 2 processes")
    body = [(r["name"], _cell(r, "before"), _cell(r, "off"), _cell(r, "complete"),
             _cell(r, "cleanup"), _phases_cell(r),
             f"{len(r['migrated'])}/{len(r['manual'])}", _two_cell(r)) for r in rows]
    widths = [max(len(str(x[i])) for x in [head, *body]) for i in range(len(head))]
    lines = ["  ".join(str(c).ljust(w) for c, w in zip(x, widths, strict=True)).rstrip() for x in [head, *body]]
    lines.insert(1, "  ".join("-" * w for w in widths))
    lines.append("")
    lines.append("P/F: tests passed/failed; new N: failing now, passing (or absent) in the "
                 "baseline; T: the time box cut the run.")
    notes = []
    for r in rows:
        if not r.get("install", {}).get("ok"):
            notes.append(f"{r['name']}: install: {r['install']['reason']}")
        for step in ("scan", "plan"):
            if r.get(step) and not r[step]["ok"]:
                notes.append(f"{r['name']}: {step}: {r[step]['reason']}")
        for p in [*r["phases"], *([r["cleanup"]] if r["cleanup"] else [])]:
            if not p["ok"]:
                notes.append(f"{r['name']}: apply --phase {p['number']}: {p['reason']}")
        if r.get("error"):
            notes.append(f"{r['name']}: stopped: {r['error']}")
        for stage in STAGES:
            for f in r["tests"].get(stage, {}).get("new_failures", []):
                poked = f" (names {', '.join(f['pokes'])})" if f["pokes"] else ""
                notes.append(f"{r['name']}: new failure at {stage}: {f['test']}{poked}")
        two = r.get("two_process") or {}
        for side in ("after", "before"):
            if two.get(side, {}).get("error"):
                notes.append(f"{r['name']}: two processes, {side}: {two[side]['error']}")
        if two.get("skipped"):
            notes.append(f"{r['name']}: two processes: {two['skipped']}")
    if notes:
        lines += ["", *notes]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    global _QUIET
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("names", nargs="*", help="services to run (default: every recipe)")
    parser.add_argument("--work", type=Path, default=DEFAULT_WORK)
    parser.add_argument("--corpus", type=Path, default=DEFAULT_INTO)
    parser.add_argument("--skip-install", action="store_true",
                        help="use the cached virtualenvs; a service without one is a failed row")
    parser.add_argument("--timeout", type=float, default=600, help="seconds a test run may take")
    parser.add_argument("--install-timeout", type=float, default=2400)
    parser.add_argument("--fresh", action="store_true", help="copy the services afresh")
    parser.add_argument("--json", type=Path, help="write the details here")
    parser.add_argument("--quiet", action="store_true", help="no progress lines")
    opts = parser.parse_args(argv)
    _QUIET = opts.quiet
    recipes = load_recipes()
    unknown = [n for n in opts.names if n not in recipes]
    if unknown:
        print(f"real_apps: no recipe for {', '.join(unknown)} (known: {', '.join(recipes)})",
              file=sys.stderr)
        return 2
    opts.work = opts.work.resolve()
    helpers = opts.work / ".helpers"
    helpers.mkdir(parents=True, exist_ok=True)
    shutil.copy2(Path(probe.__file__), helpers / Path(probe.__file__).name)
    rows = []
    for name in opts.names or list(recipes):
        rows.append(run_service(name, recipes[name], opts, helpers))
        if opts.json:
            _write_json(opts.json, rows)
    print(render(rows))
    if opts.json:
        _write_json(opts.json, rows)
    return 0


def _write_json(path: Path, rows: list[dict[str, Any]]) -> None:
    data = {"schema_version": 1, "services": rows}
    path.write_text(json.dumps(data, indent=2) + "\n", encoding="utf-8")


if __name__ == "__main__":
    sys.exit(main())
