"""A finding is left to a person, with the reason in its message, where a codemod cannot
prove the rewrite safe; the plan then lists it as manual work with that reason."""

from __future__ import annotations

import textwrap
from pathlib import Path

from migrator.inventory import scan_project
from migrator.model import ScanResult
from migrator.plan import build_plan


def scan(tmp_path: Path, files: dict[str, str]) -> ScanResult:
    for name, text in files.items():
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text))
    return scan_project(tmp_path, use_cache=False)


def test_a_session_map_handed_to_an_unseen_call_is_manual_and_says_why(tmp_path: Path) -> None:
    result = scan(
        tmp_path,
        {
            "svc/__init__.py": "",
            "svc/views.py": """
                SESSIONS = {}


                def login(sid, user):
                    SESSIONS[sid] = {"user": user}
                    audit(SESSIONS)


                def audit(store):
                    return len(store)
                """,
        },
    )
    (found,) = result.findings
    assert (found.symbol, found.automation) == ("SESSIONS", "manual")
    assert found.message.endswith(
        "No codemod: `SESSIONS` is passed to a call the codemod cannot follow at "
        "`svc/views.py:7`, so the move is left to a person."
    )
    steps = build_plan(result).plan.phases[0].manual_steps
    assert any("`svc.views.SESSIONS`" in s and "cannot follow" in s for s in steps)


def test_a_plain_session_map_stays_a_codemod(tmp_path: Path) -> None:
    result = scan(
        tmp_path,
        {
            "svc/__init__.py": "",
            "svc/views.py": """
                SESSIONS = {}


                def login(sid, user):
                    SESSIONS[sid] = {"user": user}


                def logout(sid):
                    SESSIONS.pop(sid, None)
                """,
        },
    )
    (found,) = result.findings
    assert found.automation == "codemod"
    assert "No codemod" not in found.message


def test_a_session_map_holding_instances_of_a_class_is_manual(tmp_path: Path) -> None:
    # From `live` on, every login would fail: the runtime stores JSON values, never pickles.
    result = scan(
        tmp_path,
        {
            "svc/__init__.py": "",
            "svc/views.py": """
                from dataclasses import dataclass

                SESSIONS = {}


                @dataclass
                class Visitor:
                    name: str


                def login(sid, name):
                    session = SESSIONS.setdefault(sid, {})
                    session["visitor"] = Visitor(name)


                def logout(sid):
                    SESSIONS.pop(sid, None)
                """,
        },
    )
    (found,) = result.findings
    assert (found.symbol, found.automation) == ("SESSIONS", "manual")
    assert "No codemod: its values of type `Visitor` cannot be stored by the runtime" in (
        found.message
    )
