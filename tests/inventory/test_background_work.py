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


def test_a_module_queue_object_only_handed_to_blueprints_is_the_finding(tmp_path: Path) -> None:
    # Handlers reach `update_q` through a blueprint factory's parameter, which the scan
    # cannot follow; the queue its class fills while serving is reported under its name.
    found = background(
        tmp_path,
        {
            "jobs.py": QUEUE_WRAPPER,
            "app.py": """
                from flask import Blueprint, Flask

                from jobs import JobQueue

                update_q = JobQueue()


                def construct_blueprint(queue):
                    bp = Blueprint("ui", __name__)

                    @bp.post("/recheck/<uuid>")
                    def recheck(uuid):
                        queue.put(uuid)
                        return ""

                    return bp


                def create_app():
                    app = Flask(__name__)
                    app.register_blueprint(construct_blueprint(update_q))
                    return app
                """,
        },
    )
    assert set(found) == {"update_q"}
    assert (found["update_q"].path, found["update_q"].line) == ("app.py", 5)


def test_each_loop_an_app_factory_starts_is_named_for_what_it_runs(tmp_path: Path) -> None:
    # `changedetection_app` returns the app, so it starts with the service whatever its name.
    found = background(
        tmp_path,
        {
            "app.py": """
                import asyncio
                import threading

                from flask import Flask

                app = Flask(__name__)
                ticker_thread = None


                def check_time():
                    pass


                def notification_runner(worker_id):
                    pass


                def changedetection_app():
                    global ticker_thread
                    ticker_thread = threading.Thread(target=check_time, daemon=True).start()
                    for i in range(2):
                        threading.Thread(target=notification_runner, args=(i,)).start()
                    return app
                """,
        },
    )
    assert set(found) == {"ticker_thread", "notification_runner"}
    assert found["notification_runner"].line == 14  # the function the threads run


def test_executor_work_a_handler_waits_for_is_not_handed_off(tmp_path: Path) -> None:
    found = background(
        tmp_path,
        {
            "views.py": """
                from concurrent.futures import ThreadPoolExecutor, wait


                def check(name):
                    return True


                def heartbeat(request):
                    pool = ThreadPoolExecutor(max_workers=2)
                    futures = [pool.submit(check, name) for name in ("db", "cache")]
                    done, not_done = wait(futures, timeout=5)
                    return len(done)
                """,
        },
    )
    assert found == {}


def test_background_tasks_count_only_when_the_handler_answers_202(tmp_path: Path) -> None:
    found = background(
        tmp_path,
        {
            "routes.py": """
                from fastapi import APIRouter, BackgroundTasks

                router = APIRouter()


                def scrape(urls):
                    pass


                def post_webhook(url):
                    pass


                @router.post("/bulk", status_code=202)
                def bulk(urls: list, bg: BackgroundTasks):
                    bg.add_task(scrape, urls)
                    return {}


                @router.post("/webhooks/{id}/test")
                def test_one(id: int, bg: BackgroundTasks):
                    bg.add_task(post_webhook, id)
                """,
        },
    )
    assert set(found) == {"bulk"}


def test_a_task_that_shuts_the_service_down_is_no_background_work(tmp_path: Path) -> None:
    found = background(
        tmp_path,
        {
            "server.py": """
                import asyncio
                import signal


                async def shutdown(loop):
                    loop.stop()


                def main():
                    loop = asyncio.get_event_loop()
                    loop.add_signal_handler(
                        signal.SIGTERM, lambda: asyncio.ensure_future(shutdown(loop))
                    )
                    loop.run_forever()
                """,
        },
    )
    assert found == {}


def test_a_thread_a_command_line_module_starts_is_no_background_work(tmp_path: Path) -> None:
    found = background(
        tmp_path,
        {
            "server/server_cli.py": """
                import threading
                import webbrowser


                def run():
                    threading.Timer(1.0, webbrowser.open, args=("http://localhost",)).start()
                """,
        },
    )
    assert found == {}
