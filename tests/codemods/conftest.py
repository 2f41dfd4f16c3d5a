"""A rewritten module beside a rendered runtime, imported once per replica, on the real Redis.

The codemod tests that prove a rewrite shares state across replicas all need the same scene:
a fresh package holding the generated runtime and the rewritten module, a key prefix of the
test's own (its keys deleted afterwards), and the module imported twice, as two processes
would.
"""

from __future__ import annotations

import importlib.util
import os
import uuid
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType

import pytest
import redis

from migrator.runtime import Component, render_runtime

REDIS_URL = os.environ.get("MIGRATOR_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")


@dataclass(frozen=True)
class RewrittenPackage:
    folder: Path
    name: str

    def replica(self, label: str, file: str) -> ModuleType:
        """Import `file` of the package once more, as another replica would."""
        spec = importlib.util.spec_from_file_location(f"{self.name}.{label}", self.folder / file)
        assert spec and spec.loader
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        return module


@pytest.fixture
def rewritten_package(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[Callable[[str, Sequence[Component], dict[str, str], str], RewrittenPackage]]:
    """make(package, components, {file: rewritten text}, stage) -> RewrittenPackage."""
    prefix = f"t{uuid.uuid4().hex[:12]}"

    def make(
        package: str, components: Sequence[Component], files: dict[str, str], stage: str
    ) -> RewrittenPackage:
        folder = tmp_path / package
        for relative, text in render_runtime(package, components).items():
            (folder / relative).parent.mkdir(parents=True, exist_ok=True)
            (folder / relative).write_text(text)
        (folder / "__init__.py").write_text("")
        for file, text in files.items():
            (folder / file).write_text(text)
        monkeypatch.syspath_prepend(str(tmp_path))
        monkeypatch.setenv("STATELESS_KEY_PREFIX", prefix)
        monkeypatch.setenv("STATELESS_REDIS_URL", REDIS_URL)
        monkeypatch.setenv("STATELESS_MODE", stage)
        return RewrittenPackage(folder, package)

    yield make
    client = redis.Redis.from_url(REDIS_URL)
    try:
        names = list(client.scan_iter(match="{" + prefix + ":*", count=1000))
        if names:
            client.delete(*names)
    finally:
        client.close()
