"""place_markers: markers at the given sites, never in a file `apply` does not edit."""

from __future__ import annotations

from pathlib import Path

from migrator.apply.layout import TargetLayout
from migrator.apply.markers import place_markers
from migrator.model import Evidence, Finding
from migrator.settings import Settings

STATE = "import queue\n\nJOBS = queue.Queue()\n"
USE = "from shop.state import JOBS\n\nJOBS.put(1)\n"


def test_sites_in_vendored_code_and_migrations_are_reported_not_marked(tmp_path: Path) -> None:
    files = {
        "pyproject.toml": '[project]\nname = "shop"\n',
        "shop/__init__.py": "",
        "shop/state.py": STATE,
        "shop/views.py": USE,
        "shop/vendor/lib/use.py": USE,
        "shop/migrations/__init__.py": "",
        "shop/migrations/0001_initial.py": USE,
    }
    for name, text in files.items():
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text(text)
    finding = Finding(
        category="queue_background",
        symbol="JOBS",
        qualname="shop.state.JOBS",
        path="shop/state.py",
        line=3,
        confidence="high",
        message="",
        evidence=tuple(
            Evidence(path, 3, "mutate")
            for path in (
                "shop/views.py",
                "shop/vendor/lib/use.py",
                "shop/migrations/0001_initial.py",
            )
        ),
    )
    layout = TargetLayout.read(tmp_path, Settings())
    current: dict[str, str] = {}

    unmarked = place_markers(layout, finding, current)

    assert sorted(current) == ["shop/state.py", "shop/views.py"]
    marker = "# TODO(stateless): `JOBS` (queue background) must be moved by hand — see `migrator playbook queue_background`\n"
    assert current["shop/views.py"] == "from shop.state import JOBS\n\n" + marker + "JOBS.put(1)\n"
    assert unmarked == [
        "`shop/vendor/lib/use.py` is vendored code, which `apply` never edits",
        "`shop/migrations/0001_initial.py` is a database migration, which `apply` never edits",
    ]
