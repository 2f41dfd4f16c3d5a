"""Pins the scan of every example app to its hand-written expected.json, matched by the
same rules `benchmarks/accuracy.py` prints figures with (aliases included)."""

from __future__ import annotations

import importlib.util
import json
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from migrator.inventory import scan_project

REPO = Path(__file__).resolve().parents[2]
EXAMPLES = sorted(p.parent for p in (REPO / "examples").glob("*/expected.json"))


def load_benchmark() -> ModuleType:
    path = REPO / "benchmarks" / "accuracy.py"
    spec = importlib.util.spec_from_file_location("migrator_benchmark_accuracy", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up while being built
    spec.loader.exec_module(module)
    return module


accuracy = load_benchmark()


@pytest.fixture(scope="module", params=EXAMPLES, ids=[p.name for p in EXAMPLES])
def example(request: pytest.FixtureRequest) -> tuple[str, dict[str, Any], dict[str, Any]]:
    """(name, expected.json, the scan's JSON document) of one example."""
    folder: Path = request.param
    expected = json.loads((folder / "expected.json").read_text(encoding="utf-8"))
    scan = scan_project(folder, use_cache=False).to_json()
    return folder.name, expected, scan


def outcomes_of(example: tuple[str, dict[str, Any], dict[str, Any]], *kinds: str) -> list[str]:
    name, expected, scan = example
    return [
        f"{o.kind}: {o.name} {o.category} {o.detail}".strip()
        for o in accuracy.score(name, expected, scan)
        if o.kind in kinds
    ]


def test_there_are_examples_to_pin() -> None:
    assert len(EXAMPLES) >= 3


def test_every_expected_component_is_found_in_its_category(example: Any) -> None:
    assert outcomes_of(example, "miss", "wrong_category") == []


def test_no_not_state_symbol_is_reported(example: Any) -> None:
    assert outcomes_of(example, "lookalike") == []


def test_nothing_else_is_reported(example: Any) -> None:
    assert outcomes_of(example, "unexpected", "duplicate") == []


def test_deployment_processes_match(example: Any) -> None:
    _, expected, scan = example
    want = (expected.get("deployment") or {}).get("processes")
    if want is None:
        pytest.skip("this example's expected.json says nothing about deployment")
    assert scan["deployment"]["processes"] == want


def test_nothing_in_an_example_is_skipped(example: Any) -> None:
    _, _, scan = example
    assert scan["stats"]["skipped"] == []
