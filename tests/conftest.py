"""Fixtures shared by the CLI tests: copies of the example shop, in git or not, at each stage.

`tests/` is not a package (pytest runs with --import-mode=importlib), so the helpers in
`tests/support/gitrepo.py` are loaded from their file and published here as fixtures.
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from typing import Any

import pytest


def _load_gitrepo() -> Any:
    name = "migrator_tests_support_gitrepo"
    if name in sys.modules:
        return sys.modules[name]
    spec = importlib.util.spec_from_file_location(
        name, Path(__file__).parent / "support" / "gitrepo.py"
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module  # dataclasses look their module up while the class is built
    spec.loader.exec_module(module)
    return module


gitrepo = _load_gitrepo()


@pytest.fixture(scope="session")
def shop_states(tmp_path_factory: pytest.TempPathFactory) -> Any:
    """The shop repository after `plan`, phase 1 and phase 2, each built once per session."""
    return gitrepo.ShopStates(tmp_path_factory.mktemp("shop-states"))


@pytest.fixture
def shop_copy(tmp_path: Path) -> Any:
    """A plain copy of `examples/flask_shop` (not a git repository)."""
    return gitrepo.copy_shop(tmp_path)


@pytest.fixture
def git_shop(tmp_path: Path) -> Any:
    """`examples/flask_shop` committed on `main` in a new repository, nothing planned yet."""
    return gitrepo.git_shop(tmp_path)


@pytest.fixture
def planned_shop(tmp_path: Path, shop_states: Any) -> Any:
    """The shop repository on `main` with `migration-plan/` written (and not committed)."""
    return shop_states.planned.copy_to(tmp_path)


@pytest.fixture
def phase1_shop(tmp_path: Path, shop_states: Any) -> Any:
    """The shop repository on the branch of phase 1, just applied."""
    return shop_states.phase1.copy_to(tmp_path)


@pytest.fixture
def git_service(tmp_path: Path) -> Any:
    """`git_service({path: text})`: a small service committed on `main` in a new repository."""
    return lambda files: gitrepo.git_service(tmp_path, files)


@pytest.fixture
def isolated_env() -> Any:
    """`isolated_env(folder)`: an environment that reads no git or migrator setting from outside."""
    return gitrepo.isolated_env


@pytest.fixture
def plain() -> Any:
    """`plain(text)`: terminal output without colour codes."""
    return gitrepo.plain


@pytest.fixture(autouse=True)
def _close_runtime_pools() -> Any:
    """Each test renders runtimes of its own, and each holds a PostgreSQL pool: close them
    after the test, or a full run exhausts the server's connections."""
    yield
    for name, module in list(sys.modules.items()):
        if name.endswith("._stateless.backends.postgres"):
            close = getattr(module, "close_pools", None)
            if close is not None:
                close()


@pytest.fixture(autouse=True)
def _patient_stores(monkeypatch: pytest.MonkeyPatch) -> None:
    """A store call may wait 10 s, not the runtime's default 2 s: on a loaded 2-core machine a
    PostgreSQL statement can take seconds, and only the fault tests (which set
    `STATELESS_TIMEOUT_MS` themselves) are about waits running out."""
    monkeypatch.setenv("STATELESS_TIMEOUT", "10")
