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


def test_a_crlf_module_stays_crlf_and_only_the_new_lines_differ(tmp_path: Path) -> None:
    write_package(tmp_path, VIEWS)
    state = tmp_path / "shop" / "state.py"
    state.write_bytes(b"# The shop's state.\r\nSESSIONS = {}\r\n")

    result = apply_codemod_to_files(tmp_path, ["shop/state.py"], codemod())

    assert result.texts == {
        "shop/state.py": (
            "# The shop's state.\r\n"
            "from shop._stateless import kv\r\n"
            "\r\n"
            'SESSIONS = kv("SESSIONS", {}, ttl=3600)\r\n'
        )
    }


def test_a_byte_order_mark_and_a_latin_1_cookie_are_kept(tmp_path: Path) -> None:
    write_package(tmp_path, VIEWS)
    state = tmp_path / "shop" / "state.py"
    state.write_bytes(b"\xef\xbb\xbfSESSIONS = {}\n")
    views = tmp_path / "shop" / "views.py"
    latin_1 = '# -*- coding: latin-1 -*-\nfrom .state import SESSIONS\nNAME = "café"\n'
    views.write_bytes(latin_1.encode("latin-1"))

    result = apply_codemod_to_files(tmp_path, ["shop/state.py", "shop/views.py"], codemod())

    assert result.texts == {
        "shop/state.py": (
            '\ufefffrom shop._stateless import kv\n\nSESSIONS = kv("SESSIONS", {}, ttl=3600)\n'
        )
    }
    assert [o.status for o in result.outcomes] == ["changed", "unchanged"]


def test_modules_are_named_as_the_caller_says(tmp_path: Path) -> None:
    # Run on the package folder itself: `state.py` is `shop.state`, not `state`.
    write_package(tmp_path, VIEWS)

    result = apply_codemod_to_files(
        tmp_path / "shop",
        ["state.py", "views.py"],
        codemod(),
        module_of=lambda path: "shop." + path.removesuffix(".py"),
    )

    assert set(result.texts) == {"state.py", "views.py"}
    assert "with S.edit(sid) as value:" in result.texts["views.py"]
