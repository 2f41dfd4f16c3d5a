"""DistributedLockCodemod: whole modules before and after, refusals, and a second run."""

from __future__ import annotations

from textwrap import dedent

import libcst as cst
from libcst.codemod import CodemodContext, CodemodTest, SkipFile
from migrator.codemods.distributed_lock import DistributedLockCodemod

ARGS = ("ORDER_LOCK", "shop.state", "shop._stateless")


def context(module: str) -> CodemodContext:
    return CodemodContext(full_module_name=module, full_package_name="shop")


class TestDistributedLockCodemod(CodemodTest):
    TRANSFORM = DistributedLockCodemod

    def rewrites(self, before: str, after: str, module: str = "shop.state", **kw: object) -> None:
        """``before`` becomes ``after``, and a second run leaves ``after`` as it is."""
        self.assertCodemod(before, after, *ARGS, context_override=context(module), **kw)
        self.assertCodemod(after, after, *ARGS, context_override=context(module), **kw)

    def refusal(self, source: str, module: str = "shop.state") -> str:
        codemod = DistributedLockCodemod(context(module), *ARGS)
        with self.assertRaises(SkipFile) as raised:
            codemod.transform_module(cst.parse_module(dedent(source)))
        return str(raised.exception)

    def test_with_blocks_in_another_module_need_no_change(self) -> None:
        source = """
            from shop.state import ORDER_LOCK as LOCK


            def buy(stock, item):
                with LOCK:
                    stock[item] -= 1
        """
        self.assertCodemod(source, source, *ARGS, context_override=context("shop.views"))

    def test_definition_is_bound_to_a_store_lock(self) -> None:
        before = """
            import threading

            ORDER_LOCK = threading.Lock()


            def buy(stock, item):
                with ORDER_LOCK:
                    stock[item] -= 1
        """
        after = """
            import threading
            from shop._stateless import lock

            ORDER_LOCK = lock("ORDER_LOCK", threading.Lock(), timeout=30)


            def buy(stock, item):
                with ORDER_LOCK:
                    stock[item] -= 1
        """
        self.rewrites(before, after, timeout=30)

    def test_acquire_release_pairs_are_left_with_a_note(self) -> None:
        before = """
            from threading import Lock

            ORDER_LOCK = Lock()


            def buy(stock, item):
                ORDER_LOCK.acquire()
                try:
                    stock[item] -= 1
                finally:
                    ORDER_LOCK.release()
        """
        after = """
            from threading import Lock
            from shop._stateless import lock

            ORDER_LOCK = lock("ORDER_LOCK", Lock(), timeout=10)


            def buy(stock, item):
                # stateless: ORDER_LOCK is a store lock; `with ORDER_LOCK:` always releases it
                ORDER_LOCK.acquire()
                try:
                    stock[item] -= 1
                finally:
                    ORDER_LOCK.release()
        """
        warning = ("line 7: `ORDER_LOCK.acquire()` is left as it is; an exception before "
                   "`release()` holds the store lock until its timeout")
        self.assertCodemod(before, after, *ARGS, context_override=context("shop.state"),
                           expected_warnings=[warning])
        self.rewrites(before, after)

    def test_refuses_an_rlock(self) -> None:
        reason = self.refusal("""
            import threading

            ORDER_LOCK = threading.RLock()
        """)
        self.assertIn("not re-entrant", reason)

    def test_refuses_a_lock_passed_to_a_condition(self) -> None:
        reason = self.refusal("""
            import threading

            ORDER_LOCK = threading.Lock()
            READY = threading.Condition(ORDER_LOCK)
        """)
        self.assertIn("passed around", reason)

    def test_refuses_locked(self) -> None:
        reason = self.refusal("""
            from shop.state import ORDER_LOCK

            def busy():
                return ORDER_LOCK.locked()
        """, module="shop.views")
        self.assertIn("`ORDER_LOCK.locked`", reason)

    def test_refuses_async_with(self) -> None:
        reason = self.refusal("""
            from shop.state import ORDER_LOCK

            async def buy():
                async with ORDER_LOCK:
                    pass
        """, module="shop.views")
        self.assertIn("`async with`", reason)
