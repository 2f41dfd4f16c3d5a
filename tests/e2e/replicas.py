"""Two server processes of one example, migrated or not, and the bookkeeping of a user journey.

An example is copied into the test's folder and committed in a new git repository; the real
CLI writes the plan and applies every `migrate` phase, one branch stacked on the other. The
servers are real processes on free loopback ports, each with a folder of its own for what it
keeps on local disk (replicas do not share a disk); what they share is the store the
environment names (Redis, PostgreSQL) and, for Django, the model database.
"""

from __future__ import annotations

import importlib.util
import os
import re
import secrets
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Collection, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.cookiejar import CookieJar, DefaultCookiePolicy
from pathlib import Path
from typing import Any

import httpx
import psycopg
import redis

REDIS_URL = os.environ.get("MIGRATOR_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")
DATABASE_URL = os.environ.get(
    "MIGRATOR_TEST_DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/test"
)
# The runtime's PostgreSQL tables (templates/runtime/backends/postgres), rows keyed by namespace.
RUNTIME_TABLES = ("stateless_values", "stateless_counters")
STARTUP_SECONDS = 30.0


def _load_gitrepo() -> Any:
    """`tests/support/gitrepo.py`, shared with tests/conftest.py under the same module name."""
    name = "migrator_tests_support_gitrepo"
    if name in sys.modules:
        return sys.modules[name]
    path = Path(__file__).resolve().parents[1] / "support" / "gitrepo.py"
    spec = importlib.util.spec_from_file_location(name, path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module  # dataclasses look their module up while the class is built
    spec.loader.exec_module(module)
    return module


gitrepo = _load_gitrepo()
EXAMPLES = gitrepo.REPO_ROOT / "examples"
_CLAIM = re.compile(r"^\s*(migrated|manual)\s+([\w.]+):", re.MULTILINE)


@dataclass(frozen=True)
class Migration:
    """What `migrator apply` said about each component over all the migrate phases."""

    phases: tuple[int, ...]
    migrated: frozenset[str]
    manual: frozenset[str]


def copy_example(name: str, folder: Path) -> Any:
    """A plain copy of `examples/<name>` in `folder` (a `gitrepo.Project`, not in git)."""
    root = folder / name
    shutil.copytree(EXAMPLES / name, root, ignore=gitrepo.NOT_SOURCE)
    return gitrepo.Project(root, gitrepo.isolated_env(folder))


def git_example(name: str, folder: Path) -> Any:
    """`examples/<name>` committed on `main` in a new repository in `folder`."""
    project = copy_example(name, folder)
    project.git("init", "--quiet", "--initial-branch=main")
    project.git("config", "user.name", "Example Developer")
    project.git("config", "user.email", "dev@example.test")
    project.git("add", "--all")
    project.git("commit", "--quiet", "-m", "The service as it runs today")
    return project


def migrate(project: Any) -> Migration:
    """Run `migrator plan` and `migrator apply --phase N` for every migrate phase, in order."""
    _must(project, "plan", ".")
    phases = tuple(p["number"] for p in project.plan_json()["phases"] if p["kind"] == "migrate")
    claims: dict[str, set[str]] = {"migrated": set(), "manual": set()}
    for number in phases:
        run = _must(project, "apply", ".", "--phase", str(number))
        for outcome, qualname in _CLAIM.findall(gitrepo.plain(run.stdout)):
            claims[outcome].add(qualname)
    return Migration(phases, frozenset(claims["migrated"]), frozenset(claims["manual"]))


def _must(project: Any, *args: str) -> Any:
    run = project.migrator(*args)
    if run.code != 0:
        raise AssertionError(f"migrator {' '.join(args)} exited {run.code}: {run.stderr}")
    return run


def stateless_env(prefix: str) -> dict[str, str]:
    """Every migration flag at `complete`, the shared stores, and the test's own key prefix."""
    return {
        "STATELESS_MODE": "complete",
        "STATELESS_REDIS_URL": REDIS_URL,
        "STATELESS_DATABASE_URL": DATABASE_URL,
        "STATELESS_KEY_PREFIX": prefix,
    }


def purge_prefix(prefix: str) -> None:
    """Delete the Redis keys and runtime rows written under `prefix`."""
    client = redis.Redis.from_url(REDIS_URL)
    try:
        # The runtime tags keys `{prefix:NAME}:...`; framework backends write `prefix:...`.
        for pattern in ("{" + prefix + ":*", prefix + ":*"):
            delete_keys(client, pattern)
    finally:
        client.close()
    with psycopg.connect(DATABASE_URL, autocommit=True) as connection:
        for table in RUNTIME_TABLES:
            found = connection.execute("SELECT to_regclass(%s)", (table,)).fetchone()
            if found and found[0]:
                connection.execute(f"DELETE FROM {table} WHERE namespace LIKE %s", (prefix + ":%",))


def delete_keys(client: redis.Redis, pattern: str) -> None:
    """Delete every Redis key matching the glob `pattern`."""
    names = list(client.scan_iter(match=pattern, count=1000))
    if names:
        client.delete(*names)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass(frozen=True)
class _Server:
    url: str
    process: subprocess.Popen[bytes]
    log: Path


@contextmanager
def serving(
    root: Path,
    launch: Callable[[int], Sequence[str]],
    envs: Sequence[Mapping[str, str]],
    logs: Path,
) -> Iterator[list[str]]:
    """Start one server per environment in `envs`; yield their base URLs once each answers.

    `launch(port)` is the command line of one server, run from `root` with `root` on the import
    path. Every process is stopped when the block ends, however it ends.
    """
    logs.mkdir(parents=True, exist_ok=True)
    base = {**gitrepo.isolated_env(logs), "PYTHONPATH": str(root)}
    servers: list[_Server] = []
    try:
        for index, env in enumerate(envs):
            port = free_port()
            log = logs / f"server-{index}-{port}.log"
            with log.open("wb") as sink:
                process = subprocess.Popen(
                    list(launch(port)),
                    cwd=root,
                    env={**base, **env},
                    stdin=subprocess.DEVNULL,
                    stdout=sink,
                    stderr=subprocess.STDOUT,
                )
            servers.append(_Server(f"http://127.0.0.1:{port}", process, log))
        for server in servers:
            _wait_until_answering(server)
        yield [server.url for server in servers]
    finally:
        for server in servers:
            _stop(server.process)


def _wait_until_answering(server: _Server) -> None:
    deadline = time.monotonic() + STARTUP_SECONDS
    while time.monotonic() < deadline:
        if server.process.poll() is not None:
            break
        try:
            httpx.get(server.url + "/", timeout=1.0, trust_env=False)
            return
        except httpx.TransportError:
            time.sleep(0.1)
    tail = server.log.read_text("utf-8", "replace")[-3000:]
    raise AssertionError(f"the server at {server.url} did not answer:\n{tail}")


def _stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=5)


def http_client(source: str = "127.0.0.1") -> httpx.Client:
    """A client that keeps no cookies (journeys send them by hand) and connects from `source`.

    Any 127.x.y.z address is loopback on Linux; a source of its own keeps a journey's
    per-address rate limits apart from every other test's.
    """
    no_cookies = CookieJar(policy=DefaultCookiePolicy(allowed_domains=[]))
    return httpx.Client(
        cookies=no_cookies,
        timeout=10.0,
        trust_env=False,  # a proxy from the environment must not stand between replicas
        transport=httpx.HTTPTransport(local_address=source),
    )


def unique_loopback() -> str:
    """A loopback address other than 127.0.0.1, picked at random, to connect from."""
    return "127." + ".".join(str(secrets.randbelow(254) + 1) for _ in range(3))


def cookie_header(**cookies: str) -> dict[str, str]:
    """The `Cookie` request header carrying `cookies`."""
    return {"Cookie": "; ".join(f"{name}={value}" for name, value in cookies.items())}


@dataclass(frozen=True)
class Broken:
    """An expectation of the journey that did not hold, with what was seen instead."""

    expectation: str
    saw: str


@dataclass
class Journey:
    """The expectations a journey checked, for the components it was asked to check."""

    components: Collection[str]
    checked: list[str] = field(default_factory=list)
    broken: list[Broken] = field(default_factory=list)

    def covers(self, *components: str) -> bool:
        """True when every one of `components` is among those this journey checks."""
        return all(component in self.components for component in components)

    def expect(self, expectation: str, held: bool, saw: object) -> None:
        self.checked.append(expectation)
        if not held:
            self.broken.append(Broken(expectation, str(saw)[:300]))

    @property
    def broken_names(self) -> list[str]:
        return [b.expectation for b in self.broken]


def body(response: httpx.Response) -> Any:
    """The JSON body of `response`, or its status and text when it has none."""
    try:
        return response.json()
    except ValueError:
        return {"status": response.status_code, "text": response.text[:200]}
