"""A browser's HAR recording as a journey: its requests in order, nothing expected of them.

What a HAR says about the answers came from another server at another time, so it is not
an expectation; the one-replica run is (`--record` learns what varies by itself). Cookies the
browser sent are left out: the journey's cookie jar keeps the ones the replicas set. Requests
for static files and other hosts than the first page's are left out too.
"""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import urlsplit

from migrator.verify.journey import METHODS, Journey, JourneyError, Step
from migrator.verify.paths import MISSING

# Set by the client library or the connection, never by the journey.
_DROPPED_HEADERS = {"cookie", "host", "content-length", "connection", "accept-encoding"}
_STATIC = (
    ".js",
    ".css",
    ".png",
    ".jpg",
    ".jpeg",
    ".gif",
    ".svg",
    ".ico",
    ".woff",
    ".woff2",
    ".map",
)


def journey_from_har(text: str, source: str) -> Journey:
    """The requests of a HAR 1.2 log as journey steps; JourneyError when it is not one."""
    try:
        entries = json.loads(text)["log"]["entries"]
    except (ValueError, KeyError, TypeError):
        raise JourneyError(f"{source} is not a HAR file (no `log.entries`)") from None
    steps: list[Step] = []
    host = None
    for entry in entries if isinstance(entries, list) else ():
        request = entry.get("request") if isinstance(entry, dict) else None
        if not isinstance(request, dict) or request.get("method", "").upper() not in METHODS:
            continue
        url = urlsplit(str(request.get("url", "")))
        host = host or url.netloc
        if url.netloc != host or url.path.lower().endswith(_STATIC):
            continue
        steps.append(_step(request, url.path + (f"?{url.query}" if url.query else ""), len(steps)))
    if not steps:
        raise JourneyError(f"{source} holds no request to replay")
    return Journey(source=source, steps=tuple(steps), name=f"recorded in {source}")


def _step(request: dict[str, Any], path: str, index: int) -> Step:
    headers = tuple(
        (str(h["name"]), str(h["value"]))
        for h in request.get("headers", [])
        if isinstance(h, dict)
        and not str(h.get("name", "")).startswith(":")  # HTTP/2 pseudo-headers
        and str(h.get("name", "")).lower() not in _DROPPED_HEADERS
    )
    body: dict[str, Any] = {}
    post = request.get("postData") or {}
    kind, text = str(post.get("mimeType", "")), post.get("text")
    if kind.startswith("application/json") and text:
        try:
            body["json"] = json.loads(text)
        except ValueError:
            body["body"] = text
    elif kind.startswith("application/x-www-form-urlencoded") and post.get("params"):
        body["form"] = tuple((str(p["name"]), str(p.get("value", ""))) for p in post["params"])
    elif text:
        body["body"] = text
    method = str(request["method"]).upper()
    return Step(
        number=index + 1,
        name=f"{method} {path}",
        method=method,
        path=path,
        headers=headers,
        json=body.get("json", MISSING),
        form=body.get("form", ()),
        body=body.get("body"),
    )
