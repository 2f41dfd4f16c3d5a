"""KeyValueStoreCodemod: whole modules before and after, refusals, and a second run."""

from __future__ import annotations

import tempfile
import uuid
from pathlib import Path
from textwrap import dedent
from typing import Any

import libcst as cst
import pytest
from libcst.codemod import CodemodContext, CodemodTest, SkipFile
from migrator.codemods.key_value_store import KeyValueStoreCodemod

from migrator.runtime import Component

ARGS = ("SESSIONS", "shop.state", "shop._stateless")
INBOX_ARGS = ("INBOX", "shop.state", "shop._stateless")
INBOX_DEFINITION = """
    from collections import defaultdict

    INBOX = defaultdict(list)
"""


def context(module: str, filename: str | None = None) -> CodemodContext:
    return CodemodContext(filename=filename, full_module_name=module, full_package_name="shop")


class TestKeyValueStoreCodemod(CodemodTest):
    TRANSFORM = KeyValueStoreCodemod

    def rewrites(self, before: str, after: str, module: str = "shop.state", **kw: object) -> None:
        """``before`` becomes ``after``, and a second run leaves ``after`` as it is."""
        self.assertCodemod(before, after, *ARGS, context_override=context(module), **kw)
        self.assertCodemod(after, after, *ARGS, context_override=context(module), **kw)

    def refusal(self, source: str, module: str = "shop.views", args: tuple = ARGS) -> str:
        codemod = KeyValueStoreCodemod(context(module, self.views_file(module)), *args)
        with self.assertRaises(SkipFile) as raised:
            codemod.transform_module(cst.parse_module(dedent(source)))
        return str(raised.exception)

    def views_file(self, module: str) -> str | None:
        """The file of ``module`` in the project ``inbox_project`` wrote, if there is one."""
        root = getattr(self, "root", None)
        return None if root is None else str(root / (module.replace(".", "/") + ".py"))

    def inbox_project(self, definition: str = INBOX_DEFINITION) -> None:
        """A project on disk whose ``shop/state.py`` defines ``INBOX``, as `apply` sees it."""
        folder = tempfile.TemporaryDirectory()
        self.addCleanup(folder.cleanup)
        self.root = Path(folder.name)
        (self.root / "shop").mkdir()
        (self.root / "shop" / "__init__.py").write_text("")
        (self.root / "shop" / "state.py").write_text(dedent(definition))

    def rewrites_inbox(self, before: str, after: str, module: str = "shop.views") -> None:
        """As ``rewrites``, for ``INBOX`` used from ``module`` of the ``inbox_project``."""
        where = context(module, self.views_file(module))
        self.assertCodemod(before, after, *INBOX_ARGS, context_override=where)
        self.assertCodemod(after, after, *INBOX_ARGS, context_override=where)

    # -- no change --------------------------------------------------------------------------

    def test_plain_mapping_use_in_another_module_is_left_alone(self) -> None:
        before = """
            from shop.state import SESSIONS


            def login(sid, user):
                SESSIONS[sid] = {"user": user, "cart": []}
                if sid in SESSIONS and len(SESSIONS) < 100:
                    return SESSIONS.get(sid)
                del SESSIONS[sid]
                SESSIONS[sid] += 1
                return SESSIONS.pop(sid, None)
        """
        # All but `+=`, which becomes one atomic read-modify-write on the store.
        after = """
            from shop.state import SESSIONS


            def login(sid, user):
                SESSIONS[sid] = {"user": user, "cart": []}
                if sid in SESSIONS and len(SESSIONS) < 100:
                    return SESSIONS.get(sid)
                del SESSIONS[sid]
                SESSIONS.augment(sid, "+=", 1)
                return SESSIONS.pop(sid, None)
        """
        self.rewrites(before, after, module="shop.views")

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

    def test_defaultdict_reads_that_never_create_a_value_are_left_alone(self) -> None:
        self.inbox_project()
        source = """
            from shop.state import INBOX


            def mentions(name):
                if name in INBOX:
                    return list(INBOX.get(name, []))
                INBOX[name] = []
                return INBOX.pop(name, None)
        """
        self.rewrites_inbox(source, source)

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
                print(session)
                return session
        """
        after = """
            import shop.state as st


            def checkout(sid, item):
                with st.SESSIONS.edit(sid) as session:  # the user's session
                    session["cart"].append(item)
                    if session["cart"]:
                        session["total"] = 10
                print(session)
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

    def test_a_get_inside_an_expression_reads_the_edited_value(self) -> None:
        # The local is the stored value when there is one: changing it is a write to keep.
        before = """
            from .state import SESSIONS


            def persistable(sid, settings):
                session = SESSIONS.get(sid) or {}
                session["settings"] = settings
                session["seen"] = True

                return dict(session)
        """
        after = """
            from .state import SESSIONS


            def persistable(sid, settings):
                with SESSIONS.edit(sid, default=None) as value:
                    session = value or {}
                    session["settings"] = settings
                    session["seen"] = True

                return dict(session)
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

    def test_defaultdict_definition_and_a_mutation_through_a_missing_key(self) -> None:
        before = """
            from collections import defaultdict
            from typing import Any

            INBOX: defaultdict[str, list[dict[str, Any]]] = defaultdict(list)


            def deliver(name, message):
                INBOX[name].append({"from": message["user"], "text": message["text"]})
        """
        after = """
            from collections import defaultdict
            from typing import Any
            from shop._stateless import kv

            INBOX: defaultdict[str, list[dict[str, Any]]] = kv("INBOX", defaultdict(list))


            def deliver(name, message):
                with INBOX.edit(name, default=[]) as value:
                    value.append({"from": message["user"], "text": message["text"]})
        """
        self.inbox_project()
        where = context("shop.state", self.views_file("shop.state"))
        self.assertCodemod(before, after, *INBOX_ARGS, context_override=where)
        self.assertCodemod(after, after, *INBOX_ARGS, context_override=where)

    def test_defaultdict_uses_in_another_module_learn_the_factory_from_its_file(self) -> None:
        self.inbox_project()
        before = """
            from shop import state


            def deliver(name, message):
                box = state.INBOX[name]
                box.append(message)
                log(name)


            def unread(name, other):
                state.INBOX[other].extend(sorted(state.INBOX[name]))
                for message in state.INBOX[name]:
                    print(message)
                return len(state.INBOX[name]), "x" in state.INBOX[name]
        """
        after = """
            from shop import state


            def deliver(name, message):
                with state.INBOX.edit(name, default=[]) as box:
                    box.append(message)
                log(name)


            def unread(name, other):
                with state.INBOX.edit(other, default=[]) as value:
                    value.extend(sorted(state.INBOX.get(name, [])))
                for message in state.INBOX.get(name, []):
                    print(message)
                return len(state.INBOX.get(name, [])), "x" in state.INBOX.get(name, [])
        """
        self.rewrites_inbox(before, after)

    def test_defaultdict_of_int_and_of_set_after_a_second_run_of_the_definition(self) -> None:
        self.inbox_project("""
            import collections
            from shop._stateless import kv

            INBOX = kv("INBOX", collections.defaultdict(int))
        """)
        before = """
            from shop.state import INBOX


            def seen(name, n):
                INBOX[name] += n if n else 1
                if INBOX[name]:
                    return not INBOX[name]
        """
        after = """
            from shop.state import INBOX


            def seen(name, n):
                INBOX.augment(name, "+=", n if n else 1, default=0)
                if INBOX.get(name, 0):
                    return not INBOX.get(name, 0)
        """
        self.rewrites_inbox(before, after)
        self.inbox_project("""
            from collections import defaultdict

            INBOX = defaultdict(set)
        """)
        before = """
            from shop.state import INBOX as I


            def tag(name, label):
                I[name].add(label)
                I[name].discard("old")
        """
        after = """
            from shop.state import INBOX as I


            def tag(name, label):
                with I.edit(name, default=set()) as value:
                    value.add(label)
                    value.discard("old")
        """
        self.rewrites_inbox(before, after)

    # -- atomic rewrites ---------------------------------------------------------------------

    def test_augmented_assignment_becomes_one_atomic_augment(self) -> None:
        self.inbox_project()
        before = """
            from shop.state import INBOX


            def deliver(name, message):
                INBOX[name] += [message]
                INBOX[name] |= {"seen"}
        """
        after = """
            from shop.state import INBOX


            def deliver(name, message):
                INBOX.augment(name, "+=", [message], default=[])
                INBOX.augment(name, "|=", {"seen"}, default=[])
        """
        self.rewrites_inbox(before, after)

    def test_a_value_read_before_a_write_of_its_entry_moves_into_the_edit(self) -> None:
        before = """
            from shop.state import SESSIONS


            def remove(sid, item):
                session = SESSIONS[sid]
                SESSIONS[sid]["cart"] = [x for x in session["cart"] if x != item]
                return len(session["cart"])


            def shrink(sid):
                cart = SESSIONS[sid]["cart"]
                log_size = len(cart)
                SESSIONS[sid]["cart"] = cart[:10]
                return log_size
        """
        after = """
            from shop.state import SESSIONS


            def remove(sid, item):
                with SESSIONS.edit(sid) as session:
                    session["cart"] = [x for x in session["cart"] if x != item]
                return len(session["cart"])


            def shrink(sid):
                with SESSIONS.edit(sid) as value:
                    cart = value["cart"]
                    log_size = len(cart)
                    value["cart"] = cart[:10]
                return log_size
        """
        self.rewrites(before, after, module="shop.views")

    def test_a_whole_entry_written_inside_an_edit_stays_a_write_of_the_entry(self) -> None:
        # Inside the edit `SESSIONS[sid] = ...` is the edit's own write and `SESSIONS[sid]` then
        # reads it (the runtime holds the key); the local keeps naming the value it was, as
        # with the dict.
        before = """
            from shop.state import SESSIONS


            def visit(sid):
                session = SESSIONS[sid]
                if session["expired"]:
                    SESSIONS[sid] = {"cart": [], "expired": False}
                    del SESSIONS[sid]["cart"]
                session["seen"] = True
        """
        after = """
            from shop.state import SESSIONS


            def visit(sid):
                with SESSIONS.edit(sid) as session:
                    if session["expired"]:
                        SESSIONS[sid] = {"cart": [], "expired": False}
                        del SESSIONS[sid]["cart"]
                    session["seen"] = True
        """
        self.rewrites(before, after, module="shop.views")

    def test_a_value_fetched_by_a_helper_is_read_again_inside_the_edit(self) -> None:
        before = """
            from shop.state import SESSIONS as S


            def _session(sid):
                return S[sid]


            def _current():
                sid = current_sid()
                return sid, S[sid]


            def remove(item):
                sid, session = _current()
                S[sid]["cart"] = [x for x in session["cart"] if x != item]


            def rename(sid, name):
                session = _session(sid)
                S[sid]["name"] = session["name"] or name
        """
        after = """
            from shop.state import SESSIONS as S


            def _session(sid):
                return S[sid]


            def _current():
                sid = current_sid()
                return sid, S[sid]


            def remove(item):
                sid, session = _current()
                with S.edit(sid) as value:
                    session = value
                    value["cart"] = [x for x in session["cart"] if x != item]


            def rename(sid, name):
                session = _session(sid)
                with S.edit(sid) as value:
                    session = value
                    value["name"] = session["name"] or name
        """
        self.rewrites(before, after, module="shop.views")

    def test_a_test_of_an_entry_and_the_change_it_guards_are_one_edit(self) -> None:
        before = """
            from shop.state import SESSIONS


            def flag(sid):
                if SESSIONS[sid]["visits"] > 3:
                    SESSIONS[sid]["regular"] = True
        """
        after = """
            from shop.state import SESSIONS


            def flag(sid):
                with SESSIONS.edit(sid) as value:
                    if value["visits"] > 3:
                        value["regular"] = True
        """
        self.rewrites(before, after, module="shop.views")

    def test_a_local_changed_under_a_binding_edit_joins_it(self) -> None:
        before = """
            from shop.state import SESSIONS


            def visit(sid, page):
                session = SESSIONS[sid]
                session["pages"].append(page)
                if len(session["pages"]) > 3:
                    SESSIONS[sid]["regular"] = True
        """
        after = """
            from shop.state import SESSIONS


            def visit(sid, page):
                with SESSIONS.edit(sid) as session:
                    session["pages"].append(page)
                    if len(session["pages"]) > 3:
                        session["regular"] = True
        """
        self.rewrites(before, after, module="shop.views")

    def test_bisect_and_heapq_on_a_value_change_it_inside_an_edit(self) -> None:
        before = """
            import bisect
            from heapq import heappush

            from shop.state import SESSIONS


            def remember(sid, seen, job):
                bisect.insort(SESSIONS[sid]["seen"], seen)
                heappush(SESSIONS[sid]["jobs"], job)
        """
        after = """
            import bisect
            from heapq import heappush

            from shop.state import SESSIONS


            def remember(sid, seen, job):
                with SESSIONS.edit(sid) as value:
                    bisect.insort(value["seen"], seen)
                    heappush(value["jobs"], job)
        """
        self.rewrites(before, after, module="shop.views")

    def test_a_value_handed_to_a_helper_that_only_reads_it_is_rewritten(self) -> None:
        before = """
            from shop.state import SESSIONS


            def total(cart):
                return sum(line["price"] for line in cart)


            def checkout(sid, line):
                SESSIONS[sid]["cart"].append(line)
                return total(SESSIONS[sid]["cart"])
        """
        after = """
            from shop.state import SESSIONS


            def total(cart):
                return sum(line["price"] for line in cart)


            def checkout(sid, line):
                with SESSIONS.edit(sid) as value:
                    value["cart"].append(line)
                return total(SESSIONS[sid]["cart"])
        """
        self.rewrites(before, after, module="shop.views")

    # -- refusals ---------------------------------------------------------------------------

    def test_refuses_a_value_changed_by_a_helper_it_can_see(self) -> None:
        reason = self.refusal("""
            from shop.state import SESSIONS

            def _add(cart, item):
                cart.append(item)

            def add(sid, item):
                _add(SESSIONS[sid]["cart"], item)
        """)
        self.assertIn(
            "a value of `SESSIONS` is passed to `_add`, where the parameter `cart` "
            "(`shop/views.py:5`) is changed at `shop/views.py:8`",
            reason,
        )

    def test_refuses_a_value_passed_to_a_call_it_cannot_see_into(self) -> None:
        unseen = self.refusal("""
            from shop.state import SESSIONS

            def visit(sid, page):
                session = SESSIONS[sid]
                session["pages"].append(page)
                log(session)
        """)
        self.assertIn(
            "a value of `SESSIONS` is passed to `log`, which the codemods cannot see into at "
            "`shop/views.py:7`",
            unseen,
        )

    def test_refuses_a_value_changed_through_a_closure_a_return_or_a_loop(self) -> None:
        closure = self.refusal("""
            from shop.state import SESSIONS

            def later(sid, page):
                session = SESSIONS[sid]
                def remember():
                    session["pages"].append(page)
                return remember
        """)
        returned = self.refusal("""
            from shop.state import SESSIONS

            def _cart(sid):
                return SESSIONS[sid]["cart"]

            def add(sid, item):
                _cart(sid).append(item)
        """)
        looped = self.refusal("""
            from shop.state import SESSIONS

            def expire():
                for session in SESSIONS.values():
                    session["expired"] = True
        """)
        self.assertIn("is captured by `remember`, which changes it", closure)
        self.assertIn(
            "is returned by `_cart`, and its caller's result (`shop/views.py:8`) is changed",
            returned,
        )
        self.assertIn("is changed through `session` (line 6), where no read-modify-write", looped)

    def test_refuses_a_value_changed_by_a_helper_in_another_module(self) -> None:
        self.inbox_project()
        (self.root / "shop" / "helpers.py").write_text("def tag(box):\n    box.append('tag')\n")
        reason = self.refusal(
            """
            from shop.helpers import tag
            from shop.state import INBOX

            def deliver(name):
                tag(INBOX.get(name, []))
        """,
            args=INBOX_ARGS,
        )
        self.assertIn(
            "is passed to `tag`, where the parameter `box` (`shop/helpers.py:2`) is changed",
            reason,
        )

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
        reason = self.refusal(
            """
            SESSIONS = {}

            def reset():
                global SESSIONS
                SESSIONS = {}
        """,
            module="shop.state",
        )
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

    def test_refuses_a_defaultdict_whose_empty_value_it_does_not_know(self) -> None:
        reason = self.refusal(
            """
            from collections import defaultdict

            SESSIONS = defaultdict(lambda: {"cart": []})
        """,
            module="shop.state",
        )
        self.assertIn('`defaultdict(lambda: {"cart": []})`', reason)
        self.assertIn("`list`, `dict`, `set` and `int`", reason)

    def test_refuses_defaultdict_reads_that_would_insert_an_empty_value(self) -> None:
        self.inbox_project()
        kept = self.refusal(
            """
            from shop.state import INBOX

            def mentions(name):
                box = INBOX[name]
                return box
        """,
            args=INBOX_ARGS,
        )
        deeper = self.refusal(
            """
            from shop.state import INBOX

            def first(name):
                return INBOX[name][0]
        """,
            args=INBOX_ARGS,
        )
        self.assertIn("`box = INBOX[name]` (line 5) reads `INBOX[...]` of a `defaultdict`", kept)
        self.assertIn("`INBOX.get(k, [])`", kept)
        self.assertIn("`return INBOX[name][0]` (line 5)", deeper)

    def test_refuses_mutating_a_get_default(self) -> None:
        reason = self.refusal("""
            from shop.state import SESSIONS

            def f(sid):
                SESSIONS.get(sid, {})["seen"] = True
        """)
        self.assertIn("not written back", reason)

    def test_refuses_dict_only_methods_and_crowded_lines(self) -> None:
        self.assertIn(
            "`SESSIONS.copy`",
            self.refusal("""
            from shop.state import SESSIONS
            snapshot = SESSIONS.copy()
        """),
        )
        self.assertIn(
            "several statements",
            self.refusal("""
            from shop.state import SESSIONS
            def f(sid):
                SESSIONS[sid]["n"] = 1; print(sid)
        """),
        )


MENTIONS = """
    from collections import defaultdict

    INBOX = defaultdict(list)


    def deliver(name, text):
        INBOX[name].append(text)


    def unread(name):
        return len(INBOX[name]), list(INBOX.get(name, []))
"""


@pytest.mark.parametrize("stage", ["off", "complete"])
def test_a_defaultdict_inbox_fills_on_a_missing_key_and_is_shared_through_redis(
    rewritten_package: Any, stage: str
) -> None:
    package = f"inbox_{uuid.uuid4().hex[:10]}"
    codemod = KeyValueStoreCodemod(
        CodemodContext(full_module_name=f"{package}.inbox"),
        "INBOX",
        f"{package}.inbox",
        f"{package}._stateless",
    )
    rewritten = codemod.transform_module(cst.parse_module(dedent(MENTIONS))).code
    assert "INBOX.edit(name, default=[])" in rewritten
    made = rewritten_package(
        package, [Component("INBOX", "kv", "redis")], {"inbox.py": rewritten}, stage
    )
    first, second = made.replica("a", "inbox.py"), made.replica("b", "inbox.py")
    first.deliver("cleo", "review?")
    first.deliver("cleo", "ping")
    assert first.unread("cleo") == (2, ["review?", "ping"])
    # Reading a name nobody wrote to answers empty and, unlike the defaultdict, stores nothing.
    assert second.unread("dan") == (0, [])
    assert "dan" not in second.INBOX
    shared = (2, ["review?", "ping"]) if stage == "complete" else (0, [])
    assert second.unread("cleo") == shared
