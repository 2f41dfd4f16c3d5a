"""The journey format: what a user does, step by step, and what one replica answers.

A journey is YAML (or a browser's HAR file, see `har.py`):

    env: {SHOP_UPLOAD_FOLDER: "{replica_dir}/uploads"}   # for the service; placeholders below
    setup: ["python manage.py migrate"]                 # once a run, before its replicas start
    replica_setup: ["mkdir -p $NOTES_DATA_DIR/sessions"] # before each replica starts
    ready: /                                            # answered (any status) = started
    users:                                              # each user has a cookie jar of its own
      ann: {cookies: {csrftoken: abc}, headers: {X-CSRFToken: abc}}
    steps:
      - name: bob adds to his cart on B
        user: bob                       # default: `default`
        replica: 1                      # default: step i goes to replica i mod N
        request: POST /cart             # or `method:` and `path:`
        json: {sku: FD-101}             # or `form:`, `files:`, `body:`; `headers:`
        capture: {number: {json: number}, sid: {cookie: shop_sid}, where: {header: Location}}
        expect:
          status: 200                   # or a list
          json: {lines[0].qty: 3, number: {greater: "${first}"}, lines: {length: 1}}
        within: 2                       # seconds to repeat the request until `expect` holds

`${name}` in a path, header, body or expected value is a captured value (the value itself when
it is the whole string). Placeholders in `env` and setup commands: `{port}`, `{replica}`,
`{replica_dir}` (a folder of the replica's own: replicas do not share a disk) and `{run_dir}`
(shared by the replicas of one run, as a database server would be).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from migrator.verify.paths import MISSING, PathError, parse_path

METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS")
OPERATORS = ("equals", "not", "contains", "length", "greater")
CAPTURE_SOURCES = ("json", "header", "cookie")
STEP_KEYS = {
    "name", "user", "replica", "request", "method", "path", "headers", "json", "form", "files",
    "body", "capture", "expect", "within",
}  # fmt: skip
TOP_KEYS = {"name", "env", "setup", "replica_setup", "ready", "users", "steps"}


class JourneyError(ValueError):
    """A journey that cannot be run, with the reason in one line."""


@dataclass(frozen=True)
class Capture:
    """A value to keep from an answer: a JSON path, a header or a cookie."""

    name: str
    source: str  # one of CAPTURE_SOURCES
    key: str


@dataclass(frozen=True)
class Check:
    """An expectation on a JSON path of the answer."""

    path: str
    operator: str  # one of OPERATORS
    value: Any

    def describe(self) -> str:
        shown = self.value if isinstance(self.value, str) else repr(self.value)
        return f"{self.path} {'==' if self.operator == 'equals' else self.operator} {shown}"


@dataclass(frozen=True)
class Upload:
    """One file of a multipart request."""

    field: str
    filename: str
    content: bytes
    content_type: str = "application/octet-stream"


@dataclass(frozen=True)
class Step:
    """One request of the journey, what to keep from its answer and what to expect of it."""

    number: int  # 1-based
    name: str
    method: str
    path: str
    user: str = "default"
    replica: int | None = None
    headers: tuple[tuple[str, str], ...] = ()
    json: Any = MISSING
    form: tuple[tuple[str, str], ...] = ()
    files: tuple[Upload, ...] = ()
    body: str | None = None
    captures: tuple[Capture, ...] = ()
    statuses: tuple[int, ...] = ()
    checks: tuple[Check, ...] = ()
    within: float = 0.0

    @property
    def label(self) -> str:
        return f"{self.method} {self.path}"


@dataclass(frozen=True)
class User:
    """A browser: the cookies and headers it starts with."""

    cookies: tuple[tuple[str, str], ...] = ()
    headers: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True)
class Journey:
    """A whole journey, ready to run."""

    source: str
    steps: tuple[Step, ...]
    name: str = ""
    env: tuple[tuple[str, str], ...] = ()
    setup: tuple[str, ...] = ()
    replica_setup: tuple[str, ...] = ()
    ready: str = "/"
    users: dict[str, User] = field(default_factory=dict)


def load_journey(path: Path) -> Journey:
    """The journey in `path` (YAML, or HAR when it ends in `.har`); JourneyError when unusable."""
    try:
        text = path.read_text("utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise JourneyError(f"cannot read the journey {path}: {exc}") from None
    if path.suffix.lower() == ".har":
        from migrator.verify.har import journey_from_har

        return journey_from_har(text, str(path))
    import yaml

    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        where = getattr(exc, "problem_mark", None)
        at = f" at line {where.line + 1}" if where is not None else ""
        raise JourneyError(f"{path} is not valid YAML{at}") from None
    return journey_from_data(data, str(path))


def journey_from_data(data: Any, source: str) -> Journey:
    """A journey from parsed YAML; JourneyError names the step and the field that is wrong."""
    if isinstance(data, list):
        data = {"steps": data}
    if not isinstance(data, dict):
        raise JourneyError(f"{source}: a journey is a mapping with `steps`, or a list of steps")
    _no_unknown(data, TOP_KEYS, source)
    raw_steps = data.get("steps")
    if not isinstance(raw_steps, list) or not raw_steps:
        raise JourneyError(f"{source}: `steps` must be a non-empty list")
    steps = tuple(_step(raw, number, source) for number, raw in enumerate(raw_steps, 1))
    users = data.get("users") or {}
    if not isinstance(users, dict):
        raise JourneyError(f"{source}: `users` must map user names to cookies and headers")
    return Journey(
        source=source,
        steps=steps,
        name=str(data.get("name") or ""),
        env=_pairs(data.get("env"), f"{source}: `env`"),
        setup=_commands(data.get("setup"), f"{source}: `setup`"),
        replica_setup=_commands(data.get("replica_setup"), f"{source}: `replica_setup`"),
        ready=_request_path(data.get("ready", "/"), f"{source}: `ready`"),
        users={str(name): _user(spec, f"{source}: user {name!r}") for name, spec in users.items()},
    )


def _step(raw: Any, number: int, source: str) -> Step:
    where = f"{source}: step {number}"
    if not isinstance(raw, dict):
        raise JourneyError(f"{where} must be a mapping with `request`")
    where = f"{where} ({raw.get('name')})" if raw.get("name") else where
    _no_unknown(raw, STEP_KEYS, where)
    method, path = _method_and_path(raw, where)
    if sum(key in raw for key in ("json", "form", "body")) > 1:
        raise JourneyError(f"{where}: give one of `json`, `form` and `body`")
    replica = raw.get("replica")
    if replica is not None and (type(replica) is not int or replica < 0):
        raise JourneyError(f"{where}: `replica` must be 0, 1, ... (the replica's index)")
    within = raw.get("within", 0)
    if type(within) not in (int, float) or not 0 <= within <= 60:
        raise JourneyError(f"{where}: `within` must be a number of seconds from 0 to 60")
    statuses, checks = _expectations(raw.get("expect"), where)
    return Step(
        number=number,
        name=str(raw.get("name") or f"{method} {path}"),
        method=method,
        path=path,
        user=str(raw.get("user", "default")),
        replica=replica,
        headers=_pairs(raw.get("headers"), f"{where}: `headers`"),
        json=raw.get("json", MISSING),
        form=_pairs(raw.get("form"), f"{where}: `form`"),
        files=_uploads(raw.get("files"), where),
        body=None if raw.get("body") is None else str(raw["body"]),
        captures=_captures(raw.get("capture"), where),
        statuses=statuses,
        checks=checks,
        within=float(within),
    )


def _method_and_path(raw: dict[str, Any], where: str) -> tuple[str, str]:
    if "request" in raw:
        words = str(raw["request"]).split()
        if len(words) != 2:
            raise JourneyError(f"{where}: `request` is `METHOD /path`, e.g. `POST /cart`")
        method, path = words[0], words[1]
    else:
        method, path = str(raw.get("method", "GET")), str(raw.get("path", ""))
    method = method.upper()
    if method not in METHODS:
        raise JourneyError(f"{where}: unknown method {method!r}; one of {', '.join(METHODS)}")
    return method, _request_path(path, f"{where}: the path")


def _request_path(path: Any, where: str) -> str:
    if not isinstance(path, str) or not path.startswith(("/", "${")):
        raise JourneyError(f"{where} must start with `/` (it is joined to each replica's URL)")
    return path


def _expectations(raw: Any, where: str) -> tuple[tuple[int, ...], tuple[Check, ...]]:
    if raw is None:
        return (), ()
    if not isinstance(raw, dict) or set(raw) - {"status", "json"}:
        raise JourneyError(f"{where}: `expect` takes `status` and `json`")
    status = raw.get("status", [])
    statuses = tuple(status) if isinstance(status, list) else (status,)
    if not all(type(s) is int and 100 <= s <= 599 for s in statuses):
        raise JourneyError(f"{where}: `expect.status` must be an HTTP status or a list of them")
    checks = []
    for path, wanted in (raw.get("json") or {}).items():
        try:
            parse_path(str(path))
        except PathError as exc:
            raise JourneyError(f"{where}: {exc}") from None
        operator, value = "equals", wanted
        if isinstance(wanted, dict) and len(wanted) == 1 and next(iter(wanted)) in OPERATORS:
            operator, value = next(iter(wanted.items()))
        checks.append(Check(str(path), operator, value))
    return statuses, tuple(checks)


def _captures(raw: Any, where: str) -> tuple[Capture, ...]:
    if raw is None:
        return ()
    if not isinstance(raw, dict):
        raise JourneyError(f"{where}: `capture` maps names to {{json|header|cookie: ...}}")
    out = []
    for name, spec in raw.items():
        if not re.fullmatch(r"\w+", str(name)):
            raise JourneyError(f"{where}: capture names are letters, digits and `_`: {name!r}")
        if not (isinstance(spec, dict) and len(spec) == 1 and next(iter(spec)) in CAPTURE_SOURCES):
            raise JourneyError(f"{where}: capture {name!r} is one of {{json|header|cookie: ...}}")
        source, key = next(iter(spec.items()))
        if source == "json":
            try:
                parse_path(str(key))
            except PathError as exc:
                raise JourneyError(f"{where}: {exc}") from None
        out.append(Capture(str(name), source, str(key)))
    return tuple(out)


def _uploads(raw: Any, where: str) -> tuple[Upload, ...]:
    if raw is None:
        return ()
    if not isinstance(raw, dict):
        raise JourneyError(f"{where}: `files` maps form fields to {{filename, content}}")
    out = []
    for name, spec in raw.items():
        if not isinstance(spec, dict) or "filename" not in spec:
            raise JourneyError(f"{where}: file {name!r} needs `filename` and `content`")
        content = str(spec.get("content", "")).encode()
        kind = str(spec.get("content_type", "application/octet-stream"))
        out.append(Upload(str(name), str(spec["filename"]), content, kind))
    return tuple(out)


def _user(raw: Any, where: str) -> User:
    if raw is None:
        return User()
    if not isinstance(raw, dict) or set(raw) - {"cookies", "headers"}:
        raise JourneyError(f"{where} takes `cookies` and `headers`")
    return User(
        _pairs(raw.get("cookies"), f"{where} cookies"),
        _pairs(raw.get("headers"), f"{where} headers"),
    )


def _pairs(raw: Any, where: str) -> tuple[tuple[str, str], ...]:
    if raw is None:
        return ()
    if not isinstance(raw, dict):
        raise JourneyError(f"{where} must be a mapping of names to values")
    return tuple((str(k), "" if v is None else str(v)) for k, v in raw.items())


def _commands(raw: Any, where: str) -> tuple[str, ...]:
    if raw is None:
        return ()
    items = [raw] if isinstance(raw, str) else raw
    if not isinstance(items, list) or not all(isinstance(c, str) for c in items):
        raise JourneyError(f"{where} must be a shell command or a list of them")
    return tuple(items)


def _no_unknown(data: dict[str, Any], known: set[str], where: str) -> None:
    unknown = sorted(set(map(str, data)) - known)
    if unknown:
        raise JourneyError(
            f"{where}: unknown key `{unknown[0]}`; known: {', '.join(sorted(known))}"
        )
