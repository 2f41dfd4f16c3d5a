"""The default key prefix is the target's distribution name, read as data, never run."""

from __future__ import annotations

from pathlib import Path

import pytest

from migrator.settings import load_settings


@pytest.mark.parametrize(
    ("files", "prefix"),
    [
        ({"pyproject.toml": '[project]\nname = "billing-service"\n'}, "billing-service"),
        ({"pyproject.toml": '[tool.poetry]\nname = "orders"\n'}, "orders"),
        ({"setup.cfg": "[metadata]\nname = shop_eu\n"}, "shop_eu"),
        ({"setup.py": "from setuptools import setup\nsetup(name='legacy.shop')\n"}, "legacy.shop"),
        ({"setup.py": "import os\nsetup(name=os.environ['NAME'])\nraise SystemExit(3)\n"}, ""),
        ({"pyproject.toml": '[project]\nname = "odd name!"\n'}, ""),
        ({}, ""),
        (
            {
                "pyproject.toml": '[project]\nname = "shop"\n[tool.migrator]\nkey_prefix = "eu"\n',
            },
            "eu",
        ),
    ],
    ids=[
        "pyproject",
        "poetry",
        "setup-cfg",
        "setup-py",
        "setup-py-dynamic",
        "unusable",
        "none",
        "set",
    ],
)
def test_the_key_prefix_defaults_to_the_distribution_name(
    tmp_path: Path, files: dict[str, str], prefix: str
) -> None:
    for name, text in files.items():
        (tmp_path / name).write_text(text)
    assert load_settings(tmp_path).key_prefix == prefix
