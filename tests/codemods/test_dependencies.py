"""add_requirement: the store client joins each dependency list once, formatting kept."""

from __future__ import annotations

import textwrap
from pathlib import Path

from migrator.codemods.dependencies import add_requirement


def write(root: Path, name: str, text: str) -> Path:
    path = root / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(textwrap.dedent(text).lstrip("\n"))
    return path


def test_lists_that_already_name_the_package_are_unchanged(tmp_path: Path) -> None:
    write(tmp_path, "requirements.txt", "Redis[hiredis]==5.0.1  # cache\n")
    write(
        tmp_path,
        "pyproject.toml",
        """
        [project]
        name = "shop"
        dependencies = ["redis>=4"]
        """,
    )
    assert add_requirement(tmp_path, "redis>=5") == {}


def test_multi_line_pyproject_array_keeps_comments_and_layout(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "pyproject.toml",
        """
        [project]
        name = "shop"
        dependencies = [
            "flask>=3",  # the web framework
            "requests"
        ]

        [tool.ruff]
        line-length = 100
        """,
    )
    changes = add_requirement(tmp_path, "redis>=5")
    assert changes == {
        path: textwrap.dedent(
            """\
            [project]
            name = "shop"
            dependencies = [
                "flask>=3",  # the web framework
                "requests",
                "redis>=5",
            ]

            [tool.ruff]
            line-length = 100
            """
        )
    }
    path.write_text(changes[path])
    assert add_requirement(tmp_path, "redis>=5") == {}


def test_single_line_pyproject_array_and_dynamic_dependencies(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "pyproject.toml",
        """
        [project]
        name = "shop"
        dependencies = ["flask"]
        """,
    )
    assert add_requirement(tmp_path, "psycopg[binary]>=3.1")[path].splitlines()[2] == (
        'dependencies = ["flask", "psycopg[binary]>=3.1"]'
    )
    write(
        tmp_path,
        "pyproject.toml",
        """
        [project]
        name = "shop"
        dynamic = ["dependencies"]
        """,
    )
    requirements = write(tmp_path, "requirements/base.txt", "flask")
    assert add_requirement(tmp_path, "redis>=5") == {requirements: "flask\nredis>=5\n"}


def test_setup_cfg_and_setup_py(tmp_path: Path) -> None:
    cfg = write(
        tmp_path,
        "setup.cfg",
        """
        [metadata]
        name = shop

        [options]
        install_requires =
            flask
            requests
        packages = find:
        """,
    )
    setup = write(
        tmp_path,
        "setup.py",
        """
        from setuptools import setup

        REQUIRES = ["flask"]

        setup(name="shop", install_requires=REQUIRES)
        """,
    )
    changes = add_requirement(tmp_path, "redis>=5")
    assert changes[cfg] == textwrap.dedent(
        """\
        [metadata]
        name = shop

        [options]
        install_requires =
            flask
            requests
            redis>=5
        packages = find:
        """
    )
    assert changes[setup] == textwrap.dedent(
        """\
        from setuptools import setup

        REQUIRES = ["flask", "redis>=5"]

        setup(name="shop", install_requires=REQUIRES)
        """
    )
    for path, text in changes.items():
        path.write_text(text)
    assert add_requirement(tmp_path, "redis>=5") == {}


def test_requirements_file_without_final_newline_and_no_lists_at_all(tmp_path: Path) -> None:
    requirements = write(tmp_path, "requirements.txt", "-r base.txt\nflask==3.0")
    requirements.write_text("-r base.txt\nflask==3.0")
    assert add_requirement(tmp_path, "redis>=5") == {
        requirements: "-r base.txt\nflask==3.0\nredis>=5\n"
    }
    empty = tmp_path / "empty"
    empty.mkdir()
    assert add_requirement(empty, "redis>=5") == {empty / "requirements.txt": "redis>=5\n"}
