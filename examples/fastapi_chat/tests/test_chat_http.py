"""Posting and reading messages over HTTP, mentions, and the post rate limit."""

import time
import uuid

from fastapi.testclient import TestClient


def _unique(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


def test_posted_message_appears_in_history(client: TestClient) -> None:
    text = _unique("standup at ten :coffee:")
    posted = client.post("/messages", json={"user": "ann", "text": text})
    assert posted.status_code == 201
    assert posted.json()["text"] == text.replace(":coffee:", "\u2615")

    history = client.get("/messages", params={"limit": 5}).json()["messages"]
    assert history[-1]["id"] == posted.json()["id"]


def test_message_ids_increase(client: TestClient) -> None:
    first = client.post("/messages", json={"user": "ann", "text": "one"}).json()
    second = client.post("/messages", json={"user": "ann", "text": "two"}).json()
    assert second["id"] > first["id"]


def test_slash_commands_are_expanded(client: TestClient) -> None:
    posted = client.post("/messages", json={"user": "ann", "text": "/me waves"}).json()
    assert posted["text"] == "* ann waves"
    unknown = client.post("/messages", json={"user": "ann", "text": "/dance"}).json()
    assert unknown["text"] == "/dance"


def test_empty_and_oversized_messages_are_refused(client: TestClient) -> None:
    assert client.post("/messages", json={"user": "ann", "text": "  "}).status_code == 400
    assert client.post("/messages", json={"user": "ann", "text": "x" * 2001}).status_code == 400


def test_mentions_reach_the_inbox_through_the_worker(client: TestClient) -> None:
    name = _unique("cleo").replace("-", "_")
    text = f"@{name} can you review the deploy?"
    client.post("/messages", json={"user": "ann", "text": text})

    deadline = time.monotonic() + 5
    inbox: list[dict[str, object]] = []
    while not inbox and time.monotonic() < deadline:
        inbox = client.get(f"/users/{name}/mentions").json()["mentions"]
        time.sleep(0.02)
    assert [(m["from"], m["text"]) for m in inbox] == [("ann", text)]


def test_posting_is_rate_limited_per_client(client: TestClient) -> None:
    codes = [
        client.post("/messages", json={"user": "spam", "text": f"buy {i}"}).status_code
        for i in range(11)
    ]
    assert codes == [201] * 10 + [429]
    assert client.get("/messages").status_code == 200
