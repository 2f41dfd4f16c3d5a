"""Two processes at once: no lost increment, no lost edit, never two lock holders."""

from __future__ import annotations

import json
import os
import time
from collections.abc import Callable
from itertools import pairwise
from pathlib import Path
from types import ModuleType

import pytest

from migrator.runtime import Component

from .conftest import run_python

COMPONENTS_BY_STORE = {
    store: (
        Component("HITS", "counter", store),
        Component("CARTS", "kv", store),
        Component("ORDER_LOCK", "lock", store),
    )
    for store in ("redis", "postgres")
}


def _run_twice(rt: ModuleType, body: str, tmp_path: Path) -> list[str]:
    """Run `body` in two processes that start together; return what each printed."""
    package = rt.__name__.split(".")[0]
    start_at = time.time() + 1.5
    code = (
        f"import os, json, time\nfrom {package}._stateless import counter, kv, lock\n"
        f"time.sleep(max(0.0, {start_at} - time.time()))\n{body}"
    )
    env = {k: v for k, v in os.environ.items() if k.startswith("STATELESS_")}
    processes = [run_python(code, env, tmp_path) for _ in range(2)]
    outputs = []
    for process in processes:
        out, err = process.communicate(timeout=120)
        assert process.returncode == 0, err
        outputs.append(out)
    return outputs


@pytest.fixture(params=["redis", "postgres"])
def rt(
    request: pytest.FixtureRequest,
    runtime: Callable[..., ModuleType],
    monkeypatch: pytest.MonkeyPatch,
) -> ModuleType:
    monkeypatch.setenv("STATELESS_MODE", "complete")
    return runtime(*COMPONENTS_BY_STORE[request.param])


def test_two_processes_of_a_thousand_increments_count_two_thousand(
    rt: ModuleType, tmp_path: Path
) -> None:
    body = 'hits = counter("HITS")\nfor _ in range(1000):\n    hits.incr("page")\n'
    _run_twice(rt, body, tmp_path)
    assert rt.counter("HITS").get("page") == 2000


def test_two_processes_editing_one_key_lose_no_update(rt: ModuleType, tmp_path: Path) -> None:
    body = (
        'carts = kv("CARTS")\n'
        "for i in range(150):\n"
        '    with carts.edit("cart-1", default={"items": []}) as cart:\n'
        '        cart["items"].append(f"{os.getpid()}-{i}")\n'
    )
    _run_twice(rt, body, tmp_path)
    items = rt.kv("CARTS")["cart-1"]["items"]
    assert len(items) == 300 and len(set(items)) == 300


def test_a_lock_is_never_held_by_two_processes_at_once(rt: ModuleType, tmp_path: Path) -> None:
    # Inside the lock, a read-then-write of a plain key: any overlap would lose an update.
    body = (
        'order_lock, carts = lock("ORDER_LOCK", timeout=10), kv("CARTS")\n'
        "held = []\n"
        "for _ in range(60):\n"
        "    with order_lock:\n"
        "        start = time.monotonic()\n"
        '        carts["n"] = carts.get("n", 0) + 1\n'
        "        time.sleep(0.002)\n"
        "        held.append((start, time.monotonic()))\n"
        "print(json.dumps(held))\n"
    )
    outputs = _run_twice(rt, body, tmp_path)
    assert rt.kv("CARTS")["n"] == 120
    spans = sorted(span for out in outputs for span in json.loads(out))
    assert all(end <= next_start for (_, end), (next_start, _) in pairwise(spans))


def test_two_processes_growing_one_list_lose_no_item(rt: ModuleType, tmp_path: Path) -> None:
    # `INBOX[k] += [v]` as the codemod writes it: one read-modify-write on the store.
    body = (
        'inbox = kv("CARTS")\n'
        "for i in range(150):\n"
        '    inbox.augment("box", "+=", [f"{os.getpid()}-{i}"], default=[])\n'
    )
    _run_twice(rt, body, tmp_path)
    items = rt.kv("CARTS")["box"]
    assert len(items) == 300 and len(set(items)) == 300


@pytest.mark.parametrize("stage", ["off", "dualwrite", "live", "complete"])
@pytest.mark.parametrize("store", ["redis", "postgres"])
def test_a_helper_editing_the_key_its_caller_edits_is_part_of_that_edit(
    runtime: Callable[..., ModuleType], monkeypatch: pytest.MonkeyPatch, store: str, stage: str
) -> None:
    monkeypatch.setenv("STATELESS_MODE", stage)
    carts = runtime(Component("CARTS", "kv", store)).kv("CARTS", {})
    carts["c"] = {"items": [], "visits": 0}

    def count_visit() -> None:  # a helper that knows nothing of its caller's edit
        with carts.edit("c") as inner:
            inner["visits"] += 1
        carts.augment("c", "|=", {"seen": True})

    with carts.edit("c") as cart:
        cart["items"].append("a")
        count_visit()
        carts["c"]["items"].append("b")  # the entry, as the edit holds it
        assert carts["c"] is cart and "c" in carts
    assert carts["c"] == {"items": ["a", "b"], "visits": 1, "seen": True}


@pytest.mark.parametrize("store", ["redis", "postgres"])
def test_a_write_or_delete_of_the_edited_key_inside_the_edit_is_what_is_written(
    runtime: Callable[..., ModuleType], monkeypatch: pytest.MonkeyPatch, store: str
) -> None:
    monkeypatch.setenv("STATELESS_MODE", "complete")
    carts = runtime(Component("CARTS", "kv", store)).kv("CARTS", {})
    with carts.edit("d", default={"v": 1}):
        carts["d"] = {"v": 2}
    assert carts["d"] == {"v": 2}
    with carts.edit("d"):
        assert carts.pop("d") == {"v": 2}
        assert "d" not in carts
    assert "d" not in carts
    assert carts.augment("n", "+=", 5, default=0) == 5
    assert carts.augment("n", "-=", 2) == 3
    with pytest.raises(KeyError):
        carts.augment("missing", "+=", 1)
