"""`migrator check`: baseline, allow comments, exit status."""

from __future__ import annotations

import json
import textwrap
from pathlib import Path

import pytest
import yaml

from migrator.guard import compare, parse_allow, read_baseline, write_baseline
from migrator.model import CATEGORIES, Evidence, Finding, ScanResult

REPO = Path(__file__).resolve().parents[1]


def finding(symbol: str, line: int, category: str = "app_data", path: str = "app/state.py",
            message: str = "", evidence_line: int = 20) -> Finding:
    return Finding(
        category=category,
        symbol=symbol,
        qualname=f"{path.removesuffix('.py').replace('/', '.')}.{symbol}",
        path=path,
        line=line,
        confidence="high",
        message=message or f"`{symbol}` is mutated by request handlers.",
        evidence=(Evidence("app/views.py", evidence_line, "mutate"),),
        kind="dict",
    )


def result(root: Path, *findings: Finding) -> ScanResult:
    return ScanResult(str(root), 2, 40, 0.0, findings=findings)


def source(root: Path, text: str, path: str = "app/state.py") -> None:
    target = root / path
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(textwrap.dedent(text))


def test_baseline_round_trip_accepts_every_known_finding(tmp_path):
    scan = result(tmp_path, finding("ORDERS", 3), finding("CARTS", 4, "session_store"))
    baseline = tmp_path / "migrator-baseline.json"
    write_baseline(scan, baseline)
    data = json.loads(baseline.read_text())
    assert data["schema_version"] == 1
    assert {(e["id"], e["category"], e["qualname"]) for e in data["findings"]} == {
        (f.id, f.category, f.qualname) for f in scan.findings
    }
    outcome = compare(scan, baseline, tmp_path)
    assert outcome.new == () and outcome.exit_code == 0
    assert {f.symbol for f in outcome.baselined} == {"ORDERS", "CARTS"}


def test_baseline_is_sorted_and_byte_stable(tmp_path):
    a, b = finding("ORDERS", 3), finding("CARTS", 4, "session_store")
    write_baseline(result(tmp_path, a, b), tmp_path / "one.json")
    write_baseline(result(tmp_path, b, a), tmp_path / "two.json")
    assert (tmp_path / "one.json").read_bytes() == (tmp_path / "two.json").read_bytes()
    ids = [e.id for e in read_baseline(tmp_path / "one.json")]
    assert ids == sorted(ids)


def test_new_state_fails_and_removed_state_is_reported_fixed(tmp_path):
    baseline = tmp_path / "baseline.json"
    write_baseline(result(tmp_path, finding("ORDERS", 3), finding("OLD", 9)), baseline)
    outcome = compare(result(tmp_path, finding("ORDERS", 3), finding("NEW", 5)), baseline,
                      tmp_path)
    assert [f.symbol for f in outcome.new] == ["NEW"]
    assert outcome.exit_code == 1
    assert [e.qualname for e in outcome.fixed] == ["app.state.OLD"]


def test_without_a_baseline_every_finding_is_new(tmp_path):
    outcome = compare(result(tmp_path, finding("ORDERS", 3)), None, tmp_path)
    assert [f.symbol for f in outcome.new] == ["ORDERS"] and outcome.exit_code == 1


def test_ids_do_not_change_with_line_numbers_or_messages(tmp_path):
    before = result(tmp_path, finding("ORDERS", 3), finding("CARTS", 4, "session_store"))
    after = result(tmp_path,
                   finding("ORDERS", 41, message="Reworded.", evidence_line=77),
                   finding("CARTS", 12, "session_store", message="Also reworded."))
    assert [f.id for f in before.findings] == [f.id for f in after.findings]
    baseline = tmp_path / "baseline.json"
    write_baseline(before, baseline)
    assert compare(after, baseline, tmp_path).exit_code == 0


def test_allow_comment_on_the_definition_line_accepts_the_finding(tmp_path):
    source(tmp_path, """\
        import threading

        ORDERS = {}  # migrator: allow[app_data] rebuilt from the database at start-up
    """)
    outcome = compare(result(tmp_path, finding("ORDERS", 3)), None, tmp_path)
    assert outcome.new == () and outcome.exit_code == 0
    (allowed,) = outcome.allowed
    assert allowed.reason == "rebuilt from the database at start-up"
    assert (allowed.path, allowed.line) == ("app/state.py", 3)


def test_allow_comment_alone_on_the_line_above_accepts_the_finding(tmp_path):
    source(tmp_path, """\
        from functools import lru_cache

        # migrator: allow[cache] pure function of its argument, per process is fine
        @lru_cache
        def parse(text):
            return text.split()
    """)
    outcome = compare(result(tmp_path, finding("parse", 4, "cache")), None, tmp_path)
    assert [a.finding.symbol for a in outcome.allowed] == ["parse"]
    assert outcome.exit_code == 0


def test_trailing_allow_of_the_previous_statement_accepts_nothing_below(tmp_path):
    source(tmp_path, """\
        CACHE = {}  # migrator: allow[app_data] this one is fine
        ORDERS = {}
    """)
    outcome = compare(result(tmp_path, finding("ORDERS", 2)), None, tmp_path)
    assert [f.symbol for f in outcome.new] == ["ORDERS"]


def test_allow_without_reason_accepts_nothing_and_is_listed(tmp_path):
    source(tmp_path, """\
        ORDERS = {}  # migrator: allow[app_data]
        CARTS = {}  # migrator: allow[app_data] -
    """)
    outcome = compare(result(tmp_path, finding("ORDERS", 1), finding("CARTS", 2)), None,
                      tmp_path)
    assert {f.symbol for f in outcome.new} == {"ORDERS", "CARTS"}
    assert outcome.exit_code == 1
    assert sorted(i.location for i in outcome.invalid_allows) == [
        "app/state.py:1", "app/state.py:2"
    ]
    assert all("no reason" in i.problem for i in outcome.invalid_allows)


def test_allow_for_another_category_accepts_nothing(tmp_path):
    source(tmp_path, "ORDERS = {}  # migrator: allow[cache] it is only a cache\n")
    outcome = compare(result(tmp_path, finding("ORDERS", 1)), None, tmp_path)
    assert [f.symbol for f in outcome.new] == ["ORDERS"]
    (invalid,) = outcome.invalid_allows
    assert "`app_data`" in invalid.problem and invalid.location == "app/state.py:1"


def test_several_categories_may_be_listed(tmp_path):
    source(tmp_path, "ORDERS = {}  # migrator: allow[cache, app_data] read-only after boot\n")
    outcome = compare(result(tmp_path, finding("ORDERS", 1)), None, tmp_path)
    assert outcome.exit_code == 0


def test_allow_text_inside_a_string_is_not_a_comment(tmp_path):
    source(tmp_path, 'ORDERS = {"note": "# migrator: allow[app_data] not a comment"}\n')
    outcome = compare(result(tmp_path, finding("ORDERS", 1)), None, tmp_path)
    assert [f.symbol for f in outcome.new] == ["ORDERS"]


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("{oops", r"baseline .*bad.json is not valid JSON \(line 1"),
        ("[]", r"must be a JSON object with a \"findings\" list"),
        ('{"schema_version": 1, "findings": [{"category": "cache"}]}', r"entry 0 needs an \"id\""),
        ('{"schema_version": 9, "findings": []}', r"schema_version 9"),
    ],
)
def test_a_bad_baseline_is_a_clear_value_error(tmp_path, content, message):
    path = tmp_path / "bad.json"
    path.write_text(content)
    with pytest.raises(ValueError, match=message):
        compare(result(tmp_path, finding("ORDERS", 1)), path, tmp_path)


def test_a_missing_baseline_file_is_a_clear_value_error(tmp_path):
    with pytest.raises(ValueError, match="does not exist"):
        compare(result(tmp_path), tmp_path / "nope.json", tmp_path)


def test_pre_commit_hook_runs_migrator_check_on_the_whole_project():
    hooks = yaml.safe_load((REPO / ".pre-commit-hooks.yaml").read_text())
    (hook,) = [h for h in hooks if h["id"] == "migrator-check"]
    assert hook["entry"] == "migrator check"
    assert hook["language"] == "python"
    assert hook["pass_filenames"] is False


def _allow_examples() -> list[tuple[str, str]]:
    """Every `# migrator: allow[...]` example the playbooks and documents show a user."""
    repo = Path(__file__).resolve().parents[1]
    sources = [*sorted((repo / "playbooks").glob("*.toml")), repo / "README.md", repo / "docs/ci.md"]
    found = []
    for source in sources:
        for line in source.read_text(encoding="utf-8").splitlines():
            if "# migrator: allow[" in line:
                example = line[line.index("# migrator: allow[") :].split("`")[0]
                found.append((source.name, example))
    return found


@pytest.mark.parametrize(("source", "example"), _allow_examples())
def test_every_allow_example_shown_to_users_is_accepted(source: str, example: str) -> None:
    parsed = parse_allow(example)
    assert parsed is not None, (source, example)
    categories, reason = parsed
    if categories == ["category"]:
        return  # the form itself, `allow[category] reason`, not an example
    assert categories and set(categories) <= set(CATEGORIES), (source, example)
    assert any(ch.isalnum() for ch in reason), f"{source}: `{example}` gives no reason"
