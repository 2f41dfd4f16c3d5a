"""`[tool.migrator]` is checked when it is read: a mistake is one line that names the key,
the value and what is allowed, and the command exits 2 without a traceback."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from migrator.settings import Settings, SettingsError, load_settings

STATEFUL = "SESSIONS = {}\n\n\ndef login(sid, user):\n    SESSIONS[sid] = user\n"


def settings_of(tmp_path: Path, table: str) -> Settings:
    (tmp_path / "pyproject.toml").write_text(table, encoding="utf-8")
    return load_settings(tmp_path)


def test_a_full_table_is_read(tmp_path: Path) -> None:
    settings = settings_of(
        tmp_path,
        '[tool.migrator]\nexclude = ["legacy/"]\ninclude_tests = true\nkey_prefix = "shop-eu"\n'
        '[tool.migrator.stores]\napp_data = "postgres"\n'
        "[tool.migrator.ttl]\nsession_store = 86400\nSESSIONS = 3600\n",
    )
    assert settings == Settings(
        exclude=("legacy/",),
        include_tests=True,
        stores={"app_data": "postgres"},
        key_prefix="shop-eu",
        ttls={"session_store": 86400, "SESSIONS": 3600},
    )


@pytest.mark.parametrize(
    ("table", "message"),
    [
        (
            "[tool.migrator.stores]\napp_data = \"postgress\"\n",
            "tool.migrator.stores.app_data = 'postgress' is not a store "
            "(known: redis, postgres, dynamodb, s3)",
        ),
        (
            "[tool.migrator.stores]\nsessions = \"redis\"\n",
            "tool.migrator.stores.sessions is not a category (known: session_store,",
        ),
        ("[tool.migrator]\nexlude = [\"x/\"]\n", "tool.migrator.exlude is not a setting (known:"),
        (
            "[tool.migrator]\ninclude_tests = 'no'\n",
            "tool.migrator.include_tests = 'no' is not allowed: it must be true or false",
        ),
        (
            "[tool.migrator]\nkey_prefix = \"shop'; import os #\"\n",
            "tool.migrator.key_prefix = \"shop'; import os #\" is not allowed: it must be letters",
        ),
        (
            "[tool.migrator.ttl]\nsession_store = \"1 day\"\n",
            "tool.migrator.ttl.session_store = '1 day' is not allowed: it must be a table",
        ),
        ("[tool.migrator.ttl]\nSESSIONS = 0\n", "tool.migrator.ttl.SESSIONS = 0 is not allowed"),
    ],
)
def test_a_mistake_is_one_line_naming_key_value_and_what_is_allowed(
    tmp_path: Path, table: str, message: str
) -> None:
    with pytest.raises(SettingsError) as raised:
        settings_of(tmp_path, table)
    text = str(raised.value)
    assert "\n" not in text
    assert message in text


def test_scan_exits_2_with_the_line_and_no_traceback(tmp_path: Path) -> None:
    (tmp_path / "svc").mkdir()
    (tmp_path / "svc" / "app.py").write_text(STATEFUL)
    (tmp_path / "pyproject.toml").write_text('[tool.migrator.stores]\napp_data = "postgress"\n')
    done = subprocess.run(
        [sys.executable, "-m", "migrator", "scan", str(tmp_path)],
        capture_output=True,
        text=True,
        cwd=tmp_path,
    )
    assert done.returncode == 2
    assert done.stdout == ""
    assert "Traceback" not in done.stderr
    assert len(done.stderr.strip().splitlines()) == 1
    assert "'postgress' is not a store" in done.stderr
