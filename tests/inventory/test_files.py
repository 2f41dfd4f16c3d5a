"""Which files a scan reads: code that does not serve requests is left out by default, each
rule counted by its reason, and nothing the service lives in is left out with it."""

from __future__ import annotations

import subprocess
import textwrap
from pathlib import Path
from typing import Any

import pytest

from migrator.inventory.files import ProjectFiles, is_test_file, list_project_files
from migrator.settings import SettingsError, load_settings

CODE = "STATE = {}\n"
SETUP = "from setuptools import setup\n\nsetup(name='x')\n"
PROJECT = '[project]\nname = "x"\nversion = "1"\n'


def tree(root: Path, files: dict[str, str] | list[str]) -> Path:
    items = files.items() if isinstance(files, dict) else ((rel, CODE) for rel in files)
    for rel, text in items:
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text), encoding="utf-8")
    return root


def scanned(root: Path, **options: Any) -> ProjectFiles:
    return list_project_files(root, **options)


# Tests, fixtures and docs.


def test_test_folders_of_every_usual_name_are_left_out(tmp_path: Path) -> None:
    tests = [
        "tests/test_app.py",
        "svc/tests/helpers.py",
        "integ_tests/common.py",
        "api_tests/client.py",
        "tests_unit/base.py",
        "e2e/journey.py",
        "functional_tests/flows.py",
        "docs/conf.py",
        "svc/conftest.py",
    ]
    files = scanned(tree(tmp_path, ["svc/app.py", *tests]))
    assert files.python == ("svc/app.py",)
    assert files.left_out == {"tests": len(tests)}


def test_folders_that_only_look_like_tests_are_kept(tmp_path: Path) -> None:
    kept = ["contests/views.py", "attestations/store.py", "latest/feed.py"]
    files = scanned(tree(tmp_path, kept))
    assert files.python == tuple(sorted(kept))
    assert files.left_out == {}


def test_include_tests_keeps_tests_and_examples(tmp_path: Path) -> None:
    tree(tmp_path, ["svc/app.py", "integ_tests/common.py", "examples/demo.py"])
    files = scanned(tmp_path, include_tests=True)
    assert files.python == ("examples/demo.py", "integ_tests/common.py", "svc/app.py")
    assert files.left_out == {}


def test_is_test_file_knows_the_new_folder_names() -> None:
    assert is_test_file("integ_tests/common.py")
    assert is_test_file("e2e/steps.py")
    assert not is_test_file("svc/contests.py")


# Migrations.


def test_django_migrations_are_left_out(tmp_path: Path) -> None:
    tree(
        tmp_path,
        [
            "shop/models.py",
            "shop/migrations/__init__.py",
            "shop/migrations/0001_initial.py",
            "shop/migrations/0002_squashed_0005_cart.py",
            "blog/migrations/__init__.py",  # a new app: no migration yet
        ],
    )
    files = scanned(tmp_path)
    assert files.python == ("shop/models.py",)
    assert files.left_out == {"migrations": 4}


def test_a_module_or_package_named_migrations_that_holds_no_migrations_is_kept(
    tmp_path: Path,
) -> None:
    kept = [
        "app/migrations.py",
        "db/migrations/__init__.py",  # a framework's own migration engine
        "db/migrations/runner.py",
    ]
    files = scanned(tree(tmp_path, kept))
    assert files.python == tuple(sorted(kept))
    assert files.left_out == {}


def test_alembic_scripts_and_revisions_are_left_out(tmp_path: Path) -> None:
    tree(
        tmp_path,
        [
            "app/main.py",
            "migrations/env.py",
            "migrations/versions/2b017edaa91f_posts.py",
            "app/alembic/env.py",
            "app/alembic/versions/e2412789c190_init.py",
            "alembic/versions/1a31ce608336_cascade.py",
        ],
    )
    (tmp_path / "migrations" / "script.py.mako").write_text("${upgrades}\n")
    files = scanned(tmp_path)
    assert files.python == ("app/main.py",)
    assert files.left_out == {"migrations": 5}
    assert "migrations/script.py.mako" in files.other


def test_a_versions_module_outside_alembic_is_kept(tmp_path: Path) -> None:
    files = scanned(tree(tmp_path, ["api/versions/v1.py", "api/alembic.py"]))
    assert files.python == ("api/alembic.py", "api/versions/v1.py")


# Management commands.


def test_django_management_commands_are_left_out(tmp_path: Path) -> None:
    tree(
        tmp_path,
        [
            "core/views.py",
            "core/management/__init__.py",
            "core/management/commands/__init__.py",
            "core/management/commands/sendalerts.py",
        ],
    )
    files = scanned(tmp_path)
    assert files.python == ("core/management/__init__.py", "core/views.py")
    assert files.left_out == {"management commands": 2}


def test_a_management_package_of_views_is_kept(tmp_path: Path) -> None:
    kept = ["forum/management/views.py", "forum/commands/handlers.py"]
    assert scanned(tree(tmp_path, kept)).python == tuple(sorted(kept))


# Release scripts and offline tools.


def test_tool_folders_and_release_files_at_the_top_are_left_out(tmp_path: Path) -> None:
    tools = [
        "scripts/release_notes.py",
        "tools/lint.py",
        "bin/run.py",
        "benchmarks/load.py",
        "bench/micro.py",
        "contrib/plugin.py",
        "extras/authors.py",
        "dev/seed.py",
        "ci/check.py",
        ".github/scripts/labels.py",
        "noxfile.py",
        "fabfile.py",
        "release.py",
    ]
    tree(tmp_path, ["svc/app.py", *tools])
    tree(tmp_path, {"setup.py": SETUP, "tasks.py": "from invoke import task\n"})
    files = scanned(tmp_path)
    assert files.python == ("svc/app.py",)
    assert files.left_out == {"scripts and tools": len(tools) + 2}


def test_tool_folder_names_inside_the_application_are_kept(tmp_path: Path) -> None:
    tree(
        tmp_path,
        [
            "svc/tools/cache.py",
            "svc/contrib/auth.py",
            "svc/bin/helpers.py",
        ],
    )
    tree(
        tmp_path,
        {
            "tasks.py": "from celery import shared_task\n",  # Celery tasks serve the app
            "forms/setup.py": "class SetupForm:\n    pass\n",  # a form, not packaging
        },
    )
    files = scanned(tmp_path)
    assert files.python == (
        "forms/setup.py",
        "svc/bin/helpers.py",
        "svc/contrib/auth.py",
        "svc/tools/cache.py",
        "tasks.py",
    )
    assert files.left_out == {}


def test_the_top_of_a_packaged_sub_folder_counts_as_a_project_top(tmp_path: Path) -> None:
    tree(tmp_path, ["backend/app/main.py", "backend/scripts/prestart.py"])
    tree(tmp_path, {"backend/pyproject.toml": PROJECT})
    files = scanned(tmp_path)
    assert files.python == ("backend/app/main.py",)
    assert files.left_out == {"scripts and tools": 1}


def test_deployment_files_in_tool_folders_are_still_read(tmp_path: Path) -> None:
    tree(tmp_path, {"svc/app.py": CODE, "ci/Dockerfile": "FROM python\n"})
    assert "ci/Dockerfile" in scanned(tmp_path).other


# Vendored code.


@pytest.mark.parametrize("in_git", [True, False], ids=["git", "plain-folder"])
def test_vendor_folders_are_left_out_without_configuration(tmp_path: Path, in_git: bool) -> None:
    vendored = [
        "vendor/lib.py",
        "svc/_vendor/six.py",
        "vendored/x.py",
        "third_party/y.py",
        "thirdparty/z.py",
        "extern/a.py",
        "externals/b.py",
    ]
    tree(tmp_path, ["svc/app.py", *vendored])
    tree(tmp_path, {"vendor/Dockerfile": "FROM python\n"})
    if in_git:
        subprocess.run(["git", "init", "-q", str(tmp_path)], check=True, capture_output=True)
    files = scanned(tmp_path)
    assert files.python == ("svc/app.py",)
    assert files.left_out == {"vendored": len(vendored)}
    assert "vendor/Dockerfile" not in files.other


def test_a_packaged_sub_folder_inside_a_project_is_vendored(tmp_path: Path) -> None:
    tree(tmp_path, [f"svc/m{i}.py" for i in range(5)] + ["libs/fork/fork/a.py"])
    tree(
        tmp_path,
        {
            "pyproject.toml": PROJECT,
            "libs/fork/setup.py": SETUP,
            "libs/fork/README.md": "fork\n",
        },
    )
    files = scanned(tmp_path)
    assert files.python == tuple(f"svc/m{i}.py" for i in range(5))
    # Its setup.py is counted as packaging, the rest of it as vendored.
    assert files.left_out == {"scripts and tools": 1, "vendored": 1}
    assert "libs/fork/README.md" not in files.other


def test_a_monorepo_backend_with_its_own_pyproject_is_the_service(tmp_path: Path) -> None:
    tree(tmp_path, ["backend/app/main.py", "backend/app/api.py", "hooks/pre_commit.py"])
    tree(
        tmp_path,
        {"backend/pyproject.toml": PROJECT, "pyproject.toml": "[tool.ruff]\nline-length = 100\n"},
    )
    files = scanned(tmp_path)
    assert files.python == ("backend/app/api.py", "backend/app/main.py", "hooks/pre_commit.py")
    assert files.left_out == {}


def test_a_packaged_sub_folder_larger_than_the_code_around_it_is_kept(tmp_path: Path) -> None:
    tree(tmp_path, ["manage.py"] + [f"backend/app/m{i}.py" for i in range(3)])
    tree(tmp_path, {"pyproject.toml": PROJECT, "backend/pyproject.toml": PROJECT})
    assert len(scanned(tmp_path).python) == 4


def test_sibling_services_in_a_folder_that_is_no_project_are_all_kept(tmp_path: Path) -> None:
    tree(tmp_path, ["__init__.py", "bot/bot.py", "bot/main.py", "chat/chat/main.py"])
    tree(tmp_path, {"chat/setup.py": SETUP})
    assert scanned(tmp_path).python == (
        "__init__.py",
        "bot/bot.py",
        "bot/main.py",
        "chat/chat/main.py",
    )


def test_packaged_sub_folders_that_hold_most_of_the_code_are_kept(tmp_path: Path) -> None:
    tree(
        tmp_path,
        ["svc/a.py", "svc/b.py", "svc/c.py"]
        + [f"libs/one/one/m{i}.py" for i in range(2)]
        + [f"libs/two/two/m{i}.py" for i in range(2)],
    )
    tree(
        tmp_path,
        {"pyproject.toml": PROJECT, "libs/one/pyproject.toml": PROJECT, "libs/two/setup.py": SETUP},
    )
    assert len(scanned(tmp_path).python) == 7  # 4 of 7 would be "vendored": none is


def test_a_pyproject_without_a_project_table_is_no_packaging(tmp_path: Path) -> None:
    tree(tmp_path, [f"svc/m{i}.py" for i in range(3)] + ["svc/plugins/x.py"])
    tree(
        tmp_path,
        {
            "pyproject.toml": PROJECT,
            "svc/plugins/pyproject.toml": "[tool.black]\nline-length = 99\n",
        },
    )
    assert "svc/plugins/x.py" in scanned(tmp_path).python


# Examples, and what overrides the defaults.


def test_examples_are_left_out_when_the_service_is_elsewhere(tmp_path: Path) -> None:
    files = scanned(tree(tmp_path, ["svc/app.py", "examples/demo.py", "sample_app/app.py"]))
    assert files.python == ("svc/app.py",)
    assert files.left_out == {"examples": 2}
    assert not files.scanned_examples


def test_examples_are_scanned_when_nothing_else_holds_python(tmp_path: Path) -> None:
    tree(
        tmp_path,
        ["examples/shop/app.py", "examples/shop/tests/test_app.py", "scripts/build_docs.py"],
    )
    files = scanned(tmp_path)
    assert files.python == ("examples/shop/app.py",)
    assert files.scanned_examples
    assert files.left_out == {"tests": 1, "scripts and tools": 1}


def test_include_patterns_keep_what_a_default_rule_leaves_out(tmp_path: Path) -> None:
    tree(tmp_path, ["svc/app.py", "scripts/worker.py", "vendor/patched.py", "tests/t.py"])
    files = scanned(tmp_path, include=["scripts/worker.py", "vendor/"])
    assert files.python == ("scripts/worker.py", "svc/app.py", "vendor/patched.py")
    assert files.left_out == {"tests": 1}


def test_exclude_wins_over_include(tmp_path: Path) -> None:
    tree(tmp_path, ["svc/app.py", "scripts/worker.py"])
    files = scanned(tmp_path, exclude=["scripts/"], include=["scripts/"])
    assert files.python == ("svc/app.py",)


def test_include_setting_is_read_and_checked(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text('[tool.migrator]\ninclude = ["scripts/"]\n')
    assert load_settings(tmp_path).include == ("scripts/",)
    (tmp_path / "pyproject.toml").write_text('[tool.migrator]\ninclude = "scripts/"\n')
    with pytest.raises(SettingsError, match="tool.migrator.include = .scripts/. is not allowed"):
        load_settings(tmp_path)


def test_tool_folder_names_in_a_package_scanned_as_the_root_are_kept(tmp_path: Path) -> None:
    kept = ["__init__.py", "contrib/auth/views.py", "tools/cache.py"]
    assert scanned(tree(tmp_path, kept)).python == tuple(sorted(kept))


def test_include_keeps_a_file_of_a_vendored_package(tmp_path: Path) -> None:
    tree(
        tmp_path,
        [f"svc/m{i}.py" for i in range(3)] + ["libs/fork/fork/a.py", "libs/fork/fork/b.py"],
    )
    tree(tmp_path, {"pyproject.toml": PROJECT, "libs/fork/setup.py": SETUP})
    files = scanned(tmp_path, include=["libs/fork/fork/a.py"])
    assert "libs/fork/fork/a.py" in files.python
    assert "libs/fork/fork/b.py" not in files.python
    assert files.left_out["vendored"] == 1
