"""DictMemoCodemod: a dict used as a memo moves onto the cache store's get_or_set."""

from libcst.codemod import CodemodTest
from migrator.codemods.dict_memo import DictMemoCodemod

RUNTIME = "shop._stateless"


class DictMemoTest(CodemodTest):
    TRANSFORM = DictMemoCodemod

    def rewrites(self, before: str, after: str, ttl: int | None = 300) -> None:
        self.assertCodemod(before, after, "_CACHE", RUNTIME, ttl)
        self.assertCodemod(after, after, "_CACHE", RUNTIME, ttl, expected_warnings=[])

    def refuses(self, source: str, warning: str) -> None:
        self.assertCodemod(source, source, "_CACHE", RUNTIME, 300, expected_warnings=[warning])

    def test_dict_that_is_not_a_memo_is_unchanged(self) -> None:
        self.refuses(
            """
            _CACHE = {}


            def remember(key, value):
                _CACHE[key] = value
            """,
            "line 5: left unchanged: `_CACHE` is used in a way this rewrite does not recognise; "
            "nothing changed (leave it for a manual marker).",
        )

    def test_symbol_defined_elsewhere_is_unchanged(self) -> None:
        source = """
            from shop.state import _CACHE


            def price(key):
                return _CACHE[key]
        """
        self.assertCodemod(
            source,
            source,
            "_CACHE",
            RUNTIME,
            expected_warnings=["`_CACHE` is not defined once in this module; nothing changed."],
        )

    def test_builtin_name_not_defined_here_is_unchanged(self) -> None:
        source = """
            def read(path):
                return open(path)
        """
        self.assertCodemod(
            source,
            source,
            "open",
            RUNTIME,
            expected_warnings=["`open` is not defined once in this module; nothing changed."],
        )

    def test_if_in_return_then_store(self) -> None:
        self.rewrites(
            """
            _CACHE = {}


            def price(sku):
                # Prices change daily.
                if sku in _CACHE:
                    return _CACHE[sku]
                value = fetch_price(sku)
                _CACHE[sku] = value
                return value


            def reset():
                _CACHE.clear()
            """,
            """
            from shop._stateless import cache

            _CACHE = cache("_CACHE", {}, ttl=300)


            def price(sku):
                # Prices change daily.
                return _CACHE.get_or_set(sku, lambda: fetch_price(sku))


            def reset():
                _CACHE.clear()
            """,
        )

    def test_get_variant_with_key_computed_first(self) -> None:
        self.rewrites(
            """
            from typing import Dict

            _CACHE: Dict[tuple, int] = {}


            def distance(a, b):
                key = (a, b)
                result = _CACHE.get(key)
                if result is None:
                    result = compute_distance(a, b)
                    _CACHE[key] = result
                return result


            def forget(a, b):
                _CACHE.pop((a, b), None)
                del _CACHE[(b, a)]
            """,
            """
            from shop._stateless import cache

            _CACHE = cache("_CACHE", {}, ttl=300)


            def distance(a, b):
                key = (a, b)
                return _CACHE.get_or_set(key, lambda: compute_distance(a, b))


            def forget(a, b):
                _CACHE.pop((a, b), None)
                del _CACHE[(b, a)]
            """,
        )

    def test_if_not_in_store_then_return_item(self) -> None:
        self.rewrites(
            """
            _CACHE = dict()


            def profile(user_id):
                if user_id not in _CACHE:
                    _CACHE[user_id] = load_profile(user_id)
                return _CACHE[user_id]
            """,
            """
            from shop._stateless import cache

            _CACHE = cache("_CACHE", dict())


            def profile(user_id):
                return _CACHE.get_or_set(user_id, lambda: load_profile(user_id))
            """,
            ttl=None,
        )

    def test_get_then_return_hit_and_try_key_error(self) -> None:
        self.rewrites(
            """
            from django.core.cache import cache

            _CACHE = {}


            def a(k):
                v = _CACHE.get(k)
                if v is not None:
                    return v
                v = slow(k)
                _CACHE[k] = v
                return v


            def b(k):
                try:
                    return _CACHE[k]
                except KeyError:
                    v = slow(k)
                    _CACHE[k] = v
                    return v
            """,
            """
            from django.core.cache import cache
            from shop._stateless import cache as stateless_cache

            _CACHE = stateless_cache("_CACHE", {}, ttl=300)


            def a(k):
                return _CACHE.get_or_set(k, lambda: slow(k))


            def b(k):
                return _CACHE.get_or_set(k, lambda: slow(k))
            """,
        )

    def test_two_statement_computation_is_refused(self) -> None:
        self.refuses(
            """
            _CACHE = {}


            def price(sku):
                if sku in _CACHE:
                    return _CACHE[sku]
                raw = fetch(sku)
                value = round(raw, 2)
                _CACHE[sku] = value
                return value
            """,
            "line 5: left unchanged: `_CACHE` is used in a way this rewrite does not recognise; "
            "nothing changed (leave it for a manual marker).",
        )

    def test_awaited_computation_is_refused(self) -> None:
        source = """
            _CACHE = {}


            async def price(sku):
                if sku in _CACHE:
                    return _CACHE[sku]
                value = await fetch(sku)
                _CACHE[sku] = value
                return value
        """
        self.assertCodemod(
            source,
            source,
            "_CACHE",
            RUNTIME,
            expected_warnings=[
                "line 4: left unchanged: the computation awaits or yields; a lambda cannot.",
                "line 5: left unchanged: `_CACHE` is used in a way this rewrite does not "
                "recognise; nothing changed (leave it for a manual marker).",
            ],
        )

    def test_dict_that_starts_full_is_refused(self) -> None:
        self.refuses(
            """
            _CACHE = {"a": 1}
            """,
            "line 1: left unchanged: `_CACHE` does not start as an empty dict.",
        )
