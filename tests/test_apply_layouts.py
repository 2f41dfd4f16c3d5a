"""`migrator apply` on real layouts: a package folder, a namespace package, a src layout, CRLF and
latin-1 files, stale plans, and phases that migrate nothing the runtime carries.

Each test builds a small service in a real git repository in a temporary folder and runs the
real CLI on it (see `tests/support/gitrepo.py` for the isolated environment).
"""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from migrator.apply import apply_phase
from migrator.apply.edits import phase_edits
from migrator.apply.import_check import UnresolvedImport
from migrator.plan import load_plan
from migrator.settings import load_settings

from .conftest import gitrepo

Project = gitrepo.Project

SESSIONS = """\
SESSIONS = {}


def login(sid, user):
    SESSIONS[sid] = {"user": user, "cart": []}


def add_to_cart(sid, item):
    SESSIONS[sid]["cart"].append(item)


def who(sid):
    return SESSIONS.get(sid, {}).get("user")
"""


def service(tmp_path: Path, files: dict[str, str | bytes]) -> Project:
    """A repository holding `files`, committed on `main`."""
    root = tmp_path / "service"
    for name, content in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(textwrap.dedent(content))
    project = Project(root, gitrepo.isolated_env(tmp_path))
    project.git("init", "--quiet", "--initial-branch=main")
    project.git("config", "user.name", "Service Developer")
    project.git("config", "user.email", "dev@service.test")
    project.git("config", "core.autocrlf", "false")
    project.git("add", "--all")
    project.git("commit", "--quiet", "-m", "The service as it runs today")
    return project


def plan_and_apply(project: Project, folder: str, *phases: str) -> None:
    run = project.migrator("plan", folder)
    assert run.code == 0, run.stderr
    for phase in phases:
        run = project.migrator("apply", folder, "--phase", phase)
        assert run.code == 0, run.stderr


def runs(project: Project, code: str) -> subprocess.CompletedProcess[str]:
    """`python -c code` from the repository's top, every flag `off`."""
    return subprocess.run(
        [sys.executable, "-c", code],
        cwd=project.root,
        env={**project.env, "STATELESS_MODE": "off"},
        capture_output=True,
        text=True,
        timeout=60,
    )


def committed(project: Project) -> set[str]:
    return set(project.git("show", "--name-only", "--format=", "HEAD").split())


# -- the import root --------------------------------------------------------------------------


def test_run_on_a_package_folder_imports_the_runtime_by_its_full_name(tmp_path: Path) -> None:
    project = service(
        tmp_path,
        {
            "pyproject.toml": """\
                [project]  # the service
                name = "app"
                version = "1"
                dependencies = ["flask"]  # keep this short
                """,
            "uv.lock": "version = 1\n",
            "app/__init__.py": "",
            "app/utils/__init__.py": "",
            "app/utils/sessions.py": SESSIONS,
            "app/views.py": """\
                from app.utils.sessions import add_to_cart, login, who


                def handle(sid):
                    login(sid, "ann")
                    add_to_cart(sid, "tea")
                    return who(sid)
                """,
        },
    )

    plan_and_apply(project, "app", "1")

    sessions = (project.root / "app/utils/sessions.py").read_text()
    assert "from app._stateless import kv\n" in sessions
    assert (project.root / "app/_stateless/__init__.py").is_file()
    done = runs(project, "import app.views; print(app.views.handle('s1'))")
    assert done.returncode == 0, done.stderr
    assert done.stdout == "ann\n"
    # The dependency goes where the project declares it, comment kept; no new file.
    assert (project.root / "pyproject.toml").read_text() == textwrap.dedent(
        """\
        [project]  # the service
        name = "app"
        version = "1"
        dependencies = ["flask", "redis>=5"]  # keep this short
        """
    )
    assert not (project.root / "app/requirements.txt").exists()
    assert "pyproject.toml" in committed(project)


def test_the_lock_file_to_refresh_is_reported(tmp_path: Path) -> None:
    project = service(
        tmp_path,
        {
            "pyproject.toml": '[project]\nname = "app"\nversion = "1"\ndependencies = []\n',
            "uv.lock": "version = 1\n",
            "app/__init__.py": "",
            "app/sessions.py": SESSIONS,
        },
    )
    assert project.migrator("plan", "app").code == 0
    root = project.root / "app"
    plan = load_plan(root / "migration-plan" / "plan.json")

    edits = phase_edits(root, plan, 1, load_settings(root))

    assert edits.notes == ["`uv.lock` is stale: run `uv lock` and commit it"]


def test_a_namespace_package_is_named_from_the_imports(tmp_path: Path) -> None:
    # `app/` has no `__init__.py`: the views' own imports say the package is `app`.
    project = service(
        tmp_path,
        {
            "requirements.txt": "flask\n",
            "app/utils/__init__.py": "",
            "app/utils/sessions.py": SESSIONS,
            "app/views.py": """\
                from app.utils.sessions import login, who


                def handle(sid):
                    login(sid, "ann")
                    return who(sid)
                """,
        },
    )

    plan_and_apply(project, "app", "1")

    assert "from app._stateless import kv\n" in (project.root / "app/utils/sessions.py").read_text()
    done = runs(project, "import app.views; print(app.views.handle('s1'))")
    assert done.returncode == 0, done.stderr
    assert (project.root / "requirements.txt").read_text() == "flask\nredis>=5\n"
    assert not (project.root / "app/requirements.txt").exists()


def test_a_src_layout_whose_setup_py_reads_requirements_txt(tmp_path: Path) -> None:
    project = service(
        tmp_path,
        {
            "setup.py": """\
                from setuptools import find_packages, setup

                install_requires = open("requirements.txt").read().splitlines()

                setup(
                    name="shop",
                    package_dir={"": "src"},
                    packages=find_packages("src"),
                    install_requires=install_requires,
                )
                """,
            "requirements.txt": "flask>=3\n",
            "src/shop/__init__.py": "",
            "src/shop/state.py": SESSIONS,
        },
    )

    plan_and_apply(project, "src/shop", "1")

    state = (project.root / "src/shop/state.py").read_text()
    assert "from shop._stateless import kv\n" in state
    assert (project.root / "requirements.txt").read_text() == "flask>=3\nredis>=5\n"
    assert not (project.root / "src/shop/requirements.txt").exists()
    done = subprocess.run(
        [sys.executable, "-c", "import shop.state as s; s.login('a', 'ann'); print(s.who('a'))"],
        cwd=project.root,
        env={**project.env, "STATELESS_MODE": "off", "PYTHONPATH": str(project.root / "src")},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.stdout == "ann\n", done.stderr


def test_an_import_that_would_not_resolve_refuses_the_phase_and_writes_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    project = service(
        tmp_path,
        {
            "pyproject.toml": '[project]\nname = "app"\nversion = "1"\n',
            "app/__init__.py": "",
            "app/utils/__init__.py": "",
            "app/utils/sessions.py": SESSIONS,
        },
    )
    assert project.migrator("plan", "app").code == 0
    files, head = project.files(), project.git("rev-parse", "HEAD")
    # The runtime named from the folder `apply` was given, as it used to be: `utils._stateless`.
    monkeypatch.setattr(
        "migrator.apply.edits.place_runtime",
        lambda roots, root, findings: ("utils._stateless", "utils"),
    )

    with pytest.raises(UnresolvedImport) as refused:
        apply_phase(project.root / "app", 1)

    assert str(refused.value) == (
        "utils/sessions.py:1: the rewrite would import `utils._stateless`, which is not found "
        "from the import root `.`; nothing was written"
    )
    assert project.files() == files
    assert project.git("rev-parse", "HEAD") == head
    assert project.branches == {"main"}


# -- each file as its author keeps it ---------------------------------------------------------

QUEUE_LATIN_1 = (
    (
        "# -*- coding: latin-1 -*-\n"
        '"""Les tâches en attente."""\n'
        "import queue\n"
        "\n"
        "JOBS = queue.Queue()\n"
        "\n"
        "\n"
        "def submit(job):\n"
        "    JOBS.put(job)\n"
    )
    .replace("\n", "\r\n")
    .encode("latin-1")
)


def test_crlf_latin_1_and_a_missing_final_newline_are_kept(tmp_path: Path) -> None:
    crlf = SESSIONS.replace("\n", "\r\n").removesuffix("\r\n").encode()
    project = service(
        tmp_path,
        {
            "requirements.txt": b"flask\r\n",
            "shop/__init__.py": b"",
            "shop/state.py": crlf,
            "shop/jobs.py": QUEUE_LATIN_1,
        },
    )

    plan_and_apply(project, ".", *[str(p["number"]) for p in _migrate_phases(project)])

    state = (project.root / "shop/state.py").read_bytes()
    assert b"\n" not in state.replace(b"\r\n", b"")
    assert not state.endswith(b"\n")  # it had no final newline
    added, removed = _numstat(project, "shop/state.py")
    # The import, a blank line and the definition; the nested append becomes an `edit` block.
    assert (added, removed) == (5, 2)
    assert (project.root / "requirements.txt").read_bytes() == b"flask\r\nredis>=5\r\n"
    # The generated runtime takes the project's newline.
    runtime = (project.root / "shop/_stateless/flags.py").read_bytes()
    assert b"\n" not in runtime.replace(b"\r\n", b"")
    jobs = (project.root / "shop/jobs.py").read_bytes().decode("latin-1")
    assert '"""Les tâches en attente."""\r\n' in jobs
    assert "\n" not in jobs.replace("\r\n", "")
    assert "# TODO(stateless): `JOBS` (queue background) must be moved by hand - see" in jobs


def _migrate_phases(project: Project) -> list[dict[str, object]]:
    assert project.migrator("plan", ".").code == 0
    return [p for p in project.plan_json()["phases"] if p["kind"] == "migrate"]


def _numstat(project: Project, path: str) -> tuple[int, int]:
    first = project.git("rev-list", "--max-parents=0", "HEAD").strip()
    added, removed, _name = project.git("diff", "--numstat", first, "HEAD", "--", path).split()
    return int(added), int(removed)


# -- what apply never touches, and markers at today's lines -----------------------------------


def test_a_plan_naming_vendored_code_migrations_and_scripts_leaves_them_alone(
    tmp_path: Path,
) -> None:
    untouched = {
        "shop/vendor/tool/legacy.py": "from shop.state import JOBS\n\nJOBS.put(1)\n",
        "shop/migrations/0001_initial.py": "from shop.state import JOBS\n\nJOBS.put(2)\n",
        "scripts/release.py": "from shop.state import JOBS\n\nJOBS.put(3)\n",
    }
    project = service(
        tmp_path,
        {
            "pyproject.toml": '[project]\nname = "shop"\nversion = "1"\n',
            "shop/__init__.py": "",
            "shop/state.py": "import queue\n\nJOBS = queue.Queue()\n\n\ndef submit(job):\n    JOBS.put(job)\n",
            **untouched,
        },
    )
    assert project.migrator("plan", ".").code == 0
    # The plan was made by an older scan that read those files too.
    plan_file = project.root / "migration-plan/plan.json"
    plan = json.loads(plan_file.read_text())
    (component,) = [c for c in plan["components"].values() if c["symbol"] == "JOBS"]
    component["evidence"] += [{"path": p, "line": 3, "access": "mutate"} for p in untouched]
    plan_file.write_text(json.dumps(plan))
    number = next(p["number"] for p in plan["phases"] if component["id"] in p["findings"])

    run = project.migrator("apply", ".", "--phase", str(number))

    assert run.code == 0, run.stderr
    for path, text in untouched.items():
        assert (project.root / path).read_text() == text, path
    assert "TODO(stateless)" in (project.root / "shop/state.py").read_text()


def test_markers_of_a_later_phase_land_on_todays_lines(tmp_path: Path) -> None:
    views = """\
        import queue

        from shop.state import SESSIONS

        JOBS = queue.Queue()


        def add_to_cart(sid, item):
            SESSIONS[sid]["cart"].append(item)
            SESSIONS[sid]["count"] = len(SESSIONS[sid]["cart"])


        def submit(job):
            JOBS.put(job)
        """
    project = service(
        tmp_path,
        {
            "requirements.txt": "flask\n",
            "shop/__init__.py": "",
            "shop/state.py": "SESSIONS = {}\n",
            "shop/views.py": views,
        },
    )
    assert project.migrator("plan", ".").code == 0
    plan_file = project.root / "migration-plan/plan.json"
    plan = json.loads(plan_file.read_text())
    by_symbol = {c["symbol"]: c["id"] for c in plan["components"].values()}
    # A person moved the queue to a phase of its own, after the sessions.
    for phase in plan["phases"]:
        phase["findings"] = [i for i in phase["findings"] if i != by_symbol["JOBS"]]
    phases = [p for p in plan["phases"] if p["kind"] == "migrate" and p["findings"]]
    later = dict(phases[-1], number=len(phases) + 1, slug="queues", findings=[by_symbol["JOBS"]])
    later["flags"] = []
    plan["phases"] = [*phases, later] + [p for p in plan["phases"] if p["kind"] != "migrate"]
    for number, phase in enumerate(plan["phases"], 1):
        phase["number"] = number
    plan_file.write_text(json.dumps(plan))

    for number in range(1, len(phases) + 2):
        run = project.migrator("apply", ".", "--phase", str(number))
        assert run.code == 0, run.stderr

    lines = (project.root / "shop/views.py").read_text().splitlines()
    marked = [lines[n + 1].strip() for n, line in enumerate(lines) if "`JOBS`" in line]
    assert marked == ["JOBS = queue.Queue()", "JOBS.put(job)"], lines


# -- the runtime only where a component uses it -----------------------------------------------


def test_no_runtime_lands_when_no_component_uses_it(tmp_path: Path) -> None:
    project = service(
        tmp_path,
        {
            "requirements.txt": "flask\nflask-caching\n",
            "shop/__init__.py": """\
                from flask import Flask
                from flask_caching import Cache

                cache = Cache(config={"CACHE_TYPE": "SimpleCache"})


                def create_app():
                    app = Flask(__name__)
                    cache.init_app(app)
                    return app
                """,
            # `kv` already names something here: the session codemod refuses the module.
            "shop/state.py": "kv = None\n" + SESSIONS,
        },
    )
    assert project.migrator("plan", ".").code == 0
    plan_file = project.root / "migration-plan/plan.json"
    plan = json.loads(plan_file.read_text())
    migrate = [p for p in plan["phases"] if p["kind"] == "migrate"]
    assert len(migrate) >= 2, plan["phases"]
    # A person ships the sessions first, then the cache switch.
    first, second = migrate[0], migrate[1]
    first["findings"], second["findings"] = second["findings"], first["findings"]
    first["flags"], second["flags"] = second["flags"], first["flags"]
    plan_file.write_text(json.dumps(plan))

    for number in (first["number"], second["number"]):
        run = project.migrator("apply", ".", "--phase", str(number))
        assert run.code == 0, run.stderr

    assert "RedisCache" in (project.root / "shop/__init__.py").read_text()
    assert not (project.root / "shop/_stateless").exists()
