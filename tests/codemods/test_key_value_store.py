"""KeyValueStoreCodemod: whole modules before and after, refusals, and a second run."""

from __future__ import annotations

from textwrap import dedent

import libcst as cst
from libcst.codemod import CodemodContext, CodemodTest, SkipFile
from migrator.codemods.key_value_store import KeyValueStoreCodemod

ARGS = ("SESSIONS", "shop.state", "shop._stateless")


def context(module: str) -> CodemodContext:
    return CodemodContext(full_module_name=module, full_package_name="shop")


class TestKeyValueStoreCodemod(CodemodTest):
    TRANSFORM = KeyValueStoreCodemod

    def rewrites(self, before: str, after: str, module: str = "shop.state", **kw: object) -> None:
        """``before`` becomes ``after``, and a second run leaves ``after`` as it is."""
        self.assertCodemod(before, after, *ARGS, context_override=context(module), **kw)
        self.assertCodemod(after, after, *ARGS, context_override=context(module), **kw)

    def refusal(self, source: str, module: str = "shop.views") -> str:
        codemod = KeyValueStoreCodemod(context(module), *ARGS)
        with self.assertRaises(SkipFile) as raised:
            codemod.transform_module(cst.parse_module(dedent(source)))
        return str(raised.exception)

    # -- no change --------------------------------------------------------------------------

    def test_plain_mapping_use_in_another_module_is_left_alone(self) -> None:
        source = """
            from shop.state import SESSIONS


            def login(sid, user):
                SESSIONS[sid] = {"user": user, "cart": []}
                if sid in SESSIONS and len(SESSIONS) < 100:
                    return SESSIONS.get(sid)
                del SESSIONS[sid]
                SESSIONS[sid] += 1
                return SESSIONS.pop(sid, None)
        """
        self.assertCodemod(source, source, *ARGS, context_override=context("shop.views"))

    def test_a_local_with_the_same_name_is_not_the_store(self) -> None:
        source = """
            def build(sid):
                SESSIONS = {}
                SESSIONS[sid]["cart"].append(1)
                return SESSIONS
        """
        self.assertCodemod(source, source, *ARGS, context_override=context("shop.views"))

    def test_a_value_read_into_a_local_and_not_changed_is_left_alone(self) -> None:
        source = """
            from shop.state import SESSIONS


            def cart(sid):
                session = SESSIONS[sid]
                return list(session["cart"])
        """
        self.assertCodemod(source, source, *ARGS, context_override=context("shop.views"))

    # -- rewrites ---------------------------------------------------------------------------

    def test_definition_is_bound_to_kv_with_the_dict_as_old_side(self) -> None:
        before = """
            import os

            SESSIONS = {}  # session id -> user data
        """
        after = """
            import os
            from shop._stateless import kv

            SESSIONS = kv("SESSIONS", {}, ttl=3600)  # session id -> user data
        """
        self.rewrites(before, after, ttl=3600)

    def test_annotated_dict_call_definition_without_ttl(self) -> None:
        before = """
            SESSIONS: dict[str, dict] = dict()
        """
        after = """
            from shop._stateless import kv

            SESSIONS: dict[str, dict] = kv("SESSIONS", dict())
        """
        self.rewrites(before, after)

    def test_nested_mutations_become_one_edit_per_run_of_lines(self) -> None:
        before = """
            SESSIONS = {}


            def add_to_cart(sid, item):
                SESSIONS[sid]["cart"].append(item)
                SESSIONS[sid]["count"] += 1  # running total

                SESSIONS[sid]["profile"]["seen"] = True
                if sid in SESSIONS:
                    del SESSIONS[sid]["coupon"]
                return SESSIONS[sid]
        """
        after = """
            from shop._stateless import kv

            SESSIONS = kv("SESSIONS", {})


            def add_to_cart(sid, item):
                with SESSIONS.edit(sid) as value:
                    value["cart"].append(item)
                    value["count"] += 1  # running total

                with SESSIONS.edit(sid) as value:
                    value["profile"]["seen"] = True
                if sid in SESSIONS:
                    with SESSIONS.edit(sid) as value:
                        del value["coupon"]
                return SESSIONS[sid]
        """
        self.rewrites(before, after)

    def test_reads_of_the_same_key_in_the_statement_use_the_edited_value(self) -> None:
        before = """
            from shop.state import SESSIONS


            def move(sid, other):
                SESSIONS[sid]["total"] = SESSIONS[sid]["total"] + SESSIONS[other]["total"]
        """
        after = """
            from shop.state import SESSIONS


            def move(sid, other):
                with SESSIONS.edit(sid) as value:
                    value["total"] = value["total"] + SESSIONS[other]["total"]
        """
        self.rewrites(before, after, module="shop.views")

    def test_setdefault_mutation_becomes_edit_with_default(self) -> None:
        before = """
            from shop import state


            def add(sid, item):
                state.SESSIONS.setdefault(sid, {"cart": []})["cart"].append(item)
        """
        after = """
            from shop import state


            def add(sid, item):
                with state.SESSIONS.edit(sid, default={"cart": []}) as value:
                    value["cart"].append(item)
        """
        self.rewrites(before, after, module="shop.views")

    def test_local_binding_and_its_mutations_move_into_the_edit(self) -> None:
        before = """
            import shop.state as st


            def checkout(sid, item):
                session = st.SESSIONS[sid]  # the user's session
                session["cart"].append(item)
                if session["cart"]:
                    session["total"] = 10
                log(session)
                return session
        """
        after = """
            import shop.state as st


            def checkout(sid, item):
                with st.SESSIONS.edit(sid) as session:  # the user's session
                    session["cart"].append(item)
                    if session["cart"]:
                        session["total"] = 10
                log(session)
                return session
        """
        self.rewrites(before, after, module="shop.views")

    def test_get_binding_becomes_edit_with_none_default(self) -> None:
        before = """
            from .state import SESSIONS as S


            def seen(sid):
                session = S.get(sid)
                if session is None:
                    return False
                session.setdefault("pages", []).append("/")
                return True
        """
        after = """
            from .state import SESSIONS as S


            def seen(sid):
                with S.edit(sid, default=None) as session:
                    if session is None:
                        return False
                    session.setdefault("pages", []).append("/")
                return True
        """
        self.rewrites(before, after, module="shop.views")

    def test_iteration_over_the_store_is_marked_as_a_scan_once(self) -> None:
        before = """
            from shop.state import SESSIONS


            def active():
                for sid, data in SESSIONS.items():
                    print(sid, data)
                return [sid for sid in SESSIONS if sid]
        """
        after = """
            from shop.state import SESSIONS


            def active():
                # stateless: iterating SESSIONS is a SCAN over the store
                for sid, data in SESSIONS.items():
                    print(sid, data)
                # stateless: iterating SESSIONS is a SCAN over the store
                return [sid for sid in SESSIONS if sid]
        """
        self.rewrites(before, after, module="shop.views")

    def test_the_edit_name_avoids_names_already_in_the_module(self) -> None:
        before = """
            from shop.state import SESSIONS


            def put(sid, value):
                SESSIONS[sid]["v"] = value
        """
        after = """
            from shop.state import SESSIONS


            def put(sid, value):
                with SESSIONS.edit(sid) as stored_value:
                    stored_value["v"] = value
        """
        self.rewrites(before, after, module="shop.views")

    # -- refusals ---------------------------------------------------------------------------

    def test_refuses_a_call_it_cannot_see(self) -> None:
        reason = self.refusal("""
            from shop.state import SESSIONS

            def f():
                helper(SESSIONS)
        """)
        self.assertIn("`helper(SESSIONS)` (line 5)", reason)

    def test_refuses_identity_comparison(self) -> None:
        reason = self.refusal("""
            from shop.state import SESSIONS

            def f(x):
                return x is SESSIONS
        """)
        self.assertIn("compared by identity", reason)

    def test_refuses_a_global_rebinding_in_the_defining_module(self) -> None:
        reason = self.refusal("""
            SESSIONS = {}

            def reset():
                global SESSIONS
                SESSIONS = {}
        """, module="shop.state")
        self.assertIn("rebound in `reset` through `global`", reason)

    def test_refuses_storing_the_dict_in_another_container(self) -> None:
        reason = self.refusal("""
            from shop.state import SESSIONS

            REGISTRY = [SESSIONS]
        """)
        self.assertIn("used as a plain value", reason)

    def test_refuses_live_object_values(self) -> None:
        stored = self.refusal("""
            from shop.state import SESSIONS

            def f(sid):
                SESSIONS[sid] = open("log.txt")
        """)
        used = self.refusal("""
            from shop.state import SESSIONS

            def f(sid):
                SESSIONS[sid].send("hello")
        """)
        self.assertIn("live object", stored)
        self.assertIn("live object", used)

    def test_refuses_a_defaultdict_definition(self) -> None:
        reason = self.refusal("""
            from collections import defaultdict

            SESSIONS = defaultdict(dict)
        """, module="shop.state")
        self.assertIn("`defaultdict`", reason)

    def test_refuses_mutating_a_get_default(self) -> None:
        reason = self.refusal("""
            from shop.state import SESSIONS

            def f(sid):
                SESSIONS.get(sid, {})["seen"] = True
        """)
        self.assertIn("not written back", reason)

    def test_refuses_dict_only_methods_and_crowded_lines(self) -> None:
        self.assertIn("`SESSIONS.copy`", self.refusal("""
            from shop.state import SESSIONS
            snapshot = SESSIONS.copy()
        """))
        self.assertIn("several statements", self.refusal("""
            from shop.state import SESSIONS
            def f(sid):
                SESSIONS[sid]["n"] = 1; print(sid)
        """))
