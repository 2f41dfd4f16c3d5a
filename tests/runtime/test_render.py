"""The rendering API: deterministic output, only the chosen backends, lint- and type-clean code."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from migrator.runtime import Component, render_runtime, required_clients

from .conftest import write_runtime

EVERY_KIND = [
    Component("SESSIONS", "kv", "redis", ttl=3600),
    Component("ORDERS", "kv", "postgres"),
    Component("PROFILES", "kv", "dynamodb", ttl=60),
    Component("list_products", "cache", "redis", ttl=300),
    Component("HITS", "counter", "postgres"),
    Component("ORDER_LOCK", "lock", "redis"),
    Component("ROOM", "broadcast", "postgres"),
    Component("UPLOADS", "blob", "s3"),
]


def _imports(files: dict[str, str]) -> str:
    return "\n".join(
        line
        for text in files.values()
        for line in text.splitlines()
        if line.startswith(("import ", "from "))
    )


def test_same_components_in_any_order_render_the_same_files() -> None:
    first = render_runtime("shop", EVERY_KIND)
    again = render_runtime("shop", list(reversed(EVERY_KIND)))
    assert first == again
    assert "_stateless/__init__.py" in first and "_stateless/flags.py" in first


def test_a_redis_only_runtime_has_no_other_backend_and_imports_no_other_client() -> None:
    files = render_runtime("shop", [Component("SESSIONS", "kv", "redis")])
    assert "_stateless/backends/redis.py" in files
    assert not any(
        name.endswith(("postgres.py", "dynamodb.py", "s3.py", "aws.py")) for name in files
    )
    imports = _imports(files)
    assert "import redis" in imports
    assert "psycopg" not in imports and "boto" not in imports


def test_a_postgres_only_runtime_imports_psycopg_and_nothing_else() -> None:
    files = render_runtime("shop", [Component("HITS", "counter", "postgres")])
    imports = _imports(files)
    assert "import psycopg" in imports
    assert "redis" not in imports and "boto" not in imports
    assert "_stateless/stores/keyvalue.py" not in files


def test_flags_list_one_flag_per_component() -> None:
    flags = render_runtime("shop", EVERY_KIND)["_stateless/flags.py"]
    for component in EVERY_KIND:
        assert f'"{component.name}": Flag("{component.name}")' in flags


def test_required_clients_name_each_store_client_once() -> None:
    assert required_clients(EVERY_KIND) == [
        "boto3>=1.34",
        "psycopg-pool>=3.2",
        "psycopg[binary]>=3.1",
        "redis>=5",
    ]
    assert required_clients([Component("A", "kv", "redis")]) == ["redis>=5"]


@pytest.mark.parametrize(
    ("components", "message"),
    [
        ([Component("A", "queue", "redis")], "kind"),
        ([Component("A", "blob", "redis")], "cannot live in"),
        ([Component("A", "broadcast", "dynamodb")], "cannot live in"),
        ([Component("a", "kv", "redis"), Component("A", "kv", "redis")], "share the flag"),
        ([Component("not a name", "kv", "redis")], "identifier"),
        ([Component("A", "kv", "redis", ttl=0)], "ttl"),
        ([], "at least one"),
    ],
)
def test_components_that_cannot_work_are_refused_with_a_reason(
    components: list[Component], message: str
) -> None:
    with pytest.raises(ValueError, match=message):
        render_runtime("shop", components)


@pytest.mark.parametrize(
    "components",
    [
        EVERY_KIND,
        [Component("SESSIONS", "kv", "redis")],
        [Component("ROOM", "broadcast", "redis")],
        [Component("HITS", "counter", "dynamodb"), Component("UPLOADS", "blob", "s3")],
        [Component("list_products", "cache", "postgres"), Component("L", "lock", "postgres")],
    ],
    ids=["every-kind", "kv-redis", "broadcast-redis", "counter-dynamodb-blob-s3", "postgres"],
)
def test_rendered_code_passes_ruff(tmp_path: Path, components: list[Component]) -> None:
    package = write_runtime(tmp_path, components)
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "ruff",
            "check",
            "--no-cache",
            "--isolated",
            "--line-length",
            "100",
            "--select",
            "E,F,W,I,B,UP",
            "--target-version",
            "py310",
            str(tmp_path / package),
        ],
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_rendered_code_passes_mypy(tmp_path: Path) -> None:
    package = write_runtime(tmp_path, EVERY_KIND)
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "mypy",
            "--python-version",
            "3.11",
            "--no-incremental",
            "--cache-dir",
            str(tmp_path / ".mypy_cache"),
            package,
        ],
        capture_output=True,
        text=True,
        cwd=tmp_path,
    )
    assert result.returncode == 0, result.stdout + result.stderr
