"""The service side of benchmarks/real_apps.py: recipes, virtualenvs and time-boxed test runs.

A recipe (corpus/apps.toml) says how to install a service and run its own tests. `install`
makes a virtualenv per service, cached between runs under a hash of the recipe; `run_tests`
runs the suite with the `real_apps_pytest` plugin and returns what each test did, also when
the time box cut the run.
"""

from __future__ import annotations

import glob
import hashlib
import json
import os
import shutil
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

HERE = Path(__file__).resolve().parent
RECIPES = HERE / "corpus" / "apps.toml"
PLUGIN = HERE / "real_apps_pytest.py"
# What the generated runtime imports, whichever store a component chose.
RUNTIME_CLIENTS = ["redis>=5", "psycopg[binary]>=3.1"]


@dataclass(frozen=True)
class TestRun:
    cwd: str
    args: tuple[str, ...]
    pythonpath: tuple[str, ...]


@dataclass(frozen=True)
class Recipe:
    name: str
    python: str
    pip: tuple[tuple[str, ...], ...]
    project_deps: tuple[str, ...]
    apt: tuple[str, ...]
    files: dict[str, str]
    before: tuple[str, ...]
    env: dict[str, str]
    runs: tuple[TestRun, ...]
    subset: str

    def key(self) -> str:
        """A hash of everything the virtualenv depends on."""
        text = json.dumps([self.python, self.pip, self.project_deps, RUNTIME_CLIENTS])
        return hashlib.sha256(text.encode()).hexdigest()[:12]


def load_recipes(path: Path = RECIPES) -> dict[str, Recipe]:
    """Every recipe in apps.toml, by service name."""
    data = tomllib.loads(path.read_text(encoding="utf-8"))
    out = {}
    for name, r in data.items():
        out[name] = Recipe(
            name=name,
            python=str(r.get("python", "3.11")),
            pip=tuple(tuple(step) for step in r.get("pip", ())),
            project_deps=tuple(r.get("project_deps", ())),
            apt=tuple(r.get("apt", ())),
            files=dict(r.get("files", {})),
            before=tuple(r.get("before", ())),
            env={k: str(v) for k, v in r.get("env", {}).items()},
            runs=tuple(
                TestRun(run.get("cwd", "."), tuple(run["args"]), tuple(run.get("pythonpath", ())))
                for run in r["run"]
            ),
            subset=r.get("subset", ""),
        )
    return out


class InstallError(RuntimeError):
    """The service's virtualenv could not be made; the message is one line."""


def find_python(version: str) -> str:
    """The interpreter for `version` (e.g. "3.12"): pythonX.Y on PATH, else under pyenv."""
    pyenv = os.environ.get("PYENV_ROOT", str(Path.home() / ".pyenv"))
    candidates = [shutil.which(f"python{version}")]
    candidates += sorted(glob.glob(f"{pyenv}/versions/{version}.*/bin/python"), reverse=True)
    for candidate in filter(None, candidates):
        # A pyenv shim on PATH names a version it may refuse to run: ask the interpreter.
        said = subprocess.run([candidate, "-c", "import sys; print('%d.%d' % sys.version_info[:2])"],
                              capture_output=True, text=True)
        if said.returncode == 0 and said.stdout.strip() == version:
            return candidate
    raise InstallError(f"no Python {version} on this machine (python{version} or pyenv)")


def _last_line(text: str) -> str:
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    errors = [line for line in lines if line.startswith("ERROR")]
    return (errors or lines or ["no output"])[-1][:300]


def _project_deps(copy: Path, pyproject: str) -> list[str]:
    data = tomllib.loads((copy / pyproject).read_text(encoding="utf-8"))
    return list(data.get("project", {}).get("dependencies", ()))


def install(recipe: Recipe, copy: Path, venvs: Path, *, timeout: float, skip: bool) -> Path:
    """The service's virtualenv, made (or reused when its recipe is unchanged). Raises InstallError."""
    missing = [p for p in recipe.apt if subprocess.run(
        ["dpkg", "-s", p], capture_output=True).returncode != 0]
    if missing:
        raise InstallError(f"needs Debian packages {' '.join(missing)} (apt-get install them)")
    venv = venvs / f"{recipe.name}-{recipe.key()}"
    done = venv / ".real-apps-installed"
    if done.is_file() or skip:
        if not done.is_file():
            raise InstallError(f"--skip-install, and no finished virtualenv at {venv}")
        return venv
    shutil.rmtree(venv, ignore_errors=True)
    deadline = time.monotonic() + timeout
    steps: list[list[str]] = [["-U", "pip"]]
    steps += [list(step) for step in recipe.pip]
    for pyproject in recipe.project_deps:
        steps.append(_project_deps(copy, pyproject))
    steps.append(list(RUNTIME_CLIENTS))
    try:
        subprocess.run([find_python(recipe.python), "-m", "venv", str(venv)], check=True,
                       capture_output=True, text=True, timeout=120)
        for step in steps:
            left = deadline - time.monotonic()
            if left <= 0:
                raise InstallError(f"install took longer than {timeout:.0f} s")
            done_step = subprocess.run(
                [str(venv / "bin" / "python"), "-m", "pip", "install", "-q",
                 "--disable-pip-version-check", *step],
                cwd=copy, capture_output=True, text=True, timeout=left,
                env=_base_env(venv, recipe, copy),
            )
            if done_step.returncode != 0:
                raise InstallError(f"pip install {' '.join(step)[:80]}: "
                                   f"{_last_line(done_step.stderr or done_step.stdout)}")
    except subprocess.TimeoutExpired:
        raise InstallError(f"install took longer than {timeout:.0f} s") from None
    except subprocess.CalledProcessError as exc:
        raise InstallError(f"venv: {_last_line(exc.stderr or '')}") from None
    done.write_text(json.dumps({"recipe": recipe.key()}), encoding="utf-8")
    return venv


def _base_env(venv: Path, recipe: Recipe, copy: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("STATELESS_", "PYTEST_", "VIRTUAL_ENV", "PYTHONPATH", "PYTHONHOME"))}
    env["VIRTUAL_ENV"] = str(venv)
    env["PATH"] = f"{venv / 'bin'}{os.pathsep}{env.get('PATH', '')}"
    env.update({k: v.replace("{copy}", str(copy)) for k, v in recipe.env.items()})
    return env


@dataclass
class SuiteResult:
    """What one time-boxed run of a service's tests did; outcome by test id."""

    outcomes: dict[str, str] = field(default_factory=dict)  # passed | failed | skipped
    seconds: float = 0.0
    timed_out: bool = False
    exit_codes: list[int] = field(default_factory=list)
    error: str = ""  # a run that produced no results: why, in one line
    tail: str = ""  # the last lines of output, for a reader of the JSON

    @property
    def passed(self) -> int:
        return sum(1 for o in self.outcomes.values() if o == "passed")

    @property
    def failed(self) -> set[str]:
        return {t for t, o in self.outcomes.items() if o == "failed"}

    def summary(self) -> dict[str, Any]:
        return {
            "passed": self.passed,
            "failed": len(self.failed),
            "skipped": sum(1 for o in self.outcomes.values() if o == "skipped"),
            "seconds": round(self.seconds, 1),
            "timed_out": self.timed_out,
            "exit_codes": self.exit_codes,
            "error": self.error,
        }


def _fold(lines: list[dict[str, str]]) -> dict[str, str]:
    """Test id -> outcome over its setup, call and teardown reports (reruns ignored)."""
    out: dict[str, str] = {}
    for line in lines:
        test, outcome = line["nodeid"], line["outcome"]
        if outcome == "rerun":
            continue
        if outcome == "failed":
            out[test] = "failed"
        elif outcome == "skipped" and out.get(test) != "failed":
            out[test] = "skipped"
        elif outcome == "passed" and line["when"] == "call" and test not in out:
            out[test] = "passed"
    return out


def _run_timeboxed(cmd: list[str] | str, *, cwd: Path, env: dict[str, str], timeout: float,
                   log: Path, shell: bool = False) -> tuple[int, bool]:
    """Run in its own process group; on timeout stop the whole group. (exit code, timed out)."""
    with log.open("ab") as out:
        proc = subprocess.Popen(cmd, cwd=cwd, env=env, stdout=out, stderr=subprocess.STDOUT,
                                stdin=subprocess.DEVNULL, start_new_session=True, shell=shell)
        try:
            return proc.wait(timeout=max(timeout, 1)), False
        except subprocess.TimeoutExpired:
            for sig, grace in ((signal.SIGINT, 20), (signal.SIGKILL, 10)):
                try:
                    os.killpg(proc.pid, sig)
                except ProcessLookupError:
                    break
                try:
                    proc.wait(timeout=grace)
                    break
                except subprocess.TimeoutExpired:
                    continue
            return proc.wait(), True


def run_tests(recipe: Recipe, copy: Path, venv: Path, *, env: dict[str, str], timeout: float,
              logs: Path, label: str) -> SuiteResult:
    """Run the recipe's `before` steps and every pytest run, within `timeout` seconds in all."""
    logs.mkdir(parents=True, exist_ok=True)
    plugin_dir = logs / "plugin"
    plugin_dir.mkdir(exist_ok=True)
    shutil.copy2(PLUGIN, plugin_dir / PLUGIN.name)
    log = logs / f"{label}.log"
    log.unlink(missing_ok=True)
    result = SuiteResult()
    base = _base_env(venv, recipe, copy)
    base.update(env)
    started = time.monotonic()
    for step in recipe.before:
        code, late = _run_timeboxed(step, cwd=copy, env=base, timeout=300, log=log, shell=True)
        if code != 0 or late:
            result.error = f"before-step failed ({'timeout' if late else f'exit {code}'}): {step[:80]}"
            result.seconds = time.monotonic() - started
            result.tail = _tail(log)
            return result
    lines: list[dict[str, str]] = []
    for index, run in enumerate(recipe.runs):
        report = logs / f"{label}.{index}.jsonl"
        report.unlink(missing_ok=True)
        run_env = dict(base)
        paths = [str(plugin_dir)] + [str(copy / p) for p in run.pythonpath]
        run_env["PYTHONPATH"] = os.pathsep.join(paths)
        run_env["REAL_APPS_REPORT"] = str(report)
        left = timeout - (time.monotonic() - started)
        if left <= 0:
            result.timed_out = True
            break
        code, late = _run_timeboxed(
            [str(venv / "bin" / "python"), "-m", "pytest", "-p", "real_apps_pytest",
             "-p", "no:cacheprovider", "-q", "-rN", *run.args],
            cwd=copy / run.cwd, env=run_env, timeout=left, log=log,
        )
        result.exit_codes.append(code)
        result.timed_out |= late
        if report.is_file():
            prefix = "" if len(recipe.runs) == 1 else f"{run.cwd}::"
            for raw in report.read_text(encoding="utf-8").splitlines():
                line = json.loads(raw)
                line["nodeid"] = prefix + line["nodeid"]
                lines.append(line)
    result.outcomes = _fold(lines)
    result.seconds = time.monotonic() - started
    result.tail = _tail(log)
    if not result.outcomes:
        result.error = "no test ran: " + (_last_line(result.tail) if result.tail else "no output")
    return result


def _tail(log: Path, lines: int = 15) -> str:
    try:
        text = log.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return ""
    return "\n".join(text.splitlines()[-lines:])


def python_of(venv: Path) -> str:
    return str(venv / "bin" / "python")


__all__ = ["InstallError", "Recipe", "SuiteResult", "install", "load_recipes", "python_of",
           "run_tests"]
