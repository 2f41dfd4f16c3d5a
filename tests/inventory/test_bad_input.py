"""Bad input through the real command line: a wrong path is exit 2 with one line on stderr;
a file the scan cannot use is skipped with its reason while the rest is scanned (exit 0)."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

STATEFUL = "SESSIONS = {}\n\n\ndef login(sid, user):\n    SESSIONS[sid] = user\n"
HUGE_BYTES = 4 * 1024 * 1024 + 4096  # just over the scanner's 4 MiB limit


def migrator(cwd: Path, *args: str, timeout: float = 60) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "MIGRATOR_CACHE_DIR": str(cwd / ".cache-dir")}
    env.pop("MIGRATOR_DEBUG", None)
    return subprocess.run(
        [sys.executable, "-m", "migrator", *args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def scan_json(cwd: Path, target: str = "project") -> dict[str, Any]:
    done = migrator(cwd, "scan", target, "--format", "json", "--no-cache")
    assert done.returncode == 0, done.stderr
    assert "Traceback" not in done.stderr
    return json.loads(done.stdout)


def assert_one_line_reason(done: subprocess.CompletedProcess[str]) -> None:
    assert done.returncode == 2
    assert done.stdout == ""
    assert "Traceback" not in done.stderr
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("migrator: "), done.stderr


def test_missing_path_is_exit_2_with_one_line(tmp_path: Path) -> None:
    missing = "a-folder-that-is-not-there/" + "deeper-" * 12  # longer than a terminal line
    done = migrator(tmp_path, "scan", missing, "--format", "json")
    assert_one_line_reason(done)
    assert "no such path" in done.stderr


def test_file_instead_of_folder_is_exit_2(tmp_path: Path) -> None:
    (tmp_path / "app.py").write_text(STATEFUL)
    done = migrator(tmp_path, "scan", "app.py")
    assert_one_line_reason(done)
    assert "not a folder" in done.stderr


def _bad_files(pkg: Path) -> None:
    (pkg / "py2.py").write_text('print "x"\n')
    (pkg / "not_utf8.py").write_bytes(b'NAME = "caf\xe9"\n')
    (pkg / "nul_byte.py").write_bytes(b"X = 1\x00\n")
    (pkg / "generated.py").write_bytes(b"X = 1\n" * (HUGE_BYTES // 6))
    (pkg / "outside.py").symlink_to("/etc/hostname")
    (pkg / "outside_dir").symlink_to("/etc", target_is_directory=True)
    (pkg / "loop_a.py").symlink_to("loop_b.py")
    (pkg / "loop_b.py").symlink_to("loop_a.py")
    (pkg / "latin1.py").write_bytes(
        b"# -*- coding: latin-1 -*-\nimport urllib.request\n\nGREETING = 'caf\xe9'\n_NAME_CACHE = {}\n\n\n"
        b"def name(k):\n    if k in _NAME_CACHE:\n        return _NAME_CACHE[k]\n"
        b"    _NAME_CACHE[k] = urllib.request.urlopen(GREETING + k).read()\n"
        b"    return _NAME_CACHE[k]\n"
    )


@pytest.fixture(scope="module")
def bad_tree_scan(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """One scan of a project holding every kind of bad file beside a good one."""
    cwd = tmp_path_factory.mktemp("bad-input")
    pkg = cwd / "project" / "pkg"
    pkg.mkdir(parents=True)
    (pkg / "__init__.py").write_text("")
    (pkg / "auth.py").write_text(STATEFUL)
    _bad_files(pkg)
    return scan_json(cwd)


SKIPPED = {
    "python 2": ("pkg/py2.py", "syntax error"),
    "not utf-8, no cookie": ("pkg/not_utf8.py", "coding"),
    "null byte": ("pkg/nul_byte.py", "null bytes"),
    "over 4 MiB": ("pkg/generated.py", "MiB"),
    "symlink out of the tree": ("pkg/outside.py", "leaves the project tree"),
    "symlinked folder out of the tree": ("pkg/outside_dir", "leaves the project tree"),
    "symlink loop a": ("pkg/loop_a.py", "loops"),
    "symlink loop b": ("pkg/loop_b.py", "loops"),
}


@pytest.mark.parametrize(("path", "reason_word"), SKIPPED.values(), ids=SKIPPED.keys())
def test_bad_file_is_skipped_with_a_reason(
    bad_tree_scan: dict[str, Any], path: str, reason_word: str
) -> None:
    reasons = {s["path"]: s["reason"] for s in bad_tree_scan["stats"]["skipped"]}
    assert path in reasons, reasons
    assert reason_word in reasons[path]


def test_python_2_reason_says_so(bad_tree_scan: dict[str, Any]) -> None:
    reasons = {s["path"]: s["reason"] for s in bad_tree_scan["stats"]["skipped"]}
    assert "Python 2" in reasons["pkg/py2.py"]


def test_the_rest_is_scanned_and_reported(bad_tree_scan: dict[str, Any]) -> None:
    found = {(f["path"], f["symbol"], f["category"]) for f in bad_tree_scan["findings"]}
    assert ("pkg/auth.py", "SESSIONS", "session_store") in found
    skipped = {s["path"] for s in bad_tree_scan["stats"]["skipped"]}
    assert skipped == {path for path, _ in SKIPPED.values()}, "nothing else is skipped"


def test_latin1_file_with_a_coding_cookie_is_parsed(bad_tree_scan: dict[str, Any]) -> None:
    found = {(f["path"], f["symbol"], f["category"]) for f in bad_tree_scan["findings"]}
    assert ("pkg/latin1.py", "_NAME_CACHE", "cache") in found


def _tree_with(cwd: Path, name: str) -> Path:
    pkg = cwd / "project" / "pkg"
    pkg.mkdir(parents=True)
    (pkg / "auth.py").write_text(STATEFUL)
    return pkg / name


def test_unreadable_file_is_skipped(tmp_path: Path) -> None:
    locked = _tree_with(tmp_path, "locked.py")
    locked.write_text("X = 1\n")
    locked.chmod(0)
    try:
        try:
            locked.read_bytes()
        except PermissionError:
            pass
        else:
            pytest.skip(
                "running as root (or with CAP_DAC_OVERRIDE): chmod 000 does not stop this user "
                "from reading the file; test_unreadable_socket_is_skipped covers the case"
            )
        result = scan_json(tmp_path)
    finally:
        locked.chmod(0o644)
    reasons = {s["path"]: s["reason"] for s in result["stats"]["skipped"]}
    assert reasons["pkg/locked.py"].startswith("unreadable")
    assert any(f["symbol"] == "SESSIONS" for f in result["findings"])


def test_unreadable_socket_is_skipped(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # A socket named like a module cannot be opened even by root: it is skipped, not read.
    sock_path = _tree_with(tmp_path, "sock.py")
    monkeypatch.chdir(sock_path.parent)  # a relative name keeps under the AF_UNIX path limit
    with socket.socket(socket.AF_UNIX) as sock:
        sock.bind(sock_path.name)
        result = scan_json(tmp_path)
    reasons = {s["path"]: s["reason"] for s in result["stats"]["skipped"]}
    assert reasons["pkg/sock.py"].startswith("not a regular file")
    assert any(f["symbol"] == "SESSIONS" for f in result["findings"])


def test_named_pipe_does_not_hang_the_scan(tmp_path: Path) -> None:
    os.mkfifo(_tree_with(tmp_path, "pipe.py"))
    try:
        result = migrator(tmp_path, "scan", "project", "--format", "json", "--no-cache", timeout=6)
    except subprocess.TimeoutExpired:
        pytest.fail("the scan did not finish within 6 s")
    assert result.returncode == 0
    assert any(s["path"] == "pkg/pipe.py" for s in json.loads(result.stdout)["stats"]["skipped"])


@pytest.mark.parametrize("in_git", [False, True])
def test_a_file_name_that_is_not_utf8_is_skipped_and_the_rest_scanned(
    tmp_path: Path, in_git: bool
) -> None:
    project = tmp_path / "project"
    project.mkdir()
    (project / "state.py").write_text("SEEN = {}\n\n\ndef see(k):\n    SEEN[k] = 1\n")
    with open(os.path.join(os.fsencode(project), b"caf\xe9.py"), "wb") as fh:
        fh.write(b"OTHER = {}\n")
    if in_git:
        subprocess.run(["git", "init", "-q"], cwd=project, check=True)
        subprocess.run(["git", "add", "-A"], cwd=project, check=True)

    doc = scan_json(tmp_path)

    assert [f["symbol"] for f in doc["findings"]] == ["SEEN"]
    (skipped,) = doc["stats"]["skipped"]
    assert skipped["reason"] == "the file name is not valid UTF-8"
    assert skipped["path"].startswith("caf")
