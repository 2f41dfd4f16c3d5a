"""Puts the example on sys.path so `chat` imports, and gives each test a running app."""

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))

from chat import create_app  # noqa: E402
from chat.limits import limiter  # noqa: E402
from fastapi.testclient import TestClient  # noqa: E402


@pytest.fixture
def client() -> Iterator[TestClient]:
    # The rate-limit counters are process-wide; each test starts with none used.
    limiter.reset()
    with TestClient(create_app()) as running:
        yield running
