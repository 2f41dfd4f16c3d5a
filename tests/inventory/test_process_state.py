"""State where real services keep it: on the application object, on objects that live as
long as the process, in settings defaults, in start-up secrets and in handed-off work.
And what is not state: per-request objects and memos of pure functions."""

from __future__ import annotations

from pathlib import Path

from migrator.model import Finding, ScanResult
from tests.inventory.test_cross_module import scan_tree, sites


def by_symbol(result: ScanResult) -> dict[str, Finding]:
    return {f.symbol: f for f in result.findings}


def test_aiohttp_app_keys_made_at_startup_and_changed_by_a_handler(tmp_path: Path) -> None:
    result = scan_tree(
        tmp_path,
        {
            "chat/__init__.py": "",
            "chat/app.py": """
                from aiohttp import web


                async def on_startup(app):
                    app["websockets"] = set()
                    app["config"] = {"greeting": "hi"}


                def create_app():
                    app = web.Application()
                    app.on_startup.append(on_startup)
                    app.router.add_get("/ws", ws_handler)
                    return app


                async def ws_handler(request):
                    ws = web.WebSocketResponse()
                    request.app["websockets"].add(ws)
                    try:
                        async for msg in ws:
                            for other in request.app["websockets"]:
                                await other.send_str(msg.data)
                    finally:
                        request.app["websockets"].discard(ws)
                    return ws
                """,
        },
    )
    found = by_symbol(result)
    assert set(found) == {'app["websockets"]'}  # the config is only read
    registry = found['app["websockets"]']
    assert (registry.category, registry.automation, registry.line) == (
        "connection_registry",
        "manual",
        5,
    )
    assert sites(registry) >= {("chat/app.py", 18, "mutate"), ("chat/app.py", 24, "delete")}


def test_starlette_state_set_in_a_startup_hook(tmp_path: Path) -> None:
    result = scan_tree(
        tmp_path,
        {
            "shop/__init__.py": "",
            "shop/main.py": """
                from fastapi import FastAPI, Request

                app = FastAPI()


                @app.on_event("startup")
                async def startup():
                    app.state.carts = {}


                @app.post("/cart/{user}")
                async def add(user: str, item: str, request: Request):
                    request.app.state.carts.setdefault(user, []).append(item)
                    return {"ok": True}
                """,
        },
    )
    carts = by_symbol(result)["app.state.carts"]
    assert (carts.path, carts.line, carts.automation) == ("shop/main.py", 8, "manual")


def test_tornado_application_attribute_through_self_application(tmp_path: Path) -> None:
    result = scan_tree(
        tmp_path,
        {
            "svc/__init__.py": "",
            "svc/server.py": """
                import tornado.web


                class Application(tornado.web.Application):
                    def __init__(self):
                        self.visits = {}
                        super().__init__([(r"/", MainHandler)])


                class MainHandler(tornado.web.RequestHandler):
                    def get(self):
                        who = self.get_argument("who")
                        self.application.visits.setdefault(who, []).append(self.request.path)
                """,
        },
    )
    visits = by_symbol(result)["Application.visits"]
    assert (visits.category, visits.automation) == ("app_data", "manual")
    assert ("svc/server.py", 13, "mutate") in sites(visits)


def test_object_made_in_the_factory_and_changed_by_handlers(tmp_path: Path) -> None:
    result = scan_tree(
        tmp_path,
        {
            "svc/__init__.py": "",
            "svc/store.py": """
                class Store:
                    def __init__(self):
                        self.records = {}

                    def put(self, key, value):
                        self.records[key] = value
                """,
            "svc/app.py": """
                from flask import Flask

                from svc.store import Store


                def create_app():
                    app = Flask(__name__)
                    store = Store()

                    @app.post("/<key>")
                    def put(key):
                        store.put(key, 1)
                        return ""

                    return app
                """,
        },
    )
    records = by_symbol(result)["Store.records"]
    assert (records.category, records.automation) == ("app_data", "manual")
    assert "made by start-up code" in records.message


def test_object_made_per_request_is_not_state(tmp_path: Path) -> None:
    result = scan_tree(
        tmp_path,
        {
            "svc/__init__.py": "",
            "svc/views.py": """
                class Basket:
                    def __init__(self):
                        self.items = []

                    def add(self, item):
                        self.items.append(item)


                def checkout(items):
                    basket = Basket()
                    for item in items:
                        basket.add(item)
                    return basket.items
                """,
        },
    )
    assert result.findings == ()


def test_sqlite_fallback_and_start_up_secret(tmp_path: Path) -> None:
    result = scan_tree(
        tmp_path,
        {
            "svc/__init__.py": "",
            "svc/config.py": """
                import os


                class Config:
                    SECRET_KEY = os.environ.get("SECRET_KEY") or os.urandom(32)
                    SQLALCHEMY_DATABASE_URI = os.environ.get("DATABASE_URL") or "sqlite:///app.db"
                """,
            "svc/config_test.py": """
                SQLALCHEMY_DATABASE_URI = "sqlite:///test.db"
                """,
        },
    )
    found = by_symbol(result)
    assert set(found) == {"SECRET_KEY", "SQLALCHEMY_DATABASE_URI"}
    assert (found["SECRET_KEY"].category, found["SECRET_KEY"].kind) == ("other", "per_process_secret")
    database = found["SQLALCHEMY_DATABASE_URI"]
    assert (database.category, database.confidence, database.suggested_store) == (
        "local_file",
        "medium",
        "postgres",
    )


def test_thread_handed_work_by_a_view_is_a_note(tmp_path: Path) -> None:
    result = scan_tree(
        tmp_path,
        {
            "svc/__init__.py": "",
            "svc/views.py": """
                import threading

                from flask import Flask

                app = Flask(__name__)


                def deliver(address):
                    pass


                @app.post("/signup")
                def signup():
                    threading.Thread(target=deliver, args=("a@b",)).start()
                    return ""
                """,
        },
    )
    found = by_symbol(result)["signup"]
    assert (found.category, found.kind, found.severity, found.confidence) == (
        "queue_background",
        "deferred_work",
        "note",
        "low",
    )
