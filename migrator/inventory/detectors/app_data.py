"""app_data: an in-memory "database": lists, dicts and sets of records changed by handlers.

Offered last among containers, so it takes what is changed while serving and is
not a session map, cache, counter, queue or connection registry. Ignores:
containers filled at import time or by start-up code that no request handler reaches
(registries, constant tables), entries added and removed by one function (work in
flight), locals.
"""

from __future__ import annotations

from migrator.inventory.detectors import Claim, ContainerDetector, register
from migrator.inventory.detectors._shapes import container_kind
from migrator.inventory.symbols import Component, Project

# Records keep their identity in a database; weak references cannot move anywhere.
_UNMOVABLE = ("weakvaluedictionary", "weakkeydictionary", "weakset")


@register
class AppDataDetector(ContainerDetector):
    category = "app_data"
    priority = 90
    STATE = (
        "TASKS = []\n\ndef add(item):\n    TASKS.append(item)\n    return len(TASKS)\n",
        "PRODUCTS = {1: {'name': 'pen'}}\n\ndef rename(pid, name):\n    PRODUCTS[pid]['name'] = name\n",
    )
    NOT_STATE = (
        "REGISTRY = {}\n\ndef register(fn):\n    REGISTRY[fn.__name__] = fn\n    return fn\n\n"
        "@register\ndef hello():\n    return 'hi'\n",
        "__all__ = ['a']\nCOLORS = ['red', 'green']\n\ndef pick(i):\n    return COLORS[i]\n",
        "def handler(items):\n    seen = set()\n    for i in items:\n        seen.add(i)\n    return seen\n",
        "TRACERS = {}\n\ndef trace(task):\n    TRACERS[task] = []\n    try:\n        yield\n"
        "    finally:\n        del TRACERS[task]\n",
    )

    def claim(self, comp: Component, project: Project) -> Claim | None:
        container = container_kind(comp.binding)
        if not container or container in _UNMOVABLE or request_scoped(comp):
            return None
        if all(s.detail == "rebind" for s in comp.changes):
            return None  # only ever replaced whole: a lazily computed value, not records
        # The key-value codemod rewrites mappings; lists and sets of records need a table design.
        automation = "codemod" if container in ("dict", "ordereddict", "defaultdict") else "manual"
        if project.serving is None:
            why = "functions that can run while serving change its records"
            return Claim("medium", why, container, automation=automation)
        if any(project.serves(s) for s in comp.changes):
            why = "request handlers, or what they call, change its records"
            return Claim("high", why, container, automation=automation)
        return None  # changed only by start-up code: a registry, not data


def request_scoped(comp: Component) -> bool:
    """Entries added and removed by the same function (`d[k] = v ... finally: del d[k]`):
    bookkeeping for work in flight, which ends with the request."""
    writers = {s.func for s in comp.changes if s.access != "delete"}
    deleters = {s.func for s in comp.changes if s.access == "delete"}
    return bool(writers) and writers <= deleters
