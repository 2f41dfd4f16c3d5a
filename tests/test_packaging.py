"""The wheel carries every feature: codemods, templates and playbooks inside `migrator`,
nothing else at the top level, and it works unpacked on its own, away from the repo."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import zipfile
from importlib.metadata import version
from pathlib import Path

import pytest

from migrator.model import CATEGORIES

REPO = Path(__file__).resolve().parents[1]
# What a source checkout holds that a wheel build never reads; copying it only costs time.
NOT_SOURCES = shutil.ignore_patterns(
    *""".git .hypothesis .mypy_cache .ruff_cache .pytest_cache __pycache__ *.egg-info build
    dist .venv venv tests examples artifacts migration-plan""".split()
)


def _setuptools_is_recent() -> bool:
    try:
        return int(version("setuptools").split(".")[0]) >= 77  # pyproject's build requirement
    except Exception:  # noqa: BLE001 - absent or unparsable: let pip fetch it
        return False


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A wheel built from a copy of the repo, so the build writes nothing into the checkout."""
    work = tmp_path_factory.mktemp("wheel")
    source = work / "source"
    shutil.copytree(REPO, source, ignore=NOT_SOURCES)
    command = [sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(work / "dist")]
    if _setuptools_is_recent():
        command.append("--no-build-isolation")
    done = subprocess.run([*command, str(source)], capture_output=True, text=True, timeout=240)
    assert done.returncode == 0, done.stdout + done.stderr
    (built,) = (work / "dist").glob("stateless_migrator-*.whl")
    return built


@pytest.fixture(scope="module")
def names(wheel: Path) -> set[str]:
    with zipfile.ZipFile(wheel) as archive:
        return set(archive.namelist())


def repo_files(folder: str, pattern: str) -> set[str]:
    """Files of a repo folder, as relative posix paths."""
    base = REPO / folder
    return {p.relative_to(base).as_posix() for p in base.glob(pattern) if p.is_file()}


def wheel_files(names: set[str], folder: str) -> set[str]:
    prefix = f"{folder}/"
    return {n[len(prefix) :] for n in names if n.startswith(prefix)}


def test_only_migrator_at_the_top_level(names: set[str]) -> None:
    top = {n.split("/")[0] for n in names}
    dist_info = {t for t in top if t.endswith(".dist-info")}
    assert len(dist_info) == 1
    assert top - dist_info == {"migrator"}


def test_every_engine_module_is_packaged(names: set[str]) -> None:
    # Packages are listed one by one in pyproject.toml; a new subpackage left off is lost.
    engine = {p for p in repo_files("migrator", "**/*.py") if "__pycache__" not in p}
    assert engine - wheel_files(names, "migrator") == set()
    for folder in ("report", "plan", "inventory/detectors"):
        assert any(n.startswith(f"migrator/{folder}/") for n in names), folder


def test_codemods_ship_inside_migrator(names: set[str]) -> None:
    codemods = repo_files("codemods", "*.py")
    assert codemods, "the repo has codemods to ship"
    assert codemods <= wheel_files(names, "migrator/codemods")


def test_plan_templates_ship(names: set[str]) -> None:
    plan = repo_files("templates", "plan/*.j2")
    assert {"plan/PLAN.md.j2", "plan/plan.html.j2"} <= plan
    assert plan <= wheel_files(names, "migrator/templates")


def test_runtime_templates_ship_when_present(names: set[str]) -> None:
    runtime = repo_files("templates", "runtime/**/*.j2")
    if not runtime:
        pytest.skip("templates/runtime/ holds no templates yet")
    assert runtime <= wheel_files(names, "migrator/templates")


def test_all_ten_playbooks_ship(names: set[str]) -> None:
    shipped = {n for n in wheel_files(names, "migrator/playbooks") if n.endswith(".toml")}
    assert shipped == {f"{category}.toml" for category in CATEGORIES}
    assert len(shipped) == 10


def test_no_tests_examples_or_caches_in_the_wheel(names: set[str]) -> None:
    assert not [n for n in names if "__pycache__" in n or n.endswith(".pyc")]
    assert not [n for n in names if n.split("/")[1:2] in (["tests"], ["examples"])]


def test_unpacked_wheel_works_on_its_own(wheel: Path, tmp_path: Path) -> None:
    site = tmp_path / "site"
    with zipfile.ZipFile(wheel) as archive:
        archive.extractall(site)
    project = tmp_path / "project"
    (project / "svc").mkdir(parents=True)
    (project / "svc" / "auth.py").write_text(
        "SESSIONS = {}\n\n\ndef login(sid, user):\n    SESSIONS[sid] = user\n"
    )
    # The wheel's copy comes first on the path; the repo's editable install must not answer.
    env = {**os.environ, "PYTHONPATH": str(site), "MIGRATOR_CACHE_DIR": str(tmp_path / "cache")}

    def run(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, *args],
            cwd=tmp_path,
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
        )

    where = run(
        "-c",
        "import importlib, json, pkgutil, migrator\n"
        "mods = [m.name for m in pkgutil.walk_packages(migrator.__path__, 'migrator.')\n"
        "        if m.name != 'migrator.__main__']  # importing __main__ runs the CLI\n"
        "for name in mods:\n    importlib.import_module(name)\n"
        "print(json.dumps([migrator.__file__, mods]))",
    )
    assert where.returncode == 0, where.stderr
    init_file, modules = json.loads(where.stdout)
    assert Path(init_file).is_relative_to(site)
    assert "migrator.codemods.key_value_store" in modules

    book = run("-m", "migrator", "playbook", "lock")
    assert book.returncode == 0, book.stderr
    assert "`lock`" in book.stdout

    plan = run("-m", "migrator", "plan", "project", "--out", "plan-out")
    assert plan.returncode == 0, plan.stderr
    for document in ("plan.json", "PLAN.md", "plan.html"):
        assert (tmp_path / "plan-out" / document).stat().st_size > 0
    assert "SESSIONS" in (tmp_path / "plan-out" / "PLAN.md").read_text(encoding="utf-8")


def test_the_distribution_is_ours_and_installs_the_migrator_command(
    wheel: Path, names: set[str]
) -> None:
    # `migrator` on the package index is an unrelated 2015 project: ours is stateless-migrator.
    (meta,) = [n for n in names if n.endswith(".dist-info/METADATA")]
    (entry_points,) = [n for n in names if n.endswith(".dist-info/entry_points.txt")]
    with zipfile.ZipFile(wheel) as archive:
        headers = archive.read(meta).decode()
        scripts = archive.read(entry_points).decode()
    assert "\nName: stateless-migrator\n" in headers
    assert "migrator = migrator.cli:main" in scripts


@pytest.mark.parametrize("document", ["README.md", "docs/ci.md"])
def test_install_instructions_never_fetch_the_other_migrator(document: str) -> None:
    text = (REPO / document).read_text(encoding="utf-8")
    for line in text.splitlines():
        words = line.replace('"', " ").replace("'", " ").split()
        if "install" in words and "migrator" in words:
            raise AssertionError(f"{document}: {line.strip()}")
