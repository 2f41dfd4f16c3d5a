"""Read and parse one file, safely: the unit of work of the scan's process pool."""

from __future__ import annotations

import ast
import hashlib
import io
import tokenize
import warnings
from dataclasses import dataclass
from pathlib import Path

from migrator.inventory.facts import ModuleFacts

MAX_BYTES = 4 * 1024 * 1024  # larger sources are generated, not written by the team
# Cached facts are only reused by the very code that made them.
FACTS_VERSION = hashlib.blake2b(
    b"".join(
        Path(__file__).with_name(n).read_bytes()
        for n in ("extract.py", "facts.py", "results.py", "mutations.py")
    ),
    digest_size=6,
).hexdigest()


@dataclass(frozen=True)
class ParseJob:
    path: str  # relative to root
    module: str
    is_package: bool


@dataclass(frozen=True)
class ParseOutcome:
    path: str
    digest: str
    facts: ModuleFacts | None
    reason: str = ""  # why the file was skipped, when facts is None


def digest_of(data: bytes, job: ParseJob) -> str:
    """The cache key of a file: its bytes and what decides how it is read."""
    h = hashlib.blake2b(data, digest_size=16)
    h.update(f"\0{job.module}\0{job.is_package}\0{FACTS_VERSION}".encode())
    return h.hexdigest()


def decode_source(data: bytes) -> str:
    """Text of a Python source, honouring PEP 263 coding cookies and BOMs.

    Raises ValueError with a sentence a user can act on.
    """
    if b"\0" in data:
        raise ValueError("contains null bytes (a binary or corrupted file)")
    try:
        encoding, _ = tokenize.detect_encoding(io.BytesIO(data).readline)
    except SyntaxError as exc:
        raise ValueError(f"bad coding declaration: {exc.msg}") from None
    try:
        return data.decode(encoding)
    except (UnicodeDecodeError, LookupError) as exc:
        raise ValueError(f"not valid {encoding} text ({exc.__class__.__name__})") from None


def parse_file(root: str, job: ParseJob, data: bytes | None = None) -> ParseOutcome:
    """Facts of one file, or the reason it was skipped. Never raises for bad input."""
    if data is None:
        try:
            data = Path(root, job.path).read_bytes()
        except OSError as exc:
            return ParseOutcome(job.path, "", None, f"unreadable: {exc.strerror or exc}")
    digest = digest_of(data, job)
    if len(data) > MAX_BYTES:
        return ParseOutcome(
            job.path, digest, None, f"larger than {MAX_BYTES // 2**20} MiB (generated?)"
        )
    try:
        source = decode_source(data)
    except ValueError as exc:
        return ParseOutcome(job.path, digest, None, str(exc))
    try:
        with warnings.catch_warnings():
            warnings.simplefilter(
                "ignore"
            )  # invalid escape sequences in old code are not ours to report
            tree = ast.parse(source, filename=job.path)
    except SyntaxError as exc:
        hint = (
            " (Python 2 code?)"
            if "print" in (exc.text or "") or "Missing parentheses" in str(exc.msg)
            else ""
        )
        return ParseOutcome(
            job.path, digest, None, f"syntax error at line {exc.lineno}: {exc.msg}{hint}"
        )
    except (ValueError, RecursionError, MemoryError) as exc:
        return ParseOutcome(job.path, digest, None, f"cannot be parsed: {exc.__class__.__name__}")
    from migrator.inventory.extract import extract_facts  # only a cold scan pays for it

    try:
        facts = extract_facts(tree, source, job.module, job.path, job.is_package)
    except RecursionError:
        return ParseOutcome(job.path, digest, None, "nested too deeply to analyse")
    return ParseOutcome(job.path, digest, facts)
