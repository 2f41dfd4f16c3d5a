"""The terminal table: what a person reads after `migrator scan`."""

from __future__ import annotations

from rich.console import Console

from migrator.model import Deployment, Evidence, Finding, ScanResult, Skipped
from migrator.report.table import render_table

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
        Evidence("shop/admin.py", 9, "iterate"),
    ),
    automation="codemod",
    suggested_store="redis",
    severity="error",
    kind="dict",
)
TOKENS = Finding(
    category="session_store",
    symbol="TOKENS",
    qualname="shop.api.TOKENS",
    path="shop/api.py",
    line=4,
    confidence="low",
    message="Module dict `TOKENS` maps API tokens to users.",
    kind="dict",
)
PRICES = Finding(
    category="cache",
    symbol="get_price",
    qualname="shop.prices.get_price",
    path="shop/prices.py",
    line=5,
    confidence="medium",
    message="`get_price` is memoized with `functools.lru_cache`.",
    automation="codemod",
    kind="lru_cache",
)


def render(result: ScanResult) -> str:
    console = Console(record=True, width=120)
    render_table(result, console)
    return console.export_text()


def scan(*findings: Finding, processes: int = 1, skipped: tuple[Skipped, ...] = ()) -> ScanResult:
    sources = ("gunicorn.conf.py: workers = 4",) if processes > 1 else ()
    return ScanResult(
        root="shop",
        files=42,
        lines=3456,
        seconds=1.234,
        skipped=skipped,
        findings=findings,
        deployment=Deployment(processes, sources),
    )


def row_of(text: str, needle: str) -> list[str]:
    (line,) = [line for line in text.splitlines() if needle in line]
    return line.split()


def test_findings_are_grouped_under_a_heading_per_category_in_category_order() -> None:
    text = render(scan(PRICES, TOKENS, SESSIONS))
    assert "session_store  2 findings: Sessions kept in process memory" in text
    assert "cache  1 finding: Caches in process memory" in text
    assert text.index("session_store  2") < text.index("shop/auth.py:12")
    assert text.index("shop/api.py:4") < text.index("cache  1 finding")
    assert text.index("cache  1 finding") < text.index("shop/prices.py:5")


def test_a_row_shows_what_to_act_on() -> None:
    text = render(scan(SESSIONS))
    for column in ("severity", "confidence", "location", "symbol", "store", "automation", "sites"):
        assert column in text
    assert row_of(text, "shop/auth.py:12") == [
        "error",
        "high",
        "shop/auth.py:12",
        "SESSIONS",
        "redis",
        "codemod",
        "3",
    ]


def test_most_urgent_finding_comes_first_within_a_category() -> None:
    text = render(scan(TOKENS, SESSIONS))
    assert text.index("shop/auth.py:12") < text.index("shop/api.py:4")


def test_summary_counts_files_lines_time_and_severities() -> None:
    text = render(scan(SESSIONS, TOKENS, PRICES))
    assert "Scanned 42 files (3,456 lines) in 1.23 s: 3 findings (1 error, 2 warnings)." in text
    assert "migrator playbook CATEGORY" in text


def test_skipped_files_are_listed_with_their_reasons() -> None:
    skipped = (Skipped("shop/legacy.py", "syntax error at line 3: Missing parentheses"),)
    text = render(scan(PRICES, skipped=skipped))
    assert "Skipped 1 file:" in text
    assert "shop/legacy.py: syntax error at line 3: Missing parentheses" in text


def test_a_multi_process_deployment_says_the_findings_are_live_bugs() -> None:
    text = render(scan(SESSIONS, processes=4))
    assert "The service already runs 4 processes (gunicorn.conf.py: workers = 4)" in text
    assert "these are live bugs" in text
    assert "live bugs" not in render(scan(SESSIONS))


def test_an_empty_scan_says_so_in_one_friendly_line() -> None:
    text = render(scan(processes=4))
    assert "Scanned 42 files (3,456 lines) in 1.23 s: no process-local state found." in text
    assert "live bugs" not in text and "severity" not in text


def test_names_that_look_like_markup_are_printed_as_written() -> None:
    odd = PRICES.with_changes(symbol="[bold]CACHE[/bold]", path="shop/[red]x.py")
    text = render(scan(odd))
    assert "[bold]CACHE[/bold]" in text
    assert "shop/[red]x.py:5" in text


def test_a_terminal_too_narrow_for_the_table_keeps_every_path_whole() -> None:
    deep = Finding(
        category="cache",
        symbol="RegistryOfThings.app_configs",
        qualname="pkg.registry.RegistryOfThings.app_configs",
        path="src/company/platform/services/registry/apps.py",
        line=137,
        confidence="high",
        message="A memo.",
        evidence=(Evidence("src/company/platform/services/registry/apps.py", 140, "write"),),
        automation="manual",
        suggested_store="redis",
        kind="memo_dict",
    )
    console = Console(record=True, width=80)
    render_table(scan(deep), console)
    lines = console.export_text().splitlines()

    path = "src/company/platform/services/registry/apps.py:137"
    assert any(line.endswith(f"  {path}") for line in lines)
    assert "    RegistryOfThings.app_configs · redis · manual · 1 site" in lines
    assert all(len(line) <= 80 for line in lines)
