"""`migrator verify` run for real on a copy of an example, and its JSON report.

`tests/` is not a package (pytest runs with --import-mode=importlib): conftest.py loads this file
under the name `migrator_tests_verify_runs`, and the tests import it by that name.
"""

from __future__ import annotations

import importlib.util
import json
import os
import subprocess
import sys
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any


def _load_replicas() -> Any:
    name = "migrator_tests_e2e_replicas"  # the name tests/e2e/conftest.py loads it under
    if name not in sys.modules:
        path = Path(__file__).resolve().parents[1] / "e2e" / "replicas.py"
        spec = importlib.util.spec_from_file_location(name, path)
        assert spec is not None and spec.loader is not None
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module
        spec.loader.exec_module(module)
    return sys.modules[name]


replicas = _load_replicas()
EXAMPLES = ("flask_shop", "django_notes", "fastapi_chat")
PYTHON = sys.executable
# How each example is started where its deployment's server (gunicorn) is not installed;
# the chat starts from its Dockerfile's uvicorn command.
COMMANDS = {
    "flask_shop": [
        "--cmd",
        f'{PYTHON} -m flask --app "shop:create_app()" run --host 127.0.0.1 --port {{port}}',
    ],
    "django_notes": ["--cmd", f"{PYTHON} manage.py runserver 127.0.0.1:{{port}} --noreload"],
    "fastapi_chat": [],
}


@dataclass(frozen=True)
class Verified:
    """A finished `migrator verify` run and its JSON report."""

    code: int
    report: dict[str, Any]
    stderr: str

    @property
    def differing(self) -> set[str]:
        return {d["name"] for d in self.report.get("differences", [])}


def verify_env(folder: Path) -> dict[str, str]:
    """The CLI's isolated environment, with this Python's folder first on PATH (for `python`)."""
    env = replicas.gitrepo.isolated_env(folder)
    env["PATH"] = os.pathsep.join([str(Path(PYTHON).parent), env.get("PATH", "")])
    env["STATELESS_REDIS_URL"] = replicas.REDIS_URL
    env["STATELESS_DATABASE_URL"] = replicas.DATABASE_URL
    return env


def run_verify(root: Path, example: str, *args: str, timeout: float = 120) -> Verified:
    """`migrator verify` on the example at `root`, its report written as JSON."""
    report = root.parent / f"verify-{uuid.uuid4().hex}.json"  # runs may go side by side
    done = subprocess.run(
        [PYTHON, "-m", "migrator", "verify", ".", *COMMANDS[example], "--json", str(report), *args],
        cwd=root,
        env=verify_env(root.parent),
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    data = json.loads(report.read_text("utf-8")) if report.is_file() else {}
    return Verified(done.returncode, data, done.stderr)
