"""Starts replicas of the service and makes sure none outlives verify.

Each command runs under `/bin/sh` in a process group of its own, so stopping it stops every
process it started (gunicorn's workers, a reloader's child). Every group is recorded before it
can start anything, and `stop_all` ends them all: on success, on failure, on Ctrl-C and on
SIGTERM (see `verify.py`). On Linux each command also dies with verify itself, even killed.
"""

from __future__ import annotations

import ctypes
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from migrator.verify.http import TransportError, send

STOP_SECONDS = 5.0
_PR_SET_PDEATHSIG = 1


class LaunchError(RuntimeError):
    """A replica or a setup command that failed, in one line."""


@dataclass(frozen=True)
class Replica:
    """One started copy of the service."""

    index: int
    url: str
    process: subprocess.Popen[bytes]
    log: Path


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _die_with_parent() -> None:
    """In the child: receive SIGKILL when verify dies, however it dies (Linux only)."""
    try:
        ctypes.CDLL(None, use_errno=True).prctl(_PR_SET_PDEATHSIG, signal.SIGKILL)
    except (OSError, AttributeError):
        pass


class ProcessGroups:
    """Every process group verify started; `stop_all` ends each of them."""

    def __init__(self) -> None:
        self._processes: list[subprocess.Popen[bytes]] = []

    def spawn(
        self, command: str, cwd: Path, env: Mapping[str, str], log: Path
    ) -> subprocess.Popen[bytes]:
        """`command` under /bin/sh in a new process group, its output appended to `log`."""
        with log.open("ab") as sink:
            process = subprocess.Popen(
                ["/bin/sh", "-c", command],
                cwd=cwd,
                env=dict(env),
                stdin=subprocess.DEVNULL,
                stdout=sink,
                stderr=subprocess.STDOUT,
                start_new_session=True,
                preexec_fn=_die_with_parent if sys.platform.startswith("linux") else None,
            )
        self._processes.append(process)
        return process

    def run_all(
        self, jobs: Sequence[tuple[str, Path, Mapping[str, str], Path]], seconds: float
    ) -> None:
        """Run setup commands side by side to their end; LaunchError when one fails or hangs."""
        started = [(self.spawn(*job), job[0], job[3]) for job in jobs]
        deadline = time.monotonic() + seconds
        for process, command, log in started:
            try:
                code = process.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                raise LaunchError(
                    f"the setup command `{command}` took more than {seconds:.0f} s"
                ) from None
            if code != 0:
                raise LaunchError(
                    f"the setup command `{command}` exited with status {code}: {last_line(log)}"
                )

    def stop_all(self) -> None:
        """Stop every group, the newest first; safe to call more than once."""
        while self._processes:
            stop(self._processes.pop())

    def alive(self) -> list[int]:
        """The process ids of the group leaders still running."""
        return [p.pid for p in self._processes if p.poll() is None]


def stop(process: subprocess.Popen[bytes]) -> None:
    """SIGTERM the process's group, SIGKILL it after STOP_SECONDS, and reap the leader."""
    for sig in (signal.SIGTERM, signal.SIGKILL):
        try:
            os.killpg(process.pid, sig)
        except (ProcessLookupError, PermissionError):
            pass
        try:
            process.wait(timeout=STOP_SECONDS)
            break
        except subprocess.TimeoutExpired:
            continue
    try:  # workers the leader left behind, if any
        os.killpg(process.pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass


def wait_until_answering(replica: Replica, ready: str, seconds: float) -> None:
    """Return once the replica answers `ready` (any status); LaunchError when it cannot."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        code = replica.process.poll()
        if code is not None:
            raise LaunchError(
                f"replica {replica.index} exited with status {code} before it answered: "
                f"{last_line(replica.log)} (log kept at {keep_log(replica.log)})"
            )
        try:
            send("GET", replica.url + ready, {}, None, timeout=1.0)
            return
        except TransportError:
            time.sleep(0.1)
    raise LaunchError(
        f"replica {replica.index} did not answer {replica.url}{ready} within {seconds:.0f} s "
        f"(log kept at {keep_log(replica.log)})"
    )


def last_line(log: Path) -> str:
    """The last non-empty line of a log, or a note that there is none."""
    try:
        lines = [line for line in log.read_text("utf-8", "replace").splitlines() if line.strip()]
    except OSError:
        lines = []
    return lines[-1].strip()[:300] if lines else "(no output)"


def keep_log(log: Path) -> str:
    """A copy of `log` that outlives the run's folder; its path."""
    handle, path = tempfile.mkstemp(prefix="migrator-verify-", suffix=".log")
    with os.fdopen(handle, "wb") as out:
        out.write(log.read_bytes() if log.exists() else b"")
    return path
