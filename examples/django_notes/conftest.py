"""Configures Django for the notes example and builds its test database (SQLite, in memory)."""

import os
import shutil
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))

# Session files and uploads go to a throwaway folder, removed when the test run ends.
_DATA_DIR = Path(tempfile.mkdtemp(prefix="notes-test-"))
(_DATA_DIR / "sessions").mkdir()
os.environ["NOTES_DATA_DIR"] = str(_DATA_DIR)
os.environ["DJANGO_SETTINGS_MODULE"] = "notes.settings"

import django  # noqa: E402

django.setup()

from django.test.utils import (  # noqa: E402
    override_settings,
    setup_databases,
    setup_test_environment,
    teardown_databases,
    teardown_test_environment,
)


@pytest.fixture(scope="session", autouse=True)
def django_test_database() -> Iterator[None]:
    setup_test_environment()
    # The default password hasher spends ~0.3 s a call by design; tests need no such cost.
    fast_hashing = override_settings(
        PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"]
    )
    fast_hashing.enable()
    old_config = setup_databases(verbosity=0, interactive=False)
    yield
    teardown_databases(old_config, verbosity=0)
    fast_hashing.disable()
    teardown_test_environment()
    shutil.rmtree(_DATA_DIR, ignore_errors=True)
