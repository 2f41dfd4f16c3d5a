"""lock: `threading.Lock`/`RLock`/`asyncio.Lock` held while serving.

Looks for: a lock made at import (module, class or a singleton's attribute) that a
function takes (`with LOCK:`, `LOCK.acquire()`). It only excludes other threads of
the same process; a second replica takes its own copy. Ignores: locks made per call
or per request object.
"""

from __future__ import annotations

from collections.abc import Iterable

from migrator.inventory.detectors import ProjectDetector, evidence_of, finding, register
from migrator.inventory.detectors._shapes import LOCK_CTORS
from migrator.inventory.symbols import Project
from migrator.model import Finding


@register
class LockDetector(ProjectDetector):
    category = "lock"
    STATE = (
        "import threading\nORDER_LOCK = threading.Lock()\nSEQ = 0\n\ndef next_seq():\n"
        "    global SEQ\n    with ORDER_LOCK:\n        SEQ += 1\n        return SEQ\n",
    )
    NOT_STATE = (
        "import threading\n\ndef work():\n    lock = threading.Lock()\n    with lock:\n        return 1\n",
    )

    def detect(self, project: Project) -> Iterable[Finding]:
        for comp in project.components.values():
            binding = comp.binding
            if binding.kind != "call" or binding.ctor not in LOCK_CTORS:
                continue
            if binding.scope == "instance" and not project.lives_with_process(comp):
                continue
            taken = [s for s in comp.sites if s.detail in ("with", "acquire", "release", "locked")]
            if not taken:
                continue
            guarded_funcs = {(s.module, s.func) for s in taken}
            serving = any(project.serves(s) for s in taken)
            guards_state = serving and any(
                (s.module, s.func) in guarded_funcs
                for other in project.state_components()
                for s in other.changes
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
