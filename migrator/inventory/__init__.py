"""The inventory: find every stateful component of a project (`migrator scan`).

files -> parsed facts (process pool, content-hash cache) -> project symbol table
-> detectors -> rated findings.
"""

from __future__ import annotations

import gc
import hashlib
import os
import pickle
import time
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

from migrator.inventory.cache import (
    has_cache,
    load_facts,
    load_result,
    save_facts,
    save_result,
)
from migrator.inventory.deployment import is_deployment_file
from migrator.inventory.files import list_project_files, module_name, package_of_root
from migrator.inventory.parse import ParseJob, ParseOutcome, digest_of, parse_file
from migrator.model import ScanResult, Skipped
from migrator.settings import load_settings

Progress = Callable[[int, int], None]  # (done, total)
POOL_THRESHOLD = 48  # fewer files than this parse faster in one process than a pool starts


class ScanError(ValueError):
    """The scan cannot start; the message is one line a user can act on."""


def _parse_chunk(root: str, jobs: list[ParseJob]) -> list[bytes]:
    """Pickled outcomes: the same bytes travel to the scan and into the facts cache."""
    # ASTs hold no reference cycles: the cyclic collector would only rescan them, often.
    gc.disable()
    return [pickle.dumps(parse_file(root, job), pickle.HIGHEST_PROTOCOL) for job in jobs]


def _tree_key(root: Path, digests: dict[str, str], other: tuple[str, ...]) -> str:
    """One digest of the whole tree: every source's content, and the size and time of the
    files that are not parsed but change the result (deployment files, pyproject.toml)."""
    tree = hashlib.blake2b(digest_size=16)
    for path in sorted(digests):
        tree.update(f"{path}\0{digests[path]}\n".encode())
    for rel in other:
        if rel != "pyproject.toml" and not is_deployment_file(rel):
            continue
        try:
            st = (root / rel).stat()
        except OSError:
            continue
        tree.update(f"{rel}\0{st.st_size}\0{st.st_mtime_ns}\n".encode())
    return tree.hexdigest()


def _unpickled(blob: bytes | None) -> ParseOutcome | None:
    """A cached outcome, or None when there is none or it is damaged."""
    if blob is None:
        return None
    try:
        outcome = pickle.loads(blob)
    except Exception:  # noqa: BLE001 - a damaged cache entry is only a cache miss
        return None
    return outcome if isinstance(outcome, ParseOutcome) else None


def _chunks(jobs: list[ParseJob], sizes: dict[str, int], count: int) -> list[list[ParseJob]]:
    """Jobs split into `count` lists of about equal bytes, largest files first."""
    buckets: list[list[ParseJob]] = [[] for _ in range(count)]
    loads = [0] * count
    for job in sorted(jobs, key=lambda j: -sizes.get(j.path, 0)):
        i = loads.index(min(loads))
        buckets[i].append(job)
        loads[i] += sizes.get(job.path, 0)
    return [b for b in buckets if b]


def _parse(
    root: Path,
    todo: list[ParseJob],
    sizes: dict[str, int],
    workers: int,
    progress: Progress | None,
    done: int,
    total: int,
) -> list[bytes]:
    """Parse the files not in the cache (pickled outcomes): in this process when few, else
    in a pool."""
    out: list[bytes] = []
    if len(todo) < POOL_THRESHOLD or workers <= 1:
        for job in todo:
            out.append(pickle.dumps(parse_file(str(root), job), pickle.HIGHEST_PROTOCOL))
            if progress and len(out) % 25 == 0:
                progress(done + len(out), total)
        return out
    import multiprocessing  # only a cold scan of many files starts a pool
    from concurrent.futures import ProcessPoolExecutor

    context = multiprocessing.get_context("fork") if os.name == "posix" else None
    pieces = _chunks(todo, sizes, workers * 4)
    with ProcessPoolExecutor(max_workers=workers, mp_context=context) as pool:
        for result in pool.map(_parse_chunk, [str(root)] * len(pieces), pieces):
            out.extend(result)
            if progress:
                progress(done + len(out), total)
    return out


def scan_project(
    root: Path,
    *,
    jobs: int | None = None,
    use_cache: bool = True,
    progress: Progress | None = None,
    display_root: str | None = None,
) -> ScanResult:
    """Inventory the project at `root`. Raises ScanError for a root that cannot be scanned."""
    # The scan makes many small objects and no cycles; the cyclic collector only slows it.
    collecting = gc.isenabled()
    gc.disable()
    try:
        return _scan(root, jobs, use_cache, progress, display_root)
    finally:
        if collecting:
            gc.enable()


def _scan(
    root: Path,
    jobs: int | None,
    use_cache: bool,
    progress: Progress | None,
    display_root: str | None,
) -> ScanResult:
    started = time.perf_counter()
    if not root.exists():
        raise ScanError(f"no such path: {root}")
    if not root.is_dir():
        raise ScanError(f"not a folder: {root} (give the project's root folder)")
    shown_root = display_root if display_root is not None else str(root)
    settings = load_settings(root)
    files = list_project_files(root, settings.exclude, settings.include_tests, settings.include)
    packages = frozenset(p.rpartition("/")[0] for p in files.python if p.endswith("__init__.py"))
    root_package = package_of_root(root)
    parse_jobs = [ParseJob(p, *module_name(p, packages, root_package)) for p in files.python]

    # With a cache to consult, hash every file first: the digests pick cached facts and tell
    # whether anything changed at all. Without one (a first scan), the workers hash as they parse.
    consult = use_cache and has_cache(root)
    digests: dict[str, str] = {}
    sizes: dict[str, int] = {}
    unreadable: dict[str, ParseOutcome] = {}
    for job in parse_jobs:
        try:
            if consult:
                data = (root / job.path).read_bytes()
                digests[job.path] = digest_of(data, job)
                sizes[job.path] = len(data)
            else:
                sizes[job.path] = (root / job.path).stat().st_size
        except OSError as exc:
            reason = f"unreadable: {exc.strerror or exc}"
            unreadable[job.path] = ParseOutcome(job.path, "", None, reason)

    if consult:
        cached_result = load_result(root, _tree_key(root, digests, files.other))
        if cached_result is not None:
            try:
                result = ScanResult.from_json(cached_result)
            except (KeyError, TypeError, ValueError):
                result = None  # a damaged cache: scan as if there were none
            if result is not None:
                # What was left out is counted afresh: the tree's key covers scanned files only.
                return replace(
                    result,
                    root=shown_root,
                    seconds=time.perf_counter() - started,
                    left_out=files.left_out,
                    scanned_examples=files.scanned_examples,
                )

    cached = load_facts(root) if use_cache else {}
    outcomes: dict[str, ParseOutcome] = dict(unreadable)
    blobs: dict[str, bytes] = {}
    todo = []
    for job in parse_jobs:
        if job.path in unreadable:
            continue
        digest = digests.get(job.path, "")
        hit = _unpickled(cached.get(digest))
        if hit is None:
            todo.append(job)
            continue
        blobs[digest] = cached[digest]
        if hit.path == job.path or hit.facts is None:
            outcomes[job.path] = replace(hit, path=job.path)
        else:  # the same bytes elsewhere, such as two empty `__init__.py`
            outcomes[job.path] = replace(
                hit, path=job.path, facts=replace(hit.facts, path=job.path)
            )
    if progress:
        progress(len(outcomes), len(parse_jobs))
    workers = jobs or os.cpu_count() or 1
    for blob in _parse(root, todo, sizes, workers, progress, len(outcomes), len(parse_jobs)):
        outcome = pickle.loads(blob)
        outcomes[outcome.path] = outcome
        if outcome.digest:
            blobs[outcome.digest] = blob
            digests[outcome.path] = outcome.digest
    if use_cache and todo:
        save_facts(root, blobs)

    ordered = [outcomes[job.path] for job in parse_jobs]
    modules = [o.facts for o in ordered if o.facts is not None]
    skipped = list(files.skipped) + [Skipped(o.path, o.reason) for o in ordered if o.facts is None]
    # Imported here: a scan of an unchanged tree never needs the detectors.
    from migrator.inventory.assemble import find_state
    from migrator.inventory.deployment import read_deployment
    from migrator.inventory.symbols import Project

    deployment = read_deployment(root, list(files.python) + list(files.other))
    findings = [
        f.with_changes(
            suggested_store=settings.stores[f.category],
            store_reason="set in [tool.migrator.stores]",
        )
        if f.category in settings.stores
        else f
        for f in find_state(Project(modules, root), deployment)
    ]
    result = ScanResult(
        root=shown_root,
        files=len(parse_jobs),
        lines=sum(m.lines for m in modules),
        seconds=time.perf_counter() - started,
        skipped=tuple(sorted(skipped, key=lambda s: s.path)),
        findings=tuple(findings),
        deployment=deployment,
        left_out=files.left_out,
        scanned_examples=files.scanned_examples,
    )
    if use_cache:
        save_result(root, _tree_key(root, digests, files.other), result.to_json())
    return result
