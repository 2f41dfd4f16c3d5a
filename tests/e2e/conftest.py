"""Fixtures of the replica tests: a key prefix of the test's own, removed from the stores after.

`tests/` is not a package (pytest runs with --import-mode=importlib), so `replicas.py` is
loaded here from its file under a name no installed package uses; the test modules, imported
after this conftest, import it by that name.
"""

from __future__ import annotations

import importlib.util
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest


def _load_replicas() -> None:
    name = "migrator_tests_e2e_replicas"
    if name in sys.modules:
        return
    spec = importlib.util.spec_from_file_location(name, Path(__file__).parent / "replicas.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module  # dataclasses look their module up while the class is built
    spec.loader.exec_module(module)


_load_replicas()
replicas = sys.modules["migrator_tests_e2e_replicas"]


@pytest.fixture
def key_prefix() -> Iterator[str]:
    """A `STATELESS_KEY_PREFIX` no other test uses; its keys and rows are deleted afterwards."""
    prefix = f"replicas-{uuid.uuid4().hex[:12]}"
    try:
        yield prefix
    finally:
        replicas.purge_prefix(prefix)
