"""Files read and written as their authors keep them: newlines, encoding, BOM, final newline.

A source is read as exact text (no newline translation; a UTF-8 BOM kept as U+FEFF; decoded in
the encoding its `# -*- coding: ... -*-` cookie names) and written back in the same encoding, so
two added lines in a CRLF file are two changed lines in `git diff`, not the whole file.
"""

from __future__ import annotations

import codecs
import io
import tokenize
from collections import Counter
from collections.abc import Iterable
from pathlib import Path

from migrator.atomic import write_text_atomic
from migrator.codemods.apply_to_files import BOM, read_exactly

_PYTHON = (".py", ".pyw")


def read_source(path: Path) -> str:
    """The exact text of the file at `path`: newlines as written, a UTF-8 BOM kept as a leading
    U+FEFF, a Python file decoded in the encoding its coding cookie names."""
    if path.suffix in _PYTHON:
        return read_exactly(path)
    data = path.read_bytes()
    bom = data.startswith(codecs.BOM_UTF8)
    return (BOM if bom else "") + data[len(codecs.BOM_UTF8) if bom else 0 :].decode("utf-8")


def encoding_of(path: Path, text: str) -> str:
    """The encoding `text` is written to `path` in: a Python file's cookie, else UTF-8 (a
    leading U+FEFF is written as the UTF-8 byte-order mark)."""
    if path.suffix not in _PYTHON:
        return "utf-8"
    head = text.removeprefix(BOM).encode("utf-8", "replace")
    try:
        found, _lines = tokenize.detect_encoding(io.BytesIO(head).readline)
    except SyntaxError:  # an unknown cookie: the file could not have been read either
        return "utf-8"
    return "utf-8" if found == "utf-8-sig" else codecs.lookup(found).name


def encode_source(path: Path, text: str) -> bytes:
    """`text` as the bytes of `path` (see `encoding_of`); raises UnicodeEncodeError when that
    encoding cannot write one of its characters."""
    return text.encode(encoding_of(path, text))


def write_source(path: Path, text: str) -> None:
    """Write `text` whole or not at all, in the file's own encoding (see `encoding_of`)."""
    write_text_atomic(path, text, encoding=encoding_of(path, text))


def dominant_newline(text: str) -> str:
    """The newline most lines of `text` end with: `\\r\\n` or `\\n` (a tie, or none: `\\n`)."""
    crlf = text.count("\r\n")
    return "\r\n" if crlf > text.count("\n") - crlf else "\n"


def project_newline(texts: Iterable[str]) -> str:
    """The newline most of a project's files use, for the files `apply` creates there."""
    votes = Counter(dominant_newline(text) for text in texts if "\n" in text)
    return "\r\n" if votes["\r\n"] > votes["\n"] else "\n"


def with_newline(text: str, newline: str) -> str:
    """`text` (written with `\\n`) with `newline` at the end of every line."""
    return text if newline == "\n" else text.replace("\r\n", "\n").replace("\n", newline)


def keep_format(old: str, new: str) -> str:
    """`new` (an edit of `old`) in the format of `old`: in a file whose every line ends with
    `\\r\\n`, so do the lines an edit added; the file ends with a newline only when `old` did."""
    bare = old.count("\n") - old.count("\r\n")
    if "\r\n" in old and not bare:
        new = new.replace("\r\n", "\n").replace("\n", "\r\n")
    if old and not old.endswith(("\n", "\r")):
        new = new.rstrip("\r\n")
    elif old and new and not new.endswith(("\n", "\r")):
        new += dominant_newline(old)
    return new
