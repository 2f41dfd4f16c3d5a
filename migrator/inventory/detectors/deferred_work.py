"""queue_background: work a function hands to a thread, a task or an executor of its process.

Looks for two shapes. A loop started with the service (a thread, timer or task started
at import, or by a module-level factory, start-up hook or `main`): every replica runs its own copy, so
scheduled work runs once per replica and its in-memory progress differs between them.
And work that request handlers, or what they call, hand off and forget
(`Thread(target=send).start()`, an executor's `submit`, `BackgroundTasks.add_task`,
project subclasses of `threading.Thread`): it lives
only in that process's memory, so it is lost when the replica is stopped or scaled in,
and nothing retries it (a note). One finding per function. Ignores: `asyncio` tasks made
while serving a request (concurrency inside the request, awaited or tied to its
connection), worker threads that drain an in-process queue (the queue is the finding),
command-line tools.
"""

from __future__ import annotations

from collections.abc import Iterable

from migrator.inventory.detectors import ProjectDetector, finding, register
from migrator.inventory.detectors._shapes import QUEUE_CTORS
from migrator.inventory.facts import CallSite, ModuleFacts
from migrator.inventory.symbols import Project
from migrator.model import Evidence, Finding

THREADS = frozenset({"threading.Thread", "threading.Timer", "multiprocessing.Process"})
# Work a request can hand off and forget.
HANDED_OFF = THREADS | frozenset({".submit", ".add_task"})  # `run_in_executor` is awaited
# Work that runs beside the service when started with it.
LOOPS = HANDED_OFF | frozenset(
    """asyncio.create_task asyncio.ensure_future .create_task .ensure_future .call_later
    .spawn_callback""".split()
)


@register
class DeferredWorkDetector(ProjectDetector):
    category = "queue_background"
    STATE = (
        "import threading\n\ndef send(msg):\n    pass\n\ndef send_email(msg):\n"
        "    threading.Thread(target=send, args=(msg,)).start()\n",
        "import asyncio\n\nasync def poll():\n    pass\n\nasync def lifespan(app):\n"
        "    asyncio.create_task(poll())\n    yield\n",
        "import threading\n\nclass EmailThread(threading.Thread):\n    def run(self):\n        pass\n",
    )
    NOT_STATE = (
        "import asyncio\n\nasync def notify(x):\n    pass\n\nasync def handler(x):\n"
        "    asyncio.create_task(notify(x))\n",
    )

    def detect(self, project: Project) -> Iterable[Finding]:
        for module, facts in project.by_module.items():
            loops: dict[str, list[int]] = {}
            handed: dict[str, list[int]] = {}
            for call in facts.calls:
                if not call.func or call.callee not in LOOPS:
                    continue
                if project.is_command(module, call.func) or _drains_a_queue(project, module, call):
                    continue
                owner = project.owner(module, call.func)
                if "." not in owner[1] and project.starts_with_service(*owner):
                    loops.setdefault(owner[1], []).append(call.line)
                elif call.callee in HANDED_OFF and project.serves_function(*owner):
                    handed.setdefault(owner[1], []).append(call.line)
            for func, lines in sorted(loops.items()):
                yield self._finding(facts, func, lines, loop=True)
            for func, lines in sorted(handed.items()):
                yield self._finding(facts, func, lines, loop=False)
            for b in facts.bindings:
                if b.kind == "class" and any(base in THREADS for base in b.bases):
                    yield self._finding(facts, b.name, [b.line], loop=False)

    def _finding(self, facts: ModuleFacts, func: str, lines: list[int], loop: bool) -> Finding:
        binding = next((b for b in facts.bindings if b.name == func), None)
        line = binding.line if binding is not None else min(lines)
        if loop:
            message = (
                f"`{func}` starts work that runs beside the service (a thread, task or timer): "
                "every replica starts its own, so scheduled work runs once per replica and what "
                "it keeps in memory differs between them. Run it once, in a worker or a "
                "scheduler with a shared job store (`migrator playbook queue_background`)."
            )
        else:
            message = (
                f"`{func}` hands work to a thread or executor of this process and does not wait "
                "for it: the work lives only in that process's memory, so it is lost when the "
                "replica is stopped, replaced or scaled in, and nothing retries it. If the work "
                "must happen, put it on a durable queue with a worker "
                "(`migrator playbook queue_background`)."
            )
        return finding(
            self.category,
            symbol=func,
            qualname=f"{facts.module}.{func}",
            path=facts.path,
            line=line,
            confidence="medium" if loop else "low",
            message=message,
            evidence=tuple(Evidence(facts.path, n, "write", "deferred work") for n in lines),
            kind="background_loop" if loop else "deferred_work",
            automation="manual",
            detector=type(self).__name__,
        )


def _drains_a_queue(project: Project, module: str, call: CallSite) -> bool:
    """A worker thread whose target takes from an in-process queue: the queue's own finding
    (`queue_background`) covers the work, so the thread is not reported again."""
    target = dict(call.kwargs).get("target")
    if target is None or target[0] != "name":
        return False
    name = str(target[1])
    for use in project.by_module[module].uses:
        if use.func == name or use.func.startswith(name + "."):
            hit = project.resolve_use(module, use)
            if hit is not None and hit[1].kind == "call" and hit[1].ctor in QUEUE_CTORS:
                return True
    return False
