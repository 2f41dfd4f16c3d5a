"""The TOML dependency lists: PEP 621, Poetry, Pipfile, edited with tomlkit, comments kept."""

from __future__ import annotations

import sys
import textwrap

from migrator.codemods.dependencies import pep621, pipfile, poetry
from packaging.requirements import Requirement

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

REDIS = [Requirement("redis>=5")]
BOTH = [Requirement("redis>=5"), Requirement("psycopg[binary]>=3.1")]


def dedent(text: str) -> str:
    return textwrap.dedent(text).lstrip("\n")


def test_a_list_that_already_names_the_package_is_unchanged() -> None:
    before = dedent(
        """
        [project]
        name = "shop"
        dependencies = ["Redis[hiredis]==5.0.1"]
        """
    )
    edit = pep621(before, REDIS)
    assert edit.text == before
    assert edit.declared and edit.notes == ()


def test_a_declaration_that_may_install_an_older_version_gets_a_note_not_a_duplicate() -> None:
    before = dedent(
        """
        [project]
        name = "shop"
        dependencies = ["redis>=4", "psycopg>=3.1"]
        """
    )
    edit = pep621(before, BOTH)
    assert edit.text == before
    assert len(edit.notes) == 2
    assert "`redis>=4`" in edit.notes[0] and "`redis>=5`" in edit.notes[0]
    assert "`psycopg>=3.1`" in edit.notes[1]  # without the `binary` extra


def test_a_multi_line_array_keeps_its_comments_and_layout() -> None:
    before = dedent(
        """
        [project]  # the service
        name = "shop"
        dependencies = [
            "flask>=3",  # the web framework
            "requests",
        ]

        [tool.ruff]
        line-length = 100
        """
    )
    after = dedent(
        """
        [project]  # the service
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
    edit = pep621(before, REDIS)
    assert edit.text == after
    assert pep621(after, REDIS).text == after


def test_a_single_line_array_with_a_trailing_comment_stays_valid_toml() -> None:
    before = dedent(
        """
        [project]
        name = "shop"
        dependencies = ["flask"]  # keep this short
        """
    )
    after = dedent(
        """
        [project]
        name = "shop"
        dependencies = ["flask", "redis>=5", "psycopg[binary]>=3.1"]  # keep this short
        """
    )
    edit = pep621(before, BOTH)
    assert edit.text == after
    assert tomllib.loads(edit.text)["project"]["dependencies"][1] == "redis>=5"


def test_a_project_without_a_dependencies_key_gets_one() -> None:
    before = dedent(
        """
        [project]
        name = "shop"
        version = "1"

        [tool.ruff]
        line-length = 100
        """
    )
    after = dedent(
        """
        [project]
        name = "shop"
        version = "1"
        dependencies = ["redis>=5"]

        [tool.ruff]
        line-length = 100
        """
    )
    assert pep621(before, REDIS).text == after


def test_dynamic_dependencies_point_at_the_files_setuptools_reads() -> None:
    before = dedent(
        """
        [project]
        name = "shop"
        dynamic = ["dependencies"]

        [tool.setuptools.dynamic]
        dependencies = {file = ["requirements/base.txt"]}
        """
    )
    edit = pep621(before, REDIS)
    assert edit.text == before
    assert edit.declared and edit.reads == ("requirements/base.txt",)


def test_a_pyproject_without_a_project_table_declares_nothing() -> None:
    before = "[tool.ruff]\nline-length = 100\n"
    assert not pep621(before, REDIS).declared
    assert not poetry(before, REDIS).declared


def test_poetry_dependencies_take_a_version_table_for_extras() -> None:
    before = dedent(
        """
        [tool.poetry]
        name = "shop"

        [tool.poetry.dependencies]
        python = "^3.10"
        flask = "^3.0"  # the web framework

        [tool.poetry.group.dev.dependencies]
        pytest = "*"
        """
    )
    after = dedent(
        """
        [tool.poetry]
        name = "shop"

        [tool.poetry.dependencies]
        python = "^3.10"
        flask = "^3.0"  # the web framework
        redis = ">=5"
        psycopg = {version = ">=3.1", extras = ["binary"]}

        [tool.poetry.group.dev.dependencies]
        pytest = "*"
        """
    )
    assert pep621(before, BOTH).declared is False
    edit = poetry(before, BOTH)
    assert edit.text == after
    assert poetry(after, BOTH).text == after


def test_a_poetry_caret_version_counts_as_its_lowest_version() -> None:
    before = '[tool.poetry.dependencies]\nredis = "^5.0"\n'
    edit = poetry(before, REDIS)
    assert edit.text == before and edit.notes == ()


def test_a_poetry_2_project_keeps_its_dependencies_in_poetrys_table() -> None:
    before = dedent(
        """
        [project]
        name = "shop"

        [tool.poetry.dependencies]
        flask = "^3.0"
        """
    )
    assert pep621(before, REDIS).text == before
    assert poetry(before, REDIS).text == before + 'redis = ">=5"\n'


def test_pipfile_packages() -> None:
    before = dedent(
        """
        [packages]
        django = "~=5.0"
        django-axes = {extras = ["ipware"], version = "~=7.0"}

        [dev-packages]
        coverage = "*"
        """
    )
    after = dedent(
        """
        [packages]
        django = "~=5.0"
        django-axes = {extras = ["ipware"], version = "~=7.0"}
        redis = ">=5"

        [dev-packages]
        coverage = "*"
        """
    )
    assert pipfile(before, REDIS).text == after
