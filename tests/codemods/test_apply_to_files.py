"""apply_codemod_to_files: a component rewritten across modules, all or nothing, nothing written."""

from __future__ import annotations

from pathlib import Path
from textwrap import dedent

from libcst.codemod import CodemodContext
from migrator.codemods.apply_to_files import apply_codemod_to_files
from migrator.codemods.key_value_store import KeyValueStoreCodemod

STATE = dedent('''\
    SESSIONS = {}  # session id -> {"user": ..., "cart": [...]}
''')

VIEWS = dedent('''\
    from .state import SESSIONS as S


    def add_to_cart(sid, item):
        S[sid]["cart"].append(item)
        return {"items": len(S[sid]["cart"])}
''')


def write_package(root: Path, views: str) -> None:
    package = root / "shop"
    package.mkdir()
    (package / "__init__.py").write_text("")
    (package / "state.py").write_text(STATE)
    (package / "views.py").write_text(views)


def codemod() -> KeyValueStoreCodemod:
    return KeyValueStoreCodemod(CodemodContext(), "SESSIONS", "shop.state", "shop._stateless",
                                ttl=3600)


def test_definition_and_aliased_nested_mutation_are_rewritten_in_both_modules(
    tmp_path: Path,
) -> None:
    write_package(tmp_path, VIEWS)

    result = apply_codemod_to_files(tmp_path, ["shop/state.py", "shop/views.py"], codemod())

    assert result.texts == {
        "shop/state.py": dedent('''\
            from shop._stateless import kv

            SESSIONS = kv("SESSIONS", {}, ttl=3600)  # session id -> {"user": ..., "cart": [...]}
        '''),
        "shop/views.py": dedent('''\
            from .state import SESSIONS as S


            def add_to_cart(sid, item):
                with S.edit(sid) as value:
                    value["cart"].append(item)
                return {"items": len(S[sid]["cart"])}
        '''),
    }
    assert [(o.path, o.status) for o in result.outcomes] == [
        ("shop/state.py", "changed"),
        ("shop/views.py", "changed"),
    ]
    assert (tmp_path / "shop" / "views.py").read_text() == VIEWS  # nothing written


def test_a_second_run_over_the_rewritten_files_changes_nothing(tmp_path: Path) -> None:
    write_package(tmp_path, VIEWS)
    first = apply_codemod_to_files(tmp_path, ["shop/state.py", "shop/views.py"], codemod())
    for path, text in first.texts.items():
        (tmp_path / path).write_text(text)

    second = apply_codemod_to_files(tmp_path, ["shop/state.py", "shop/views.py"], codemod())

    assert second.texts == {}
    assert {o.status for o in second.outcomes} == {"unchanged"}


def test_one_refused_module_withholds_every_module(tmp_path: Path) -> None:
    write_package(tmp_path, VIEWS + "\n\ndef audit():\n    return helper(S)\n")

    result = apply_codemod_to_files(tmp_path, ["shop/state.py", "shop/views.py"], codemod())

    assert result.texts == {}
    state, views = result.outcomes
    assert views.status == "refused"
    assert "`return helper(S)` (line 10)" in views.reason
    assert state.status == "withheld"
    assert "shop/views.py" in state.reason


def test_an_unparsable_module_is_refused_with_a_reason(tmp_path: Path) -> None:
    write_package(tmp_path, "def broken(:\n")

    result = apply_codemod_to_files(tmp_path, ["shop/views.py"], codemod())

    assert result.refused[0].path == "shop/views.py"
    assert "could not be read" in result.refused[0].reason
