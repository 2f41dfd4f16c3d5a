"""What runs while serving and what lives as long as the process, as real services shape it:
each rule with a small project that a looser rule gets wrong."""

from __future__ import annotations

from pathlib import Path

from migrator.model import Finding
from tests.inventory.test_cross_module import scan_tree


def found(root: Path, files: dict[str, str]) -> dict[str, Finding]:
    return {f.symbol: f for f in scan_tree(root, files).findings}


def test_a_start_method_reached_only_by_its_name_does_not_serve(tmp_path: Path) -> None:
    # `watcher.start()` in a handler may be any `start`; the server's own start-up fills
    # the encoder table, which requests only read.
    result = found(
        tmp_path,
        {
            "app.py": """
                from flask import Flask

                app = Flask(__name__)


                class Encoders:
                    table = {}

                    @classmethod
                    def add(cls, kind, fn):
                        cls.table[kind] = fn


                class Server:
                    def start(self):
                        Encoders.add(bytes, bytes.hex)


                @app.post("/watch")
                def watch():
                    watcher = make_watcher()
                    watcher.start()
                    return str(Encoders.table)


                def make_watcher():
                    return object()
                """,
        },
    )
    assert "Encoders.table" not in result


def test_what_a_serving_method_makes_for_one_connection_is_not_process_state(
    tmp_path: Path,
) -> None:
    # A printer connection made by `connect()` (a request) holds that device's protocol
    # state; the CLI that also makes one does not make it live as long as the service.
    result = found(
        tmp_path,
        {
            "printer.py": """
                from flask import Flask

                app = Flask(__name__)


                class Protocol:
                    def __init__(self):
                        self.last_lines = []

                    def received(self, line):
                        self.last_lines.append(line)


                class Printer:
                    def __init__(self):
                        self.protocol = None

                    def connect(self):
                        self.protocol = Protocol()

                    def feed(self, line):
                        self.protocol.received(line)


                printer = Printer()


                @app.post("/connect")
                def connect():
                    printer.connect()
                    printer.feed("ok")
                    return ""


                def upload_cli():
                    Protocol().received("start")


                if __name__ == "__main__":
                    upload_cli()
                """,
        },
    )
    assert "Protocol.last_lines" not in result


def test_what_a_lifetime_object_makes_in_init_lives_with_it(tmp_path: Path) -> None:
    # `Database` is also made by a method that serves (`add_memory_database`), but the
    # ones made in the app's `__init__` live as long as the app.
    result = found(
        tmp_path,
        {
            "ds.py": """
                import queue
                from flask import Flask

                app = Flask(__name__)


                class Database:
                    def __init__(self, name):
                        self.writes = queue.Queue()

                    def write(self, sql):
                        self.writes.put(sql)


                class Datasette:
                    def __init__(self):
                        self.databases = {"main": Database("main")}

                    def add_memory_database(self, name):
                        self.databases[name] = Database(name)


                ds = Datasette()


                @app.post("/db")
                def add():
                    ds.add_memory_database("x")
                    return ""


                @app.post("/write")
                def write():
                    ds.databases["main"].write("insert")
                    return ""
                """,
        },
    )
    assert result["Database.writes"].category == "queue_background"


def test_tasks_kept_only_to_cancel_them_on_shutdown_are_not_state(tmp_path: Path) -> None:
    result = found(
        tmp_path,
        {
            "pool.py": """
                import asyncio
                from fastapi import FastAPI

                app = FastAPI()


                class TasksPool:
                    def __init__(self):
                        self._tasks = set()

                    def add_task(self, coro):
                        self._tasks.add(asyncio.create_task(coro))

                    async def shutdown(self):
                        for task in self._tasks:
                            task.cancel()


                pool = TasksPool()


                async def publish():
                    pass


                @app.post("/publish")
                async def handler():
                    pool.add_task(publish())
                """,
        },
    )
    assert "TasksPool._tasks" not in result


def test_a_constant_getattr_on_self_reaches_no_method(tmp_path: Path) -> None:
    # `getattr(self, "_last", 0)` reads an attribute; only a computed name dispatches.
    result = found(
        tmp_path,
        {
            "app.py": """
                from flask import Flask

                app = Flask(__name__)


                class Registry:
                    def __init__(self):
                        self.actions = {}

                    def recent(self):
                        return getattr(self, "_last", 0)

                    def invoke_startup(self):
                        self.actions["view"] = 1


                registry = Registry()


                @app.get("/")
                def index():
                    return str(registry.recent())
                """,
        },
    )
    assert "Registry.actions" not in result


def test_a_dispatching_getattr_reaches_the_methods_with_its_prefix(tmp_path: Path) -> None:
    result = found(
        tmp_path,
        {
            "app.py": """
                from flask import Flask

                app = Flask(__name__)


                class Commands:
                    def __init__(self):
                        self.history = []

                    def run(self, verb):
                        return getattr(self, "do_" + verb)()

                    def do_log(self):
                        self.history.append("log")


                commands = Commands()


                @app.post("/<verb>")
                def command(verb):
                    return str(commands.run(verb))
                """,
        },
    )
    assert result["Commands.history"].category == "app_data"


def test_a_metaclass_call_is_no_wsgi_entry_point(tmp_path: Path) -> None:
    result = found(
        tmp_path,
        {
            "utils.py": """
                class Singleton(type):
                    _instances = {}

                    def __call__(cls, *args, **kwargs):
                        if cls not in cls._instances:
                            cls._instances[cls] = super().__call__(*args, **kwargs)
                        return cls._instances[cls]

                    @classmethod
                    def clear(cls):
                        cls._instances = {}
                """,
            "app.py": """
                from flask import Flask

                app = Flask(__name__)


                @app.get("/")
                def index():
                    return "ok"
                """,
        },
    )
    assert "Singleton._instances" not in result


def test_a_start_up_named_method_a_socket_handler_calls_serves(tmp_path: Path) -> None:
    # `register_message_receiver` sounds like start-up code, but a SockJS connection calls
    # it each time a client connects.
    result = found(
        tmp_path,
        {
            "plugins.py": """
                class PluginManager:
                    def __init__(self):
                        self.registered_clients = []

                    def register_message_receiver(self, client):
                        self.registered_clients.append(client)

                    def unregister_message_receiver(self, client):
                        self.registered_clients.remove(client)

                    def send(self, message):
                        for client in self.registered_clients:
                            client(message)


                plugin_manager = PluginManager()
                """,
            "sockjs.py": """
                from sockjs.tornado import SockJSConnection

                from plugins import plugin_manager


                class PrinterStateConnection(SockJSConnection):
                    def on_open(self, info):
                        plugin_manager.register_message_receiver(self.on_message)

                    def on_close(self):
                        plugin_manager.unregister_message_receiver(self.on_message)

                    def on_message(self, message):
                        self.send(message)
                """,
        },
    )
    assert result["PluginManager.registered_clients"].category == "connection_registry"


def test_a_dict_method_name_on_an_unknown_object_reaches_no_project_method(
    tmp_path: Path,
) -> None:
    # `environ.update(...)` in a request is a dict's `update`, not the configuration's.
    result = found(
        tmp_path,
        {
            "config.py": """
                class Configuration:
                    def __init__(self):
                        self._values = {}

                    def update(self, section, values):
                        self._values.setdefault(section, {}).update(values)


                def load(paths):
                    config = Configuration()
                    for path in paths:
                        config.update("server", {"path": path})
                    return config
                """,
            "app.py": """
                class Application:
                    def __call__(self, environ, start_response):
                        environ.update({"x": 1})
                        start_response("200 OK", [])
                        return [b""]
                """,
        },
    )
    assert "Configuration._values" not in result


def test_a_known_objects_own_method_is_followed(tmp_path: Path) -> None:
    # With no loose `update`, `store.update()` on a singleton still reaches `Store.update`.
    result = found(
        tmp_path,
        {
            "app.py": """
                from flask import Flask

                app = Flask(__name__)


                class Store:
                    def __init__(self):
                        self.items = {}

                    def update(self, key, value):
                        self.items[key] = value


                store = Store()


                class Api:
                    def __init__(self):
                        self.backend = Store()

                    def put(self, key):
                        self.backend.update(key, 1)


                api = Api()


                @app.post("/<key>")
                def put(key):
                    store.update(key, 1)
                    api.put(key)
                    return ""
                """,
        },
    )
    assert result["Store.items"].category == "app_data"


def test_fields_of_a_record_class_belong_to_each_record(tmp_path: Path) -> None:
    result = found(
        tmp_path,
        {
            "results.py": """
                import msgspec
                from flask import Flask

                app = Flask(__name__)


                class Result(msgspec.Struct):
                    engines: set = set()

                    def found_by(self, engine):
                        self.engines.add(engine)


                class Image(Result):
                    formats: list = []

                    def add_format(self, ref):
                        self.formats.append(ref)


                @app.get("/search")
                def search():
                    image = Image()
                    image.found_by("x")
                    image.add_format("png")
                    return str(image)
                """,
        },
    )
    assert not {"Result.engines", "Image.formats"} & set(result)


def test_a_trait_is_per_object_unless_its_object_lives_with_the_process(
    tmp_path: Path,
) -> None:
    result = found(
        tmp_path,
        {
            "server.py": """
                from traitlets import Dict, Type
                from traitlets.config import LoggingConfigurable, SingletonConfigurable
                from tornado.websocket import WebSocketHandler


                class KernelManager(LoggingConfigurable):
                    _kernel_ports = Dict()

                    def start_kernel(self, kernel_id):
                        self._kernel_ports[kernel_id] = [1, 2]


                class Connection(LoggingConfigurable):
                    channels = Dict({})

                    def open(self, name):
                        self.channels[name] = object()


                class ServerApp(SingletonConfigurable):
                    kernel_manager_class = Type(klass=KernelManager)


                main = ServerApp.launch_instance


                class KernelHandler(WebSocketHandler):
                    def open(self, kernel_id):
                        self.settings["kernel_manager"].start_kernel(kernel_id)
                        Connection().open(kernel_id)
                """,
        },
    )
    assert "Connection.channels" not in result
    assert result["KernelManager._kernel_ports"].category == "app_data"


def test_a_start_up_named_method_a_route_calls_serves(tmp_path: Path) -> None:
    result = found(
        tmp_path,
        {
            "app.py": """
                from flask import Flask

                app = Flask(__name__)


                class Poll:
                    def __init__(self):
                        self.votes = []

                    def register_vote(self, choice):
                        self.votes.append(choice)


                poll = Poll()


                @app.post("/vote/<choice>")
                def vote(choice):
                    poll.register_vote(choice)
                    return ""
                """,
        },
    )
    assert result["Poll.votes"].category == "app_data"


def test_chat_and_socket_event_handlers_serve(tmp_path: Path) -> None:
    # A bot's event handlers answer incoming traffic as routes do; a click command does not.
    result = found(
        tmp_path,
        {
            "bot.py": """
                import click
                from slack_bolt.async_app import AsyncApp

                slack_app = AsyncApp()
                users_by_slack_id = {}
                exported = {}


                @slack_app.event("app_mention")
                async def mention(event, say):
                    users_by_slack_id[event["user"]] = event["text"]
                    await say("hi")


                @click.group()
                def cli():
                    pass


                @cli.command()
                def export():
                    exported["at"] = 1
                """,
        },
    )
    assert "users_by_slack_id" in result
    assert "exported" not in result
