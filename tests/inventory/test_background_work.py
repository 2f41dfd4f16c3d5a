"""Background work (`queue_background`): queues kept by project objects, containers of
running work, thread subclasses and work handed off from serving code, each rule with the
case it must leave alone."""

from __future__ import annotations

from pathlib import Path

from migrator.model import Finding
from tests.inventory.test_cross_module import scan_tree


def background(root: Path, files: dict[str, str]) -> dict[str, Finding]:
    result = scan_tree(root, files)
    return {f.symbol: f for f in result.findings if f.category == "queue_background"}


QUEUE_WRAPPER = """
import queue


class JobQueue:
    def __init__(self):
        self._q = queue.Queue()

    def put(self, job):
        self._q.put(job)

    def get(self):
        return self._q.get()
"""


def test_a_module_object_that_keeps_a_queue_is_the_finding(tmp_path: Path) -> None:
    found = background(
        tmp_path,
        {
            "jobs.py": QUEUE_WRAPPER,
            "app.py": """
                from jobs import JobQueue

                update_q = JobQueue()


                def recheck(uuid):
                    update_q.put(uuid)
                """,
        },
    )
    assert set(found) == {"update_q"}
    assert found["update_q"].kind == "queue"


def test_a_queue_wrapper_nothing_keeps_at_module_level_reports_its_queue(tmp_path: Path) -> None:
    found = background(
        tmp_path,
        {
            "jobs.py": QUEUE_WRAPPER,
            "app.py": """
                from jobs import JobQueue


                def run(items):
                    q = JobQueue()
                    for i in items:
                        q.put(i)
                """,
        },
    )
    assert "update_q" not in found
    assert "JobQueue" not in found


def test_a_container_of_worker_threads_is_background_work(tmp_path: Path) -> None:
    found = background(
        tmp_path,
        {
            "pool.py": """
                import threading

                worker_threads = []


                def resize(n):
                    while len(worker_threads) < n:
                        t = threading.Thread(target=print, daemon=True)
                        worker_threads.append(t)
                """,
        },
    )
    assert found["worker_threads"].kind == "work_registry"


def test_a_set_of_task_handles_is_not_work(tmp_path: Path) -> None:
    found = background(
        tmp_path,
        {
            "pool.py": """
                import asyncio

                _tasks = set()


                async def spawn(coro):
                    task = asyncio.get_running_loop().create_future()
                    _tasks.add(task)
                    task.add_done_callback(_tasks.discard)
                """,
        },
    )
    assert "_tasks" not in found


THREAD_CLASS = """
import threading


class EmailThread(threading.Thread):
    def run(self):
        pass
"""


def test_a_thread_subclass_made_while_serving_is_reported_at_the_class(tmp_path: Path) -> None:
    found = background(
        tmp_path,
        {
            "mail.py": THREAD_CLASS,
            "views.py": """
                from mail import EmailThread


                def send(message):
                    EmailThread().start()
                """,
        },
    )
    assert found["EmailThread"].kind == "deferred_work"
    assert found["EmailThread"].path == "mail.py"


def test_a_thread_subclass_nothing_makes_is_a_utility(tmp_path: Path) -> None:
    assert background(tmp_path, {"util.py": THREAD_CLASS}) == {}


def test_a_thread_draining_its_objects_queue_is_covered_by_the_queue(tmp_path: Path) -> None:
    found = background(
        tmp_path,
        {
            "events.py": """
                import queue
                import threading


                class EventManager:
                    def __init__(self):
                        self._queue = queue.Queue()
                        threading.Thread(target=self._work, daemon=True).start()

                    def _work(self):
                        while True:
                            self._queue.get()

                    def fire(self, event):
                        self._queue.put(event)


                events = EventManager()
                """,
        },
    )
    assert set(found) == {"EventManager._queue"}


def test_a_thread_started_by_a_method_that_drains_nothing_is_reported(tmp_path: Path) -> None:
    found = background(
        tmp_path,
        {
            "views.py": """
                import threading


                class Backups:
                    def start(self):
                        threading.Thread(target=self._zip).start()

                    def _zip(self):
                        pass


                def request_backup():
                    Backups().start()
                """,
        },
    )
    assert found["Backups.start"].kind == "deferred_work"


def test_several_methods_handing_work_off_are_one_finding_at_the_class(tmp_path: Path) -> None:
    found = background(
        tmp_path,
        {
            "views.py": """
                import threading


                def work():
                    pass


                class Printer:
                    def on_done(self):
                        threading.Thread(target=work).start()

                    def on_cancelled(self):
                        threading.Thread(target=work).start()


                def done():
                    Printer().on_done()
                    Printer().on_cancelled()
                """,
        },
    )
    assert set(found) == {"Printer"}
    assert len(found["Printer"].evidence) == 2
