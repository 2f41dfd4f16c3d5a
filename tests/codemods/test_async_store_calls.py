"""AsyncStoreCallsCodemod: inside `async def`, migrated components are awaited."""

from libcst.codemod import CodemodContext, CodemodTest, SkipFile
from migrator.codemods.async_store_calls import AsyncStoreCallsCodemod


class AsyncStoreCallsTest(CodemodTest):
    TRANSFORM = AsyncStoreCallsCodemod

    def rewrites(self, before: str, after: str, symbol: str, kind: str) -> None:
        context = CodemodContext(full_module_name="shop.views", full_package_name="shop")
        self.assertCodemod(
            before, after, symbol, "shop.views", kind, context_override=context
        )

    def refusal(self, source: str, symbol: str, kind: str) -> str:
        context = CodemodContext(full_module_name="shop.views", full_package_name="shop")
        with self.assertRaises(SkipFile) as raised:
            self.assertCodemod(source, source, symbol, "shop.views", kind, context_override=context)
        return str(raised.exception)

    def test_a_key_value_store_is_awaited_in_async_code_only(self) -> None:
        before = """
            from shop._stateless import kv

            SESSIONS = kv("SESSIONS", {})


            async def add(sid, item):
                if sid not in SESSIONS:
                    SESSIONS[sid] = {"cart": []}
                with SESSIONS.edit(sid) as value:
                    value["cart"].append(item)
                count = len(SESSIONS[sid]["cart"])
                SESSIONS.augment("totals", "+=", 1, default=0)
                return SESSIONS.get(sid, {}).get("cart"), count, sid in SESSIONS


            async def forget(sid):
                del SESSIONS[sid]
                return SESSIONS.pop("other", None)


            def report(sid):
                return SESSIONS[sid]
        """
        after = """
            from shop._stateless import kv

            SESSIONS = kv("SESSIONS", {})


            async def add(sid, item):
                if not await SESSIONS.acontains(sid):
                    await SESSIONS.aset(sid, {"cart": []})
                async with SESSIONS.aedit(sid) as value:
                    value["cart"].append(item)
                count = len((await SESSIONS.agetitem(sid))["cart"])
                await SESSIONS.aaugment("totals", "+=", 1, default=0)
                return (await SESSIONS.aget(sid, {})).get("cart"), count, await SESSIONS.acontains(sid)


            async def forget(sid):
                await SESSIONS.adelete(sid)
                return await SESSIONS.apop("other", None)


            def report(sid):
                return SESSIONS[sid]
        """
        self.rewrites(before, after, "SESSIONS", "kv")

    def test_a_store_imported_from_another_module_is_awaited_too(self) -> None:
        before = """
            from .state import SESSIONS
            from shop import state


            async def show(sid):
                return SESSIONS[sid], state.SESSIONS.get(sid)
        """
        after = """
            from .state import SESSIONS
            from shop import state


            async def show(sid):
                return await SESSIONS.agetitem(sid), await state.SESSIONS.aget(sid)
        """
        context = CodemodContext(full_module_name="shop.views", full_package_name="shop")
        self.assertCodemod(
            before, after, "SESSIONS", "shop.state", "kv", context_override=context
        )

    def test_a_counter_and_a_lock(self) -> None:
        before = """
            from shop._stateless import counter, lock

            HITS = counter("HITS")
            ORDER_LOCK = lock("ORDER_LOCK")


            async def hit(ip):
                with ORDER_LOCK:
                    return HITS.incr(ip) > 3, HITS.get(ip)
        """
        after_counter = """
            from shop._stateless import counter, lock

            HITS = counter("HITS")
            ORDER_LOCK = lock("ORDER_LOCK")


            async def hit(ip):
                with ORDER_LOCK:
                    return await HITS.aincr(ip) > 3, await HITS.aget(ip)
        """
        after_lock = """
            from shop._stateless import counter, lock

            HITS = counter("HITS")
            ORDER_LOCK = lock("ORDER_LOCK")


            async def hit(ip):
                async with ORDER_LOCK.aheld():
                    return HITS.incr(ip) > 3, HITS.get(ip)
        """
        self.rewrites(before, after_counter, "HITS", "counter")
        self.rewrites(before, after_lock, "ORDER_LOCK", "lock")

    def test_a_nested_plain_function_stays_sync(self) -> None:
        source = """
            from shop._stateless import kv

            SESSIONS = kv("SESSIONS", {})


            async def later(loop, sid):
                def read():
                    return SESSIONS[sid]

                return await loop.run_in_executor(None, read)
        """
        self.rewrites(source, source, "SESSIONS", "kv")

    def test_refuses_a_use_with_no_async_form(self) -> None:
        for use, quoted in (
            ("len(SESSIONS)", "len(SESSIONS)"),
            ("list(SESSIONS.items())", "SESSIONS.items()"),
            ("helper(SESSIONS)", "helper(SESSIONS)"),
        ):
            reason = self.refusal(
                f"""
                from shop._stateless import kv

                SESSIONS = kv("SESSIONS", {{}})


                async def count():
                    return {use}
                """,
                "SESSIONS",
                "kv",
            )
            self.assertIn(
                f"line 7: `SESSIONS` is used in an `async def` in a way that has no async form "
                f"(`{quoted}`)",
                reason,
            )
            self.assertIn("would block the event loop", reason)

    def test_refuses_a_lock_acquired_by_hand(self) -> None:
        reason = self.refusal(
            """
            from shop._stateless import lock

            LOCK = lock("LOCK")


            async def work():
                LOCK.acquire()
                LOCK.release()
            """,
            "LOCK",
            "lock",
        )
        self.assertIn("line 7: `LOCK` is used in an `async def` in a way that has no async form (`LOCK.acquire()`)", reason)
