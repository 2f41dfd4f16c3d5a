"""lock: `threading.Lock`/`RLock`/`asyncio.Lock` held while serving.

Looks for: a lock made at import (module, class or a singleton's attribute) that a
function takes (`with LOCK:`, `LOCK.acquire()`), including an instance of a lock class
the project wrote (`self._lock = ReadWriteLock()` taken with `acquire_read()`). It only
excludes other threads of the same process; a second replica takes its own copy.
Ignores: locks made per call or per request object; the locks inside the project's own
lock class (the class is the lock); a lock that only guards building a per-process
value once (`with LOCK: if CLIENT is None: CLIENT = make()`), a pure memo, or
bookkeeping of the process's own tasks.
"""

from __future__ import annotations

from collections.abc import Iterable

from migrator.inventory.detectors import ProjectDetector, evidence_of, finding, register
from migrator.inventory.detectors._memo import pure_memo
from migrator.inventory.detectors._shapes import LOCK_CTORS
from migrator.inventory.symbols import SHUTDOWN_NAME, Component, Project, handles_kept_for_shutdown
from migrator.model import Finding


@register
class LockDetector(ProjectDetector):
    category = "lock"
    STATE = (
        "import threading\nORDER_LOCK = threading.Lock()\nSEQ = 0\n\ndef next_seq():\n"
        "    global SEQ\n    with ORDER_LOCK:\n        SEQ += 1\n        return SEQ\n",
        "import threading\n\nclass ReadWriteLock:\n    def __init__(self):\n"
        "        self._cond = threading.Condition(threading.Lock())\n\n"
        "    def acquire_write(self):\n        self._cond.acquire()\n\n"
        "    def release(self):\n        self._cond.release()\n\n"
        "class Properties:\n    def __init__(self):\n        self._lock = ReadWriteLock()\n"
        "        self._props = {}\n\n    def set(self, k, v):\n        self._lock.acquire_write()\n"
        "        self._props[k] = v\n        self._lock.release()\n\nPROPS = Properties()\n",
    )
    NOT_STATE = (
        "import threading\n\ndef work():\n    lock = threading.Lock()\n    with lock:\n        return 1\n",
        "import threading\n_client = None\n_client_lock = threading.Lock()\n\ndef client():\n"
        "    global _client\n    with _client_lock:\n        if _client is None:\n"
        "            _client = object()\n    return _client\n",
        "import threading\n\nclass ReadWriteLock:\n    def __init__(self):\n"
        "        self._cond = threading.Condition(threading.Lock())\n        self._readers = {}\n\n"
        "    def acquire_read(self):\n        with self._cond:\n"
        "            self._readers[0] = self._readers.get(0, 0) + 1\n\n"
        "    def release(self):\n        with self._cond:\n            self._readers.pop(0, None)\n"
        "            self._cond.notify_all()\n\nLOCK = ReadWriteLock()\n",
    )

    def detect(self, project: Project) -> Iterable[Finding]:
        for comp in project.components.values():
            binding = comp.binding
            if binding.kind != "call" or not _made_as_lock(comp, project):
                continue
            if binding.scope == "instance" and not project.lives_with_process(comp):
                continue
            if (
                binding.scope != "module"
                and comp.qualname.rpartition(".")[0] in project.lock_classes
            ):
                continue  # how the project's own lock class works: its objects are the locks
            taken = [s for s in comp.sites if s.detail in _TAKES or s.detail.startswith("acquire")]
            if not taken:
                continue
            guarded_funcs = {(s.module, s.func) for s in taken}
            if _guards_only_per_process_values(comp, guarded_funcs, project):
                continue
            serving = any(project.serves(s) for s in taken)
            guards_state = serving and any(
                other.qualname in project.state_qualnames
                for where in guarded_funcs
                for other in project.changed_in.get(where, ())
            )
            plain = all(s.detail == "with" for s in taken) and not any(
                s.detail == "escape" for s in comp.sites
            )
            kind = binding.ctor.rpartition(".")[2]
            yield finding(
                self.category,
                symbol=comp.symbol,
                qualname=comp.qualname,
                path=comp.facts.path,
                line=binding.line,
                confidence="high" if guards_state else "medium",
                message=(
                    f"`{comp.symbol}` is a `{binding.ctor}` taken in {len(taken)} place{'s' * (len(taken) != 1)}"
                    f"{' around shared state' if guards_state else ''}; it only excludes threads of one "
                    "process, so two replicas run the guarded code at once. Use a distributed lock "
                    f"(`migrator playbook lock`)."
                ),
                evidence=evidence_of(comp.sites),
                kind=kind.lower(),
                automation="codemod" if plain and binding.ctor == "threading.Lock" else "manual",
                detector=type(self).__name__,
            )


_TAKES = frozenset({"with", "acquire", "release", "locked"})


def _made_as_lock(comp: Component, project: Project) -> bool:
    """Made by a library lock constructor, or by one of the project's own lock classes."""
    ctor = comp.binding.ctor
    if ctor in LOCK_CTORS:
        return True
    made = project.class_named(project.module_name(comp.facts), ctor)
    return made is not None and made in project.lock_classes


def _guards_only_per_process_values(
    comp: Component, guarded: set[tuple[str, str]], project: Project
) -> bool:
    """Whether everything the code holding the lock changes is right per process: a value
    built once and kept (bound to None first: a lazily made client or thread), a memo of a
    pure function, or bookkeeping of the process's own tasks. Changes made while shutting
    down do not count; a lock whose code changes nothing is kept (what it serialises is
    unknown)."""
    changed = {
        other.qualname: other
        for module, func in guarded
        if not SHUTDOWN_NAME.match(func.rpartition(".")[2]) and not func.endswith(".__init__")
        for other in project.changed_in.get((module, func), ())
        if other is not comp
    }
    return bool(changed) and all(
        other.binding.kind == "none"
        or handles_kept_for_shutdown(other)
        or pure_memo(other, project)
        for other in changed.values()
    )
