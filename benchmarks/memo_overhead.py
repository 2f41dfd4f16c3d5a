"""What a migrated memo costs on a hit, stage by stage, next to the memo it replaces.

Renders a runtime with one cache component into a temporary package and times a cache hit:

- `functools.lru_cache` alone (the original), and the same function behind the runtime's
  `memoize` at stage `off` (where the original memo answers alone), `shadow` and `complete`;
- a dict memo (`if k in C: return C[k]`), and the same dict behind the runtime's
  `get_or_set` at `off` and `complete`.

At `off` nothing may touch the store, so the difference is the flag read and one call;
`shadow` and `complete` go to the store (one or two round trips). Each figure is the median
of `--rounds` rounds of `--calls` calls, in microseconds per call.

    python benchmarks/memo_overhead.py [--rounds 7] [--calls 20000]

Uses STATELESS_REDIS_URL (default redis://127.0.0.1:6379/0); its keys are removed afterwards.
"""

from __future__ import annotations

import argparse
import functools
import importlib
import os
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from types import ModuleType
from typing import Any

import redis

from migrator.runtime import Component, render_runtime

STORE_STAGES = ("shadow", "complete")


def load_runtime(folder: Path) -> ModuleType:
    package = f"memo_bench_{uuid.uuid4().hex[:8]}"
    for relative, text in render_runtime(package, [Component("parse", "cache", "redis")]).items():
        path = folder / package / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    (folder / package / "__init__.py").write_text("")
    sys.path.insert(0, str(folder))
    return importlib.import_module(f"{package}._stateless")


def per_call(call: Callable[[], Any], calls: int, rounds: int) -> float:
    """Median microseconds per call."""
    call()  # the first call fills the memo: every timed call is a hit
    samples = []
    for _ in range(rounds):
        started = time.perf_counter()
        for _ in range(calls):
            call()
        samples.append((time.perf_counter() - started) / calls * 1e6)
    return statistics.median(samples)


def parse(text: str) -> dict[str, Any]:
    return {"text": text, "words": text.split()}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--calls", type=int, default=20000)
    args = parser.parse_args()
    prefix = f"bench{uuid.uuid4().hex[:8]}"
    os.environ["STATELESS_KEY_PREFIX"] = prefix
    url = os.environ.setdefault("STATELESS_REDIS_URL", "redis://127.0.0.1:6379/0")
    rows: list[tuple[str, float]] = []
    with tempfile.TemporaryDirectory() as tmp:
        rt = load_runtime(Path(tmp))
        original = functools.lru_cache(maxsize=128)(parse)
        migrated = rt.cache("parse").memoize(functools.lru_cache(maxsize=128)(parse))
        old: dict[str, Any] = {}

        def dict_memo() -> Any:
            if "a b" in old:
                return old["a b"]
            value = parse("a b")
            old["a b"] = value
            return value

        store_dict = rt.cache("parse", {})
        rows.append(
            (
                "lru_cache hit (the original)",
                per_call(lambda: original("a b"), args.calls, args.rounds),
            )
        )
        rows.append(("dict memo hit (the original)", per_call(dict_memo, args.calls, args.rounds)))
        for stage in ("off", *STORE_STAGES):
            os.environ["STATELESS_MODE"] = stage
            calls = args.calls if stage == "off" else max(1, args.calls // 20)
            rows.append(
                (
                    f"memoize hit, stage {stage}",
                    per_call(lambda: migrated("a b"), calls, args.rounds),
                )
            )
            rows.append(
                (
                    f"get_or_set hit, stage {stage}",
                    per_call(
                        lambda: store_dict.get_or_set("a b", lambda: parse("a b")),
                        calls,
                        args.rounds,
                    ),
                )
            )
    client = redis.Redis.from_url(url)
    names = list(client.scan_iter(match="{" + prefix + ":*", count=1000))
    if names:
        client.delete(*names)
    width = max(len(label) for label, _ in rows)
    for label, micros in rows:
        print(f"{label:<{width}}  {micros:9.3f} us")
    base = dict(rows)
    print(
        f"\nat off: memoize adds {base['memoize hit, stage off'] - base['lru_cache hit (the original)']:.3f} us "
        f"to an lru_cache hit, get_or_set {base['get_or_set hit, stage off'] - base['dict memo hit (the original)']:.3f} us "
        "to a dict memo hit; neither touches the store."
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
