"""ImportRoots: a file's dotted module from the packaging and the imports, wherever apply runs."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from migrator.apply.import_check import UnresolvedImport, check_added_imports
from migrator.apply.import_root import ImportRoots
from migrator.apply.package_dirs import package_places


def tree(root: Path, files: dict[str, str]) -> Path:
    (root / ".git").mkdir(parents=True, exist_ok=True)  # the repository's top
    for name, content in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(content).lstrip("\n"))
    return root


def test_regular_packages_are_named_from_above_the_folder_apply_was_given(
    tmp_path: Path,
) -> None:
    root = tree(
        tmp_path, {"app/__init__.py": "", "app/utils/__init__.py": "", "app/utils/x.py": ""}
    )
    roots = ImportRoots.find(root / "app")
    assert roots.module_of(root / "app/utils/x.py") == "app.utils.x"
    assert roots.module_of(root / "app/utils/__init__.py") == "app.utils"


@pytest.mark.parametrize(
    ("packaging", "expected"),
    [
        ({"pyproject.toml": '[tool.setuptools]\npackage-dir = {"" = "lib"}\n'}, ("lib", "")),
        ({"pyproject.toml": '[tool.setuptools]\npackage-dir = {"app" = "lib"}\n'}, ("lib", "app")),
        (
            {"pyproject.toml": '[tool.poetry]\npackages = [{include = "app", from = "lib"}]\n'},
            ("lib/app", "app"),
        ),
        ({"pyproject.toml": '[tool.pdm.build]\npackage-dir = "lib"\n'}, ("lib", "")),
        (
            {"pyproject.toml": '[tool.hatch.build.targets.wheel]\npackages = ["lib/app"]\n'},
            ("lib/app", "app"),
        ),
        ({"setup.cfg": "[options]\npackage_dir =\n    =lib\n"}, ("lib", "")),
        ({"setup.cfg": "[options.packages.find]\nwhere = lib\n"}, ("lib", "")),
        (
            {"setup.py": 'from setuptools import setup\nsetup(package_dir={"": "lib"})\n'},
            ("lib", ""),
        ),
        (
            {
                "setup.py": 'from setuptools import find_packages, setup\nsetup(packages=find_packages(where="lib"))\n'
            },
            ("lib", ""),
        ),
    ],
)
def test_the_packaging_says_where_packages_live(
    tmp_path: Path, packaging: dict[str, str], expected: tuple[str, str]
) -> None:
    root = tree(tmp_path, packaging)
    folder, name = expected
    assert (root / folder, name) in package_places(root)


def test_a_package_dir_mapping_names_modules_after_the_package(tmp_path: Path) -> None:
    # `app` lives in `lib/` (no `__init__.py` needed for the name to hold).
    root = tree(
        tmp_path,
        {
            "pyproject.toml": '[tool.setuptools]\npackage-dir = {"app" = "lib"}\n',
            "lib/views.py": "",
        },
    )
    assert ImportRoots.find(root).module_of(root / "lib/views.py") == "app.views"


def test_a_namespace_package_is_named_by_the_imports_of_its_modules(tmp_path: Path) -> None:
    root = tree(
        tmp_path,
        {
            "app/utils/__init__.py": "",
            "app/utils/sessions.py": "",
            "app/views.py": "from app.utils.sessions import login\n",
        },
    )
    plain = ImportRoots.find(root / "app")
    assert plain.module_of(root / "app/utils/sessions.py") == "utils.sessions"
    informed = ImportRoots.find(root / "app", [root / "app/views.py"])
    assert informed.module_of(root / "app/utils/sessions.py") == "app.utils.sessions"


def test_an_app_folder_without_packaging_imports_from_itself(tmp_path: Path) -> None:
    root = tree(
        tmp_path,
        {"service/app.py": "from utils import helpers\n", "service/utils/helpers.py": ""},
    )
    roots = ImportRoots.find(root / "service", [root / "service/app.py"])
    assert roots.module_of(root / "service/utils/helpers.py") == "utils.helpers"


def test_an_added_import_that_finds_nothing_is_refused(tmp_path: Path) -> None:
    root = tree(
        tmp_path, {"app/__init__.py": "", "app/utils/__init__.py": "", "app/utils/c.py": "X = {}\n"}
    )
    roots = ImportRoots.find(root / "app")
    before = {"utils/c.py": "X = {}\n"}
    good = {
        "utils/c.py": "from app._stateless import kv\nimport os\nX = kv('X', {})\n",
        "_stateless/__init__.py": "",
    }
    check_added_imports(root / "app", before, good, roots, ["app._stateless"])
    bad = {**good, "utils/c.py": "from utils._stateless import kv\nX = kv('X', {})\n"}
    with pytest.raises(UnresolvedImport, match=r"^utils/c.py:1: .*`utils._stateless`"):
        check_added_imports(root / "app", before, bad, roots, ["utils._stateless"])
    relative = {**good, "utils/c.py": "from .._nowhere import kv\nX = kv('X', {})\n"}
    with pytest.raises(UnresolvedImport, match="`app._nowhere`"):
        check_added_imports(root / "app", before, relative, roots, ["app._stateless"])
