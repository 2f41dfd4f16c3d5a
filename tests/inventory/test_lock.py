"""lock: which locks guard what replicas share, and which only guard the process itself."""

from __future__ import annotations

from pathlib import Path

from tests.inventory.test_cross_module import scan_tree


def locks(root: Path, files: dict[str, str]) -> set[str]:
    return {f.symbol for f in scan_tree(root, files).findings if f.category == "lock"}


def test_a_lock_class_the_project_wrote_is_the_lock_not_its_insides(tmp_path: Path) -> None:
    found = locks(
        tmp_path,
        {
            "rw_lock.py": """
                import threading


                class ReadWriteLock:
                    def __init__(self):
                        self.__condition = threading.Condition(threading.Lock())
                        self.__readers = {}

                    def acquire_read(self):
                        with self.__condition:
                            self.__readers[0] = self.__readers.get(0, 0) + 1

                    def release(self):
                        with self.__condition:
                            self.__readers.pop(0, None)
                """,
            "props.py": """
                from flask import Flask

                from rw_lock import ReadWriteLock

                app = Flask(__name__)


                class PropertyManager:
                    def __init__(self):
                        self._lock = ReadWriteLock()
                        self._dict = {}

                    def set(self, key, value):
                        self._lock.acquire_read()
                        try:
                            self._dict[key] = value
                        finally:
                            self._lock.release()


                props = PropertyManager()


                @app.put("/<key>")
                def put(key):
                    props.set(key, 1)
                    return ""
                """,
        },
    )
    assert found == {"PropertyManager._lock"}


def test_a_lock_around_making_a_client_once_is_per_process(tmp_path: Path) -> None:
    found = locks(
        tmp_path,
        {
            "app.py": """
                import threading

                from flask import Flask

                app = Flask(__name__)
                _loop_thread = None
                _loop_lock = threading.Lock()


                def ensure_loop():
                    global _loop_thread
                    with _loop_lock:
                        if _loop_thread is None:
                            _loop_thread = threading.Thread(target=print, daemon=True)
                            _loop_thread.start()


                @app.post("/steps")
                def steps():
                    ensure_loop()
                    return ""
                """,
        },
    )
    assert found == set()


def test_a_lock_kept_on_a_base_class_in_another_module_is_found(tmp_path: Path) -> None:
    found = locks(
        tmp_path,
        {
            "store/__init__.py": """
                from store.base import DataStore


                class ChangeDetectionStore(DataStore):
                    def __init__(self):
                        super().__init__()
                        self.data = {}

                    def update(self, uuid, value):
                        with self.lock:
                            self.data[uuid] = value
                """,
            "store/base.py": """
                from threading import Lock


                class DataStore:
                    def __init__(self):
                        self.lock = Lock()
                """,
            "app.py": """
                from flask import Flask

                from store import ChangeDetectionStore

                app = Flask(__name__)
                datastore = ChangeDetectionStore()


                @app.post("/<uuid>")
                def edit(uuid):
                    datastore.update(uuid, 1)
                    return ""
                """,
        },
    )
    assert found == {"DataStore.lock"}


def test_a_class_a_factory_imports_inside_itself_lives_with_the_process(
    tmp_path: Path,
) -> None:
    # `from server import Server` inside `create_app` (to avoid an import cycle) names the
    # same class as a module-level import would.
    found = locks(
        tmp_path,
        {
            "server.py": """
                import threading

                from fastapi import FastAPI


                class ClientTracker:
                    def __init__(self):
                        self._clients = {}
                        self._client_lock = threading.Lock()

                    def new_client(self, client_id):
                        with self._client_lock:
                            self._clients[client_id] = 1


                class Server:
                    def __init__(self):
                        self.tracker = ClientTracker()
                        self.app = FastAPI()

                        @self.app.websocket("/ws")
                        async def ws(client_id: str):
                            self.tracker.new_client(client_id)
                """,
            "main.py": """
                def create_app():
                    from server import Server

                    server = Server()
                    return server.app


                app = create_app()
                """,
        },
    )
    assert found == {"ClientTracker._client_lock"}
