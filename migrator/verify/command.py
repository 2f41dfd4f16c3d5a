"""The command that starts one replica: `--cmd`, or the service's own deployment command.

The deployment files are the ones the scan reads (`inventory/deployment.py`): a Procfile's
`web` process first, then Dockerfile CMD/ENTRYPOINT, compose `command`, entrypoint scripts. The
server command found there (gunicorn, uvicorn, hypercorn, daphne, waitress, `flask run`,
`manage.py runserver`) is made to serve one process on 127.0.0.1:{port}: several workers in
one replica would already disagree among themselves, and the one-replica run must be one.
"""

from __future__ import annotations

import json
import os
import re
import shlex
import shutil
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from migrator.inventory.deployment import is_deployment_file

# server -> (options that take a value, flags without one, what to add)
_SERVERS: dict[str, tuple[set[str], set[str], list[str]]] = {
    "gunicorn": (
        {"-w", "--workers", "-b", "--bind", "--pid", "-p"},
        {"-D", "--daemon", "--reload"},
        ["--workers", "1", "--bind", "127.0.0.1:{port}"],
    ),
    "uvicorn": (
        {"--workers", "--host", "--port", "--uds", "--fd"},
        {"--reload"},
        ["--host", "127.0.0.1", "--port", "{port}"],
    ),
    "hypercorn": (
        {"-w", "--workers", "-b", "--bind"},
        {"--reload"},
        ["--workers", "1", "--bind", "127.0.0.1:{port}"],
    ),
    "daphne": (
        {"-b", "--bind", "-p", "--port", "-u", "--unix-socket"},
        set(),
        ["-b", "127.0.0.1", "-p", "{port}"],
    ),
    "waitress-serve": ({"--listen", "--host", "--port"}, set(), ["--listen=127.0.0.1:{port}"]),
    "flask": (
        {"-h", "--host", "-p", "--port"},
        {"--reload"},
        ["--host", "127.0.0.1", "--port", "{port}", "--no-reload"],
    ),
}
_PLAIN_WORD = re.compile(r"[\w@%+=:,./${}-]+")
_SEGMENTS = re.compile(r"&&|\|\||;")


class CommandError(ValueError):
    """No command to start the service with, in one line."""


@dataclass(frozen=True)
class ServiceCommand:
    """How to start one replica: a shell command with `{port}` in it, and where it came from."""

    template: str
    source: str  # "--cmd", or "Procfile:1 (web)"
    original: str = ""


def from_option(command: str) -> ServiceCommand:
    """The command given with `--cmd`; it must say where the port goes."""
    if "{port}" not in command and "$PORT" not in command and "${PORT}" not in command:
        raise CommandError("`--cmd` must contain `{port}` (or `$PORT`): where the replica listens")
    return ServiceCommand(command, "--cmd", command)


def from_deployment(root: Path) -> ServiceCommand:
    """The first server command of the deployment files under `root`, on one loopback port."""
    seen = []
    for rel, line, text in _candidates(root):
        seen.append(f"{rel}:{line}")
        adapted = adapt(text)
        if adapted is not None:
            _check_installed(adapted, f"{rel}:{line}")
            return ServiceCommand(adapted, f"{rel}:{line}", text)
    where = f" ({', '.join(seen)} start no server verify knows)" if seen else ""
    raise CommandError(
        f"found no command that starts the service in {root}{where}; "
        'give one with `--cmd "... {port} ..."`'
    )


def adapt(command: str) -> str | None:
    """`command`'s server part, made to serve one process on 127.0.0.1:{port}; None if none."""
    for segment in _SEGMENTS.split(command):
        try:
            words = shlex.split(segment)
        except ValueError:
            continue
        found = _server_at(words)
        if found is not None:
            return _rewrite(words, *found)
    return None


def _server_at(words: list[str]) -> tuple[int, str] | None:
    """(index, server) of the server program in `words`."""
    for index, word in enumerate(words):
        name = word.rsplit("/", 1)[-1]
        if name == "flask" and "run" in words[index + 1 :]:
            return words.index("run", index), "flask"
        if name in _SERVERS and name != "flask":
            return index, name
        if name == "manage.py" and index + 1 < len(words) and words[index + 1] == "runserver":
            return index + 1, "runserver"
    return None


def _rewrite(words: list[str], at: int, server: str) -> str:
    head, tail = words[: at + 1], words[at + 1 :]
    if server == "runserver":
        options = [w for w in tail if w.startswith("-") and w != "--noreload"]
        kept = options + ["127.0.0.1:{port}", "--noreload"]
        return _join(head + kept)
    valued, flags, added = _SERVERS[server]
    kept, skip = [], False
    for word in tail:
        if skip:
            skip = False
            continue
        name = word.split("=", 1)[0]
        if name in flags:
            continue
        if name in valued:
            skip = "=" not in word
            continue
        if word[:2] in valued and len(word) > 2 and not word.startswith("--"):
            continue  # a glued short option: -w4
        kept.append(word)
    return _join(head + kept + added)


def _join(words: list[str]) -> str:
    return " ".join(w if _PLAIN_WORD.fullmatch(w) else shlex.quote(w) for w in words)


def _check_installed(command: str, source: str) -> None:
    words = shlex.split(command)
    program = next((w for w in words if "=" not in w and w != "exec"), "")
    if "/" in program or program.startswith("python"):
        return
    if shutil.which(program, path=replica_path(os.environ.get("PATH", ""))) is None:
        raise CommandError(
            f"`{program}` (from {source}) is not installed here: install it, or give the "
            'command with `--cmd "... {port} ..."`'
        )


def replica_path(path: str) -> str:
    """PATH for a replica: the caller's, then the folder of the Python that runs migrator."""
    here = str(Path(sys.executable).parent)
    parts = [p for p in path.split(os.pathsep) if p]
    return os.pathsep.join(parts if here in parts else [*parts, here])


def _candidates(root: Path) -> Iterator[tuple[str, int, str]]:
    """(file, line, command) of every process command in the deployment files, best first."""
    files = sorted(_deployment_files(root), key=_rank)
    for rel in files:
        try:
            text = (root / rel).read_text("utf-8")
        except (OSError, UnicodeDecodeError):
            continue
        name = rel.rsplit("/", 1)[-1].lower()
        if name.startswith("procfile"):
            yield from _procfile(rel, text)
        elif name.startswith(("dockerfile", "containerfile")):
            yield from _dockerfile(rel, text)
        elif name.endswith((".yml", ".yaml")):
            yield from _compose(rel, text)
        elif name.endswith(".sh"):
            for number, line in enumerate(text.splitlines(), 1):
                if not line.lstrip().startswith("#") and line.strip():
                    yield rel, number, line.strip()


def _deployment_files(root: Path) -> Iterator[str]:
    for path in [*root.iterdir(), *(p for d in root.iterdir() if d.is_dir() for p in d.iterdir())]:
        rel = path.relative_to(root).as_posix()
        if path.is_file() and is_deployment_file(rel) and not rel.startswith("."):
            yield rel


def _rank(rel: str) -> tuple[int, str]:
    name = rel.rsplit("/", 1)[-1].lower()
    order = ("procfile", "dockerfile", "containerfile", "compose", "docker-compose")
    return next((i for i, k in enumerate(order) if name.startswith(k)), len(order)), rel


def _procfile(rel: str, text: str) -> Iterator[tuple[str, int, str]]:
    lines = [(n, line.partition(":")) for n, line in enumerate(text.splitlines(), 1)]
    processes = [(n, kind.strip(), cmd.strip()) for n, (kind, _, cmd) in lines if cmd.strip()]
    for number, _kind, command in sorted(processes, key=lambda p: p[1] != "web"):
        yield rel, number, command


def _dockerfile(rel: str, text: str) -> Iterator[tuple[str, int, str]]:
    entry, found = "", []
    for number, line in enumerate(text.replace("\\\n", " ").splitlines(), 1):
        instruction, _, rest = line.strip().partition(" ")
        if instruction.upper() == "ENTRYPOINT":
            entry = _exec_form(rest)
        elif instruction.upper() == "CMD":
            found.append((number, _exec_form(rest)))
    for number, command in reversed(found):  # the last CMD is the one that runs
        yield rel, number, f"{entry} {command}".strip()
        return
    if entry:
        yield rel, 1, entry


def _exec_form(rest: str) -> str:
    try:
        words = json.loads(rest)
    except ValueError:
        return rest.strip()
    return _join([str(w) for w in words]) if isinstance(words, list) else rest.strip()


def _compose(rel: str, text: str) -> Iterator[tuple[str, int, str]]:
    import yaml

    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError:
        return
    services = data.get("services") if isinstance(data, dict) else None
    for _name, service in services.items() if isinstance(services, dict) else ():
        command = service.get("command") if isinstance(service, dict) else None
        if isinstance(command, list):
            command = _join([str(w) for w in command])
        if isinstance(command, str):
            line = next((n for n, t in enumerate(text.splitlines(), 1) if "command" in t), 1)
            yield rel, line, command
