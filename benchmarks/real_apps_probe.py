"""The two-process check of benchmarks/real_apps.py: is a migrated component shared?

`choose` picks one migrated component from plan.json and the apply outcome: a kv, counter,
cache or lock that the migrated module binds at its top level (`NAME = kv("NAME", {})`), else
one the runtime knows by name. `check` then runs two processes of the service's Python one
after the other: the first imports the module and writes through the component (sets a key,
increments a counter, takes a lock and exits holding it); the second imports it afresh and
reads. Shared when the second sees what the first did. Run on the original code, the same
steps show the state per process; run on the migrated code with `STATELESS_MODE=complete`,
shared through the store.

Run as a script (`python real_apps_probe.py ROLE ...`) it is one of those processes: stdlib
only, since it runs in the service's virtualenv. Its last line of output is one JSON object.
"""

from __future__ import annotations

import ast
import importlib
import json
import subprocess
import sys
from collections.abc import MutableMapping
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

FACTORIES = ("kv", "counter", "cache", "lock")  # in order of preference


@dataclass(frozen=True)
class Target:
    qualname: str
    module: str  # dotted, importable from import_root
    symbol: str  # as the finding names it (`X` or `Class.attr`)
    name: str  # the component's name in the runtime
    kind: str
    import_root: str  # relative to the copy
    runtime: str  # dotted module of the generated runtime
    via: str  # "module" (the module's own binding) or "runtime" (the factory by name)


def _module_and_root(finding: dict[str, Any]) -> tuple[str, str] | None:
    """(dotted module, import root) from the finding's path and qualname."""
    path = finding["path"]
    module = finding["qualname"][: -len(finding["symbol"]) - 1]
    stem = path[: -len("/__init__.py")] if path.endswith("/__init__.py") else path.removesuffix(".py")
    tail = module.replace(".", "/")
    if stem != tail and not stem.endswith("/" + tail):
        return None
    return module, stem[: len(stem) - len(tail)].rstrip("/")


def _factory_call(node: ast.AST) -> tuple[str, str] | None:
    """(factory, component name) for `kv("NAME", ...)` and the like."""
    if (isinstance(node, ast.Call) and isinstance(node.func, ast.Name)
            and node.func.id in FACTORIES and node.args
            and isinstance(node.args[0], ast.Constant) and isinstance(node.args[0].value, str)):
        return node.func.id, node.args[0].value
    return None


def _bindings(source: str) -> tuple[dict[str, tuple[str, str]], list[tuple[str, str]]]:
    """Top-level `X = factory("NAME")` by X, and every factory call in the module."""
    tree = ast.parse(source)
    top: dict[str, tuple[str, str]] = {}
    for stmt in tree.body:
        if isinstance(stmt, (ast.Assign, ast.AnnAssign)) and stmt.value is not None:
            call = _factory_call(stmt.value)
            targets = stmt.targets if isinstance(stmt, ast.Assign) else [stmt.target]
            for target in targets:
                if call and isinstance(target, ast.Name):
                    top[target.id] = call
    calls = [c for node in ast.walk(tree) if (c := _factory_call(node))]
    return top, calls


def _runtime_module(copy: Path, import_root: str, name: str) -> str | None:
    """The generated runtime package whose components.py lists `name`."""
    root = copy / import_root
    for components in sorted(root.rglob("_stateless/components.py")):
        if f'"{name}": ComponentSpec(' in components.read_text(encoding="utf-8"):
            return ".".join(components.parent.relative_to(root).parts)
    return None


def choose(copy: Path, plan: dict[str, Any], migrated: list[str]) -> Target | None:
    """One migrated component to check, preferring kv, counter, cache, lock, module-bound."""
    by_qualname = {f["qualname"]: f for f in plan.get("components", {}).values()}
    candidates: list[tuple[int, Target]] = []
    for qualname in migrated:
        finding = by_qualname.get(qualname)
        located = finding and _module_and_root(finding)
        if not finding or not located:
            continue
        module, root = located
        try:
            top, calls = _bindings((copy / finding["path"]).read_text(encoding="utf-8"))
        except (OSError, SyntaxError):
            continue
        last = finding["symbol"].split(".")[-1]
        if finding["symbol"] in top:
            (kind, name), via = top[finding["symbol"]], "module"
        else:
            named = [c for c in calls if c[1] in (finding["symbol"], last)]
            if not named:
                continue
            (kind, name), via = named[0], "runtime"
        runtime = _runtime_module(copy, root, name)
        if runtime is None:
            continue
        target = Target(qualname, module, finding["symbol"], name, kind, root, runtime, via)
        candidates.append((FACTORIES.index(kind) + (10 if via == "runtime" else 0), target))
    return min(candidates, key=lambda c: c[0])[1] if candidates else None


def _one(python: str, script: Path, role: str, target: Target, key: str, *, cwd: Path,
         env: dict[str, str], via: str) -> dict[str, Any]:
    done = subprocess.run(
        [python, str(script), role, via, target.module, target.symbol, target.name, target.kind,
         target.runtime, key],
        cwd=cwd, env=env, capture_output=True, text=True, timeout=120,
    )
    lines = [line for line in done.stdout.splitlines() if line.startswith("{")]
    if done.returncode != 0 or not lines:
        errors = [line for line in done.stderr.splitlines() if line.strip()]
        return {"error": (errors or [f"exit {done.returncode}"])[-1][:300]}
    result: dict[str, Any] = json.loads(lines[-1])
    return result


def check(python: str, script: Path, target: Target, key: str, *, cwd: Path,
          env: dict[str, str], via: str | None = None) -> dict[str, Any]:
    """Write in one process, read in the next; {"shared": bool, ...} or {"error": ...}.

    `script` is a copy of this file kept away from other modules: its folder comes first
    on the processes' sys.path.
    """
    how = via or target.via
    wrote = _one(python, script, "write", target, key, cwd=cwd, env=env, via=how)
    if "error" in wrote:
        return {"shared": None, "error": f"writer: {wrote['error']}", "via": how}
    read = _one(python, script, "read", target, key, cwd=cwd, env=env, via=how)
    if "error" in read:
        return {"shared": None, "error": f"reader: {read['error']}", "via": how}
    return {"shared": read["observed"] == wrote["observed"], "wrote": wrote, "read": read,
            "via": how}


def describe(target: Target) -> dict[str, Any]:
    return asdict(target)


# --- one process of the check, run in the service's virtualenv -----------------------------


def _component(via: str, module: str, symbol: str, name: str, kind: str, runtime: str) -> Any:
    mod = importlib.import_module(module)
    if via == "runtime":
        return getattr(importlib.import_module(runtime), kind)(name)
    obj: Any = mod
    for part in symbol.split("."):
        obj = getattr(obj, part)
    return obj


def _act(role: str, obj: Any, key: str, module: str, symbol: str) -> Any:
    """What this process observes; the writer's observation is what a sharer would read."""
    if hasattr(obj, "acquire"):
        got = obj.acquire(blocking=False)  # the writer exits holding it
        return "held" if (got if role == "write" else not got) else "free"
    if hasattr(obj, "incr"):
        return obj.incr(key) if role == "write" else obj.get(key)
    if isinstance(obj, MutableMapping):
        if role == "write":
            obj[key] = f"{key}:written"
        return obj.get(key)
    if isinstance(obj, int) and "." not in symbol:
        mod = sys.modules[module]
        if role == "write":
            setattr(mod, symbol, obj + 1)
        return getattr(mod, symbol)
    if callable(obj):
        raise TypeError(f"{symbol} is a memoized function ({type(obj).__name__}): its memo is "
                        "filled only by calling it, which the probe does not do")
    raise TypeError(f"cannot write through a {type(obj).__name__}")


def main(argv: list[str]) -> None:
    role, via, module, symbol, name, kind, runtime, key = argv
    sys.path.insert(0, ".")
    obj = _component(via, module, symbol, name, kind, runtime)
    observed = _act(role, obj, key, module, symbol)
    print(json.dumps({"observed": observed, "type": type(obj).__name__}, default=str))
    sys.stdout.flush()


if __name__ == "__main__":
    main(sys.argv[1:])
