"""Reads from the target's deployment files how many processes already serve it.

Local state in a service that runs several processes is a live bug, so the scan asks here for the
largest process count the files justify, and for the lines that say so. Read: gunicorn config
files; server commands (gunicorn, uvicorn, hypercorn, uwsgi, daphne) and `WEB_CONCURRENCY` in all
of the files below; Procfiles, Dockerfiles, Containerfiles, uwsgi ini files, entrypoint scripts,
docker compose files, Kubernetes workloads and autoscalers, Helm values, App Engine `app.yaml`,
`fly.toml`, Heroku `app.json`. Files over 1 MiB, and anything else, are not read.
"""

from __future__ import annotations

import ast
import json
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from migrator.model import Deployment

MAX_BYTES = 1 << 20
SNIFF_BYTES = 256 << 10  # yaml outside deployment folders is read only when this small
DEPLOY_DIRS = {
    "k8s",
    "kubernetes",
    "deploy",
    "deployment",
    "deployments",
    "manifests",
    "helm",
    "charts",
    "infra",
    "ops",
}
K8S_KIND = re.compile(r"^kind:\s*(Deployment|StatefulSet|HorizontalPodAutoscaler)\b", re.M)
WORKLOAD_KINDS = {"Deployment", "StatefulSet", "ReplicaSet", "Rollout", "DeploymentConfig"}
# the options that set the worker process count, per server; daphne runs one process
SERVER_FLAGS = {
    "gunicorn": ("-w", "--workers"),
    "uvicorn": ("--workers",),
    "hypercorn": ("-w", "--workers"),
    "uwsgi": ("-p", "--processes", "--workers"),
}
NUMBER = re.compile(r"[0-9]{1,6}")  # a count; longer digit strings are not process counts
COUNT = re.compile(r"([0-9]{1,6})|\$\{\w+:-([0-9]{1,6})\}")  # or a shell default: ${WORKERS:-4}
ENV_COUNT = re.compile(r"\bWEB_CONCURRENCY\b[\"']?\s*[=:]?\s*[\"']?([0-9]{1,6})\b")
LINE_KEYS = {  # the keys a line-oriented reader trusts, per kind of file
    "uwsgi": re.compile(r"^\s*(processes|workers)\s*[=:]\s*([0-9]{1,6})\b"),
    "fly": re.compile(r"^\s*(min_machines_running)\s*=\s*([0-9]{1,6})\b"),
    "yaml": re.compile(r"^\s*-?\s*(replicas|maxReplicas|replicaCount)\s*:\s*[\"']?([0-9]{1,6})\b"),
}
APP_ENGINE_SCALING = {
    "automatic_scaling": "max_instances",
    "basic_scaling": "max_instances",
    "manual_scaling": "instances",
}
Unit = tuple[str, str]  # one service: its replicas multiply its workers


@dataclass(frozen=True)
class Fact:
    """One line of a deployment file that says how many processes run."""

    path: str
    line: int
    processes: int
    what: str
    unit: Unit | None = None
    role: str = "workers"  # "replicas" when it counts copies of a whole service

    def source(self) -> str:
        noun = "process" if self.processes == 1 else "processes"
        return f"{self.path}:{self.line}: {self.what} ({self.processes} {noun})"


def read_deployment(root: Path, files: Sequence[str]) -> Deployment:
    """The largest process count the deployment files among `files` justify, one source a fact.

    Counts multiply only where the YAML ties them to one service: a Kubernetes workload's replicas
    (or its autoscaler's maxReplicas) times the workers in its containers' commands, a compose
    service's replicas times the workers in its command, App Engine instances times the workers in
    its entrypoint. Elsewhere the largest single count wins (a Dockerfile's workers are not
    multiplied by the replicas of a manifest that may run another image). Files that cannot be
    read or parsed are skipped; with nothing found the answer is one process and no sources.
    """
    facts: list[Fact] = []
    for rel in files:
        kind = _kind_of(rel)
        text = _read(root / rel, SNIFF_BYTES if kind == "sniff" else MAX_BYTES) if kind else None
        if kind and text is not None and (kind != "sniff" or K8S_KIND.search(text)):
            try:
                facts.extend(_facts_in(rel, kind, text))
            except (SyntaxError, ValueError, RecursionError):
                continue  # malformed past what the readers tolerate: the file says nothing
    facts.extend(_products(facts))
    facts.sort(key=lambda f: (f.path, f.line, f.processes))
    sources = tuple(dict.fromkeys(f.source() for f in facts))
    return Deployment(max(f.processes for f in facts), sources) if facts else Deployment()


def is_deployment_file(rel: str) -> bool:
    """Whether `read_deployment` would read this file (so a change to it can change the result)."""
    return _kind_of(rel) is not None


def _kind_of(rel: str) -> str | None:
    """Which reader a file needs, or None when its name says it is not about deployment."""
    *dirs, name = rel.lower().split("/")
    if "gunicorn" in name and name.endswith(".py") or name.startswith("gunicorn.conf"):
        return "python"
    if name.startswith(("dockerfile", "containerfile", "procfile", "gunicorn")):
        return "lines"
    if name.startswith("uwsgi") and name.endswith(".ini"):
        return "uwsgi"
    if name in ("fly.toml", "app.json"):
        return name.split(".")[0]
    if name.endswith(".sh") and ("entrypoint" in name or DEPLOY_DIRS.intersection(dirs)):
        return "lines"
    if name.endswith((".yaml", ".yml")):
        named = "compose" in name or name == "app.yaml" or name.startswith("values")
        return "yaml" if named or DEPLOY_DIRS.intersection(dirs) else "sniff"
    return None


def _read(path: Path, limit: int) -> str | None:
    try:
        return path.read_bytes().decode() if path.stat().st_size <= limit else None
    except (OSError, UnicodeDecodeError):
        return None


def _facts_in(rel: str, kind: str, text: str) -> list[Fact]:
    if kind == "python":
        return list(_gunicorn_config(rel, text))
    if kind in ("yaml", "sniff"):
        parsed = _yaml_facts(rel, text)
        if parsed is not None:
            return parsed
        kind = "yaml"  # no PyYAML, or not YAML (a Helm template): read it line by line
    return [*_line_facts(rel, kind, text), *(_heroku_formation(rel, text) if kind == "app" else ())]


def _line_facts(rel: str, kind: str, text: str) -> Iterator[Fact]:
    """Server commands, `WEB_CONCURRENCY` and the keys LINE_KEYS trusts, outside comments."""
    for number, what, count in _commands(text):
        yield Fact(rel, number, count, what)
    key = LINE_KEYS.get(kind)
    for number, line in enumerate(text.splitlines(), 1):
        if line.lstrip().startswith("#"):
            continue
        if env := ENV_COUNT.search(line):
            yield Fact(rel, number, int(env[1]), f"WEB_CONCURRENCY={env[1]}")
        if key and (match := key.search(line)) and int(match[2]) > 0:
            autoscaled = ", autoscaled" if match[1] == "maxReplicas" else ""
            role = "workers" if kind == "uwsgi" else "replicas"
            yield Fact(rel, number, int(match[2]), match[0].strip(" -") + autoscaled, role=role)


def _commands(text: str) -> Iterator[tuple[int, str, int]]:
    """(line, what, processes) for each server command in `text` that sets its process count."""
    start, parts = 1, list[str]()
    for number, line in enumerate(text.splitlines(), 1):
        if line.lstrip().startswith("#"):
            continue
        start = start if parts else number
        if line.rstrip().endswith("\\"):  # continued on the next line
            parts.append(line.rstrip()[:-1])
            continue
        words = re.sub(r"[\[\]\"',]", " ", " ".join([*parts, line]))  # exec form as plain words
        parts = []
        for segment in re.split(r"&&|\|\||[;|&]", words):
            if found := _server_command(segment.split()):
                yield start, *found


def _server_command(words: list[str]) -> tuple[str, int] | None:
    for index, word in enumerate(words):
        server, rest = word.rsplit("/", 1)[-1], words[index + 1 :]
        if server == "daphne" and rest:
            return "daphne", 1
        flags = SERVER_FLAGS.get(server, ())
        for at, option in enumerate(rest):
            flag, equals, value = option.partition("=")
            if flag in flags and not equals:
                value = rest[at + 1] if at + 1 < len(rest) else ""
            elif flag not in flags:
                flag, value = option[:2], option[2:]  # a glued short option: -w4
                if flag not in flags:
                    continue
            count = int(match[1] or match[2]) if (match := COUNT.fullmatch(value)) else 0
            if count > 0:
                return f"{server} {option if equals else f'{flag} {value}'}", count
    return None


def _gunicorn_config(rel: str, text: str) -> Iterator[Fact]:
    """`workers = N` in a gunicorn config; a `cpu_count()` formula counts as on one CPU, >= 2."""
    for node in ast.walk(ast.parse(text)):
        if isinstance(node, ast.Assign):
            target, value = node.targets[-1], node.value
        elif isinstance(node, ast.AnnAssign) and node.value:
            target, value = node.target, node.value
        else:
            continue
        if not isinstance(target, ast.Name) or target.id != "workers":
            continue
        source = " ".join((ast.get_source_segment(text, value) or ast.unparse(value)).split())
        one_cpu = _on_one_cpu(value)
        constants = [str(c.value) for c in ast.walk(value) if isinstance(c, ast.Constant)]
        defaults = [int(c) for c in constants if NUMBER.fullmatch(c)]
        if "cpu_count" in source:
            count, note = max(2, one_cpu or 2), ", cpu-dependent"
        else:
            count, note = (
                (one_cpu, "")
                if one_cpu is not None
                else (max(defaults, default=0), ", the default")
            )
        if count > 0:
            yield Fact(rel, node.lineno, count, f"workers = {source}{note}")


def _on_one_cpu(node: ast.expr) -> int | None:
    """The value of plain arithmetic over ints and `cpu_count()` on a one-CPU machine."""
    if isinstance(node, ast.Constant) and type(node.value) is int:
        return node.value
    if isinstance(node, ast.Call) and ast.unparse(node.func).endswith("cpu_count"):
        return 1
    ops = {ast.Add: int.__add__, ast.Mult: int.__mul__, ast.Sub: int.__sub__}
    if isinstance(node, ast.BinOp) and type(node.op) in ops:
        left, right = _on_one_cpu(node.left), _on_one_cpu(node.right)
        if left is not None and right is not None:
            return ops[type(node.op)](left, right)
    return None


def _heroku_formation(rel: str, text: str) -> Iterator[Fact]:
    try:
        data = json.loads(text)
    except ValueError:
        return
    formation = data.get("formation") if isinstance(data, dict) else None
    lines = text.splitlines()
    start = next((n for n, t in enumerate(lines, 1) if '"formation"' in t), 1)
    for name, spec in formation.items() if isinstance(formation, dict) else ():
        quantity = spec.get("quantity") if isinstance(spec, dict) else None
        if type(quantity) is int and quantity > 0:
            after = enumerate(lines[start:], start + 1)
            line = next((n for n, t in after if f'"{name}"' in t), start)
            what = f"formation {name} quantity: {quantity}"
            yield Fact(rel, line, quantity, what, role="replicas")


def _yaml_facts(rel: str, text: str) -> list[Fact] | None:
    """What a YAML file's documents say, or None when PyYAML is missing or the text is not YAML."""
    try:
        import yaml  # optional: without it the line-oriented reader still finds most counts
    except ImportError:
        return None
    try:
        docs = list(yaml.compose_all(text, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader)))
    except yaml.YAMLError:
        return None
    return [f for i, doc in enumerate(docs) if _is(doc, "mapping") for f in _document(rel, i, doc)]


def _document(rel: str, index: int, doc: Any) -> Iterator[Fact]:
    kind, spec = _scalar(_child(doc, "kind")), _child(doc, "spec")
    name = _scalar(_child(_child(doc, "metadata"), "name")) or "?"
    services = _child(doc, "services")
    if kind in WORKLOAD_KINDS:
        yield from _count(rel, _child(spec, "replicas"), f"{kind} {name} replicas", ("k8s", name))
        yield from _walk(rel, spec, ("k8s", name))
    elif kind == "HorizontalPodAutoscaler":
        target = _scalar(_child(_child(spec, "scaleTargetRef"), "name")) or name
        least = _scalar(_child(spec, "minReplicas")) or "1"
        yield from _count(
            rel,
            _child(spec, "maxReplicas"),
            f"{kind} {name} maxReplicas",
            ("k8s", target),
            f", autoscaled from {least}",
        )
    elif kind is None and _is(services, "mapping"):  # docker compose
        for key, service in services.value:
            unit, deploy = (rel, str(key.value)), _child(service, "deploy")
            what = f"service {key.value}"
            yield from _count(rel, _child(deploy, "replicas"), f"{what} deploy.replicas", unit)
            yield from _count(rel, _child(service, "scale"), f"{what} scale", unit)
            yield from _walk(rel, service, unit)
    else:  # Helm values, App Engine (one service a file), anything under a deployment folder
        yield from _walk(rel, doc, (rel, str(index)) if rel.endswith("app.yaml") else None)


def _walk(rel: str, top: Any, unit: Unit | None) -> Iterator[Fact]:
    """Commands, `WEB_CONCURRENCY` and scaling keys anywhere below `top`, each node once."""
    stack, seen = [top], set()
    while stack:
        node = stack.pop()
        if node is None or id(node) in seen:
            continue  # aliases share nodes: a billion laughs must not cost a billion visits
        seen.add(id(node))
        if _is(node, "scalar"):
            yield from _scalar_facts(rel, [node], unit)
        elif _is(node, "sequence"):
            stack.extend(node.value)
        elif _is(node, "mapping"):
            # entrypoint + command + args make one command line (Kubernetes splits them)
            parts = [_child(node, key) for key in ("entrypoint", "command", "args")]
            words = [w for p in parts if p for w in (p.value if _is(p, "sequence") else [p])]
            words = [w for w in words if _is(w, "scalar")]
            seen.update(id(w) for w in words)
            yield from _scalar_facts(rel, words, unit) if words else ()
            yield from _mapping_facts(rel, node, unit)
            stack.extend(n for pair in node.value for n in pair)


def _scalar_facts(rel: str, nodes: list[Any], unit: Unit | None) -> Iterator[Fact]:
    """Commands and `WEB_CONCURRENCY=N` in scalars read as one command line."""
    first = nodes[0].start_mark.line + (nodes[0].style in ("|", ">"))  # block text starts below
    text = " ".join(n.value for n in nodes)
    for line, what, count in _commands(text):
        yield Fact(rel, first + line, count, what, unit)
    for line, part in enumerate(text.splitlines(), 1):
        if env := ENV_COUNT.search(part):
            yield Fact(rel, first + line, int(env[1]), f"WEB_CONCURRENCY={env[1]}", unit)


def _mapping_facts(rel: str, node: Any, unit: Unit | None) -> Iterator[Fact]:
    """Keys that count processes: env vars, Helm values, App Engine scaling."""
    env = _child(node, "WEB_CONCURRENCY")
    if env is None and _scalar(_child(node, "name")) == "WEB_CONCURRENCY":
        env = _child(node, "value")  # a Kubernetes container's env entry
    yield from _count(rel, env, "WEB_CONCURRENCY", unit, role="workers")
    yield from _count(rel, _child(node, "replicaCount"), "replicaCount", None)
    autoscaling = _child(node, "autoscaling")
    if (_scalar(_child(autoscaling, "enabled")) or "").lower() in ("true", "yes", "on"):
        yield from _count(
            rel, _child(autoscaling, "maxReplicas"), "autoscaling.maxReplicas", None, ", autoscaled"
        )
    for key, section in node.value:
        limit = APP_ENGINE_SCALING.get(key.value) if _is(key, "scalar") else None
        if limit and _child(section, limit) is not None:
            note = "" if key.value == "manual_scaling" else ", autoscaled"
            yield from _count(rel, _child(section, limit), f"{key.value}.{limit}", unit, note)
        elif limit and key.value == "automatic_scaling":
            what = "automatic_scaling without max_instances, autoscaled"
            yield Fact(rel, key.start_mark.line + 1, 2, what, unit, "replicas")


def _count(
    rel: str, node: Any, what: str, unit: Unit | None, note: str = "", role: str = "replicas"
) -> Iterator[Fact]:
    value = _scalar(node)
    if value and NUMBER.fullmatch(value) and int(value) > 0:
        yield Fact(rel, node.start_mark.line + 1, int(value), f"{what}: {value}{note}", unit, role)


def _is(node: Any, kind: str) -> bool:
    return getattr(node, "id", None) == kind  # PyYAML names its node classes by this


def _child(node: Any, key: str) -> Any:
    pairs = node.value if _is(node, "mapping") else ()
    return next((v for k, v in pairs if _is(k, "scalar") and k.value == key), None)


def _scalar(node: Any) -> str | None:
    return node.value if _is(node, "scalar") else None


def _products(facts: list[Fact]) -> Iterator[Fact]:
    """One fact per service whose replicas and workers are both known: their product."""
    for unit in sorted({f.unit for f in facts if f.unit}):
        replicas = [f for f in facts if f.unit == unit and f.role == "replicas"]
        workers = [f for f in facts if f.unit == unit and f.role == "workers"]
        if replicas and workers:
            r, w = max(replicas, key=lambda f: f.processes), max(workers, key=lambda f: f.processes)
            what = f"{r.what} x {w.what} at {w.path}:{w.line}"
            yield Fact(r.path, r.line, r.processes * w.processes, what, unit, "product")
