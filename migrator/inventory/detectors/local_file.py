"""local_file: data written to the machine's disk while serving.

Looks for: uploads saved under a local folder (`file.save(os.path.join(UPLOAD_FOLDER,
name))`), files opened for writing in handlers (local JSON "databases"), `shelve`,
`dbm`, `sqlite3.connect("file.db")` used as the store, `Path.write_bytes`, and Django's
`MEDIA_ROOT` on the default file storage. Another replica cannot read these files, and
a replaced machine loses them. Ignores: temporary files (`tempfile`, `/tmp`), reads.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from migrator.inventory.detectors import ProjectDetector, finding, register
from migrator.inventory.detectors._settings import (
    TEST_SETTINGS,
    config_items,
    django_settings,
    imports_anything_of,
)
from migrator.inventory.extract import literal
from migrator.inventory.facts import CallSite, ModuleFacts, Summary
from migrator.inventory.symbols import Project
from migrator.model import Evidence, Finding

PATHY = re.compile(r"upload|media|folder|dir|path|root|storage|file|data|db|store")
STORE_OPENERS = {
    "shelve.open": "a `shelve` file",
    "dbm.open": "a `dbm` file",
    "dbm.gnu.open": "a `dbm` file",
    "dbm.ndbm.open": "a `dbm` file",
    "dbm.dumb.open": "a `dbm` file",
    "sqlite3.connect": "an SQLite file used as the store",
    "diskcache.Cache": "a `diskcache` directory",
    "sqlitedict.SqliteDict": "a `sqlitedict` file",
    "tinydb.TinyDB": "a TinyDB JSON file",
}
WRITE_METHODS = frozenset({".save", ".write_text", ".write_bytes"})
OPENERS = frozenset({"open", "io.open", "codecs.open", "aiofiles.open"})
TEMPORARY_NAME = re.compile(r"temp|tmp|scratch")
REMOTE_STORAGE = re.compile(r"s3|gcloud|google|azure|boto|dropbox|sftp|minio|cloudinary")


@dataclass
class _Group:
    symbol: str
    facts: ModuleFacts
    sites: list[Evidence]
    what: str
    confidence: str


@register
class LocalFileDetector(ProjectDetector):
    category = "local_file"
    STATE = (
        "import os\nUPLOAD_FOLDER = 'uploads'\n\ndef upload(f):\n"
        "    f.save(os.path.join(UPLOAD_FOLDER, f.filename))\n",
        "import json\n\ndef save_db(data):\n    with open('db.json', 'w') as fh:\n        json.dump(data, fh)\n",
        "import shelve\n\ndef remember(k, v):\n    with shelve.open('state.db') as db:\n        db[k] = v\n",
    )
    NOT_STATE = (
        "def read(name):\n    with open(name) as fh:\n        return fh.read()\n",
        "import tempfile\n\ndef scratch(data):\n    with tempfile.NamedTemporaryFile('w') as fh:\n"
        "        fh.write(data)\n",
        "import sqlite3\n\ndef q():\n    return sqlite3.connect(':memory:')\n",
    )

    def detect(self, project: Project) -> Iterable[Finding]:
        groups: dict[tuple[str, str], _Group] = {}
        for facts in project.by_module.values():
            for call in facts.calls:
                if call.func and project.is_command(facts.module, call.func):
                    continue  # a command-line tool writing its output, not the service
                if TEMPORARY_NAME.search(call.func.lower()):
                    continue  # a function that builds something in a temporary folder
                described = _describe(call)
                if described is None:
                    continue
                what, symbol, confidence = described
                symbol = symbol or (
                    call.func.split(".")[0] if call.func else call.target or "module"
                )
                key = (facts.module, symbol)
                group = groups.get(key)
                if group is None:
                    group = groups[key] = _Group(symbol, facts, [], what, confidence)
                elif confidence == "high":
                    group.confidence = "high"
                group.sites.append(
                    Evidence(facts.path, call.line, "write", call.callee.lstrip("."))
                )
        for (module, symbol), group in sorted(groups.items()):
            path, line = _definition(project, group)
            yield finding(
                self.category,
                symbol=symbol,
                qualname=f"{module}.{symbol}",
                path=path,
                line=line,
                confidence=group.confidence,
                message=(
                    f"`{symbol}` writes {group.what} to the local disk in {len(group.sites)} "
                    f"place{'s' if len(group.sites) > 1 else ''}: other replicas cannot read it and a "
                    "replaced machine loses it. Move it to object storage or a database "
                    "(`migrator playbook local_file`)."
                ),
                evidence=tuple(sorted(set(group.sites))),
                kind="files",
                automation="manual",
                detector=type(self).__name__,
            )
        yield from self._django_media(project)

    def _django_media(self, project: Project) -> Iterable[Finding]:
        settings = django_settings(project)
        if not settings:
            return
        for key in ("DEFAULT_FILE_STORAGE", "STORAGES"):
            for _, item in config_items(project, key):
                if REMOTE_STORAGE.search(str(literal(item.value)).lower()):
                    return
        file_fields = [
            (facts, call)
            for facts in project.by_module.values()
            for call in facts.calls
            if call.callee.rpartition(".")[2] in ("FileField", "ImageField", "FileSystemStorage")
            and call.callee.startswith("django.")
        ]
        uses_storage = imports_anything_of(project, "django.core.files.storage")
        if not (file_fields or uses_storage):
            return
        # The setting the service runs with, not the one of its test or CI settings.
        media = sorted(
            config_items(project, "MEDIA_ROOT"),
            key=lambda found: bool(TEST_SETTINGS.search(found[0].path)),
        )
        facts, line = (media[0][0], media[0][1].line) if media else (settings[0], 1)
        evidence = [
            Evidence(f.path, c.line, "write", c.callee.rpartition(".")[2]) for f, c in file_fields
        ]
        yield finding(
            self.category,
            symbol="MEDIA_ROOT",
            qualname=f"{facts.module}.MEDIA_ROOT",
            path=facts.path,
            line=line,
            confidence="high",
            message=(
                "Uploaded files go to `MEDIA_ROOT` on the local disk (Django's default "
                "`FileSystemStorage`): other replicas cannot serve them. Configure `STORAGES` with an "
                "object-storage backend such as django-storages' S3 (`migrator playbook local_file`)."
            ),
            evidence=tuple(sorted(set(evidence)))
            or (Evidence(facts.path, line, "write", "config"),),
            kind="media_root",
            automation="manual",
            detector=type(self).__name__,
        )


def _describe(call: CallSite) -> tuple[str, str, str] | None:
    """(what is written, the symbol naming the place, confidence) for a write call, else None."""
    if call.callee in STORE_OPENERS:
        path = call.args[0] if call.args else dict(call.kwargs).get("filename", ("expr",))
        if literal(path) == ":memory:" or _temporary(path):
            return None
        return (
            STORE_OPENERS[call.callee],
            call.target.rpartition(".")[2] if call.target else _symbol(path),
            "high",
        )
    if not call.func:
        return None  # a file written at import time is a build step, not state
    if call.callee in OPENERS:
        mode = call.args[1] if len(call.args) > 1 else dict(call.kwargs).get("mode", ("const", "r"))
        mode_text = literal(mode)
        if not isinstance(mode_text, str) or not any(c in mode_text for c in "wax+"):
            return None
        path = call.args[0] if call.args else ("expr",)
        if _temporary(path) or _symbol(path).lower().startswith("pid"):
            return None  # scratch files and pid files are not the service's data
        return "files", _symbol(path), "medium"
    if call.callee in WRITE_METHODS:
        if not call.args:
            return None  # `model.save()`: an ORM write, not a file
        path = call.args[0]
        if _temporary(path) or not _looks_like_path(path):
            return None
        what = "uploaded files" if call.callee == ".save" else "files"
        return what, _symbol(path), "high" if call.callee == ".save" else "medium"
    return None


def _walk(summary: Summary) -> Iterable[Summary]:
    yield summary
    tag = summary[0]
    if tag == "call":
        for arg in summary[2]:
            yield from _walk(arg)
    elif tag == "path":
        yield from _walk(summary[1])
        yield from _walk(summary[2])
    elif tag in ("list", "fstr", "alts"):
        for arg in summary[1]:
            yield from _walk(arg)


def _temporary(path: Summary) -> bool:
    if path[0] == "alts":  # a local assigned in several branches: temporary only if all are
        return all(_temporary(alt) for alt in path[1])
    for part in _walk(path):
        if part[0] in ("name", "call") and "tempfile" in str(part[1]):
            return True
        if (
            part[0] == "const"
            and isinstance(part[1], str)
            and part[1].startswith(("/tmp", "/dev/"))
        ):
            return True
    return False


def _looks_like_path(path: Summary) -> bool:
    for part in _walk(path):
        tag = part[0]
        if tag == "call" and str(part[1]).startswith(
            ("os.path.join", "pathlib.Path", "os.path.abspath")
        ):
            return True
        if tag == "path":
            return True
        if tag == "item" and PATHY.search(str(part[2]).lower()):
            return True
        if tag == "name" and PATHY.search(str(part[1]).rpartition(".")[2].lower()):
            return True
        if tag == "const" and isinstance(part[1], str) and ("/" in part[1] or "." in part[1]):
            return True
    return False


def _symbol(path: Summary) -> str:
    """The setting or name a written path starts from (`UPLOAD_FOLDER`), or ''."""
    for part in _walk(path):
        if part[0] == "item" and isinstance(part[2], str):
            return part[2]
        if part[0] == "name":
            name = str(part[1]).rpartition(".")[2]
            if name.isupper() or PATHY.search(name.lower()):
                return name
    return ""


def _definition(project: Project, group: _Group) -> tuple[str, int]:
    """Where the place's name is set (`UPLOAD_FOLDER = ...`), else the first write."""
    for facts, item in config_items(project, group.symbol):
        return facts.path, item.line
    for binding in group.facts.bindings:
        if binding.name == group.symbol:
            return group.facts.path, binding.line
    first = min(group.sites, key=lambda e: (e.path != group.facts.path, e.line))
    return first.path, first.line
