"""The original code and its rewrite, side by side: no write is lost at any stage.

A small service keeps carts and inboxes in dicts and counts hits and order numbers. The
key-value and counter codemods rewrite it; the rewrite runs on the generated runtime against
the real Redis and PostgreSQL, at each stage of its flag, under threads and under processes.
Hypothesis draws the operations. The original, run one operation after another, says what
the final state must be (the operations commute, so any interleaving must end there too):
the same items in every cart and inbox, every count, exactly `LIMIT` hits let through, and
order numbers that are never handed out twice. Before `live` each process answers from its
own memory, as the original did, so each is held to its own operations; from `live` on the
processes share the store and are held to all of them together.
"""

from __future__ import annotations

import importlib.util
import multiprocessing
import os
import threading
import uuid
from collections import Counter
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path
from textwrap import dedent
from types import ModuleType
from typing import Any

import libcst as cst
import psycopg
import pytest
import redis
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from libcst.codemod import CodemodContext
from migrator.codemods.counter import CounterCodemod
from migrator.codemods.key_value_store import KeyValueStoreCodemod

from migrator.runtime import Component, render_runtime

REDIS_URL = os.environ.get("MIGRATOR_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")
DATABASE_URL = os.environ.get(
    "MIGRATOR_TEST_DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/test"
)
STAGES = ("off", "dualwrite", "shadow", "live", "rampdown", "complete")
SHARED_STAGES = ("live", "rampdown", "complete")  # where every process answers from the store
WORKERS = 3
LIMIT = 3

ORIGINAL = """
import bisect
from collections import defaultdict

CARTS = {}
INBOX = defaultdict(list)
HITS = defaultdict(int)
ORDER_SEQ = 0
LIMIT = 3


def new_cart():
    return {"items": [], "tags": [], "sorted": [], "count": 0}


def add_item(sid, item):
    CARTS.setdefault(sid, new_cart())["items"].append(item)


def add_tag(sid, tag):
    cart = CARTS.setdefault(sid, new_cart())
    cart["tags"].append(tag)


def add_tag_fetched(sid, tag):
    CARTS.setdefault(sid, new_cart())
    cart = CARTS.get(sid) or new_cart()
    cart["tags"].append(tag)


def add_sorted(sid, item):
    CARTS.setdefault(sid, new_cart())
    bisect.insort(CARTS[sid]["sorted"], item)


def _count(sid):
    CARTS[sid]["count"] += 1


def add_counted(sid, item):
    cart = CARTS.setdefault(sid, new_cart())
    cart["items"].append(item)
    _count(sid)
    cart["items"].sort()


def remove_absent(sid):
    cart = CARTS.setdefault(sid, new_cart())
    CARTS[sid]["items"] = [x for x in cart["items"] if x != "absent"]


def deliver(name, message):
    INBOX[name] += [message]


def push(name, message):
    INBOX[name].append(message)


def hit(ip):
    HITS[ip] += 1
    if HITS[ip] > LIMIT:
        return False
    return True


def next_order():
    global ORDER_SEQ
    ORDER_SEQ += 1
    return ORDER_SEQ
"""
KV = ("CARTS", "INBOX")
COUNTERS = ("HITS", "ORDER_SEQ")

sids = st.sampled_from(["s1", "s2"])
words = st.sampled_from(["a", "b", "c"])
operations = st.lists(
    st.one_of(
        st.tuples(st.just("add_item"), sids, words),
        st.tuples(st.just("add_tag"), sids, words),
        st.tuples(st.just("add_tag_fetched"), sids, words),
        st.tuples(st.just("add_sorted"), sids, words),
        st.tuples(st.just("add_counted"), sids, words),
        st.tuples(st.just("remove_absent"), sids),
        st.tuples(st.just("deliver"), sids, words),
        st.tuples(st.just("push"), sids, words),
        st.tuples(st.just("hit"), st.sampled_from(["i1", "i2"])),
        st.just(("next_order",)),
    ),
    min_size=WORKERS,
    max_size=24,
)


def rewrite(package: str) -> str:
    """The service after the codemods of its four components."""
    module = f"{package}.shop"
    code = dedent(ORIGINAL)
    for symbol in (*KV, *COUNTERS):
        context = CodemodContext(full_module_name=module, full_package_name=package)
        codemod: KeyValueStoreCodemod | CounterCodemod
        if symbol in KV:
            codemod = KeyValueStoreCodemod(context, symbol, module, f"{package}._stateless")
        else:
            codemod = CounterCodemod(context, symbol, module, f"{package}._stateless")
        code = codemod.transform_module(cst.parse_module(code)).code
    return code


def load(path: Path, name: str) -> ModuleType:
    spec = importlib.util.spec_from_file_location(name, path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def call(module: Any, op: tuple[Any, ...]) -> Any:
    name, *args = op
    return getattr(module, name)(*args)


def state(module: Any) -> dict[str, Any]:
    """What the operations leave behind, order aside (concurrent appends land in any order)."""
    carts = {
        sid: {
            "items": sorted(cart["items"]),
            "tags": sorted(cart["tags"]),
            "sorted": sorted(cart["sorted"]),
            "sorted_in_order": cart["sorted"] == sorted(cart["sorted"]),
            "count": cart["count"],
        }
        for sid, cart in dict(module.CARTS.items()).items()
    }
    inbox = {name: sorted(box) for name, box in dict(module.INBOX.items()).items() if box}
    return {"carts": carts, "inbox": inbox}


def counts(module: Any, ops: list[tuple[Any, ...]]) -> dict[str, Any]:
    ips = sorted({op[1] for op in ops if op[0] == "hit"})
    get = (lambda ip: module.HITS.get(ip)) if hasattr(module.HITS, "incr") else module.HITS.get
    orders = module.ORDER_SEQ.get() if hasattr(module.ORDER_SEQ, "incr") else module.ORDER_SEQ
    return {"hits": {ip: get(ip) for ip in ips}, "orders": orders}


def answers(ops: list[tuple[Any, ...]], results: list[Any]) -> dict[str, Any]:
    """Hits let through per address, and the order numbers handed out."""
    passed: Counter[str] = Counter()
    numbers = []
    for op, result in zip(ops, results, strict=True):
        if op[0] == "hit" and result:
            passed[op[1]] += 1
        if op[0] == "next_order":
            numbers.append(result)
    return {"passed": dict(passed), "numbers": sorted(numbers)}


def expected(ops: list[tuple[Any, ...]]) -> dict[str, Any]:
    """The original, one operation after another."""
    module = ModuleType("original")
    exec(compile(dedent(ORIGINAL), "<original>", "exec"), module.__dict__)  # noqa: S102
    results = [call(module, op) for op in ops]
    return {**state(module), **counts(module, ops), **answers(ops, results)}


def shares(ops: list[tuple[Any, ...]]) -> list[list[tuple[Any, ...]]]:
    return [ops[i::WORKERS] for i in range(WORKERS)]


@contextmanager
def environment(**values: str) -> Iterator[None]:
    saved = {name: os.environ.get(name) for name in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


def forget(prefix: str) -> None:
    """Remove every key and row under the prefix."""
    client = redis.Redis.from_url(REDIS_URL)
    try:
        names = list(client.scan_iter(match="{" + prefix + ":*", count=1000))
        if names:
            client.delete(*names)
    finally:
        client.close()
    with psycopg.connect(DATABASE_URL, autocommit=True) as connection:
        for table in ("stateless_values", "stateless_counters"):
            exists = connection.execute("SELECT to_regclass(%s)", (table,)).fetchone()
            if exists and exists[0]:
                connection.execute(f"DELETE FROM {table} WHERE namespace LIKE %s", (prefix + ":%",))


class Service:
    """The rewritten service over a rendered runtime, imported afresh for each run."""

    def __init__(self, root: Path, store: str) -> None:
        self.package = f"sbs_{uuid.uuid4().hex[:10]}"
        folder = root / self.package
        components = [Component(name, "kv", store) for name in KV]
        components += [Component(name, "counter", store) for name in COUNTERS]
        for relative, text in render_runtime(self.package, components).items():
            (folder / relative).parent.mkdir(parents=True, exist_ok=True)
            (folder / relative).write_text(text)
        (folder / "__init__.py").write_text("")
        self.code = rewrite(self.package)
        (folder / "shop.py").write_text(self.code)
        self.file = folder / "shop.py"
        self.runs = 0

    def fresh(self) -> ModuleType:
        """The rewritten module with its old side empty, as a new process starts it."""
        self.runs += 1
        return load(self.file, f"{self.package}.shop_{self.runs}")


def run_share(
    file: str, name: str, index: int, ops: list[tuple[Any, ...]], start: Any, out: Any
) -> None:
    """A process of the service: its share of the operations, then what it answers and keeps."""
    module = load(Path(file), name)
    start.wait()
    results = [call(module, op) for op in ops]
    out.put((index, {**answers(ops, results), **state(module), **counts(module, ops)}))


def merged(parts: list[dict[str, Any]]) -> dict[str, Any]:
    passed: Counter[str] = Counter()
    numbers: list[int] = []
    for part in parts:
        passed.update(part["passed"])
        numbers += part["numbers"]
    return {"passed": dict(passed), "numbers": sorted(numbers)}


@pytest.fixture(scope="module")
def services(tmp_path_factory: pytest.TempPathFactory) -> Callable[[str], Service]:
    root = tmp_path_factory.mktemp("side-by-side")
    made: dict[str, Service] = {}
    import sys

    sys.path.insert(0, str(root))

    def make(store: str) -> Service:
        if store not in made:
            made[store] = Service(root, store)
        return made[store]

    yield make  # type: ignore[misc]
    sys.path.remove(str(root))


def test_the_rewrite_is_atomic_where_the_original_was_one_process() -> None:
    code = rewrite("pkg")
    assert 'INBOX.augment(name, "+=", [message], default=[])' in code
    assert "if HITS.incr(ip) > LIMIT:" in code
    assert "with CARTS.edit(sid, default=new_cart()) as cart:" in code
    assert 'cart["items"] = [x for x in cart["items"] if x != "absent"]' in code


EXAMPLES = settings(
    max_examples=4,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


@pytest.mark.parametrize("stage", STAGES)
@pytest.mark.parametrize("store", ["redis", "postgres"])
def test_threads_lose_no_write_at_any_stage(
    services: Callable[[str], Service], store: str, stage: str
) -> None:
    service = services(store)

    @EXAMPLES
    @given(ops=operations)
    def run(ops: list[tuple[Any, ...]]) -> None:
        prefix = f"t{uuid.uuid4().hex[:12]}"
        want = expected(ops)
        env = {
            "STATELESS_KEY_PREFIX": prefix,
            "STATELESS_REDIS_URL": REDIS_URL,
            "STATELESS_DATABASE_URL": DATABASE_URL,
        }
        try:
            with environment(**env, STATELESS_MODE=stage):
                module = service.fresh()
                start = threading.Barrier(WORKERS)

                def work(share: list[tuple[Any, ...]]) -> list[Any]:
                    start.wait()
                    return [call(module, op) for op in share]

                with ThreadPoolExecutor(WORKERS) as pool:
                    parts = list(pool.map(work, shares(ops)))
                seen = merged([answers(s, r) for s, r in zip(shares(ops), parts, strict=True)])
                assert seen == {"passed": want["passed"], "numbers": want["numbers"]}
                assert state(module) == {"carts": want["carts"], "inbox": want["inbox"]}
                assert counts(module, ops) == {"hits": want["hits"], "orders": want["orders"]}
            if stage != "off":  # the store holds every write too, whichever side answers
                with environment(**env, STATELESS_MODE="complete"):
                    assert state(module) == {"carts": want["carts"], "inbox": want["inbox"]}
                    assert counts(module, ops) == {"hits": want["hits"], "orders": want["orders"]}
        finally:
            forget(prefix)

    run()


@pytest.mark.parametrize("stage", STAGES)
@pytest.mark.parametrize("store", ["redis", "postgres"])
def test_processes_lose_no_write_at_any_stage(
    services: Callable[[str], Service], store: str, stage: str
) -> None:
    service = services(store)
    context = multiprocessing.get_context("fork")

    @EXAMPLES
    @given(ops=operations)
    def run(ops: list[tuple[Any, ...]]) -> None:
        prefix = f"t{uuid.uuid4().hex[:12]}"
        env = {
            "STATELESS_KEY_PREFIX": prefix,
            "STATELESS_REDIS_URL": REDIS_URL,
            "STATELESS_DATABASE_URL": DATABASE_URL,
        }
        try:
            with environment(**env, STATELESS_MODE=stage):
                start, out = context.Barrier(WORKERS), context.Queue()
                processes = [
                    context.Process(
                        target=run_share,
                        args=(str(service.file), f"{service.package}.p{i}", i, share, start, out),
                    )
                    for i, share in enumerate(shares(ops))
                ]
                for process in processes:
                    process.start()
                parts = [part for _, part in sorted(out.get(timeout=120) for _ in processes)]
                for process in processes:
                    process.join(timeout=60)
                    assert process.exitcode == 0
            if stage in SHARED_STAGES:
                want = expected(ops)
                assert merged(parts) == {"passed": want["passed"], "numbers": want["numbers"]}
                with environment(**env, STATELESS_MODE="complete"):
                    module = service.fresh()
                    assert state(module) == {"carts": want["carts"], "inbox": want["inbox"]}
                    assert counts(module, ops) == {"hits": want["hits"], "orders": want["orders"]}
            else:  # each process is the original on its own, as before the migration
                assert parts == [expected(share) for share in shares(ops)]
        finally:
            forget(prefix)

    run()
