"""queue_background: work a function hands to a thread, a task or an executor of its process.

Looks for two shapes. A loop started with the service (a thread, timer or task started
at import, or by a start-up hook, `main` or an application factory, named so or returning
the app): every replica runs its own copy, so scheduled work runs once per replica and its
in-memory progress differs between them. One finding per loop, named by what keeps its
handle (`ticker = Thread(...)`) or the module function it runs (`target=notifier`).
And work that request handlers, or what they call, hand off and forget
(`Thread(target=send).start()`, an executor's `submit`, `BackgroundTasks.add_task` in a
handler that answers `202 Accepted`, a project subclass of `threading.Thread` that serving
code makes): it lives only in that process's memory, so it is lost when the replica is
stopped or scaled in, and nothing retries it (a note). One finding per function, or one per
class when several of its methods hand work off. Ignores: `asyncio` tasks made while
serving a request (concurrency inside the request, awaited or tied to its connection),
work the same function waits for (`wait(futures)`, `future.result()`), a notification put
on `BackgroundTasks` after an ordinary response, tasks that shut the service down (a
signal handler's), worker threads that drain an in-process queue, their own or a method's
(the queue is the finding), thread subclasses that nothing serving or starting the
service makes (utilities), command-line tools (`cli.py`, `*_cli.py`, `scripts/`).
"""

from __future__ import annotations

from collections.abc import Iterable

from migrator.inventory.detectors import ProjectDetector, finding, register
from migrator.inventory.detectors._shapes import QUEUE_CTORS
from migrator.inventory.facts import CallSite, ModuleFacts
from migrator.inventory.symbols import SHUTDOWN_NAME, Project
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
        "import threading\n\nclass EmailThread(threading.Thread):\n    def run(self):\n        pass\n\n"
        "def send(msg):\n    EmailThread().start()\n",
    )
    NOT_STATE = (
        "import asyncio\n\nasync def notify(x):\n    pass\n\nasync def handler(x):\n"
        "    asyncio.create_task(notify(x))\n",
        "import threading\n\nclass RepeatedTimer(threading.Thread):\n    def run(self):\n"
        "        pass\n",
    )

    def detect(self, project: Project) -> Iterable[Finding]:
        made_by = _threads_made_at_work(project)
        for module, facts in project.by_module.items():
            loops: dict[str, list[int]] = {}
            handed: dict[str, list[int]] = {}
            for call in facts.calls:
                if not call.func or call.callee not in LOOPS:
                    continue
                if project.is_command(module, call.func) or _drains_a_queue(project, module, call):
                    continue
                if _stops_the_service(call):
                    continue  # a signal handler's shutdown task: no work beside the service
                owner = project.owner(module, call.func)
                if "." not in owner[1] and project.starts_with_service(*owner):
                    loops.setdefault(_work_name(facts, call) or owner[1], []).append(call.line)
                elif (
                    call.callee in HANDED_OFF
                    and project.serves_function(*owner)
                    and not _waits_for_its_work(facts, call.func)
                    and (call.callee != ".add_task" or _accepted_for_later(facts, owner[1]))
                ):
                    handed.setdefault(owner[1], []).append(call.line)
            for func, lines in sorted(loops.items()):
                yield self._finding(facts, func, lines, loop=True)
            for func, lines in sorted(_by_class(handed).items()):
                yield self._finding(facts, func, lines, loop=False)
            for b in facts.bindings:
                if b.kind == "class" and any(base in THREADS for base in b.bases):
                    made = made_by.get(f"{module}.{b.name}", [])
                    if made:
                        yield self._finding(facts, b.name, [b.line, *made], loop=False)

    def _finding(self, facts: ModuleFacts, func: str, lines: list[int], loop: bool) -> Finding:
        binding = next((b for b in facts.bindings if b.name == func), None)
        line = binding.line if binding is not None and binding.kind == "function" else min(lines)
        if loop:
            message = (
                f"`{func}` is work that runs beside the service (a thread, task or timer started "
                "with it): every replica starts its own, so scheduled work runs once per replica "
                "and what it keeps in memory differs between them. Run it once, in a worker or a "
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


def _by_class(handed: dict[str, list[int]]) -> dict[str, list[int]]:
    """Per-function hand-offs, with the methods of a class that has several merged into one
    entry named after the class: one place to change, one finding to read."""
    classes: dict[str, list[str]] = {}
    for func in handed:
        cls, dot, _ = func.partition(".")
        if dot:
            classes.setdefault(cls, []).append(func)
    out: dict[str, list[int]] = {}
    for func, lines in handed.items():
        cls = func.partition(".")[0]
        key = cls if len(classes.get(cls, ())) > 1 else func
        out.setdefault(key, []).extend(lines)
    return {key: sorted(lines) for key, lines in out.items()}


def _threads_made_at_work(project: Project) -> dict[str, list[int]]:
    """Project `threading.Thread` subclasses -> the lines that make one in code that serves
    requests or starts the service; a subclass nothing there makes is a utility."""
    made: dict[str, list[int]] = {}
    for module, facts in project.by_module.items():
        for use in facts.uses:
            if use.ctx != "call" or not use.func:
                continue
            hit = project.resolve_use(module, use)
            if hit is None or hit[2] or hit[1].kind != "class":
                continue
            if not any(base in THREADS for base in hit[1].bases):
                continue
            owner = project.owner(module, use.func)
            if project.is_command(*owner):
                continue
            if project.serves_function(*owner) or project.starts_with_service(*owner):
                made.setdefault(hit[0], []).append(use.line)
    return made


def _drains_a_queue(project: Project, module: str, call: CallSite) -> bool:
    """A worker thread whose target, a function or a method of the same object, takes from an
    in-process queue: the queue's own finding (`queue_background`) covers the work, so the
    thread is not reported again."""
    target = dict(call.kwargs).get("target")
    if target is None or target[0] != "name":
        return False
    name = str(target[1])
    if name.startswith("self.") and "." in call.func:  # `target=self._work`
        name = f"{call.func.partition('.')[0]}.{name.partition('.')[2]}"
    for use in project.by_module[module].uses:
        if use.func == name or use.func.startswith(name + "."):
            hit = project.resolve_use(module, use)
            if hit is not None and hit[1].kind == "call" and _is_queue(project, hit[0], hit[1].ctor):
                return True
    return False


def _is_queue(project: Project, qualname: str, ctor: str) -> bool:
    """Whether a binding is made by a queue constructor, or by a project class that extends one."""
    if ctor in QUEUE_CTORS:
        return True
    module = max((m for m in project.by_module if qualname.startswith(m + ".")), key=len, default="")
    return bool(module) and project.state_base(module, ctor) in QUEUE_CTORS


# Calls that wait for submitted work: `wait(futures)`, `await asyncio.wrap_future(f)`.
WAITS = frozenset(
    """concurrent.futures.wait concurrent.futures.as_completed asyncio.wait asyncio.gather
    asyncio.wrap_future asyncio.wait_for""".split()
)


def _waits_for_its_work(facts: ModuleFacts, func: str) -> bool:
    """Whether the function that hands work off also waits for it (`wait(futures)`,
    `future.result()`): concurrency inside one request, not work left behind."""
    if any(c.func == func and c.callee in WAITS for c in facts.calls):
        return True
    return any(f == func and "result" in names for f, names in facts.method_calls)


def _accepted_for_later(facts: ModuleFacts, func: str) -> bool:
    """Whether a handler answers `202 Accepted` (`@router.post(..., status_code=202)`): the
    work it puts on `BackgroundTasks` is what the client asked for, promised for later.
    A notification queued after an ordinary response is not."""
    binding = next((b for b in facts.bindings if b.name == func), None)
    return binding is not None and any(
        d[0] == "call" and d[3].get("status_code") == ("const", 202) for d in binding.decorators
    )


def _stops_the_service(call: CallSite) -> bool:
    """A task whose coroutine shuts the service down (`ensure_future(shutdown(loop))`)."""
    first = call.args[0] if call.args else ("expr",)
    return first[0] == "call" and bool(SHUTDOWN_NAME.match(str(first[1]).rpartition(".")[2]))


def _work_name(facts: ModuleFacts, call: CallSite) -> str:
    """What a loop started with the service is called: the name its handle is kept in
    (`ticker = Thread(...)`), else the module function it runs (`Thread(target=poll)`,
    `create_task(poll())`); '' when neither is known (a local coroutine)."""
    if call.target:
        return call.target
    kwargs = dict(call.kwargs)
    runs = kwargs.get("target") or kwargs.get("function")
    if runs is None and call.args:
        runs = (
            call.args[1]
            if call.callee == "threading.Timer" and len(call.args) > 1
            else call.args[0]
        )
    if runs is None or runs[0] not in ("name", "call"):
        return ""
    name = str(runs[1]).rpartition(".")[2]
    module_functions = {
        b.name for b in facts.bindings if b.kind == "function" and b.scope == "module"
    }
    return name if name in module_functions else ""
