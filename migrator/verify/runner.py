"""Runs a journey against a set of replicas: step i goes to replica i mod N unless it names one.

Each user of the journey is a browser of its own: a cookie jar (cookies set by any replica are
sent to every replica, as behind a load balancer) and, on Linux, a loopback source address of
its own, so per-address limits count each user apart and each run apart.
"""

from __future__ import annotations

import json
import re
import secrets
import socket
import sys
import time
from dataclasses import dataclass
from email.utils import parsedate_to_datetime
from http.cookies import CookieError, SimpleCookie
from typing import Any

from migrator.verify.http import Response, TransportError, encode_body, send
from migrator.verify.journey import Check, Journey, Step
from migrator.verify.paths import MISSING, find

REQUEST_SECONDS = 10.0
RETRY_PAUSE = 0.1
_REFERENCE = re.compile(r"\$\{(\w+)\}")


@dataclass(frozen=True)
class Answer:
    """What one step got: status and body, the expectations that failed, or why it was not sent."""

    step: int
    replica: int
    path: str  # as sent, captures filled in
    status: int | None = None
    json: Any = MISSING
    text: str = ""
    failed: tuple[str, ...] = ()  # "expectation (saw ...)"
    error: str = ""  # transport error, or a capture it needed was not taken

    @property
    def answered(self) -> bool:
        return self.status is not None


class _MissingCapture(LookupError):
    pass


def replica_for(step: Step, replicas: int) -> int:
    """The index of the replica that serves `step` among `replicas`."""
    return (step.replica if step.replica is not None else step.number - 1) % replicas


def run_journey(journey: Journey, urls: list[str]) -> list[Answer]:
    """Every step of `journey` sent in order to the replicas at `urls`; one answer a step."""
    captured: dict[str, Any] = {}
    jars: dict[str, dict[str, str]] = {}
    sources: dict[str, str] = {}
    answers = []
    for step in journey.steps:
        if step.user not in sources:
            user = journey.users.get(step.user)
            jars[step.user] = dict(user.cookies) if user else {}
            sources[step.user] = loopback_source()
        answers.append(
            _run_step(step, urls, sources[step.user], jars[step.user], captured, journey)
        )
    return answers


def _run_step(
    step: Step,
    urls: list[str],
    source: str,
    jar: dict[str, str],
    captured: dict[str, Any],
    journey: Journey,
) -> Answer:
    replica = replica_for(step, len(urls))
    user = journey.users.get(step.user)
    deadline = time.monotonic() + step.within
    while True:
        try:
            path, headers, body = _request(step, jar, captured, user.headers if user else ())
        except _MissingCapture as missing:
            error = f"not sent: `${{{missing.args[0]}}}` was not captured"
            return Answer(step.number, replica, step.path, error=error)
        try:
            response = send(
                step.method, urls[replica] + path, headers, body, source, REQUEST_SECONDS
            )
        except TransportError as exc:
            return Answer(step.number, replica, path, error=f"no answer: {exc}")
        _keep_cookies(jar, response)
        parsed = _json(response)
        failed = _failures(step, response.status, parsed, captured)
        if not failed or time.monotonic() >= deadline:
            break
        time.sleep(RETRY_PAUSE)
    for capture in step.captures:
        if capture.source == "json":
            captured[capture.name] = find(parsed, capture.key)
        elif capture.source == "header":
            captured[capture.name] = response.header(capture.key, MISSING)
        else:
            captured[capture.name] = jar.get(capture.key, MISSING)
    text = "" if parsed is not MISSING else response.text[:2000]
    return Answer(step.number, replica, path, response.status, parsed, text, failed)


def _request(
    step: Step,
    jar: dict[str, str],
    captured: dict[str, Any],
    user_headers: tuple[tuple[str, str], ...],
) -> tuple[str, dict[str, str], bytes | None]:
    """(path, headers, body) of the step, with captures filled in."""
    headers, cookies = {}, dict(jar)
    for name, value in (*user_headers, *step.headers):
        if (
            name.lower() == "cookie"
        ):  # the user's own cookies win over the jar, the step's over both
            pairs = (p.partition("=") for p in _text(value, captured).split(";") if "=" in p)
            cookies.update((k.strip(), v.strip()) for k, _, v in pairs)
        else:
            headers[name] = _text(value, captured)
    if cookies:
        headers["Cookie"] = "; ".join(f"{name}={value}" for name, value in cookies.items())
    body, kind = encode_body(
        json_body=fill(step.json, captured) if step.json is not MISSING else None,
        form={k: _text(v, captured) for k, v in step.form} if step.form else None,
        files={u.field: (u.filename, u.content, u.content_type) for u in step.files},
        content=_text(step.body, captured).encode() if step.body is not None else None,
    )
    if kind and not any(k.lower() == "content-type" for k in headers):
        headers["Content-Type"] = kind
    return _text(step.path, captured), headers, body


def fill(value: Any, captured: dict[str, Any]) -> Any:
    """`value` with every `${name}` replaced by what was captured; the value itself when whole."""
    if isinstance(value, str):
        whole = _REFERENCE.fullmatch(value)
        if whole:
            return _captured(whole[1], captured)
        return _text(value, captured)
    if isinstance(value, list):
        return [fill(item, captured) for item in value]
    if isinstance(value, dict):
        return {key: fill(item, captured) for key, item in value.items()}
    return value


def _text(value: str, captured: dict[str, Any]) -> str:
    return _REFERENCE.sub(lambda m: str(_captured(m[1], captured)), value)


def _captured(name: str, captured: dict[str, Any]) -> Any:
    value = captured.get(name, MISSING)
    if value is MISSING:
        raise _MissingCapture(name)
    return value


def _failures(step: Step, status: int, body: Any, captured: dict[str, Any]) -> tuple[str, ...]:
    failed = []
    if step.statuses and status not in step.statuses:
        wanted = " or ".join(map(str, step.statuses))
        failed.append(f"status {wanted} (saw {status})")
    for check in step.checks:
        try:
            wanted = fill(check.value, captured)
        except _MissingCapture as missing:
            failed.append(f"{check.describe()} (`${{{missing.args[0]}}}` was not captured)")
            continue
        actual = find(body, check.path)
        if not holds(check, actual, wanted):
            failed.append(f"{check.path} {_verb(check)} {_short(wanted)} (saw {_short(actual)})")
    return tuple(failed)


def holds(check: Check, actual: Any, wanted: Any) -> bool:
    """Whether `actual` (the value at the check's path) meets the check against `wanted`."""
    if actual is MISSING:
        return check.operator == "not"
    if check.operator == "equals":
        return bool(actual == wanted)
    if check.operator == "not":
        return bool(actual != wanted)
    if check.operator == "contains":
        return wanted in actual if isinstance(actual, (list, dict, str)) else False
    if check.operator == "length":
        return isinstance(actual, (list, dict, str)) and len(actual) == wanted
    numbers = all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in (actual, wanted))
    return bool(actual > wanted) if numbers else str(actual) > str(wanted)


def _verb(check: Check) -> str:
    return {"equals": "==", "not": "!=", "greater": ">"}.get(check.operator, check.operator)


def _short(value: Any) -> str:
    text = repr(value) if not isinstance(value, str) else value
    return text if len(text) <= 120 else text[:117] + "..."


def _json(response: Response) -> Any:
    if "json" not in (response.header("content-type") or ""):
        return MISSING
    try:
        return json.loads(response.body)
    except ValueError:
        return MISSING


def _keep_cookies(jar: dict[str, str], response: Response) -> None:
    """The jar after the answer's Set-Cookie headers: set, replaced, or deleted when expired."""
    for header in response.header_list("set-cookie"):
        cookie: SimpleCookie = SimpleCookie()
        try:
            cookie.load(header)
        except CookieError:
            continue
        for name, morsel in cookie.items():
            if morsel.value == "" or _expired(morsel["max-age"], morsel["expires"]):
                jar.pop(name, None)
            else:
                jar[name] = morsel.value


def _expired(max_age: str, expires: str) -> bool:
    if max_age.strip().lstrip("-").isdigit():
        return int(max_age) <= 0
    if expires:
        try:
            return parsedate_to_datetime(expires).timestamp() <= time.time()
        except (TypeError, ValueError):
            return False
    return False


def loopback_source() -> str:
    """A random 127.x.y.z address to connect from on Linux (all of 127/8 is loopback there)."""
    if not sys.platform.startswith("linux"):
        return "127.0.0.1"
    address = "127." + ".".join(str(secrets.randbelow(254) + 1) for _ in range(3))
    try:
        with socket.socket() as probe:
            probe.bind((address, 0))
    except OSError:
        return "127.0.0.1"
    return address
