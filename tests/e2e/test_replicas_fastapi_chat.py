"""Two uvicorn processes of the migrated fastapi_chat: what `apply` migrated works across both.

`apply` migrates one component of the chat, the slowapi rate limit (a configuration switch to
Redis); the connection registry, the history, the message ids, the mention queue and the
inboxes are left to a person. So the migrated pair is held to the rate limit only, while the
same journey against two processes of the original chat shows every per-process break.
"""

from __future__ import annotations

import json
import sys
import time
from collections.abc import Callable, Collection, Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import migrator_tests_e2e_replicas as replicas
import pytest
import redis
from websockets.sync.client import ClientConnection, connect

LIMITER = "chat.limits.limiter"
REGISTRY = "chat.connections.ConnectionManager.active_connections"
HISTORY = "chat.history.HISTORY"
MESSAGE_IDS = "chat.history.MESSAGE_IDS"
MENTIONS_QUEUE = "chat.mentions.MENTIONS_QUEUE"
INBOX = "chat.mentions.INBOX"
EVERY_COMPONENT = (LIMITER, REGISTRY, HISTORY, MESSAGE_IDS, MENTIONS_QUEUE, INBOX)

FAN_OUT = "a message posted over HTTP to A reaches a websocket held by B"
IDS = "messages posted alternately to A and B get distinct ids"
HISTORY_SHARED = "B's history lists the messages posted to A"
MENTION = "a mention posted to A is in the inbox B shows"
RATE_LIMIT = "posts to A and B count against one limit of 10 a minute"

LIMIT = 10  # `@limiter.limit("10/minute")` on POST /messages
WAIT = 2.0  # seconds to wait for what another process should deliver


def chat_journey(
    a: str, b: str, components: Collection[str], sources: tuple[str, str]
) -> replicas.Journey:
    """People chatting through `a` and `b` from the first loopback address in `sources`.

    Checks the expectations that rest on `components` only. The rate limit is spent from the
    second address, so the other posts cannot use it up. Raises only when a step fails that
    a single process must pass (a test bug).
    """
    journey = replicas.Journey(components)
    with replicas.http_client(sources[0]) as http:

        def post(server: str, user: str, text: str) -> dict[str, Any]:
            posted = http.post(server + "/messages", json={"user": user, "text": text})
            assert posted.status_code == 201, f"{server}: {posted.status_code} {posted.text}"
            return dict(replicas.body(posted))

        if journey.covers(REGISTRY):
            with connect(b.replace("http://", "ws://") + "/ws/dana", proxy=None) as socket:
                assert json.loads(socket.recv(timeout=5))["type"] == "history"
                post(b, "erin", "through B")
                assert delivered(socket, "through B", 5.0), "B's own socket missed B's message"
                post(a, "erin", "through A")
                journey.expect(FAN_OUT, delivered(socket, "through A", WAIT), "nothing within 2 s")

        texts = [f"minute {n}" for n in range(4)]
        posted = [
            post(server, "frank", text) for server, text in zip((a, b, a, b), texts, strict=True)
        ]
        if journey.covers(MESSAGE_IDS):
            ids = [message["id"] for message in posted]
            journey.expect(IDS, len(set(ids)) == len(ids), ids)
        if journey.covers(HISTORY):
            listed = [
                m["text"] for m in replicas.body(http.get(b + "/messages?limit=200"))["messages"]
            ]
            journey.expect(HISTORY_SHARED, set(texts) <= set(listed), listed)

        if journey.covers(MENTIONS_QUEUE, INBOX):
            post(a, "gina", "@hank the minutes are up")

            def inbox(server: str) -> list[Any]:
                return list(replicas.body(http.get(server + "/users/hank/mentions"))["mentions"])

            assert eventually(lambda: bool(inbox(a)), 5.0), "A never delivered its own mention"
            journey.expect(MENTION, eventually(lambda: bool(inbox(b)), WAIT), inbox(b))

    if journey.covers(LIMITER):
        with replicas.http_client(sources[1]) as limited:
            message = {"user": "ivan", "text": "spam"}
            codes = [
                limited.post(server + "/messages", json=message).status_code
                for server in (a, b) * (LIMIT // 2)
            ]
            over = limited.post(a + "/messages", json=message).status_code
        journey.expect(RATE_LIMIT, codes == [201] * LIMIT and over == 429, f"{codes}, then {over}")
    return journey


def delivered(socket: ClientConnection, text: str, seconds: float) -> bool:
    """True when a chat message with `text` arrives on `socket` within `seconds`."""
    deadline = time.monotonic() + seconds
    while (left := deadline - time.monotonic()) > 0:
        try:
            event = json.loads(socket.recv(timeout=left))
        except TimeoutError:
            return False
        if event.get("type") == "message" and event.get("text") == text:
            return True
    return False


def eventually(condition: Callable[[], bool], seconds: float) -> bool:
    """True as soon as `condition()` is; False when it is still not after `seconds`."""
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.05)
    return True


def forget_limits(*sources: str) -> None:
    """Delete the rate-limit counts slowapi keeps in Redis for clients at `sources`."""
    client = redis.Redis.from_url(replicas.REDIS_URL)
    try:
        for source in sources:
            replicas.delete_keys(client, f"*LIMITER/{source}/*")
    finally:
        client.close()


@contextmanager
def chat_pair(
    root: Path, envs: tuple[Mapping[str, str], Mapping[str, str]], folder: Path
) -> Iterator[list[str]]:
    """Two uvicorn processes of the chat at `root`, one per environment in `envs`."""

    def launch(port: int) -> list[str]:
        where = ["--host", "127.0.0.1", "--port", str(port), "--log-level", "warning"]
        return [sys.executable, "-m", "uvicorn", "chat.main:app", *where]

    with replicas.serving(root, launch, envs, folder / "logs") as urls:
        yield urls


@pytest.fixture(scope="module")
def migrated_chat(tmp_path_factory: pytest.TempPathFactory) -> tuple[Any, replicas.Migration]:
    """The chat in git with every migrate phase applied, and what `apply` said it migrated."""
    project = replicas.git_example("fastapi_chat", tmp_path_factory.mktemp("migrated-chat"))
    return project, replicas.migrate(project)


def test_two_migrated_processes_share_what_apply_migrated(
    migrated_chat: tuple[Any, replicas.Migration], key_prefix: str, tmp_path: Path
) -> None:
    project, migration = migrated_chat
    assert LIMITER in migration.migrated
    env = replicas.stateless_env(key_prefix)
    sources = (replicas.unique_loopback(), replicas.unique_loopback())
    try:
        with chat_pair(project.root, (env, env), tmp_path) as (a, b):
            journey = chat_journey(a, b, migration.migrated, sources)
    finally:
        forget_limits(*sources)
    assert journey.broken == []
    assert RATE_LIMIT in journey.checked


def test_two_original_processes_break_where_the_chat_keeps_state(tmp_path: Path) -> None:
    project = replicas.copy_example("fastapi_chat", tmp_path)
    with chat_pair(project.root, ({}, {}), tmp_path) as (a, b):
        sources = (replicas.unique_loopback(), replicas.unique_loopback())
        journey = chat_journey(a, b, EVERY_COMPONENT, sources)
    assert journey.broken_names == [FAN_OUT, IDS, HISTORY_SHARED, MENTION, RATE_LIMIT]


def test_the_flag_apply_names_moves_the_rate_limit_to_redis(
    migrated_chat: tuple[Any, replicas.Migration], key_prefix: str, tmp_path: Path
) -> None:
    project, _ = migrated_chat
    flags = {flag for phase in project.plan_json()["phases"] for flag in phase["flags"]}
    assert "STATELESS_LIMITER" in flags
    env = {**replicas.stateless_env(key_prefix), "STATELESS_LIMITER": "complete"}
    del env["STATELESS_MODE"]
    sources = (replicas.unique_loopback(), replicas.unique_loopback())
    try:
        with chat_pair(project.root, (env, env), tmp_path) as (a, b):
            journey = chat_journey(a, b, {LIMITER}, sources)
    finally:
        forget_limits(*sources)
    assert journey.broken == []


def test_two_migrated_services_on_one_redis_count_their_limits_apart(
    migrated_chat: tuple[Any, replicas.Migration], key_prefix: str, tmp_path: Path
) -> None:
    project, _ = migrated_chat
    envs = (
        replicas.stateless_env(f"{key_prefix}-one"),
        replicas.stateless_env(f"{key_prefix}-other"),
    )
    source = replicas.unique_loopback()
    try:
        with chat_pair(project.root, envs, tmp_path) as (one, other):
            with replicas.http_client(source) as http:
                message = {"user": "ivan", "text": "hello"}
                spent = [
                    http.post(one + "/messages", json=message).status_code for _ in range(LIMIT)
                ]
                first_on_other = http.post(other + "/messages", json=message).status_code
    finally:
        forget_limits(source)
        replicas.purge_prefix(f"{key_prefix}-one")
        replicas.purge_prefix(f"{key_prefix}-other")
    assert spent == [201] * LIMIT
    assert first_on_other == 201, "the other service counts the first one's posts"
