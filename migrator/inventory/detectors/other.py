"""other: any other process-local value that outlives a request.

Looks for: a module-level value rebound while serving (`global CURRENT; CURRENT = x`),
or an attribute of an object made at import changed while serving. Ignores: lazy
singletons (`global _client; if _client is None: _client = make()`, a value that
starts as None and is only ever set), which hold a client, not data.
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
        "MAINTENANCE = False\n\ndef toggle():\n    global MAINTENANCE\n    MAINTENANCE = not MAINTENANCE\n",
    )
    NOT_STATE = (
        "_client = None\n\ndef client():\n    global _client\n    if _client is None:\n"
        "        _client = object()\n    return _client\n",
    )

    def claim(self, comp: Component, project: Project) -> Claim | None:
        binding = comp.binding
        if binding.kind not in SCALAR_KINDS:
            return None
        if binding.kind == "none":
            return None  # a lazy singleton: the process makes its own client once
        if not any(s.detail in ("rebind", "aug") for s in comp.changes):
            return None
        return Claim("medium", "it is rebound while serving", binding.kind, automation="manual")
