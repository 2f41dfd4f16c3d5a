"""connection_registry (configuration): a Socket.IO server that knows only its own clients.

Looks for: Flask-SocketIO's `SocketIO(app, ...)` made with no `message_queue=` (or
`client_manager=`), in a project that sets no `SOCKETIO_MESSAGE_QUEUE` and hands no queue
to an `init_app`; python-socketio's `socketio.Server(...)` / `socketio.AsyncServer(...)`
with no client manager. Without one the server keeps its clients and rooms in process
memory, so an event emitted on one replica never reaches clients connected to another.
Ignores: servers given a message queue or client manager (even one read from the
environment), write-only emitters (`SocketIO(message_queue=...)` with no app), Socket.IO
clients, servers made by command-line tools.
"""

from __future__ import annotations

from collections.abc import Iterable

from migrator.inventory.detectors import ProjectDetector, finding, module_name, register
from migrator.inventory.detectors._settings import config_items
from migrator.inventory.facts import CallSite
from migrator.inventory.symbols import Project
from migrator.model import Evidence, Finding

FLASK_SERVERS = frozenset({"flask_socketio.SocketIO"})
# python-socketio's servers take the client manager as their first positional argument.
PYTHON_SERVERS = frozenset(
    {
        "socketio.Server",
        "socketio.AsyncServer",
        "socketio.server.Server",
        "socketio.async_server.AsyncServer",
    }
)
QUEUE_KWARGS = ("message_queue", "client_manager")


@register
class SocketIORegistryDetector(ProjectDetector):
    category = "connection_registry"
    STATE = (
        "from flask import Flask\nfrom flask_socketio import SocketIO\n\napp = Flask(__name__)\n"
        "socketio = SocketIO(app, cors_allowed_origins='*')\n",
        "import socketio\n\nsio = socketio.AsyncServer(async_mode='asgi')\n"
        "app = socketio.ASGIApp(sio)\n",
    )
    NOT_STATE = (
        "from flask import Flask\nfrom flask_socketio import SocketIO\n\napp = Flask(__name__)\n"
        "socketio = SocketIO(app, message_queue='redis://localhost:6379/0')\n",
        "import socketio\n\nmgr = socketio.AsyncRedisManager('redis://localhost:6379/0')\n"
        "sio = socketio.AsyncServer(client_manager=mgr, async_mode='asgi')\n",
        "from flask_socketio import SocketIO\n\nsocketio = SocketIO()\n\n"
        "def create_app(app):\n    socketio.init_app(app, message_queue='redis://queue:6379')\n"
        "    return app\n",
    )

    def detect(self, project: Project) -> Iterable[Finding]:
        queue_elsewhere = _queue_configured(project)
        for facts in project.by_module.values():
            for call in facts.calls:
                if call.callee in FLASK_SERVERS:
                    if queue_elsewhere or any(_given(call, k) for k in QUEUE_KWARGS):
                        continue
                    how = "no `message_queue`"
                    fix = '`message_queue="redis://..."`'
                elif call.callee in PYTHON_SERVERS:
                    if call.args or _given(call, "client_manager"):
                        continue
                    how = "no `client_manager`"
                    fix = "`client_manager=socketio.AsyncRedisManager(url)` (`RedisManager` when sync)"
                else:
                    continue
                if call.func and project.is_command(facts.module, call.func):
                    continue
                symbol = module_name(call) or call.callee.rpartition(".")[2]
                yield finding(
                    self.category,
                    symbol=symbol,
                    qualname=f"{facts.module}.{symbol}",
                    path=facts.path,
                    line=call.line,
                    confidence="high",
                    message=(
                        f"The Socket.IO server `{symbol}` is made with {how}, so it keeps its clients "
                        "and rooms in process memory: an event emitted on one replica never reaches "
                        "clients connected to another. Give it the framework's Redis queue with "
                        f"{fix}, and make the load balancer sticky for long-polling clients "
                        "(`migrator playbook connection_registry`)."
                    ),
                    evidence=(Evidence(facts.path, call.line, "write", "config"),),
                    kind="socketio_no_queue",
                    automation="manual",  # no codemod adds the queue yet: a one-line change by hand
                    store="redis",
                    store_reason=(
                        'the framework\'s own Redis message queue (`message_queue="redis://..."`, '
                        "`socketio.AsyncRedisManager`): no adapter needed"
                    ),
                    detector=type(self).__name__,
                )


def _given(call: CallSite, name: str) -> bool:
    """Whether a call passes `name=` with anything but a literal `None`."""
    value = dict(call.kwargs).get(name)
    return value is not None and value != ("const", None)


def _queue_configured(project: Project) -> bool:
    """A queue set in Flask config or handed to a deferred `init_app(app, message_queue=...)`."""
    if any(
        item.value != ("const", None) for _, item in config_items(project, "SOCKETIO_MESSAGE_QUEUE")
    ):
        return True
    return any(
        call.callee.endswith("init_app") and any(_given(call, k) for k in QUEUE_KWARGS)
        for facts in project.by_module.values()
        for call in facts.calls
    )
