"""Print what a store outage costs a migrated service, stage by stage.

For each stage and each fault (a private redis-server killed and started again, the same
paused with SIGSTOP, PostgreSQL behind a paused proxy), checkout requests run before, during
and after the fault (tests/support/fault_scenario.py). The table gives the longest wait of any
request against one timeout plus 10 %, the errors (none may fall outside the outage), the
acknowledged writes that do not read back, order numbers issued twice, and how soon after the
fault the store took part again, in the same process.

    python benchmarks/fault_table.py [--timeout-ms 1000] [--database-url URL]
"""

from __future__ import annotations

import argparse
import importlib
import importlib.util
import os
import sys
import tempfile
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from types import ModuleType
from typing import Any

import psycopg

from migrator.runtime import Component, render_runtime

STAGES = ("off", "dualwrite", "shadow", "live", "rampdown", "complete")
SUPPORT = Path(__file__).resolve().parents[1] / "tests" / "support"


def _support(name: str) -> Any:
    spec = importlib.util.spec_from_file_location(f"fault_table_{name}", SUPPORT / f"{name}.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


scenario = _support("fault_scenario")
redis_server = _support("redis_server")
tcp_proxy = _support("tcp_proxy")


def _runtime(root: Path, store: str) -> ModuleType:
    package = f"faults_{store}_{uuid.uuid4().hex[:8]}"
    components = [Component("SESSIONS", "kv", store), Component("ORDER_SEQ", "counter", store)]
    for relative, text in render_runtime(package, components).items():
        path = root / package / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    (root / package / "__init__.py").write_text("")
    return importlib.import_module(f"{package}._stateless")


@contextmanager
def _environment(**values: str) -> Iterator[None]:
    saved = {name: os.environ.get(name) for name in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


def _through_proxy(url: str, port: int) -> str:
    user, _, rest = url.partition("@")
    return f"{user}@127.0.0.1:{port}/{rest.partition('/')[2]}"


def _postgres_target(url: str) -> tuple[str, int]:
    host, _, port = url.rpartition("@")[2].partition("/")[0].partition(":")
    return host, int(port or 5432)


def _forget_rows(database_url: str, prefix: str) -> None:
    with psycopg.connect(database_url, autocommit=True) as connection:
        for table in ("stateless_values", "stateless_counters"):
            found = connection.execute("SELECT to_regclass(%s)", (table,)).fetchone()
            if found and found[0]:
                connection.execute(f"DELETE FROM {table} WHERE namespace LIKE %s", (prefix + ":%",))


def measure(
    stage: str, fault_name: str, root: Path, runtimes: dict[str, ModuleType], options: Any
) -> Any:
    """One row: `stage` under `fault_name`, on a server or proxy of its own."""
    prefix = f"faults{uuid.uuid4().hex[:10]}"
    limits = {
        "STATELESS_KEY_PREFIX": prefix,
        "STATELESS_MODE": stage,
        "STATELESS_TIMEOUT_MS": str(options.timeout_ms),
        "STATELESS_BREAKER_COOLDOWN_MS": str(options.cooldown_ms),
    }
    fault_seconds = 3 * options.timeout_ms / 1000
    if fault_name.startswith("Redis"):
        server = redis_server.RedisServer(root / prefix)
        server.start()
        try:
            killed = fault_name == "Redis killed"
            fault = (scenario.Killed if killed else scenario.Paused)(fault_name, server)
            with _environment(**limits, STATELESS_REDIS_URL=server.url):
                return scenario.run_scenario(runtimes["redis"], stage, fault, fault_seconds)
        finally:
            server.stop()
    proxy = tcp_proxy.PausableProxy(*_postgres_target(options.database_url))
    try:
        url = _through_proxy(options.database_url, proxy.port)
        with _environment(**limits, STATELESS_DATABASE_URL=url):
            return scenario.run_scenario(
                runtimes["postgres"], stage, scenario.Paused(fault_name, proxy), fault_seconds
            )
    finally:
        runtimes["postgres"].backends.postgres.close_pools()
        proxy.close()
        _forget_rows(options.database_url, prefix)


def _row(figures: Any, bound: float) -> list[str]:
    recovered = "no" if figures.recovered_after is None else f"{figures.recovered_after:.2f} s"
    verdict = "ok" if figures.longest_wait <= bound else "OVER"
    return [
        figures.fault,
        figures.stage,
        str(figures.requests),
        f"{figures.longest_wait:.3f} s ({verdict})",
        f"{figures.errors} ({figures.errors_outside_fault} outside)",
        str(figures.lost),
        str(figures.duplicate_ids),
        recovered,
    ]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--timeout-ms", type=int, default=1000)
    parser.add_argument("--cooldown-ms", type=int, default=500)
    parser.add_argument(
        "--database-url",
        default=os.environ.get(
            "MIGRATOR_TEST_DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/test"
        ),
    )
    options = parser.parse_args(argv)
    if options.timeout_ms <= 0 or options.cooldown_ms <= 0:
        parser.error("--timeout-ms and --cooldown-ms must be positive")
    for name in [n for n in os.environ if n.startswith("STATELESS_")]:
        del os.environ[name]
    bound = options.timeout_ms / 1000 * 1.1
    header = ["fault", "stage", "requests", "longest wait", "errors", "lost", "ids twice",
              "store back after"]  # fmt: skip
    rows: list[list[str]] = []
    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder)
        sys.path.insert(0, str(root))
        runtimes = {store: _runtime(root, store) for store in ("redis", "postgres")}
        for fault_name in ("Redis killed", "Redis paused", "PostgreSQL paused"):
            for stage in STAGES:
                figures = measure(stage, fault_name, root, runtimes, options)
                rows.append(_row(figures, bound))
    print(
        f"timeout {options.timeout_ms} ms (bound: {bound:.3f} s), breaker cool-down "
        f"{options.cooldown_ms} ms, fault held {3 * options.timeout_ms} ms"
    )
    widths = [max(len(line[i]) for line in [header, *rows]) for i in range(len(header))]
    render: Callable[[list[str]], str] = lambda line: "  ".join(  # noqa: E731
        cell.ljust(width) for cell, width in zip(line, widths, strict=True)
    ).rstrip()
    print(render(header))
    print("  ".join("-" * width for width in widths))
    for line in rows:
        print(render(line))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
