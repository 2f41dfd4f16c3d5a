"""What the generated runtime costs over plain redis-py, and what each migration stage costs.

Renders a runtime with one Redis kv component into a temporary package, then times `get` and
`set` through it in stage `complete` against the same calls through plain redis-py: same run,
same server, one call of each in turn so that both see the same load on the machine. The value
is a small dict, so the plain calls that store the same value are redis-py plus `json.dumps` /
`json.loads`. The target (1.10) holds against those calls made on the client the store itself
uses: the runtime must set socket timeouts on every call, and a timed-out socket costs redis-py
a little on every call whoever drives it, so the like-for-like ratio is the runtime's own cost
(flag, codec with its type envelope, retry logic). Printed too, for information: the ratio
against a default redis-py client (no timeouts), and against one moving bytes encoded
beforehand. Then `incr`, `edit` (read-modify-write) and a lock's acquire and release against
the fewest round trips Redis allows for the same thing: one INCR; WATCH, GET, then MULTI/SET/EXEC;
SET NX PX, then a Lua compare-and-delete (targets 1.10 for incr, 1.25 for edit and the lock).
And `dualwrite` against `off` plus one store write of the same value (target 1.10). Then the
cost of `dualwrite` and `shadow` relative to `off` (which touches only process memory). The
runtime times its store calls only once an exporter has collected from it (nothing here
does); last, for information, what that timing adds to get and set.

    python benchmarks/runtime_overhead.py [--rounds 10] [--ops 2000]

Uses STATELESS_REDIS_URL (default redis://127.0.0.1:6379/0); its keys are removed afterwards.
"""

from __future__ import annotations

import argparse
import importlib
import json
import os
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, MutableMapping
from pathlib import Path
from types import ModuleType

import redis

from migrator.runtime import Component, render_runtime

VALUE = {"user": 42, "name": "Ada Lovelace", "cart": ["book", "pen"], "note": "x" * 60}
TARGET_RATIO = 1.10
# A read-modify-write and a lock take several round trips; the runtime adds a little to each.
TARGETS = {"incr": 1.10, "edit": 1.25, "lock": 1.25, "dualwrite set": 1.10}
# The release a minimal lock needs: delete the key only while it holds our token.
RELEASE = (
    "if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) end return 0"
)


def load_runtime(root: Path) -> ModuleType:
    package = f"bench_{uuid.uuid4().hex[:8]}"
    components = [
        Component("SESSIONS", "kv", "redis"),
        Component("CARTS", "kv", "redis"),
        Component("SEQ", "counter", "redis"),
        Component("ORDER_LOCK", "lock", "redis"),
    ]
    for relative, text in render_runtime(package, components).items():
        path = root / package / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    (root / package / "__init__.py").write_text("")
    sys.path.insert(0, str(root))
    return importlib.import_module(f"{package}._stateless")


def per_op_microseconds(operation: Callable[[int], object], ops: int) -> float:
    started = time.perf_counter()
    for i in range(ops):
        operation(i % 100)
    return (time.perf_counter() - started) / ops * 1e6


def paired_medians(
    plain: Callable[[int], object], store: Callable[[int], object], ops: int
) -> tuple[float, float]:
    """Median microseconds of `plain` and `store`, timed call by call in alternation."""
    plain_ns: list[int] = []
    store_ns: list[int] = []
    clock = time.perf_counter_ns
    for i in range(ops):
        key = i % 100
        started = clock()
        plain(key)
        middle = clock()
        store(key)
        plain_ns.append(middle - started)
        store_ns.append(clock() - middle)
    return statistics.median(plain_ns) / 1000, statistics.median(store_ns) / 1000


def with_stage(stage: str, call: Callable[..., object], *args: object) -> object:
    """`call(*args, VALUE)` with the SESSIONS flag at `stage` (set once, read per call)."""
    if os.environ.get("STATELESS_SESSIONS") != stage:
        os.environ["STATELESS_SESSIONS"] = stage
    return call(*args, VALUE)


def round_trip_cases(
    rt: ModuleType, same: redis.Redis, prefix: str
) -> dict[str, tuple[Callable[[int], object], Callable[[int], object]]]:
    """name -> (the fewest round trips redis-py needs, the runtime at `complete`); the
    components other than SESSIONS follow STATELESS_MODE."""
    sequence = rt.counter("SEQ")
    carts = rt.kv("CARTS", {})
    lock = rt.lock("ORDER_LOCK")
    release = same.register_script(RELEASE)
    counter_key = [f"{prefix}:plain:n{i}" for i in range(100)]
    edit_key = [f"{prefix}:plain:e{i}" for i in range(100)]
    lock_key = f"{prefix}:plain:lock"
    for i in range(100):
        same.set(edit_key[i], json.dumps(VALUE))
        carts[f"e{i}"] = VALUE

    def plain_edit(i: int) -> None:
        with same.pipeline() as pipe:
            pipe.watch(edit_key[i])
            value = json.loads(pipe.get(edit_key[i]) or b"{}")
            value["user"] += 1
            pipe.multi()
            pipe.set(edit_key[i], json.dumps(value))
            pipe.execute()

    def store_edit(i: int) -> None:
        with carts.edit(f"e{i}") as value:
            value["user"] += 1

    def plain_lock(i: int) -> None:
        token = uuid.uuid4().hex
        same.set(lock_key, token, nx=True, px=10_000)
        release(keys=[lock_key], args=[token])

    def store_lock(i: int) -> None:
        with lock:
            pass

    return {
        "incr": (lambda i: same.incr(counter_key[i]), lambda i: sequence.incr(i)),
        "edit": (plain_edit, store_edit),
        "lock": (plain_lock, store_lock),
    }


def timing_cost(
    rt: ModuleType, store: MutableMapping[str, object], store_key: list[str], calls: int
) -> dict[str, tuple[float, float]]:
    """op -> median microseconds at `complete` without and with each call's duration timed."""
    metrics = rt.metrics
    os.environ["STATELESS_SESSIONS"] = "complete"

    def timing(on: bool, call: Callable[[int], object]) -> Callable[[int], object]:
        def timed(i: int) -> object:
            metrics.exporting = on
            return call(i)

        return timed

    calls_by_op: dict[str, Callable[[int], object]] = {
        "set": lambda i: store.__setitem__(store_key[i], VALUE),
        "get": lambda i: store[store_key[i]],
    }
    try:
        return {
            op: paired_medians(timing(False, call), timing(True, call), calls)
            for op, call in calls_by_op.items()
        }
    finally:
        metrics.exporting = False


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=10)
    parser.add_argument("--ops", type=int, default=2000)
    args = parser.parse_args()

    prefix = f"bench{uuid.uuid4().hex[:8]}"
    os.environ["STATELESS_KEY_PREFIX"] = prefix
    url = os.environ.setdefault("STATELESS_REDIS_URL", "redis://127.0.0.1:6379/0")
    plain = redis.Redis.from_url(url)
    with tempfile.TemporaryDirectory() as root:
        rt = load_runtime(Path(root))
        # The client the store itself uses (socket timeouts, no client-side retries): the
        # target compares like with like, so the ratio is the runtime's own cost.
        backend = importlib.import_module(f"{rt.__name__}.backends.redis")
        settings = importlib.import_module(f"{rt.__name__}.settings")
        same = backend.redis_client(settings.load_settings())
        store = rt.kv("SESSIONS", {})
        payload = rt.codec.encode("SESSIONS", "k", VALUE)
        plain_key = [f"{prefix}:plain:{i}" for i in range(100)]
        store_key = [f"k{i}" for i in range(100)]

        cases: dict[str, Callable[[int], object]] = {
            "same set": lambda i: same.set(plain_key[i], json.dumps(VALUE)),
            "same get": lambda i: json.loads(same.get(plain_key[i]) or b"null"),
            "json set": lambda i: plain.set(plain_key[i], json.dumps(VALUE)),
            "json get": lambda i: json.loads(plain.get(plain_key[i]) or b"null"),
            "bytes set": lambda i: plain.set(plain_key[i], payload),
            "bytes get": lambda i: plain.get(plain_key[i]),
            "store set": lambda i: store.__setitem__(store_key[i], VALUE),
            "store get": lambda i: store[store_key[i]],
        }
        os.environ["STATELESS_SESSIONS"] = "complete"
        for name in cases:  # warm up connections and caches
            per_op_microseconds(cases[name], 200)
        medians = {
            (base, op): paired_medians(
                cases[f"{base} {op}"], cases[f"store {op}"], args.rounds * args.ops
            )
            for base in ("same", "json", "bytes")
            for op in ("set", "get")
        }

        stages: dict[str, dict[str, float]] = {}
        for stage in ("off", "dualwrite", "shadow"):
            os.environ["STATELESS_SESSIONS"] = stage
            store.update({key: VALUE for key in store_key})
            stages[stage] = {
                op: statistics.median(
                    per_op_microseconds(cases[f"store {op}"], args.ops // 4) for _ in range(5)
                )
                for op in ("set", "get")
            }

        os.environ["STATELESS_MODE"] = "complete"
        fewest = round_trip_cases(rt, same, prefix)
        fewest["dualwrite set"] = (
            lambda i: (
                with_stage("off", store.__setitem__, store_key[i]),
                same.set(plain_key[i], json.dumps(VALUE)),
            ),
            lambda i: with_stage("dualwrite", store.__setitem__, store_key[i]),
        )
        for plain_case, store_case in fewest.values():  # warm up
            per_op_microseconds(plain_case, 200)
            per_op_microseconds(store_case, 200)
        minimal = {
            name: paired_medians(plain_case, store_case, args.rounds * args.ops // 4)
            for name, (plain_case, store_case) in fewest.items()
        }

        timed = timing_cost(rt, store, store_key, args.rounds * args.ops // 4)

        names = list(plain.scan_iter(match=f"{prefix}:*")) + list(
            plain.scan_iter(match="{" + prefix + ":*")
        )
        if names:
            plain.delete(*names)

    calls = args.rounds * args.ops
    print(f"redis {url}, {calls} calls of each, value of {len(payload)} bytes")
    for (base, op), (plain_us, store_us) in medians.items():
        ratio = store_us / plain_us
        if base == "same":
            verdict = "ok" if ratio <= TARGET_RATIO else f"over the {TARGET_RATIO:.2f} target"
            label = "redis-py + json, the store's client"
        elif base == "json":
            verdict, label = "information: a client without timeouts", "redis-py + json, defaults"
        else:
            verdict, label = "information: transport only", "redis-py, bytes"
        print(
            f"{op}: {label} {plain_us:.1f} us, runtime (complete) {store_us:.1f} us, "
            f"median ratio {ratio:.3f} ({verdict})"
        )
    for name, (plain_us, store_us) in minimal.items():
        ratio, target = store_us / plain_us, TARGETS[name]
        verdict = "ok" if ratio <= target else f"over the {target:.2f} target"
        print(
            f"{name}: fewest round trips {plain_us:.1f} us, runtime {store_us:.1f} us, "
            f"median ratio {ratio:.3f} (target {target:.2f}: {verdict})"
        )
    for op, (untimed_us, timed_us) in timed.items():
        print(
            f"{op} with its duration timed (as once an exporter collects): {timed_us:.1f} us, "
            f"{timed_us - untimed_us:+.1f} us (information)"
        )
    for op in ("set", "get"):
        off = stages["off"][op]
        print(
            f"{op} by stage: off {off:.2f} us, dualwrite {stages['dualwrite'][op]:.1f} us "
            f"({stages['dualwrite'][op] / off:.0f}x off), shadow {stages['shadow'][op]:.1f} us "
            f"({stages['shadow'][op] / off:.0f}x off)"
        )


if __name__ == "__main__":
    main()
