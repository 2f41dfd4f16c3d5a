"""DynamoDB and S3 backends against moto's server mode (an emulator, not AWS)."""

from __future__ import annotations

import copy
import os
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import boto3
import pytest
from hypothesis import HealthCheck, given, settings
from moto.server import ThreadedMotoServer

from migrator.runtime import Component

from .conftest import free_port
from .test_kv_equivalence import _apply, _dict_edit, operations


@pytest.fixture(scope="module")
def emulator() -> Iterator[str]:
    port = free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    yield f"http://127.0.0.1:{port}"
    server.stop()


@pytest.fixture
def rt(
    emulator: str,
    runtime: Callable[..., ModuleType],
    monkeypatch: pytest.MonkeyPatch,
    key_prefix: str,
) -> ModuleType:
    for name, value in {
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_DEFAULT_REGION": "us-east-1",
    }.items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("STATELESS_AWS_ENDPOINT_URL", emulator)
    monkeypatch.setenv("STATELESS_DYNAMODB_TABLE", f"stateless-{key_prefix}")
    monkeypatch.setenv("STATELESS_S3_BUCKET", f"uploads-{key_prefix}")
    boto3.client("s3", endpoint_url=emulator).create_bucket(Bucket=f"uploads-{key_prefix}")
    return runtime(
        Component("SESSIONS", "kv", "dynamodb"),
        Component("HITS", "counter", "dynamodb"),
        Component("ORDER_LOCK", "lock", "dynamodb"),
        Component("UPLOADS", "blob", "s3"),
    )


@pytest.mark.parametrize("stage", ["dualwrite", "shadow", "live", "complete"])
def test_dynamodb_emulator_kv_answers_as_a_dict_does(rt: ModuleType, stage: str) -> None:
    @settings(
        max_examples=8,
        deadline=None,
        suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    )
    @given(ops=operations)
    def run(ops: list[tuple[Any, ...]]) -> None:
        sessions = rt.kv("SESSIONS", {})
        os.environ["STATELESS_MODE"] = "complete"
        sessions.clear()
        os.environ["STATELESS_MODE"] = stage
        rt.metrics.reset()
        model: dict[Any, Any] = {}
        for op in ops:
            expected = _apply(copy.deepcopy(op), model, lambda k, d: _dict_edit(model, k, d))
            assert _apply(copy.deepcopy(op), sessions, sessions.edit) == expected, op
        assert rt.metrics.counts == {}

    try:
        run()
    finally:
        del os.environ["STATELESS_MODE"]


def test_dynamodb_emulator_edits_from_two_threads_lose_nothing(
    rt: ModuleType, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("STATELESS_MODE", "complete")

    def add_items(worker: str) -> None:
        carts = rt.kv("SESSIONS")  # a replica of its own
        for i in range(25):
            with carts.edit("cart", default=[]) as cart:
                cart.append(f"{worker}-{i}")

    threads = [threading.Thread(target=add_items, args=(w,)) for w in "ab"]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(rt.kv("SESSIONS")["cart"]) == sorted(f"{w}-{i}" for w in "ab" for i in range(25))


def test_dynamodb_emulator_counts_limits_and_locks(
    rt: ModuleType, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("STATELESS_MODE", "complete")
    hits = rt.counter("HITS")
    assert [hits.incr("home"), hits.incr("home", 4), hits.decr("home")] == [1, 5, 4]
    assert hits.get("home") == 4
    assert [hits.hit("ip", limit=2, window=3600) for _ in range(3)] == [True, True, False]

    replica_a = rt.lock("ORDER_LOCK", threading.Lock(), timeout=0.5)
    replica_b = rt.lock("ORDER_LOCK", threading.Lock(), timeout=0.5)
    assert replica_a.acquire() and not replica_b.acquire(timeout=0.1)
    time.sleep(0.7)
    assert replica_b.acquire(timeout=0.5)
    replica_a.release()
    assert rt.metrics.get("ORDER_LOCK", "lock_lost") == 1
    replica_b.release()


def test_s3_emulator_blobs_follow_the_stage(
    rt: ModuleType, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    old_dir = tmp_path / "uploads"
    monkeypatch.setenv("STATELESS_MODE", "shadow")
    uploads = rt.blob("UPLOADS", old_dir=old_dir)
    uploads.save("avatars/1.png", b"\x89PNG old and new")
    assert (old_dir / "avatars" / "1.png").read_bytes() == b"\x89PNG old and new"
    assert uploads.open("avatars/1.png") == b"\x89PNG old and new"

    monkeypatch.setenv("STATELESS_MODE", "complete")
    assert uploads.open("avatars/1.png") == b"\x89PNG old and new"
    uploads.save("avatars/2.png", b"new only")
    assert not (old_dir / "avatars" / "2.png").exists()
    assert uploads.exists("avatars/2.png")
    uploads.delete("avatars/2.png")
    with pytest.raises(FileNotFoundError, match="UPLOADS"):
        uploads.open("avatars/2.png")
    with pytest.raises(ValueError, match="inside the store"):
        uploads.save("../escape", b"x")
    assert rt.metrics.counts == {}
