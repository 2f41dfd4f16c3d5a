"""local_file: data written to the machine's disk while serving.

Looks for: uploads saved under a local folder (`file.save(os.path.join(UPLOAD_FOLDER,
name))`), files opened for writing in handlers (local JSON "databases"), `shelve`,
`dbm`, `sqlite3.connect("file.db")` used as the store, `Path.write_bytes`, and Django's
`MEDIA_ROOT` on the default file storage, `p.open("wb")`, `shutil.copy`/`move` into a
folder, and write helpers given a mode (`atomic_write(path, "wt")`). Another replica
cannot read these files, and a replaced machine loses them. A finding is named by the
setting or attribute that names the place (`UPLOAD_FOLDER`, `self.basefolder`), else by
the handler or per-request method that writes. Ignores: temporary files (`tempfile`,
`/tmp`), reads, read-only SQLite (`mode=ro`), and plain writes outside serving: start-up
code (`init_logs`, `__init__`), command-line tools, code no handler reaches.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from migrator.inventory.detectors import ProjectDetector, finding, module_name, register
from migrator.inventory.detectors._settings import (
    TEST_SETTINGS,
    config_items,
    django_settings,
    imports_anything_of,
)
from migrator.inventory.extract import literal
from migrator.inventory.facts import CallSite, ModuleFacts, Summary
from migrator.inventory.symbols import STARTUP_NAME, Project
from migrator.model import Evidence, Finding

PATHY = re.compile(r"upload|media|folder|dir|path|root|storage|(?<!pro)file|data|db|store")
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
# `shutil` calls that put a file at their second argument.
COPIES = frozenset(
    {"shutil.copy", "shutil.copy2", "shutil.copyfile", "shutil.move", "shutil.copytree"}
)
PATH_MAKERS = ("os.path.join", "pathlib.Path", "os.path.abspath", "os.path.expanduser")
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
    anchor: tuple[str, int] | None  # where the place's name is defined, when known


@register
class LocalFileDetector(ProjectDetector):
    category = "local_file"
    STATE = (
        "import os\nUPLOAD_FOLDER = 'uploads'\n\ndef upload(f):\n"
        "    f.save(os.path.join(UPLOAD_FOLDER, f.filename))\n",
        "import json\n\ndef save_db(data):\n    with open('db.json', 'w') as fh:\n        json.dump(data, fh)\n",
        "import shelve\n\ndef remember(k, v):\n    with shelve.open('state.db') as db:\n        db[k] = v\n",
        "import shutil\nfrom pathlib import Path\nfrom flask import Flask, request\n\n"
        "app = Flask(__name__)\nBACKUP_DIR = Path('backups')\n\n@app.post('/backups')\n"
        "def upload():\n    dest = BACKUP_DIR / request.files['f'].filename\n"
        "    with dest.open('wb') as out:\n        shutil.copyfileobj(request.files['f'], out)\n",
    )
    NOT_STATE = (
        "def read(name):\n    with open(name) as fh:\n        return fh.read()\n",
        "import tempfile\n\ndef scratch(data):\n    with tempfile.NamedTemporaryFile('w') as fh:\n"
        "        fh.write(data)\n",
        "import sqlite3\n\ndef q():\n    return sqlite3.connect(':memory:')\n",
        "from flask import Flask\n\napp = Flask(__name__)\n\ndef init_logs(folder):\n"
        "    with open(folder + '/boot.log', 'a') as fh:\n        fh.write('started')\n\n"
        "@app.get('/')\ndef index():\n    return 'ok'\n",
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
                what, path, confidence = described
                if call.callee not in STORE_OPENERS and not _while_serving(project, facts, call):
                    continue  # written once at start-up or by code no request reaches
                symbol, anchor = _place(project, facts, call, path)
                key = (facts.module, symbol)
                group = groups.get(key)
                if group is None:
                    group = groups[key] = _Group(symbol, facts, [], what, confidence, anchor)
                elif confidence == "high":
                    group.confidence = "high"
                group.sites.append(
                    Evidence(facts.path, call.line, "write", call.callee.lstrip("."))
                )
        for (module, symbol), group in sorted(groups.items()):
            where, line = group.anchor or _first_site(group)
            yield finding(
                self.category,
                symbol=symbol,
                qualname=f"{module}.{symbol}",
                path=where,
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
        yield from django_media_findings(project)



def django_media_findings(project: Project) -> Iterable[Finding]:
    """`MEDIA_ROOT` on Django's default file storage, when the project stores files there."""
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
        "local_file",
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
        detector=LocalFileDetector.__name__,
    )

def _describe(call: CallSite) -> tuple[str, Summary, str] | None:
    """(what is written, the path written, confidence) for a write call, else None."""
    if call.callee in STORE_OPENERS:
        path = call.args[0] if call.args else dict(call.kwargs).get("filename", ("expr",))
        if literal(path) == ":memory:" or _temporary(path) or _read_only(path):
            return None
        return STORE_OPENERS[call.callee], path, "high"
    if not call.func:
        return None  # a file written at import time is a build step, not state
    if call.callee in OPENERS or call.callee == ".open":
        mode = call.args[1] if len(call.args) > 1 else dict(call.kwargs).get("mode", ("const", "r"))
        mode_text = literal(mode)
        if not isinstance(mode_text, str) or not any(c in mode_text for c in "wax+"):
            return None
        path = call.args[0] if call.args else ("expr",)
        if _temporary(path) or _symbol(path).lower().startswith("pid"):
            return None  # scratch files and pid files are not the service's data
        return "files", path, "medium"
    if call.callee in COPIES:
        path = call.args[1] if len(call.args) > 1 else dict(call.kwargs).get("dst", ("expr",))
        if _temporary(path) or not _looks_like_path(path):
            return None
        return "files", path, "medium"
    if call.callee in WRITE_METHODS:
        if not call.args:
            return None  # `model.save()`: an ORM write, not a file
        path = call.args[0]
        if _temporary(path) or not _looks_like_path(path):
            return None
        what = "uploaded files" if call.callee == ".save" else "files"
        return what, path, "high" if call.callee == ".save" else "medium"
    if call.callee.startswith(".") and "write" in call.callee and call.args:
        path = call.args[0]  # a write helper given a mode: `atomic_write(path, "wt")`
        if _temporary(path) or not _looks_like_path(path) or _is_mode(path):
            return None
        return "files", path, "medium"
    return None


def _while_serving(project: Project, facts: ModuleFacts, call: CallSite) -> bool:
    """Whether a write runs while serving requests, not once at start-up."""
    module, func = project.owner(facts.module, call.func)
    if (module, func) in project.handlers:
        return True  # a route named `load` serves requests whatever its name says
    if STARTUP_NAME.match(func.rpartition(".")[2]) or project.starts_with_service(module, func):
        return False
    return project.serves_function(module, func)


def _is_mode(path: Summary) -> bool:
    text = literal(path)
    return isinstance(text, str) and len(text) <= 4 and not set(text) - set("rwabxt+")


def _read_only(path: Summary) -> bool:
    """`sqlite3.connect("file:x.db?mode=ro", uri=True)` only reads."""
    return any(
        part[0] == "const" and isinstance(part[1], str) and "mode=ro" in part[1]
        for part in _walk(path)
    )


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
    """Whether a path is under a temporary folder; a path with alternatives (a local set in
    several branches, `a or b`) only when every alternative is."""
    tag = path[0]
    if tag == "alts":
        return bool(path[1]) and all(_temporary(alt) for alt in path[1])
    if tag in ("name", "call") and "tempfile" in str(path[1]):
        return True
    if tag == "const":
        return isinstance(path[1], str) and path[1].startswith(("/tmp", "/dev/"))
    if tag == "call":
        return any(_temporary(arg) for arg in path[2])
    if tag == "path":
        return _temporary(path[1]) or _temporary(path[2])
    if tag in ("list", "fstr"):
        return any(_temporary(arg) for arg in path[1])
    return False


def _looks_like_path(path: Summary) -> bool:
    """Whether a value is a file path: a path join, a path-named setting, attribute or local,
    or a literal with a slash or dot. What a call other than a path join returns is unknown
    (`self.save(self.get(path))` passes a model, not a path)."""
    tag = path[0]
    if tag == "call":
        return str(path[1]).startswith(PATH_MAKERS)
    if tag == "path":
        return True
    if tag in ("alts", "fstr", "list"):
        return any(_looks_like_path(part) for part in path[1])
    if tag == "item":
        return bool(PATHY.search(str(path[2]).lower()))
    if tag == "name":
        return bool(PATHY.search(str(path[1]).rpartition(".")[2].lower()))
    if tag == "const":
        return isinstance(path[1], str) and ("/" in path[1] or "." in path[1])
    return False


def _symbol(path: Summary) -> str:
    """The setting or name a written path starts from (`UPLOAD_FOLDER`), or ''."""
    return _named(path)[1]


def _named(path: Summary) -> tuple[str, str]:
    """(the chain as written or the setting's key, its last name) a path starts from."""
    for part in _walk(path):
        if part[0] == "item" and isinstance(part[2], str):
            return f"[{part[2]}]", part[2]  # a setting: `app.config["UPLOAD_FOLDER"]`
        if part[0] == "name":
            chain = str(part[1])
            name = chain.rpartition(".")[2]
            if name.isupper() or PATHY.search(name.lower()):
                return chain, name
    return "", ""


def _place(
    project: Project, facts: ModuleFacts, call: CallSite, path: Summary
) -> tuple[str, tuple[str, int] | None]:
    """The symbol a write is grouped under, and where that name is defined when known:
    the setting (`app.config["UPLOAD_FOLDER"]`), the attribute (`self.basefolder`), a module
    name; else, for a process-lifetime object, its attribute naming a folder; else the
    object's class, or the handler or per-request method that writes."""
    chain, name = _named(path)
    module, func = project.owner(facts.module, call.func) if call.func else (facts.module, "")
    cls = func.partition(".")[0] if "." in func else ""
    if call.callee in STORE_OPENERS:  # the store is where it is opened
        return (module_name(call).rpartition(".")[2] or name or cls or func or "module"), None
    if chain.startswith(("self.", "cls.")) and cls:
        attr = chain.split(".")[1]
        return f"{cls}.{attr}", _binding_line(facts, f"{cls}.{attr}")
    root = chain.partition(".")[0]
    known = root in _module_names(facts) or root in facts.imports or name.isupper()
    if name and known and (chain != name or name.isupper() or name in _module_names(facts)):
        # a setting or a module-level name, here or imported: anchored at its definition
        for setting, item in config_items(project, name):
            if name.isupper() or setting.module == facts.module:
                return name, (setting.path, item.line)
        found = project.find_binding(project.canonical(chain)) if "." in chain else None
        if found is not None:
            where = project.by_module.get(found[0][: -len(found[1].name) - 1])
            if where is not None:
                return name, (where.path, found[1].line)
        return name, _binding_line(facts, name)
    if cls and f"{module}.{cls}" in project.lifetime_classes:
        # a parameter or unnamed path in a method of an object that lives with the process:
        # the object's attribute that names its folder is the place
        attr = _folder_attribute(facts, cls)
        if attr:
            return attr, _binding_line(facts, attr)
        return cls, _binding_line(facts, cls)
    if (module, func) in project.handlers:
        return func, None  # a local of the handler that writes: the handler is the place
    if name:
        return name, None  # a parameter or local: the write itself is the place
    if cls:
        return cls, _binding_line(facts, cls)  # the class whose methods write
    return (func or "module"), None  # the handler that writes


def _module_names(facts: ModuleFacts) -> frozenset[str]:
    return frozenset(b.name for b in facts.bindings if b.scope == "module")


def _folder_attribute(facts: ModuleFacts, cls: str) -> str:
    """The first attribute of a class named like a folder or file (`self._folder`)."""
    for b in sorted(facts.bindings, key=lambda b: b.line):
        owner, _, attr = b.name.partition(".")
        if owner == cls and b.scope == "instance" and PATHY.search(attr.lower()):
            return b.name
    return ""


def _binding_line(facts: ModuleFacts, name: str) -> tuple[str, int] | None:
    for binding in facts.bindings:
        if binding.name == name:
            return facts.path, binding.line
    return None


def _first_site(group: _Group) -> tuple[str, int]:
    first = min(group.sites, key=lambda e: (e.path != group.facts.path, e.line))
    return first.path, first.line
