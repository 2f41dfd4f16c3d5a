"""setup.py install_requires: a list literal is edited with libcst; anything else is not guessed."""

from __future__ import annotations

import textwrap

from migrator.codemods.setup_py_requirements import setup_py
from packaging.requirements import Requirement

REDIS = [Requirement("redis>=5")]


def dedent(text: str) -> str:
    return textwrap.dedent(text).lstrip("\n")


def test_an_inline_list_gains_the_requirement_laid_out_like_the_others() -> None:
    before = dedent(
        """
        from setuptools import setup

        setup(
            name="shop",
            install_requires=[
                "flask>=3",
                "requests",
            ],
        )
        """
    )
    after = dedent(
        """
        from setuptools import setup

        setup(
            name="shop",
            install_requires=[
                "flask>=3",
                "requests",
                "redis>=5",
            ],
        )
        """
    )
    edit = setup_py(before, REDIS)
    assert edit.text == after
    assert setup_py(after, REDIS).text == after


def test_a_module_level_list_named_by_install_requires() -> None:
    before = dedent(
        """
        from setuptools import setup

        REQUIRES = ["flask"]

        setup(name="shop", install_requires=REQUIRES)
        """
    )
    after = dedent(
        """
        from setuptools import setup

        REQUIRES = ["flask", "redis>=5"]

        setup(name="shop", install_requires=REQUIRES)
        """
    )
    assert setup_py(before, REDIS).text == after


def test_a_list_read_from_a_file_points_at_that_file() -> None:
    before = dedent(
        """
        from setuptools import setup

        with open("requirements.txt") as f:
            requirements = [line.strip() for line in f]

        setup(name="shop", install_requires=requirements)
        """
    )
    edit = setup_py(before, REDIS)
    assert edit.text == before
    assert edit.declared and edit.reads == ("requirements.txt",)


def test_a_computed_list_gets_a_note_instead_of_a_guess() -> None:
    before = dedent(
        """
        from setuptools import setup

        from build_helpers import requirements

        setup(name="shop", install_requires=requirements())
        """
    )
    edit = setup_py(before, REDIS)
    assert edit.text == before
    assert edit.notes == ("`setup.py` computes `install_requires`; add `redis>=5` to it by hand",)


def test_a_setup_py_without_install_requires_declares_nothing() -> None:
    assert not setup_py('from setuptools import setup\n\nsetup(name="shop")\n', REDIS).declared
