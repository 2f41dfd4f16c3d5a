"""counter_ratelimit: in-process counters, hit maps and hand-made rate limiters.

Looks for: a module-level number rebound with `global n; n += 1`; a dict whose items
are incremented (`hits[ip] += 1`), `defaultdict(int)` and `Counter`; a dict or list of
request timestamps kept per client to limit rates. Ignores: numbers only set at import,
counters local to a function, and values whose name alone says "count" or "limit" when
no request changes them (`delimiter` set by an engine's `init()`).
"""

from __future__ import annotations

import re

from migrator.inventory.detectors import Claim, ContainerDetector, register
from migrator.inventory.detectors._shapes import (
    SCALAR_KINDS,
    container_kind,
    defaultdict_factory,
    increments,
)
from migrator.inventory.symbols import Component, Project

# Only words that say "limit" (`BANNER_TEXT` is no ban list, `PENDING_REQUESTS` no counter).
RATE_NAME = re.compile(
    r"rate_?limit|(^|_)limiter|throttl|attempts|quota|lockout|failed_logins|login_failures"
)
COUNT_NAME = re.compile(r"count|seq|sequence|total|next_id|counter|hits|visits|views|serial|num_")


@register
class CounterDetector(ContainerDetector):
    category = "counter_ratelimit"
    priority = 40
    STATE = (
        "ORDER_SEQ = 0\n\ndef next_order():\n    global ORDER_SEQ\n    ORDER_SEQ += 1\n    return ORDER_SEQ\n",
        "import collections\nHITS = collections.defaultdict(int)\n\ndef hit(ip):\n    HITS[ip] += 1\n",
        "import time\nREQUEST_LOG = {}\n\ndef allowed(ip):\n"
        "    REQUEST_LOG.setdefault(ip, []).append(time.time())\n    return len(REQUEST_LOG[ip]) < 10\n",
    )
    NOT_STATE = (
        "MAX_RETRIES = 3\n\ndef retries():\n    return MAX_RETRIES\n",
        "def count(items):\n    n = 0\n    for _ in items:\n        n += 1\n    return n\n",
        "from flask import Flask\napp = Flask(__name__)\ndelimiter = {}\n\ndef init(settings):\n"
        "    global delimiter\n    delimiter = settings['delimiter']\n\n"
        "@app.get('/')\ndef split():\n    return delimiter.get('chars', ',')\n",
    )

    def claim(self, comp: Component, project: Project) -> Claim | None:
        binding = comp.binding
        name = comp.symbol.rpartition(".")[2].lower()
        if binding.ctor == "itertools.count":
            return Claim("high", "it hands out numbers with `next()` while serving", "counter")
        served = any(project.serves(s) for s in comp.changes)
        confidence = "high" if served else "medium"
        # A name alone is weak evidence: it counts only for what requests change.
        named = served or project.serving is None
        if binding.kind in ("int", "float") and increments(comp):
            return Claim(confidence, "it is a number incremented while serving", "counter")
        container = container_kind(binding)
        if not container:
            return None
        if container == "counter" or defaultdict_factory(binding) in ("int", "float"):
            return Claim("high", "it counts per key", "counter_map")
        if increments(comp):
            kind = "rate_limit" if RATE_NAME.search(name) else "counter_map"
            return Claim("high", "its items are incremented while serving", kind)
        stamped = any(s.detail == "timestamps" for s in comp.changes)
        if (stamped or (named and RATE_NAME.search(name))) and container in (
            "dict",
            "defaultdict",
            "list",
            "deque",
        ):
            return Claim(
                "medium",
                "it records requests per client to limit their rate",
                "rate_limit",
                automation="manual",
            )
        if binding.kind in SCALAR_KINDS and named and COUNT_NAME.search(name):
            return Claim("medium", "it is a count rebound while serving", "counter")
        return None
