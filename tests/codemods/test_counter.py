"""CounterCodemod: whole modules before and after, refusals, and a second run."""

from __future__ import annotations

import tempfile
import uuid
from pathlib import Path
from textwrap import dedent
from typing import Any

import libcst as cst
import pytest
from libcst.codemod import CodemodContext, CodemodTest, SkipFile
from migrator.codemods.counter import CounterCodemod

from migrator.runtime import Component


def context(module: str, filename: str | None = None) -> CodemodContext:
    return CodemodContext(filename=filename, full_module_name=module, full_package_name="shop")


class TestCounterCodemod(CodemodTest):
    TRANSFORM = CounterCodemod

    def rewrites(self, symbol: str, before: str, after: str, module: str = "shop.state") -> None:
        """``before`` becomes ``after``, and a second run leaves ``after`` as it is."""
        args = (symbol, "shop.state", "shop._stateless")
        self.assertCodemod(before, after, *args, context_override=context(module))
        self.assertCodemod(after, after, *args, context_override=context(module))

    def refusal(
        self, symbol: str, source: str, module: str = "shop.state", filename: str | None = None
    ) -> str:
        codemod = CounterCodemod(context(module, filename), symbol, "shop.state", "shop._stateless")
        with self.assertRaises(SkipFile) as raised:
            codemod.transform_module(cst.parse_module(dedent(source)))
        return str(raised.exception)

    def state_file(self, definition: str) -> str:
        """A project on disk whose ``shop/state.py`` is ``definition``; the path of ``shop/views.py``."""
        folder = tempfile.TemporaryDirectory()
        self.addCleanup(folder.cleanup)
        package = Path(folder.name) / "shop"
        package.mkdir()
        (package / "__init__.py").write_text("")
        (package / "state.py").write_text(dedent(definition))
        return str(package / "views.py")

    # -- no change --------------------------------------------------------------------------

    def test_a_module_that_does_not_use_the_counter_is_left_alone(self) -> None:
        source = """
            ORDER_SEQ = 5


            def f():
                return ORDER_SEQ
        """
        self.assertCodemod(
            source,
            source,
            "ORDER_SEQ",
            "shop.state",
            "shop._stateless",
            context_override=context("shop.views"),
        )

    def test_an_id_sequence_rewritten_once_is_left_alone(self) -> None:
        source = """
            from shop._stateless import counter

            MESSAGE_IDS = counter("MESSAGE_IDS", start=0)


            def record(text):
                return {"id": MESSAGE_IDS.incr(), "text": text}
        """
        self.assertCodemod(
            source,
            source,
            "MESSAGE_IDS",
            "shop.state",
            "shop._stateless",
            context_override=context("shop.state"),
        )

    # -- scalar counters --------------------------------------------------------------------

    def test_global_increment_then_read_becomes_one_incr(self) -> None:
        before = """
            import threading

            ORDER_SEQ = 0
            LOCK = threading.Lock()


            def next_order():
                global ORDER_SEQ
                with LOCK:
                    ORDER_SEQ += 1
                    order_id = ORDER_SEQ
                return {"id": order_id}


            def current():
                return ORDER_SEQ
        """
        after = """
            import threading
            from shop._stateless import counter

            ORDER_SEQ = counter("ORDER_SEQ", start=0)
            LOCK = threading.Lock()


            def next_order():
                with LOCK:
                    order_id = ORDER_SEQ.incr()
                return {"id": order_id}


            def current():
                return ORDER_SEQ.get()
        """
        self.rewrites("ORDER_SEQ", before, after)

    def test_later_reads_in_the_block_use_the_new_value(self) -> None:
        before = """
            ORDER_SEQ = 100


            def take(n):
                global ORDER_SEQ, OTHER
                ORDER_SEQ -= n
                print("left", ORDER_SEQ)
                return ORDER_SEQ


            def tick():
                global ORDER_SEQ
                ORDER_SEQ = ORDER_SEQ + 1
        """
        after = """
            from shop._stateless import counter

            ORDER_SEQ = counter("ORDER_SEQ", start=100)


            def take(n):
                global OTHER
                order_seq = ORDER_SEQ.decr(amount=n)
                print("left", order_seq)
                return order_seq


            def tick():
                ORDER_SEQ.incr()
        """
        self.rewrites("ORDER_SEQ", before, after)

    def test_increment_through_an_imported_module(self) -> None:
        before = """
            from shop import state


            def next_id():
                state.ORDER_SEQ += 1
                return state.ORDER_SEQ
        """
        after = """
            from shop import state


            def next_id():
                order_seq = state.ORDER_SEQ.incr()
                return order_seq
        """
        self.rewrites("ORDER_SEQ", before, after, module="shop.views")

    # -- mappings of counts -----------------------------------------------------------------

    def test_hit_map_increments_and_reads(self) -> None:
        before = """
            from collections import defaultdict

            HITS = defaultdict(int)


            def track(path, n):
                HITS[path] += 1
                HITS[path] = HITS.get(path, 0) + n
                HITS[path] -= 2
                return HITS[path], HITS.get(path, 0)
        """
        after = """
            from collections import defaultdict
            from shop._stateless import counter

            HITS = counter("HITS", defaultdict(int))


            def track(path, n):
                HITS.incr(path)
                HITS.incr(path, amount=n)
                hits = HITS.decr(path, amount=2)
                return hits, hits
        """
        self.rewrites("HITS", before, after)

    def test_a_read_after_an_increment_uses_the_value_the_increment_returns(self) -> None:
        before = """
            from collections import defaultdict

            from flask import abort

            HITS = defaultdict(int)
            LIMIT = 100


            def guard(ip):
                HITS[ip] += 1
                if HITS[ip] > LIMIT:
                    abort(429)


            def allowed(ip):
                HITS[ip] = HITS.get(ip, 0) + 1
                return HITS.get(ip, 0) <= LIMIT
        """
        after = """
            from collections import defaultdict

            from flask import abort
            from shop._stateless import counter

            HITS = counter("HITS", defaultdict(int))
            LIMIT = 100


            def guard(ip):
                if HITS.incr(ip) > LIMIT:
                    abort(429)


            def allowed(ip):
                return HITS.incr(ip) <= LIMIT
        """
        self.rewrites("HITS", before, after)

    def test_reads_after_an_increment_that_come_later_read_a_local(self) -> None:
        before = """
            from collections import Counter

            HITS = Counter()


            def guard(ip, trusted):
                HITS[ip] += 1
                if trusted and HITS[ip] > 10:
                    return "slow down"
                log(ip, HITS[ip])
                HITS[ip] += 1
                return HITS[ip]
        """
        after = """
            from collections import Counter
            from shop._stateless import counter

            HITS = counter("HITS", Counter())


            def guard(ip, trusted):
                hits = HITS.incr(ip)
                if trusted and hits > 10:
                    return "slow down"
                log(ip, hits)
                return HITS.incr(ip)
        """
        self.rewrites("HITS", before, after)

    def test_fixed_window_rate_limit_becomes_hit(self) -> None:
        before = """
            import time
            from collections import Counter

            HITS = Counter()


            def allowed(ip):
                now = time.time()
                window = int(now // 60)
                HITS[(ip, window)] += 1
                return HITS[(ip, window)] <= 10


            def blocked(user):
                HITS[(user, int(time.time()) // 30)] += 1
                return HITS[(user, int(time.time()) // 30)] >= 5
        """
        after = """
            from collections import Counter
            from shop._stateless import counter

            HITS = counter("HITS", Counter())


            def allowed(ip):
                return HITS.hit(ip, limit=10, window=60)


            def blocked(user):
                return not HITS.hit(user, limit=4, window=30)
        """
        self.rewrites("HITS", before, after)

    # -- id sequences from itertools.count ---------------------------------------------------

    def test_itertools_count_becomes_a_counter_one_step_early(self) -> None:
        before = """
            \"\"\"Recent messages.\"\"\"

            # standard library
            import itertools
            import time

            MESSAGE_IDS = itertools.count(1)


            def record(user, text):
                message = {"id": next(MESSAGE_IDS), "user": user, "at": time.time()}
                return message
        """
        after = """
            \"\"\"Recent messages.\"\"\"

            # standard library
            import time
            from shop._stateless import counter

            MESSAGE_IDS = counter("MESSAGE_IDS", start=0)


            def record(user, text):
                message = {"id": MESSAGE_IDS.incr(), "user": user, "at": time.time()}
                return message
        """
        self.rewrites("MESSAGE_IDS", before, after)

    def test_count_without_a_start_and_an_import_still_used_elsewhere(self) -> None:
        before = """
            from itertools import chain, count

            TICKETS = count()


            def take(batches):
                return next(TICKETS), list(chain(*batches))
        """
        after = """
            from itertools import chain
            from shop._stateless import counter

            TICKETS = counter("TICKETS", start=-1)


            def take(batches):
                return TICKETS.incr(), list(chain(*batches))
        """
        self.rewrites("TICKETS", before, after)

    def test_count_with_a_step_counts_in_that_step(self) -> None:
        before = """
            import itertools

            FIRST = 500
            EVEN_IDS = itertools.count(100, 10)
            ODD_IDS = itertools.count(FIRST, step=-2)
            PAIRS = itertools.pairwise([1, 2])


            def ids():
                return next(EVEN_IDS)
        """
        after = """
            import itertools
            from shop._stateless import counter

            FIRST = 500
            EVEN_IDS = counter("EVEN_IDS", start=90)
            ODD_IDS = itertools.count(FIRST, step=-2)
            PAIRS = itertools.pairwise([1, 2])


            def ids():
                return EVEN_IDS.incr(amount=10)
        """
        self.rewrites("EVEN_IDS", before, after)
        self.rewrites(
            "ODD_IDS",
            after,
            after.replace(
                "ODD_IDS = itertools.count(FIRST, step=-2)",
                'ODD_IDS = counter("ODD_IDS", start=FIRST + 2)',
            ),
        )

    def test_next_in_another_module_learns_the_step_from_the_definition_file(self) -> None:
        views = self.state_file("""
            import itertools

            TICKETS = itertools.count(start=1, step=5)
        """)
        before = """
            from shop import state
            from shop.state import TICKETS as T


            def take():
                return next(T), next(state.TICKETS)
        """
        after = """
            from shop import state
            from shop.state import TICKETS as T


            def take():
                return T.incr(amount=5), state.TICKETS.incr(amount=5)
        """
        where = context("shop.views", views)
        self.assertCodemod(
            before, after, "TICKETS", "shop.state", "shop._stateless", context_override=where
        )
        self.assertCodemod(
            after, after, "TICKETS", "shop.state", "shop._stateless", context_override=where
        )

    # -- refusals ---------------------------------------------------------------------------

    def test_refuses_an_id_sequence_used_other_than_by_next(self) -> None:
        for use in ("itertools.islice(IDS, 3)", "next(IDS, None)", "helper(IDS)", "iter(IDS)"):
            reason = self.refusal(
                "IDS",
                f"""
                import itertools

                IDS = itertools.count(1)

                def take():
                    return {use}
            """,
            )
            self.assertIn(f"used other than as `next(IDS)` in `return {use}` (line 7)", reason)

    def test_refuses_a_count_it_cannot_turn_into_whole_steps(self) -> None:
        for definition in ("itertools.count(0, STEP)", "itertools.count(0.5)", "count(1, 0.5)"):
            reason = self.refusal(
                "IDS",
                f"""
                import itertools
                from itertools import count

                IDS = {definition}
            """,
            )
            self.assertIn(f"`{definition}` does not count in whole steps", reason)

    def test_refuses_next_when_the_definition_cannot_be_read(self) -> None:
        reason = self.refusal(
            "IDS",
            """
            from shop.state import IDS

            def take():
                return next(IDS)
        """,
            module="shop.views",
        )
        self.assertIn("the step of `next(IDS)` in `return next(IDS)` (line 5) is unknown", reason)

    def test_refuses_a_count_that_is_not_itertools_count(self) -> None:
        reason = self.refusal(
            "IDS",
            """
            from shop.numbers import count

            IDS = count(1)
        """,
        )
        self.assertIn("not `itertools.count`", reason)

    def test_refuses_a_reset(self) -> None:
        reason = self.refusal(
            "ORDER_SEQ",
            """
            ORDER_SEQ = 0

            def reset():
                global ORDER_SEQ
                ORDER_SEQ = 0
        """,
        )
        self.assertIn("there is no reset", reason)

    def test_refuses_setting_a_count(self) -> None:
        reason = self.refusal(
            "HITS",
            """
            HITS = {}

            def clear(ip):
                HITS[ip] = 0
        """,
        )
        self.assertIn("sets a count to a value", reason)

    def test_refuses_whole_map_reads(self) -> None:
        self.assertIn(
            "not part of the counter API",
            self.refusal(
                "HITS",
                """
            HITS = {}

            def top():
                return sorted(HITS.items())
        """,
            ),
        )
        self.assertIn(
            "as a whole",
            self.refusal(
                "HITS",
                """
            HITS = {}

            def seen(ip):
                HITS[ip] += 1
                return ip in HITS
        """,
            ),
        )

    def test_refuses_a_rate_limit_it_does_not_recognise(self) -> None:
        reason = self.refusal(
            "HITS",
            """
            import time

            HITS = {}

            def allowed(ip):
                key = f"{ip}:{int(time.time() // 60)}"
                HITS[key] = HITS.get(key, 0) + 1
                return HITS[key] <= 10
        """,
        )
        self.assertIn("hand-made rate limit", reason)


ID_SEQUENCE = """
    import itertools

    MESSAGE_IDS = itertools.count(1)


    def record(text):
        return {"id": next(MESSAGE_IDS), "text": text}
"""


@pytest.mark.parametrize(("stage", "expected"), [("off", [1, 1, 2, 2]), ("complete", [1, 2, 3, 4])])
def test_next_ids_stay_unique_across_replicas_only_through_redis(
    rewritten_package: Any, stage: str, expected: list[int]
) -> None:
    package = f"ids_{uuid.uuid4().hex[:10]}"
    codemod = CounterCodemod(
        CodemodContext(full_module_name=f"{package}.ids"),
        "MESSAGE_IDS",
        f"{package}.ids",
        f"{package}._stateless",
    )
    rewritten = codemod.transform_module(cst.parse_module(dedent(ID_SEQUENCE))).code
    made = rewritten_package(
        package, [Component("MESSAGE_IDS", "counter", "redis")], {"ids.py": rewritten}, stage
    )
    first, second = made.replica("a", "ids.py"), made.replica("b", "ids.py")
    ids = [replica.record("hi")["id"] for replica in (first, second, first, second)]
    # Before the switch each replica counts alone, as `itertools.count(1)` did.
    assert ids == expected
