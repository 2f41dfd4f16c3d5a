"""`migrator verify`: the journey against one replica, then against N, and what differs.

A run is a set of replicas started for one pass of the journey: its own folder (`{run_dir}`),
a folder per replica (`{replica_dir}`, also its TMPDIR), its own `STATELESS_KEY_PREFIX` and
fresh loopback source addresses, so runs share nothing and each starts from the same state.
The runs (one replica, a second one with `--record`, N replicas) start side by side and their
journeys run in threads; every process is started from the main thread and stopped in its
`finally`, whatever ends verify: success, failure, Ctrl-C, SIGTERM or SIGHUP.
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import tempfile
import time
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from migrator.verify.command import ServiceCommand, replica_path
from migrator.verify.compare import Difference, check_baseline, differences
from migrator.verify.journey import Journey
from migrator.verify.launch import ProcessGroups, Replica, free_port, wait_until_answering
from migrator.verify.noise import learn_noise
from migrator.verify.runner import Answer, run_journey
from migrator.verify.stores import forget_prefix

SETUP_SECONDS = 300.0
_COMPOUND = re.compile(r"[;&|\n]")


class Terminated(BaseException):
    """SIGTERM or SIGHUP arrived: unwind so that every replica is stopped."""

    def __init__(self, signum: int) -> None:
        super().__init__(signum)
        self.signum = signum


@dataclass(frozen=True)
class VerifyOptions:
    """What `migrator verify` was asked to do."""

    root: Path
    journey: Journey
    command: ServiceCommand
    replicas: int = 2
    env: tuple[tuple[str, str], ...] = ()
    mode: str | None = None
    record: bool = False
    startup_seconds: float = 60.0


@dataclass(frozen=True)
class VerifyResult:
    """The outcome: each step that differs, and the runs' answers."""

    options: VerifyOptions
    differences: tuple[Difference, ...]
    one: tuple[Answer, ...]
    several: tuple[Answer, ...]
    seconds: float
    varying: int = 0  # steps in which `--record` saw values vary by themselves
    blames: dict[int, Any] = field(default_factory=dict)  # step -> blame.Blame

    @property
    def agree(self) -> bool:
        return not self.differences


@dataclass
class _Run:
    size: int
    folder: Path
    prefix: str
    replicas: list[Replica] = field(default_factory=list)


def run_verify(options: VerifyOptions) -> VerifyResult:
    """Run the journey on one replica (twice with `record`) and on N; compare.

    Raises JourneyError when the journey fails on one replica, LaunchError when the service
    cannot be started; no process started here outlives the call.
    """
    began = time.monotonic()
    sizes = [1, 1, options.replicas] if options.record else [1, options.replicas]
    groups = ProcessGroups()
    folder = Path(tempfile.mkdtemp(prefix="migrator-verify-"))
    base_prefix = _setting(options, "STATELESS_KEY_PREFIX") or "verify"
    runs = [
        _Run(size, folder / f"run-{k}", f"{base_prefix}-{uuid.uuid4().hex[:10]}")
        for k, size in enumerate(sizes)
    ]
    pool = ThreadPoolExecutor(max_workers=len(runs), thread_name_prefix="journey")
    try:
        with _terminated_on_signals():
            _start(options, runs, groups)
            futures = [pool.submit(run_journey, options.journey, _urls(run)) for run in runs]
            answers = [future.result() for future in futures]
    finally:
        groups.stop_all()
        pool.shutdown(wait=False, cancel_futures=True)
        for run in runs:
            forget_prefix(run.prefix, _env_for(options, run, 0, 0))
        shutil.rmtree(folder, ignore_errors=True)
    *ones, several = answers
    for one in ones:
        check_baseline(options.journey, one)
    noise = learn_noise(ones[0], ones[1]) if options.record else None
    found = differences(options.journey, ones[0], several, noise)
    varying = sum(1 for n in (noise or {}).values() if n.paths or n.text or n.status)
    return VerifyResult(
        options,
        tuple(found),
        tuple(ones[0]),
        tuple(several),
        time.monotonic() - began,
        varying,
    )


def _start(options: VerifyOptions, runs: list[_Run], groups: ProcessGroups) -> None:
    """Setup of every run side by side, then every replica; returns once all answer."""
    journey = options.journey
    for run in runs:
        run.folder.mkdir(parents=True)
    if journey.setup:
        jobs = [
            (
                _expand(" && ".join(journey.setup), _places(run, 0, 0)),
                options.root,
                _env_for(options, run, 0, 0),
                run.folder / "setup.log",
            )
            for run in runs
        ]
        groups.run_all(jobs, SETUP_SECONDS)
    for run in runs:
        for index in range(run.size):
            port = free_port()
            (run.folder / f"replica-{index}").mkdir(exist_ok=True)
            places = _places(run, index, port)
            server = _expand(options.command.template, places)
            if not _COMPOUND.search(server):  # one process fewer: the shell becomes the server
                server = "exec " + server
            steps = [_expand(c, places) for c in journey.replica_setup]
            command = " && ".join([*steps, server]) if steps else server
            log = run.folder / f"replica-{index}.log"
            process = groups.spawn(command, options.root, _env_for(options, run, index, port), log)
            run.replicas.append(Replica(index, f"http://127.0.0.1:{port}", process, log))
    for run in runs:
        for replica in run.replicas:
            wait_until_answering(replica, journey.ready, options.startup_seconds)


def _urls(run: _Run) -> list[str]:
    return [replica.url for replica in run.replicas]


def _places(run: _Run, index: int, port: int) -> dict[str, str]:
    return {
        "{port}": str(port),
        "{replica}": str(index),
        "{replica_dir}": str(run.folder / f"replica-{index}"),
        "{run_dir}": str(run.folder),
    }


def _expand(text: str, places: dict[str, str]) -> str:
    for name, value in places.items():
        text = text.replace(name, value)
    return text


def _setting(options: VerifyOptions, name: str) -> str:
    given = dict(options.journey.env) | dict(options.env)
    return given.get(name) or os.environ.get(name, "")


def _env_for(options: VerifyOptions, run: _Run, index: int, port: int) -> dict[str, str]:
    """The replica's environment: verify's own, the journey's `env`, `--env`, `--mode`, and the
    run's key prefix, folder and port."""
    places = _places(run, index, port)
    env = dict(os.environ)
    env.update({k: _expand(v, places) for k, v in (*options.journey.env, *options.env)})
    if options.mode:
        env["STATELESS_MODE"] = options.mode
    env.update(
        PATH=replica_path(env.get("PATH", "")),
        PORT=str(port),
        TMPDIR=places["{replica_dir}"],
        STATELESS_KEY_PREFIX=run.prefix,
        PYTHONUNBUFFERED="1",
    )
    return env


@contextmanager
def _terminated_on_signals() -> Iterator[None]:
    """SIGTERM and SIGHUP raise Terminated in the main thread while the block runs."""

    def handler(signum: int, _frame: object) -> None:
        raise Terminated(signum)

    kept = {}
    for signum in (signal.SIGTERM, signal.SIGHUP):
        try:
            kept[signum] = signal.signal(signum, handler)
        except ValueError:  # not the main thread: the caller owns the signals
            pass
    try:
        yield
    finally:
        for signum, previous in kept.items():
            signal.signal(signum, previous)
