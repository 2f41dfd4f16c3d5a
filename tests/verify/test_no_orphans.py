"""However verify ends, no process it started is left running: SIGTERM and SIGINT mid-run.

The journey's one step waits (`within`) for an answer that never comes, so verify is killed
while its three replicas (one for the one-replica run, two for the replicas' run) serve.
"""

from __future__ import annotations

import signal
import subprocess
import time
from pathlib import Path

import pytest
from migrator_tests_verify_runs import COMMANDS, PYTHON, replicas, verify_env

STUCK = """
steps:
  - name: waits for an answer that never comes
    request: GET /products
    within: 60
    expect: {status: 418}
"""


def descendants(pid: int) -> set[int]:
    """Every live process below `pid`, read from /proc."""
    parents: dict[int, int] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            parents[int(entry.name)] = int(fields[1])
    found, frontier = set(), {pid}
    while frontier:
        frontier = {child for child, parent in parents.items() if parent in frontier} - found
        found |= frontier
    return found


def running(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


@pytest.mark.parametrize(("sig", "code"), [(signal.SIGTERM, 143), (signal.SIGINT, 130)])
def test_a_killed_verify_leaves_no_process_behind(
    sig: signal.Signals, code: int, tmp_path: Path
) -> None:
    project = replicas.copy_example("flask_shop", tmp_path)
    journey = tmp_path / "stuck.yaml"
    journey.write_text(STUCK, "utf-8")
    verify = subprocess.Popen(
        [
            PYTHON,
            "-m",
            "migrator",
            "verify",
            ".",
            *COMMANDS["flask_shop"],
            "--journey",
            str(journey),
        ],
        cwd=project.root,
        env=verify_env(tmp_path),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        deadline = time.monotonic() + 60
        started: set[int] = set()
        while time.monotonic() < deadline and verify.poll() is None:
            started = descendants(verify.pid)
            listening = [p for p in started if "flask" in _cmdline(p)]
            if len(listening) >= 3:
                break
            time.sleep(0.2)
        assert len([p for p in started if "flask" in _cmdline(p)]) >= 3, verify.stderr
        time.sleep(1.0)  # the journey is under way: the servers answer it
        verify.send_signal(sig)
        _, stderr = verify.communicate(timeout=30)
    finally:
        if verify.poll() is None:
            verify.kill()
    assert verify.returncode == code, stderr
    assert len(stderr.strip().splitlines()) == 1, stderr  # one line, no traceback
    left = {pid for pid in started if running(pid)}
    assert left == set(), [_cmdline(pid) for pid in left]


def _cmdline(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()
    except OSError:
        return ""
