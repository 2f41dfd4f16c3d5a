"""The inventory: find every stateful component of a project (`migrator scan`).

files -> parsed facts (process pool, content-hash cache) -> project symbol table
-> detectors -> rated findings.
"""

from __future__ import annotations

import multiprocessing
import os
import time
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

from migrator.inventory.assemble import find_state
from migrator.inventory.cache import load_cache, save_cache
from migrator.inventory.deployment import read_deployment
from migrator.inventory.files import list_project_files, module_name
from migrator.inventory.parse import ParseJob, ParseOutcome, digest_of, parse_file
from migrator.inventory.symbols import Project
from migrator.model import ScanResult, Skipped
from migrator.settings import load_settings

Progress = Callable[[int, int], None]  # (done, total)
POOL_THRESHOLD = 48  # fewer files than this parse faster in one process than a pool starts


class ScanError(ValueError):
    """The scan cannot start; the message is one line a user can act on."""


def _parse_chunk(root: str, jobs: list[ParseJob]) -> list[ParseOutcome]:
    return [parse_file(root, job) for job in jobs]


def _chunks(jobs: list[ParseJob], sizes: dict[str, int], count: int) -> list[list[ParseJob]]:
    """Jobs split into `count` lists of about equal bytes, largest files first."""
    buckets: list[list[ParseJob]] = [[] for _ in range(count)]
    loads = [0] * count
    for job in sorted(jobs, key=lambda j: -sizes.get(j.path, 0)):
        i = loads.index(min(loads))
        buckets[i].append(job)
        loads[i] += sizes.get(job.path, 0)
    return [b for b in buckets if b]


def parse_all(
    root: Path, jobs: list[ParseJob], workers: int, use_cache: bool, progress: Progress | None
) -> list[ParseOutcome]:
    """Outcomes for every job: from the cache where the bytes are unchanged, else parsed."""
    cached = load_cache(root) if use_cache else {}
    outcomes: dict[str, ParseOutcome] = {}
    todo: list[ParseJob] = []
    sizes: dict[str, int] = {}
    for job in jobs:
        try:
            data = (root / job.path).read_bytes()
        except OSError as exc:
            outcomes[job.path] = ParseOutcome(job.path, "", None, f"unreadable: {exc.strerror or exc}")
            continue
        hit = cached.get(digest_of(data, job))
        if hit is not None:
            outcomes[job.path] = hit
        else:
            todo.append(job)
            sizes[job.path] = len(data)
    total = len(jobs)
    done = len(outcomes)
    if progress:
        progress(done, total)
    if len(todo) < POOL_THRESHOLD or workers <= 1:
        for job in todo:
            outcomes[job.path] = parse_file(str(root), job)
            done += 1
            if progress and done % 25 == 0:
                progress(done, total)
    else:
        context = multiprocessing.get_context("fork") if os.name == "posix" else None
        pieces = _chunks(todo, sizes, workers * 4)
        with ProcessPoolExecutor(max_workers=workers, mp_context=context) as pool:
            for result in pool.map(_parse_chunk, [str(root)] * len(pieces), pieces):
                for outcome in result:
                    outcomes[outcome.path] = outcome
                done += len(result)
                if progress:
                    progress(done, total)
    if use_cache:
        save_cache(root, {o.digest: o for o in outcomes.values() if o.digest})
    return [outcomes[job.path] for job in jobs]


def scan_project(
    root: Path,
    *,
    jobs: int | None = None,
    use_cache: bool = True,
    progress: Progress | None = None,
    display_root: str | None = None,
) -> ScanResult:
    """Inventory the project at `root`. Raises ScanError for a root that cannot be scanned."""
    started = time.perf_counter()
    if not root.exists():
        raise ScanError(f"no such path: {root}")
    if not root.is_dir():
        raise ScanError(f"not a folder: {root} (give the project's root folder)")
    settings = load_settings(root)
    files = list_project_files(root, settings.exclude)
    packages = frozenset(p.rpartition("/")[0] for p in files.python if p.endswith("__init__.py"))
    parse_jobs = [ParseJob(p, *module_name(p, packages)) for p in files.python]
    workers = jobs or os.cpu_count() or 1
    outcomes = parse_all(root, parse_jobs, workers, use_cache, progress)
    modules = [o.facts for o in outcomes if o.facts is not None]
    skipped = list(files.skipped) + [Skipped(o.path, o.reason) for o in outcomes if o.facts is None]
    deployment = read_deployment(root, list(files.python) + list(files.other))
    findings = find_state(Project(modules), deployment)
    return ScanResult(
        root=display_root if display_root is not None else str(root),
        files=len(parse_jobs),
        lines=sum(m.lines for m in modules),
        seconds=time.perf_counter() - started,
        skipped=tuple(sorted(skipped, key=lambda s: s.path)),
        findings=tuple(findings),
        deployment=deployment,
    )
