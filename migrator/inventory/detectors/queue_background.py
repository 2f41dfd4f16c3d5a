"""queue_background: in-process queues, worker threads and in-memory job stores.

Looks for: `queue.Queue`/`asyncio.Queue` made at import and used while serving, or a
project object that keeps one (`update_q = RecheckPriorityQueue()` wrapping a `queue.Queue`:
the object is the finding, not its attribute, also when it is only handed to blueprints or
workers and its class's methods fill the queue); containers changed while serving that threads,
tasks or futures are added to (`worker_threads.append(Thread(...))`); threads
or tasks started to do durable work (`threading.Thread(target=...).start()`,
`asyncio.create_task(...)` of a worker loop at startup); APScheduler schedulers on the
default `MemoryJobStore`; Celery on an in-memory result backend. Ignores: queues local
to a function, `BackgroundTasks` that finish with the response.
"""

from __future__ import annotations

from collections.abc import Iterable

from migrator.inventory.detectors import (
    Claim,
    ContainerDetector,
    ProjectDetector,
    evidence_of,
    finding,
    module_name,
    register,
    where_changed,
)
from migrator.inventory.detectors._shapes import QUEUE_CTORS, container_kind
from migrator.inventory.extract import literal
from migrator.inventory.facts import Summary
from migrator.inventory.symbols import Component, Project
from migrator.model import Evidence, Finding

SCHEDULERS = frozenset(
    f"apscheduler.schedulers.{m}.{c}"
    for m, c in [
        ("background", "BackgroundScheduler"),
        ("asyncio", "AsyncIOScheduler"),
        ("blocking", "BlockingScheduler"),
        ("gevent", "GeventScheduler"),
        ("tornado", "TornadoScheduler"),
    ]
)
THREAD_STARTS = frozenset({"threading.Thread", "threading.Timer", "multiprocessing.Process"})


@register
class QueueDetector(ContainerDetector):
    category = "queue_background"
    priority = 20
    STATE = (
        "import queue\nJOBS = queue.Queue()\n\ndef enqueue(job):\n    JOBS.put(job)\n",
        "import queue\n\nclass JobQueue:\n    def __init__(self):\n        self._q = queue.Queue()\n\n"
        "    def put(self, job):\n        self._q.put(job)\n\n"
        "JOBS = JobQueue()\n\ndef enqueue(job):\n    JOBS.put(job)\n",
        "import threading\nworkers = []\n\ndef add_worker():\n"
        "    t = threading.Thread(target=print)\n    workers.append(t)\n",
    )
    NOT_STATE = (
        "import queue\n\ndef run(items):\n    q = queue.Queue()\n    for i in items:\n        q.put(i)\n",
    )

    def claim(self, comp: Component, project: Project) -> Claim | None:
        binding = comp.binding
        if binding.kind == "call" and binding.ctor in QUEUE_CTORS:
            if _kept_by_reported_wrapper(comp, project):
                return None
            return _queue_claim("jobs put on it")
        if binding.kind == "call" and _wraps_a_queue(comp, project):
            return _queue_claim("it keeps a queue, and jobs put on it")
        if container_kind(binding) and any(s.detail == "work" for s in comp.changes):
            return Claim(
                "medium",
                "it holds work running or waiting in this process (threads, jobs, futures), so "
                "other replicas cannot see, wait for or cancel it and a restart drops it",
                "work_registry",
                automation="manual",
                store_reason="a durable queue with job status (RQ, Celery) is shared by every "
                "replica and survives restarts",
            )
        return None


def _queue_claim(what: str) -> Claim:
    return Claim(
        "high",
        f"{what} are lost when the process stops and are never seen by other replicas",
        "queue",
        automation="manual",
        store_reason="a durable queue (Redis streams, RQ, Celery) survives restarts and is "
        "shared by every replica",
    )


def _queue_attributes(project: Project, cls: str) -> list[str]:
    """The qualnames of the queues a project class makes for itself (instance attributes)."""
    found = project.find_binding(cls)
    if found is None or found[1].kind != "class" or found[2]:
        return []
    module = cls[: -len(found[1].name) - 1]
    prefix = found[1].name + "."
    return [
        f"{module}.{b.name}"
        for b in project.by_module[module].bindings
        if b.scope == "instance" and b.kind == "call" and b.ctor in QUEUE_CTORS
        and b.name.startswith(prefix)
    ]


def _wraps_a_queue(comp: Component, project: Project) -> bool:
    """Whether a module-level object is an instance of a project class that keeps a queue."""
    cls = project.class_of_instance.get(comp.qualname)
    return comp.binding.scope == "module" and cls is not None and bool(
        _queue_attributes(project, cls)
    )


def _kept_by_reported_wrapper(comp: Component, project: Project) -> bool:
    """Whether a queue attribute belongs to a class made at module level and used by some
    function: the instance (`update_q = RecheckPriorityQueue()`) is what handlers use and
    what is reported, here or by `wrapped_queue_findings`; its inner queue is one detail."""
    if comp.binding.scope != "instance":
        return False
    instances = project.instantiated_classes.get(comp.qualname.rpartition(".")[0], [])
    return any(i in project.components for i in instances)


def wrapped_queue_findings(project: Project) -> Iterable[Finding]:
    """A module-level instance of a project class that keeps a queue changed while serving,
    when the instance itself is only handed around (to blueprints, workers) and never
    changed where the scan can see it: the queue is reported under the instance's name."""
    for cls, instances in sorted(project.instantiated_classes.items()):
        inner = [
            project.components[q]
            for q in _queue_attributes(project, cls)
            if q in project.state_qualnames
        ]
        if not inner:
            continue
        for instance in instances:
            if instance in project.state_qualnames or instance not in project.components:
                continue  # the queue detector claims it, or nothing hands it to serving code
            found = project.find_binding(instance)
            if found is None:
                continue
            module = instance[: -len(found[1].name) - 1]
            facts = project.by_module[module]
            claim = _queue_claim("it keeps a queue, and jobs put on it")
            yield finding(
                "queue_background",
                symbol=found[1].name,
                qualname=instance,
                path=facts.path,
                line=found[1].line,
                confidence="medium",
                message=(
                    f"`{found[1].name}` is a `{cls.rpartition('.')[2]}` made at import whose queue "
                    f"is {where_changed(inner[0])}; {claim.why}. Each replica keeps its own "
                    "(`migrator playbook queue_background`)."
                ),
                evidence=evidence_of(s for comp in inner for s in comp.sites),
                kind="queue",
                automation="manual",
                detector="QueueDetector",
                store_reason=claim.store_reason,
            )


@register
class BackgroundWorkDetector(ProjectDetector):
    category = "queue_background"
    STATE = (
        "from apscheduler.schedulers.background import BackgroundScheduler\n"
        "scheduler = BackgroundScheduler()\nscheduler.start()\n",
        "import threading\n\ndef worker():\n    pass\n\n"
        "threading.Thread(target=worker, daemon=True).start()\n",
        "from celery import Celery\napp = Celery('t', backend='cache+memory://')\n",
    )
    NOT_STATE = (
        "from apscheduler.schedulers.background import BackgroundScheduler\n"
        "scheduler = BackgroundScheduler(jobstores={'default': {'type': 'sqlalchemy', 'url': 'x'}})\n",
        "from celery import Celery\napp = Celery('t', backend='redis://localhost')\n",
    )

    def detect(self, project: Project) -> Iterable[Finding]:
        yield from wrapped_queue_findings(project)
        for facts in project.by_module.values():
            for call in facts.calls:
                kwargs = dict(call.kwargs)
                if call.callee in SCHEDULERS:
                    memory = _on_memory_store(kwargs.get("jobstores"))
                    if memory:
                        yield self._finding(
                            facts.path,
                            call.line,
                            module_name(call) or call.callee.rpartition(".")[2],
                            facts.module,
                            "scheduler",
                            "an APScheduler scheduler on the default `MemoryJobStore`: its jobs vanish on "
                            "restart and every replica runs each job. Use `RedisJobStore` and run the "
                            "scheduler in one process",
                            "config",
                        )
                elif call.callee == "celery.Celery" or call.callee.endswith("celery.Celery"):
                    backend = literal(kwargs.get("backend", ("const", None)))
                    if isinstance(backend, str) and "memory" in backend:
                        yield self._finding(
                            facts.path,
                            call.line,
                            module_name(call) or "Celery",
                            facts.module,
                            "celery_backend",
                            f"Celery with the in-memory result backend `{backend}`: results are only "
                            "visible to the process that stored them. Use a Redis result backend",
                            "config",
                        )
                elif call.callee in THREAD_STARTS and call.func == "":
                    yield self._finding(
                        facts.path,
                        call.line,
                        call.target or _target_name(kwargs) or "thread",
                        facts.module,
                        "thread",
                        "a background thread started at import time: every replica starts its own, and "
                        "work it holds is lost when the process stops. Move the work to a durable queue "
                        "with a separate worker",
                        "manual",
                    )
            for item in facts.config:
                if item.key in ("CELERY_RESULT_BACKEND", "result_backend", "CELERY_BROKER_URL"):
                    value = literal(item.value)
                    if isinstance(value, str) and "memory" in value:
                        yield self._finding(
                            facts.path,
                            item.line,
                            item.key,
                            facts.module,
                            "celery_backend",
                            f"Celery configured with `{value}`: in-memory transports and results are "
                            "private to one process. Use Redis",
                            "config",
                        )

    def _finding(
        self, path: str, line: int, symbol: str, module: str, kind: str, what: str, automation: str
    ) -> Finding:
        return finding(
            self.category,
            symbol=symbol,
            qualname=f"{module}.{symbol}",
            path=path,
            line=line,
            confidence="high",
            message=f"`{symbol}` is {what} (`migrator playbook queue_background`).",
            evidence=(Evidence(path, line, "write", kind),),
            kind=kind,
            automation=automation,
            detector=type(self).__name__,
        )


def _on_memory_store(jobstores: Summary | None) -> bool:
    """Whether a scheduler's `jobstores=` (summarised) leaves a job store in memory."""
    if jobstores is None:
        return True  # APScheduler's default store is MemoryJobStore
    if jobstores[0] != "dict":
        return False  # built elsewhere: not ours to guess
    for store in jobstores[1].values():
        if store[0] == "call" and store[1].endswith("MemoryJobStore"):
            return True
        if store[0] == "dict" and literal(store[1].get("type", ("const", None))) == "memory":
            return True
    return False


def _target_name(kwargs: dict) -> str:
    target = kwargs.get("target")
    if target and target[0] == "name":
        return str(target[1]).rpartition(".")[2]
    return ""
