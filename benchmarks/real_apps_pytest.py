"""A pytest plugin that benchmarks/real_apps.py loads into a service's own test run.

    REAL_APPS_REPORT=FILE pytest -p real_apps_pytest ...

Appends one JSON line a test report (`nodeid`, `when`, `outcome`) to FILE as the run goes,
so a run cut by the time box still says which tests passed and failed. Only stdlib: it runs
in the service's virtualenv, whatever pytest version that has. Under pytest-xdist only the
controller writes (it receives every worker's reports).
"""

from __future__ import annotations

import json
import os
from typing import Any

_WORKER = False


def _write(line: dict[str, str]) -> None:
    path = os.environ.get("REAL_APPS_REPORT")
    if path and not _WORKER:
        with open(path, "a", encoding="utf-8") as out:
            out.write(json.dumps(line) + "\n")


def pytest_configure(config: Any) -> None:
    global _WORKER
    _WORKER = hasattr(config, "workerinput")


def pytest_runtest_logreport(report: Any) -> None:
    # outcome: passed, failed, skipped (xfail too), or rerun (pytest-rerunfailures)
    _write({"nodeid": report.nodeid, "when": report.when, "outcome": report.outcome})


def pytest_collectreport(report: Any) -> None:
    if report.failed:
        _write({"nodeid": report.nodeid or "<collection>", "when": "collect", "outcome": "failed"})
