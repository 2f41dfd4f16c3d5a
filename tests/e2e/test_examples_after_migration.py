"""Every example, migrated phase by phase, still passes its own tests: with every flag `off`
(what merging the branches gives) and at `complete` on the real Redis and PostgreSQL."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import migrator_tests_e2e_replicas as replicas
import pytest
import redis

EXAMPLES = ("flask_shop", "fastapi_chat", "django_notes")


def run_own_tests(
    project: replicas.gitrepo.Project, env: dict[str, str]
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider"],
        cwd=project.root,
        env={**project.env, **env},
        capture_output=True,
        text=True,
        timeout=300,
    )


def keys_under(prefix: str) -> list[bytes]:
    client = redis.Redis.from_url(replicas.REDIS_URL)
    try:
        return list(client.scan_iter(match=f"*{prefix}*", count=1000))
    finally:
        client.close()


@pytest.mark.parametrize("example", EXAMPLES)
def test_the_migrated_example_passes_its_own_tests_off_and_complete(
    example: str, tmp_path: Path, key_prefix: str
) -> None:
    project = replicas.git_example(example, tmp_path)
    migration = replicas.migrate(project)
    assert migration.migrated, f"apply migrated nothing in {example}"

    off = run_own_tests(project, {**replicas.stateless_env(key_prefix), "STATELESS_MODE": "off"})
    assert off.returncode == 0, off.stdout[-3000:] + off.stderr[-2000:]
    assert keys_under(key_prefix) == []  # `off` never touches the store

    complete = run_own_tests(project, replicas.stateless_env(key_prefix))
    assert complete.returncode == 0, complete.stdout[-3000:] + complete.stderr[-2000:]
    assert keys_under(key_prefix), "at `complete` the migrated components live in the store"
