"""Real `migrator verify` runs on the bundled examples, as they are and migrated at `complete`.

The examples are migrated once per session, side by side, by the e2e helpers
(`tests/e2e/replicas.py`: plan, then `apply` for every migrate phase).
"""

from __future__ import annotations

import importlib.util
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest


def _load_runs() -> Any:
    name = "migrator_tests_verify_runs"
    if name not in sys.modules:
        spec = importlib.util.spec_from_file_location(
            name, Path(__file__).parent / "verify_runs.py"
        )
        assert spec is not None and spec.loader is not None
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module  # dataclasses look their module up while the class is built
        spec.loader.exec_module(module)
    return sys.modules[name]


runs = _load_runs()


@pytest.fixture(scope="session")
def migrated(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """Each example in git with every migrate phase applied (a `gitrepo.Project`), by name."""

    def one(name: str) -> Any:
        project = runs.replicas.git_example(name, tmp_path_factory.mktemp(f"verify-{name}"))
        runs.replicas.migrate(project)
        return project

    with ThreadPoolExecutor(len(runs.EXAMPLES)) as pool:
        return dict(zip(runs.EXAMPLES, pool.map(one, runs.EXAMPLES), strict=True))
