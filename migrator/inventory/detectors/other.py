"""other: any other process-local value that outlives a request.

Looks for: a module-level value that a request handler rebinds (`global CURRENT;
CURRENT = x` in a route or view). Ignores: values set by start-up code (`configure()`),
and lazy singletons (`global _client; if _client is None: _client = make()`, a value
that starts as None), which hold a client, not data.
"""

from __future__ import annotations

from migrator.inventory.detectors import Claim, ContainerDetector, register
from migrator.inventory.detectors._shapes import SCALAR_KINDS
from migrator.inventory.symbols import Component, Project


@register
class OtherStateDetector(ContainerDetector):
    category = "other"
    priority = 100
    STATE = (
        "from flask import Flask\napp = Flask(__name__)\nMAINTENANCE = False\n\n"
        "@app.post('/maintenance')\ndef toggle():\n    global MAINTENANCE\n    MAINTENANCE = not MAINTENANCE\n"
        "    return ''\n",
    )
    NOT_STATE = (
        "LOG_LEVEL = 'info'\n\ndef configure(level):\n    global LOG_LEVEL\n    LOG_LEVEL = level\n",
        "_client = None\n\ndef client():\n    global _client\n    if _client is None:\n"
        "        _client = object()\n    return _client\n",
    )

    def claim(self, comp: Component, project: Project) -> Claim | None:
        binding = comp.binding
        if binding.kind not in SCALAR_KINDS:
            return None
        if binding.kind == "none":
            return None  # a lazy singleton: the process makes its own client once
        rebinds = [s for s in comp.changes if s.detail in ("rebind", "aug")]
        if not any(project.serves(s) for s in rebinds):
            return None  # set up once by start-up code, not changed per request
        return Claim("medium", "request handlers rebind it", binding.kind, automation="manual")
