"""Puts the example on sys.path so `shop` imports, and gives each test a fresh app and client."""

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))

from flask import Flask  # noqa: E402
from flask.testing import FlaskClient  # noqa: E402
from shop import create_app  # noqa: E402


@pytest.fixture
def app(tmp_path: Path) -> Iterator[Flask]:
    yield create_app({"TESTING": True, "UPLOAD_FOLDER": str(tmp_path / "uploads")})


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()
