"""`apply` on an async service: the store is awaited inside `async def`, and the rewritten
handlers share their state through Redis without blocking the event loop."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import uuid
from typing import Any

import redis

REDIS_URL = os.environ.get("MIGRATOR_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")

CARTS = '''"""Carts of signed-in users, kept in process memory."""

from fastapi import FastAPI

app = FastAPI()
SESSIONS = {}


@app.post("/login/{sid}")
async def login(sid: str, user: str):
    SESSIONS[sid] = {"user": user, "cart": []}
    return {"ok": True}


@app.post("/cart/{sid}")
async def add(sid: str, item: str):
    SESSIONS[sid]["cart"].append(item)
    return SESSIONS[sid]["cart"]


@app.get("/cart/{sid}")
async def show(sid: str):
    if sid not in SESSIONS:
        return None
    return SESSIONS[sid]["cart"]
'''

# Two runs of this in two processes, each on its own event loop: the second sees the first's.
DRIVE = """
import asyncio, json, sys
from shop import carts

async def main(step):
    if step == "write":
        await carts.login("s1", "ada")
        await carts.add("s1", "pen")
        return await carts.add("s1", "book")
    return await carts.show("s1")

print(json.dumps(asyncio.run(main(sys.argv[1]))))
"""


def test_an_async_service_awaits_its_store_and_shares_it(git_service: Any) -> None:
    project = git_service({"shop/__init__.py": "", "shop/carts.py": CARTS})
    assert project.migrator("plan", ".").code == 0
    phase = next(
        p["number"]
        for p in project.plan_json()["phases"]
        if any("SESSIONS" in c for c in p["findings"]) or p["title"] == "Sessions"
    )

    run = project.migrator("apply", ".", "--phase", str(phase))

    assert run.code == 0, run.stderr
    text = (project.root / "shop/carts.py").read_text()
    assert 'SESSIONS = kv("SESSIONS", {}' in text
    assert 'await SESSIONS.aset(sid, {"user": user, "cart": []})' in text
    assert "async with SESSIONS.aedit(sid) as value:" in text
    assert "if not await SESSIONS.acontains(sid):" in text
    assert "SESSIONS[sid]" not in text  # nothing left that would block the loop

    prefix = f"test-async-{uuid.uuid4().hex[:8]}"
    env = {
        **os.environ,
        "STATELESS_MODE": "complete",
        "STATELESS_KEY_PREFIX": prefix,
        "STATELESS_REDIS_URL": REDIS_URL,
        "PYTHONPATH": str(project.root),
    }
    try:
        answers = [
            subprocess.run(
                [sys.executable, "-c", DRIVE, step],
                env=env,
                capture_output=True,
                text=True,
                timeout=120,
                check=False,
            )
            for step in ("write", "read")
        ]
        assert [a.returncode for a in answers] == [0, 0], [a.stderr for a in answers]
        assert [json.loads(a.stdout) for a in answers] == [["pen", "book"], ["pen", "book"]]
    finally:
        client = redis.Redis.from_url(REDIS_URL)
        for key in client.scan_iter(match=f"*{prefix}*"):
            client.delete(key)
