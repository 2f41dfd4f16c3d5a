"""A value of a session or data dict that goes where no rewrite can follow makes the whole
component manual at scan time, the reason in its finding and in the plan; and where the scan
says `codemod`, the key-value codemod rewrites every module without a refusal (the two read
the same model of what changes a value, so `apply` never discovers an escape the scan missed).
"""

from __future__ import annotations

import textwrap
from pathlib import Path

import libcst as cst
import pytest
from libcst.codemod import CodemodContext, SkipFile
from migrator.codemods.key_value_store import KeyValueStoreCodemod

from migrator.inventory import scan_project
from migrator.model import Finding
from migrator.plan import build_plan

STATE = """
    SESSIONS = {}


    def login(sid, user):
        SESSIONS[sid] = {"user": user, "cart": [], "seen": []}
"""


def scan(tmp_path: Path, views: str, **more: str) -> Finding:
    files = {"svc/__init__.py": "", "svc/state.py": STATE, "svc/views.py": views, **more}
    for name, text in files.items():
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text))
    result = scan_project(tmp_path, use_cache=False)
    (found,) = [f for f in result.findings if f.symbol == "SESSIONS"]
    if found.automation == "manual":
        steps = build_plan(result).plan.phases
        assert any(found.message.strip() in step for p in steps for step in p.manual_steps)
    else:
        assert refusals(tmp_path) == [], "the scan said codemod, the codemod refused"
    return found


def refusals(root: Path) -> list[str]:
    """The key-value codemod over every module, as `apply` runs it: the reasons it refused."""
    found = []
    for path in sorted(root.rglob("*.py")):
        module = ".".join(path.relative_to(root).with_suffix("").parts).removesuffix(".__init__")
        context = CodemodContext(
            filename=str(path), full_module_name=module, full_package_name="svc"
        )
        codemod = KeyValueStoreCodemod(context, "SESSIONS", "svc.state", "svc._stateless")
        try:
            codemod.transform_module(cst.parse_module(path.read_text()))
        except SkipFile as refused:
            found.append(str(refused))
    return found


def reason(found: Finding) -> str:
    assert found.automation == "manual", found.message
    return found.message


def test_a_value_changed_by_a_helper_makes_the_component_manual(tmp_path: Path) -> None:
    found = scan(
        tmp_path,
        """
        from svc.helpers import remember
        from svc.state import SESSIONS


        def visit(sid, page):
            remember(SESSIONS[sid]["seen"], page)
        """,
        **{"svc/helpers.py": "def remember(seen, page):\n    seen.append(page)\n"},
    )
    assert (
        "No codemod: a value of `SESSIONS` is passed to `remember`, where the parameter `seen` "
        "(`svc/helpers.py:2`) is changed at `svc/views.py:7`; a rewrite would lose what happens "
        "to it there, so the move is left to a person."
    ) in reason(found)


def test_a_value_handed_to_a_helper_that_only_reads_it_stays_a_codemod(tmp_path: Path) -> None:
    found = scan(
        tmp_path,
        """
        from flask import jsonify

        from svc.helpers import total
        from svc.state import SESSIONS


        def cart(sid, line):
            SESSIONS[sid]["cart"].append(line)
            return jsonify(total=total(SESSIONS[sid]["cart"]), cart=SESSIONS[sid]["cart"])
        """,
        **{"svc/helpers.py": "def total(cart):\n    return sum(x['price'] for x in cart)\n"},
    )
    assert found.automation == "codemod"


@pytest.mark.parametrize(
    ("views", "why"),
    [
        (
            """
            import heapq

            from svc.state import SESSIONS


            def later(sid, job):
                heapq.heappush(SESSIONS[sid]["jobs"], job)
                session = SESSIONS[sid]

                def remember(page):
                    session["seen"].append(page)

                return remember
            """,
            "is captured by `remember`, which changes it or passes it on (line 12)",
        ),
        (
            """
            from svc.state import SESSIONS


            def visit(sid, page):
                for session in SESSIONS.values():
                    session["seen"].append(page)
            """,
            "is changed through `session` (line 7), where no read-modify-write can wrap",
        ),
        (
            """
            from flask import g

            from svc.state import SESSIONS


            def load(sid):
                g.session = SESSIONS[sid]
            """,
            "is stored in `g.session`, which the codemods cannot follow",
        ),
        (
            """
            from svc.state import SESSIONS


            def audit(sid):
                report(SESSIONS[sid])
            """,
            "is passed to `report`, which the codemods cannot see into",
        ),
    ],
)
def test_escapes_the_codemod_cannot_cover_are_named_at_scan_time(
    tmp_path: Path, views: str, why: str
) -> None:
    assert why in reason(scan(tmp_path, views))


def test_a_value_returned_and_changed_by_a_caller_elsewhere_is_manual(tmp_path: Path) -> None:
    found = scan(
        tmp_path,
        """
        from svc.state import SESSIONS


        def current(sid):
            return SESSIONS[sid]
        """,
        **{
            "svc/api.py": """
                from svc.views import current


                def add(sid, item):
                    current(sid)["cart"].append(item)
                """
        },
    )
    assert (
        "a value of `SESSIONS` is returned by `current`, and its caller's result "
        "(`svc/api.py:6`) is changed at `svc/views.py:6`"
    ) in reason(found)


def test_a_value_returned_and_only_read_stays_a_codemod(tmp_path: Path) -> None:
    found = scan(
        tmp_path,
        """
        from svc.state import SESSIONS


        def current(sid):
            return sid, SESSIONS[sid]


        def show(sid):
            sid, session = current(sid)
            SESSIONS[sid]["seen"].append("/cart")
            return {"user": session["user"], "items": len(session["cart"])}
        """,
        **{
            "svc/orders.py": """
                from svc.views import current

                ORDERS = []


                def order(sid):
                    _, session = current(sid)
                    ORDERS.append({"user": session["user"], "lines": session["cart"]})
                """
        },
    )
    assert found.automation == "codemod", found.message
