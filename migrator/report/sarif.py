"""SARIF 2.1.0 for code-scanning UIs (GitHub code scanning, Azure DevOps, IDE viewers).

One rule per finding category, its help rendered from the playbook; one result per finding,
fingerprinted by the finding's stable id so an alert survives unrelated edits.
"""

from __future__ import annotations

from importlib.metadata import PackageNotFoundError, metadata
from typing import Any
from urllib.parse import quote

from migrator.model import CATEGORIES, Evidence, Finding, ScanResult
from migrator.playbook import Playbook, load_playbook

SARIF_SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
SARIF_VERSION = "2.1.0"
TOOL_NAME = "migrator"
DISTRIBUTION = "stateless-migrator"
SRCROOT = "%SRCROOT%"
FINGERPRINT_KEY = "migratorFindingId/v1"
# GitHub shows at most this many related locations per result and rejects more than 1000.
MAX_RELATED_LOCATIONS = 100
_TAGS = ("maintainability", "scalability", "stateless")


def to_sarif(
    result: ScanResult, tool_version: str, *, information_uri: str | None = None
) -> dict[str, Any]:
    """A SARIF 2.1.0 log with one run: every category as a rule, every finding as a result.

    `informationUri` is the given address, else the home page the installed distribution
    declares; with neither it is left out (it is optional) rather than pointing elsewhere.
    """
    rule_index = {category: n for n, category in enumerate(CATEGORIES)}
    driver: dict[str, Any] = {"name": TOOL_NAME}
    uri = information_uri or declared_home_page()
    if uri:
        driver["informationUri"] = uri
    driver.update(
        version=tool_version,
        semanticVersion=tool_version,
        rules=[_rule(load_playbook(category)) for category in CATEGORIES],
    )
    findings = sorted(result.findings, key=lambda f: (f.path, f.line, f.category, f.symbol))
    return {
        "$schema": SARIF_SCHEMA,
        "version": SARIF_VERSION,
        "runs": [
            {
                "tool": {"driver": driver},
                "columnKind": "unicodeCodePoints",
                "results": [_result(f, rule_index[f.category]) for f in findings],
            }
        ],
    }


def rule_name(category: str) -> str:
    """The CamelCase rule name of a category: `session_store` -> `SessionStore`."""
    return "".join(part.capitalize() for part in category.split("_"))


def sarif_level(finding: Finding) -> str:
    """`error` when the service already runs several processes, else by confidence."""
    if finding.severity == "error":
        return "error"
    return "note" if finding.confidence == "low" else "warning"


def declared_home_page() -> str | None:
    """The https address the installed distribution names as its home page or repository."""
    try:
        meta = metadata(DISTRIBUTION)
    except PackageNotFoundError:
        return None
    urls = [meta["Home-page"] or ""] if "Home-page" in meta else []
    urls += [entry.partition(",")[2].strip() for entry in meta.get_all("Project-URL") or []]
    return next((url for url in urls if url.startswith("https://")), None)


def _rule(playbook: Playbook) -> dict[str, Any]:
    return {
        "id": playbook.category,
        "name": rule_name(playbook.category),
        "shortDescription": {"text": playbook.title},
        "fullDescription": {"text": f"{playbook.summary} {playbook.why}"},
        "help": {"text": playbook.help_text(), "markdown": playbook.to_markdown()},
        "defaultConfiguration": {"level": "warning"},
        "properties": {"tags": [*_TAGS, playbook.category]},
    }


def _result(finding: Finding, rule_index: int) -> dict[str, Any]:
    store = finding.suggested_store
    text = (
        f"{finding.message.rstrip()} Suggested store: {store}; "
        f"see `migrator playbook {finding.category}`."
    )
    out: dict[str, Any] = {
        "ruleId": finding.category,
        "ruleIndex": rule_index,
        "level": sarif_level(finding),
        "message": {"text": text},
        "locations": [{"physicalLocation": _physical(finding.path, finding.line)}],
        "partialFingerprints": {FINGERPRINT_KEY: finding.id},
        "properties": {
            "findingId": finding.id,
            "symbol": finding.symbol,
            "qualname": finding.qualname,
            "confidence": finding.confidence,
            "severity": finding.severity,
            "suggestedStore": store,
            "automation": finding.automation,
        },
    }
    related = [_related(n, e) for n, e in enumerate(finding.evidence[:MAX_RELATED_LOCATIONS], 1)]
    if related:
        out["relatedLocations"] = related
    return out


def _related(number: int, evidence: Evidence) -> dict[str, Any]:
    what = f"{evidence.access} ({evidence.detail})" if evidence.detail else evidence.access
    return {
        "id": number,
        "physicalLocation": _physical(evidence.path, evidence.line),
        "message": {"text": f"{what} here"},
    }


def _physical(path: str, line: int) -> dict[str, Any]:
    # Paths are relative to the scan root with '/' separators; SARIF wants a URI reference.
    out: dict[str, Any] = {"artifactLocation": {"uri": quote(path, safe="/"), "uriBaseId": SRCROOT}}
    if line >= 1:
        out["region"] = {"startLine": line}
    return out
