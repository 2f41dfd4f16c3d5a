"""Scan speed and memory on a real code base: the Django 5.2.8 wheel's source.

Prints, from one run on one machine:
- the floor: stdlib `ast.parse` of the same files in one process (what any Python scanner
  must at least do);
- cold: the whole `migrator scan --format json` process with an empty cache;
- warm: the same command again, nothing changed (the cache answers);
- one file changed: the same command after editing one file;
- peak memory (max RSS) of the largest process of each run.

Targets (2-core machine): cold <= 1.5 x floor, warm <= 0.25 x floor, peak <= 400 MB.

    python benchmarks/scan_speed.py [--source DIR] [--runs N]
"""

from __future__ import annotations

import argparse
import ast
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import zipfile
from pathlib import Path

DJANGO = "django==5.2.8"


def fetch_django(work: Path) -> Path:
    """The unpacked Django wheel (downloaded once with pip into `work`)."""
    source = work / "django-5.2.8"
    if source.is_dir():
        return source
    subprocess.run(
        [sys.executable, "-m", "pip", "download", "--no-deps", "-q", "-d", str(work), DJANGO],
        check=True,
    )
    wheel = next(work.glob("[Dd]jango-5.2.8-*.whl"))
    with zipfile.ZipFile(wheel) as archive:
        archive.extractall(source)
    return source


def floor_seconds(source: Path) -> tuple[float, int, int]:
    """(seconds, files, lines) for `ast.parse`, in one process, of the files the scan reads."""
    from migrator.inventory.files import list_project_files

    files = [source / rel for rel in list_project_files(source).python]
    texts = [f.read_bytes() for f in files]
    started = time.perf_counter()
    for text in texts:
        try:
            ast.parse(text)
        except SyntaxError:
            continue
    return time.perf_counter() - started, len(files), sum(t.count(b"\n") for t in texts)


def migrator_command() -> list[str]:
    script = Path(sys.executable).with_name("migrator")
    return [str(script)] if script.exists() else [sys.executable, "-m", "migrator"]


def timed_scan(source: Path, cache: Path) -> tuple[float, float]:
    """(seconds, peak RSS in MB of the largest process) of one `migrator scan` process."""
    env = {**os.environ, "MIGRATOR_CACHE_DIR": str(cache)}
    before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    started = time.perf_counter()
    subprocess.run(
        [*migrator_command(), "scan", str(source), "--format", "json"],
        check=True,
        stdout=subprocess.DEVNULL,
        env=env,
    )
    elapsed = time.perf_counter() - started
    peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    return elapsed, max(peak, before) / 1024


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--source", type=Path, help="scan this folder instead of Django")
    parser.add_argument("--runs", type=int, default=3, help="runs of each measurement (median)")
    args = parser.parse_args(argv)
    work = Path(tempfile.gettempdir()) / "migrator-bench"
    work.mkdir(exist_ok=True)
    source = args.source or fetch_django(work)
    floors = [floor_seconds(source) for _ in range(args.runs)]
    floor = statistics.median(f[0] for f in floors)
    _, files, lines = floors[0]
    colds, warms, changed, peaks = [], [], [], []
    for _ in range(args.runs):
        cache = Path(tempfile.mkdtemp(prefix="migrator-cache-"))
        try:
            seconds, peak = timed_scan(source, cache)
            colds.append(seconds)
            peaks.append(peak)
            seconds, peak = timed_scan(source, cache)
            warms.append(seconds)
            peaks.append(peak)
            victim = next(source.rglob("*.py"))
            original = victim.read_bytes()
            victim.write_bytes(original + b"\n# touched by the benchmark\n")
            try:
                seconds, peak = timed_scan(source, cache)
            finally:
                victim.write_bytes(original)
            changed.append(seconds)
            peaks.append(peak)
        finally:
            shutil.rmtree(cache, ignore_errors=True)
    cold, warm, one = (statistics.median(x) for x in (colds, warms, changed))
    print(f"source: {source} ({files} files, {lines:,} lines), {os.cpu_count()} CPUs, median of {args.runs}")
    print(f"floor (ast.parse, one process): {floor:6.2f} s")
    print(f"cold scan (whole process):      {cold:6.2f} s  = {cold / floor:4.2f} x floor  (target <= 1.50)")
    print(f"warm scan (nothing changed):    {warm:6.2f} s  = {warm / floor:4.2f} x floor  (target <= 0.25)")
    print(f"one file changed:               {one:6.2f} s  = {one / floor:4.2f} x floor")
    print(f"peak memory (largest process):  {max(peaks):6.0f} MB (target <= 400)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
