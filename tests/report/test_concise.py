"""The concise view: one line a finding, as ruff prints, then the table's summary line."""

from __future__ import annotations

from migrator.model import Finding, ScanResult
from migrator.report.concise import concise_line, first_sentence, to_concise

SESSIONS = Finding(
    category="session_store",
    symbol="SESSIONS",
    qualname="shop.auth.SESSIONS",
    path="shop/auth.py",
    line=12,
    confidence="high",
    message="Module dict `SESSIONS` maps session ids to user data. Each replica keeps its own.",
    severity="error",
)
TOKENS = Finding(
    category="session_store",
    symbol="TOKENS",
    qualname="shop.api.TOKENS",
    path="shop/api.py",
    line=40,
    confidence="low",
    message="Module dict `TOKENS` maps API tokens to users.",
)
PRICES = Finding(
    category="cache",
    symbol="get_price",
    qualname="shop.api.get_price",
    path="shop/api.py",
    line=5,
    confidence="medium",
    message="`get_price` is memoized with `functools.lru_cache`.\nIt is cleared per process.",
)


def scan(*findings: Finding) -> ScanResult:
    return ScanResult(root="shop", files=42, lines=3456, seconds=1.234, findings=findings)


def test_no_findings_is_the_summary_line_alone() -> None:
    assert to_concise(scan()) == (
        "Scanned 42 files (3,456 lines) in 1.23 s: no process-local state found.\n"
    )


def test_one_line_a_finding_sorted_by_path_and_line_then_the_summary() -> None:
    assert to_concise(scan(SESSIONS, TOKENS, PRICES)).splitlines() == [
        "shop/api.py:5:1: cache warning get_price — is memoized with `functools.lru_cache`.",
        "shop/api.py:40:1: session_store warning TOKENS — "
        "Module dict `TOKENS` maps API tokens to users.",
        "shop/auth.py:12:1: session_store error SESSIONS — "
        "Module dict `SESSIONS` maps session ids to user data.",
        "Scanned 42 files (3,456 lines) in 1.23 s: 3 findings (1 error, 2 warnings).",
    ]


def test_the_summary_counts_what_the_filters_hid() -> None:
    assert to_concise(scan(TOKENS), hidden=2).splitlines()[-1] == (
        "Scanned 42 files (3,456 lines) in 1.23 s: 1 finding (1 warning); "
        "2 more hidden by the filters."
    )
    assert to_concise(scan(), hidden=3) == (
        "Scanned 42 files (3,456 lines) in 1.23 s: no finding passes the filters (3 hidden).\n"
    )


def test_a_long_path_is_printed_whole() -> None:
    deep = TOKENS.with_changes(path="/".join(["package"] * 30) + "/module.py")
    assert concise_line(deep).startswith(deep.path + ":40:1: session_store ")


def test_first_sentence_stops_at_the_first_full_stop_outside_code() -> None:
    assert first_sentence("`a.b` is shared. Move it.") == "`a.b` is shared."
    assert first_sentence("It is shared, e.g. by `x`; move it. Really.") == (
        "It is shared, e.g. by `x`; move it."
    )
    assert first_sentence("Is it shared? Yes.") == "Is it shared?"


def test_first_sentence_without_a_full_stop_is_the_whole_message_on_one_line() -> None:
    assert first_sentence("`CACHE` is\n  kept in memory") == "`CACHE` is kept in memory"
    assert first_sentence("Version 1.2 of `x`") == "Version 1.2 of `x`"


def test_a_width_cuts_each_finding_to_one_line_and_a_file_keeps_it_whole() -> None:
    long = Finding(
        category="cache",
        symbol="Apps.app_configs",
        qualname="django.apps.registry.Apps.app_configs",
        path="django/apps/registry.py",
        line=37,
        confidence="high",
        message="`Apps.app_configs` lives in process memory and is changed in 7 places across "
        "2 modules by `Apps.__init__`, `Apps.populate`, `Apps.set_available_apps` and 4 more.",
    )
    assert concise_line(long, width=100) == (
        "django/apps/registry.py:37:1: cache warning Apps.app_configs — lives in process memory "
        "and is chang…"
    )
    assert len(concise_line(long, width=100)) == 100
    assert concise_line(long).endswith("`Apps.set_available_apps` and 4 more.")
    assert concise_line(SESSIONS, width=120) == concise_line(SESSIONS)
