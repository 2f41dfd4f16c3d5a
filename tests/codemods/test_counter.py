"""CounterCodemod: whole modules before and after, refusals, and a second run."""

from __future__ import annotations

from textwrap import dedent

import libcst as cst
from libcst.codemod import CodemodContext, CodemodTest, SkipFile
from migrator.codemods.counter import CounterCodemod


def context(module: str) -> CodemodContext:
    return CodemodContext(full_module_name=module, full_package_name="shop")


class TestCounterCodemod(CodemodTest):
    TRANSFORM = CounterCodemod

    def rewrites(self, symbol: str, before: str, after: str, module: str = "shop.state") -> None:
        """``before`` becomes ``after``, and a second run leaves ``after`` as it is."""
        args = (symbol, "shop.state", "shop._stateless")
        self.assertCodemod(before, after, *args, context_override=context(module))
        self.assertCodemod(after, after, *args, context_override=context(module))

    def refusal(self, symbol: str, source: str, module: str = "shop.state") -> str:
        codemod = CounterCodemod(context(module), symbol, "shop.state", "shop._stateless")
        with self.assertRaises(SkipFile) as raised:
            codemod.transform_module(cst.parse_module(dedent(source)))
        return str(raised.exception)

    # -- no change --------------------------------------------------------------------------

    def test_a_module_that_does_not_use_the_counter_is_left_alone(self) -> None:
        source = """
            ORDER_SEQ = 5


            def f():
                return ORDER_SEQ
        """
        self.assertCodemod(source, source, "ORDER_SEQ", "shop.state", "shop._stateless",
                           context_override=context("shop.views"))

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
                HITS.decr(path, amount=2)
                return HITS.get(path), HITS.get(path)
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

    # -- refusals ---------------------------------------------------------------------------

    def test_refuses_a_reset(self) -> None:
        reason = self.refusal("ORDER_SEQ", """
            ORDER_SEQ = 0

            def reset():
                global ORDER_SEQ
                ORDER_SEQ = 0
        """)
        self.assertIn("there is no reset", reason)

    def test_refuses_setting_a_count(self) -> None:
        reason = self.refusal("HITS", """
            HITS = {}

            def clear(ip):
                HITS[ip] = 0
        """)
        self.assertIn("sets a count to a value", reason)

    def test_refuses_whole_map_reads(self) -> None:
        self.assertIn("not part of the counter API", self.refusal("HITS", """
            HITS = {}

            def top():
                return sorted(HITS.items())
        """))
        self.assertIn("as a whole", self.refusal("HITS", """
            HITS = {}

            def seen(ip):
                HITS[ip] += 1
                return ip in HITS
        """))

    def test_refuses_a_rate_limit_it_does_not_recognise(self) -> None:
        reason = self.refusal("HITS", """
            import time

            HITS = {}

            def allowed(ip):
                key = f"{ip}:{int(time.time() // 60)}"
                HITS[key] = HITS.get(key, 0) + 1
                return HITS[key] <= 10
        """)
        self.assertIn("hand-made rate limit", reason)
