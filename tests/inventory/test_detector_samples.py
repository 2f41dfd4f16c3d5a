"""Every detector's own code samples, scanned as a one-file project.

A detector documents itself with `STATE` samples (what it finds) and `NOT_STATE`
samples (what it deliberately ignores); these tests keep that description and the
scanner's behaviour from drifting apart.
"""

from __future__ import annotations

import pkgutil
from pathlib import Path

import pytest

import migrator.inventory.detectors as detectors_package
from migrator.inventory import scan_project
from migrator.inventory.detectors import ContainerDetector, ProjectDetector, all_detectors
from migrator.model import CATEGORIES, CONFIDENCES, Finding

Detector = type[ContainerDetector] | type[ProjectDetector]

def _params(kind: str, check: str = "") -> list[object]:
    params: list[object] = []
    for cls in all_detectors():
        for index, source in enumerate(getattr(cls, kind)):
            params.append(pytest.param(cls, source, id=f"{cls.__name__}-{kind}-{index}"))
    return params


def scan_sample(root: Path, source: str) -> tuple[Finding, ...]:
    (root / "app.py").write_text(source, encoding="utf-8")
    result = scan_project(root, use_cache=False)
    assert result.skipped == (), "a detector's sample must be valid Python 3"
    return result.findings


def implied_by_django_settings(source: str) -> set[tuple[str, str]]:
    """Findings DESIGN.md expects of any Django settings module, whatever the sample is about:
    with `CACHES` unset, Django's implicit `LocMemCache` is a process-local cache."""
    if "INSTALLED_APPS" in source and "CACHES" not in source:
        return {("cache", "CACHES")}
    return set()


@pytest.mark.parametrize(("detector", "source"), _params("STATE", "found"))
def test_state_sample_is_found(tmp_path: Path, detector: Detector, source: str) -> None:
    findings = scan_sample(tmp_path, source)
    reported = [(f.category, f.symbol) for f in findings]
    assert any(f.category == detector.category for f in findings), reported


@pytest.mark.parametrize(("detector", "source"), _params("STATE", "well_formed"))
def test_state_sample_finding_points_into_the_sample(
    tmp_path: Path, detector: Detector, source: str
) -> None:
    lines = source.count("\n") + 1
    for f in scan_sample(tmp_path, source):
        assert f.path == "app.py"
        assert 1 <= f.line <= lines
        assert f.confidence in CONFIDENCES
        implicit = any(e.detail == "implicit default" for e in f.evidence)
        assert implicit or f.symbol.rpartition(".")[2] in source, "the name as written"
        assert f.evidence, f"{f.symbol}: a finding shows at least one site"
        assert all(e.path == "app.py" and 1 <= e.line <= lines for e in f.evidence)


@pytest.mark.parametrize(("detector", "source"), _params("NOT_STATE", "ignored"))
def test_not_state_sample_is_ignored(tmp_path: Path, detector: Detector, source: str) -> None:
    findings = scan_sample(tmp_path, source)
    assert not [f for f in findings if f.category == detector.category]
    reported = {(f.category, f.symbol) for f in findings}
    assert reported <= implied_by_django_settings(source)


def test_every_category_has_a_detector_with_state_samples() -> None:
    covered = {cls.category for cls in all_detectors() if cls.STATE}
    assert covered == set(CATEGORIES)


def test_every_detector_documents_both_sides() -> None:
    for cls in all_detectors():
        assert cls.category in CATEGORIES, cls.__name__
        assert cls.STATE and cls.NOT_STATE, f"{cls.__name__} lacks STATE or NOT_STATE samples"


def test_every_detector_module_registers_by_discovery() -> None:
    modules = {
        info.name
        for info in pkgutil.iter_modules(detectors_package.__path__)
        if not info.name.startswith("_")
    }
    registered = {cls.__module__.rpartition(".")[2] for cls in all_detectors()}
    assert registered == modules
    assert len(all_detectors()) == len(set(all_detectors())), "a detector registered twice"
