"""app_data: an in-memory "database": lists, dicts and sets of records changed by handlers.

Offered last among containers, so it takes what is changed while serving and is
not a session map, cache, counter, queue or connection registry. Ignores:
containers filled only at import time (registries, constant tables), locals.
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
        "TODOS = []\n\ndef add(item):\n    TODOS.append(item)\n    return len(TODOS)\n",
        "PRODUCTS = {1: {'name': 'pen'}}\n\ndef rename(pid, name):\n    PRODUCTS[pid]['name'] = name\n",
    )
    NOT_STATE = (
        "REGISTRY = {}\n\ndef register(fn):\n    REGISTRY[fn.__name__] = fn\n    return fn\n\n"
        "@register\ndef hello():\n    return 'hi'\n",
        "__all__ = ['a']\nCOLORS = ['red', 'green']\n\ndef pick(i):\n    return COLORS[i]\n",
        "def handler(items):\n    seen = set()\n    for i in items:\n        seen.add(i)\n    return seen\n",
    )

    def claim(self, comp: Component, project: Project) -> Claim | None:
        container = container_kind(comp.binding)
        if not container or container in _UNMOVABLE:
            return None
        return Claim("high", "handlers change its records while serving", container)
