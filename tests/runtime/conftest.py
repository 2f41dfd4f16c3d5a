"""Fixtures for the runtime tests: render a runtime into a throwaway package and import it."""

from __future__ import annotations

import importlib
import os
import shutil
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from types import ModuleType

import psycopg
import pytest
import redis

from migrator.runtime import Component, render_runtime

REDIS_URL = os.environ.get("MIGRATOR_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")
DATABASE_URL = os.environ.get(
    "MIGRATOR_TEST_DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/test"
)
STAGES = ("off", "dualwrite", "shadow", "live", "rampdown", "complete")


def write_runtime(root: Path, components: list[Component]) -> str:
    """Render a runtime for a package with a fresh name under `root`; return the package name."""
    package = f"svc_{uuid.uuid4().hex[:10]}"
    for relative, text in render_runtime(package, components).items():
        path = root / package / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    (root / package / "__init__.py").write_text("")
    return package


@pytest.fixture
def key_prefix(monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """A key prefix no other test uses; the test's keys and rows are removed afterwards."""
    prefix = f"t{uuid.uuid4().hex[:12]}"
    monkeypatch.setenv("STATELESS_KEY_PREFIX", prefix)
    monkeypatch.setenv("STATELESS_REDIS_URL", REDIS_URL)
    monkeypatch.setenv("STATELESS_DATABASE_URL", DATABASE_URL)
    for name in list(os.environ):
        if name.startswith("STATELESS_") and name not in {
            "STATELESS_KEY_PREFIX",
            "STATELESS_REDIS_URL",
            "STATELESS_DATABASE_URL",
        }:
            monkeypatch.delenv(name)
    yield prefix
    client = redis.Redis.from_url(REDIS_URL)
    names = list(client.scan_iter(match="{" + prefix + ":*", count=1000))
    if names:
        client.delete(*names)
    client.close()
    with psycopg.connect(DATABASE_URL, autocommit=True) as connection:
        for table in ("stateless_values", "stateless_counters"):
            exists = connection.execute("SELECT to_regclass(%s)", (table,)).fetchone()
            if exists and exists[0]:
                connection.execute(f"DELETE FROM {table} WHERE namespace LIKE %s", (prefix + ":%",))


@pytest.fixture
def runtime(
    tmp_path: Path, key_prefix: str, monkeypatch: pytest.MonkeyPatch
) -> Callable[..., ModuleType]:
    """`runtime(*components)` renders, imports and returns `<package>._stateless`."""
    monkeypatch.syspath_prepend(str(tmp_path))

    def make(*components: Component) -> ModuleType:
        package = write_runtime(tmp_path, list(components))
        module = importlib.import_module(f"{package}._stateless")
        module.metrics.reset()
        return module

    return make


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class PrivateRedis:
    """A redis-server of the test's own, to kill and start again."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.url = f"redis://127.0.0.1:{port}/0"
        self._process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        self._process = subprocess.Popen(
            [
                shutil.which("redis-server") or "redis-server",
                "--port",
                str(self.port),
                "--save",
                "",
                "--appendonly",
                "no",
                "--bind",
                "127.0.0.1",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                redis.Redis(port=self.port, socket_connect_timeout=0.2).ping()
                return
            except redis.ConnectionError:
                time.sleep(0.05)
        raise RuntimeError(f"redis-server did not start on port {self.port}")

    def kill(self) -> None:
        if self._process is not None:
            self._process.kill()
            self._process.wait()
            self._process = None


@pytest.fixture
def private_redis() -> Iterator[PrivateRedis]:
    server = PrivateRedis(free_port())
    server.start()
    yield server
    server.kill()


def run_python(code: str, env: dict[str, str], cwd: Path) -> subprocess.Popen[str]:
    """Start `python -c code` with the given environment; the caller waits for it."""
    return subprocess.Popen(
        [sys.executable, "-c", code],
        env={**os.environ, **env, "PYTHONPATH": str(cwd)},
        cwd=cwd,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
