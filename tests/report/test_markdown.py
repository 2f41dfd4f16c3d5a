"""The Markdown report: a document that renders as tables on GitHub."""

from __future__ import annotations

import re

from migrator.model import Deployment, Evidence, Finding, ScanResult, Skipped
from migrator.report.markdown import code, to_markdown

SESSIONS = Finding(
    category="session_store",
    symbol="SESSIONS",
    qualname="shop.auth.SESSIONS",
    path="shop/auth.py",
    line=12,
    confidence="high",
    message="Module dict `SESSIONS` maps session ids to user data.",
    evidence=(Evidence("shop/views.py", 30, "write"), Evidence("shop/views.py", 41, "mutate")),
    automation="codemod",
    suggested_store="redis",
    severity="error",
    kind="dict",
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


def scan(*findings: Finding, processes: int = 1) -> ScanResult:
    return ScanResult(
        root="shop",
        files=7,
        lines=900,
        seconds=0.5,
        skipped=(Skipped("shop/gen.py", "larger than 2 MiB (generated?)"),),
        findings=findings,
        deployment=Deployment(processes, ("Procfile: gunicorn -w 3",) if processes > 1 else ()),
    )


def unescaped_pipes(row: str) -> int:
    return len(re.findall(r"(?<!\\)\|", row))


def test_document_has_summary_then_a_section_per_category() -> None:
    doc = to_markdown(scan(UPLOADS, SESSIONS))
    assert doc.startswith("# Process-local state in `shop`\n\n")
    assert "Scanned 7 files (900 lines) in 0.50 s: 2 findings (1 error, 1 warning)." in doc
    assert re.findall(r"^## (.+)$", doc, flags=re.M) == [
        "session_store",
        "local_file",
        "Skipped files",
    ]
    assert "| [session_store](#session_store) | 1 | Sessions kept in process memory |" in doc


def test_each_finding_is_a_table_row_with_location_symbol_confidence_store_automation() -> None:
    doc = to_markdown(scan(SESSIONS, UPLOADS))
    assert "| location | symbol | severity | confidence | store | automation | sites |" in doc
    assert "| `shop/auth.py:12` | `SESSIONS` | error | high | redis | codemod | 2 |" in doc
    assert "| `shop/files.py:3` | `UPLOAD_DIR` | warning | medium | s3 | manual | 0 |" in doc
    assert "`migrator playbook local_file`" in doc


def test_skipped_files_are_listed_with_reasons() -> None:
    doc = to_markdown(scan(SESSIONS))
    assert "| `shop/gen.py` | larger than 2 MiB (generated?) |" in doc


def test_multi_process_deployment_is_a_warning_callout() -> None:
    doc = to_markdown(scan(SESSIONS, processes=3))
    assert "> [!WARNING]\n> The service already runs 3 processes (Procfile: gunicorn -w 3)" in doc
    assert "these are live bugs" in doc
    assert "[!WARNING]" not in to_markdown(scan(SESSIONS))


def test_pipes_and_backticks_in_names_do_not_break_the_table() -> None:
    odd = SESSIONS.with_changes(symbol="a|b`c", path="shop/we|ird.py")
    doc = to_markdown(scan(odd))
    header = "| location | symbol | severity | confidence | store | automation | sites |"
    (row,) = [line for line in doc.splitlines() if "ird.py" in line and "|---" not in line]
    assert unescaped_pipes(row) == unescaped_pipes(header)
    assert "``a\\|b`c``" in row


def test_code_spans_hold_any_text() -> None:
    assert code("plain") == "`plain`"
    assert code("a `tick` inside") == "``a `tick` inside``"
    # A span that starts or ends with a backtick needs a space inside its fence.
    assert code("has `tick`") == "`` has `tick` ``"
    assert code("`edge") == "`` `edge ``"


def test_an_empty_scan_is_a_short_document() -> None:
    doc = to_markdown(ScanResult("svc", 3, 40, 0.01, deployment=Deployment(4)))
    assert doc == (
        "# Process-local state in `svc`\n\n"
        "Scanned 3 files (40 lines) in 0.01 s: no process-local state found.\n"
    )
