"""MemoizeCacheCodemod: memo decorators move onto the cache store's memoize."""

from libcst.codemod import CodemodTest
from migrator.codemods.memoize_cache import MemoizeCacheCodemod

RUNTIME = "shop._stateless"


class MemoizeCacheTest(CodemodTest):
    TRANSFORM = MemoizeCacheCodemod

    def rewrites(self, before: str, after: str, **options: object) -> None:
        options = {"symbol": None, "runtime_package": RUNTIME, **options}
        self.assertCodemod(before, after, **options)
        # A second run changes nothing and has nothing to say.
        self.assertCodemod(after, after, expected_warnings=[], **options)

    def test_function_without_memo_decorator_is_unchanged(self) -> None:
        source = """
            import functools

            @functools.wraps(print)
            def show(x):
                return x
        """
        self.assertCodemod(source, source, None, RUNTIME, expected_warnings=[])

    def test_other_symbol_is_unchanged(self) -> None:
        source = """
            from functools import lru_cache

            @lru_cache
            def list_products():
                return []
        """
        self.assertCodemod(source, source, "other", RUNTIME, expected_warnings=[])

    def test_lru_cache_with_maxsize_and_module_import(self) -> None:
        self.rewrites(
            """
            import functools


            @functools.lru_cache(maxsize=128)
            def list_products(category: str, limit: int | None = None):
                return []


            def refresh():
                list_products.cache_clear()
            """,
            """
            import functools
            from shop._stateless import cache


            @cache("list_products", None, ttl=300).memoize
            @functools.lru_cache(maxsize=128)
            def list_products(category: str, limit: int | None = None):
                return []


            def refresh():
                list_products.cache_clear()
            """,
            ttl=300,
        )

    def test_bare_functools_cache_keeps_other_functools_names(self) -> None:
        self.rewrites(
            """
            from functools import cache, wraps


            @cache
            def tax_rate(country):
                return 0.2
            """,
            """
            from functools import cache, wraps
            from shop._stateless import cache as stateless_cache


            @stateless_cache("tax_rate", None).memoize
            @cache
            def tax_rate(country):
                return 0.2
            """,
        )

    def test_cachetools_ttl_cache_keeps_its_ttl(self) -> None:
        self.rewrites(
            """
            from cachetools import TTLCache, cached


            @cached(TTLCache(maxsize=100, ttl=60))
            def exchange_rate(currency: str) -> float:
                return 1.0
            """,
            """
            from cachetools import TTLCache, cached
            from shop._stateless import cache


            @cache("exchange_rate", None, ttl=60).memoize
            @cached(TTLCache(maxsize=100, ttl=60))
            def exchange_rate(currency: str) -> float:
                return 1.0
            """,
            ttl=300,
        )

    def test_cachetools_func_ttl_cache(self) -> None:
        self.rewrites(
            """
            import cachetools.func


            @cachetools.func.ttl_cache(maxsize=10, ttl=30)
            def weather(city):
                return "sun"
            """,
            """
            import cachetools.func
            from shop._stateless import cache


            @cache("weather", None, ttl=30).memoize
            @cachetools.func.ttl_cache(maxsize=10, ttl=30)
            def weather(city):
                return "sun"
            """,
        )

    def test_django_cache_name_taken_so_runtime_cache_is_aliased(self) -> None:
        self.rewrites(
            """
            from functools import lru_cache

            from django.core.cache import cache


            @lru_cache
            def settings_page():
                return cache.get("page")
            """,
            """
            from functools import lru_cache

            from django.core.cache import cache
            from shop._stateless import cache as stateless_cache


            @stateless_cache("settings_page", None).memoize
            @lru_cache
            def settings_page():
                return cache.get("page")
            """,
        )

    def test_method_is_refused_and_its_import_kept(self) -> None:
        source = """
            import functools


            class Catalog:
                @functools.lru_cache
                def products(self):
                    return []
        """
        self.assertCodemod(
            source,
            source,
            None,
            RUNTIME,
            expected_warnings=[
                "line 5: left unchanged: `products`: a method: the cache key would include "
                "`self`, one per object."
            ],
        )

    def test_cached_property_is_refused(self) -> None:
        source = """
            from functools import cached_property


            class Order:
                @cached_property
                def total(self):
                    return 1
        """
        self.assertCodemod(
            source,
            source,
            None,
            RUNTIME,
            expected_warnings=[
                "line 5: left unchanged: `total` uses a per-instance cache; its state lives on "
                "the object, move the object's data instead."
            ],
        )

    def test_argument_annotated_with_a_class_is_refused(self) -> None:
        source = """
            from functools import lru_cache


            @lru_cache
            def permissions(user: User) -> list[str]:
                return []
        """
        self.assertCodemod(
            source,
            source,
            None,
            RUNTIME,
            expected_warnings=[
                "line 4: left unchanged: `permissions`: parameter `user` is annotated `User`, "
                "an object the store cannot put in a JSON key."
            ],
        )

    def test_nested_async_and_typed_are_refused(self) -> None:
        source = """
            from functools import lru_cache


            def outer(n):
                @lru_cache
                def inner():
                    return n
                return inner()


            @lru_cache
            async def fetch():
                return 1


            @lru_cache(typed=True)
            def typed(x):
                return x
        """
        self.assertCodemod(
            source,
            source,
            None,
            RUNTIME,
            expected_warnings=[
                "line 5: left unchanged: `inner`: nested in a function: its result may depend "
                "on enclosing variables.",
                "line 11: left unchanged: `fetch`: `async def` caches a coroutine object, which "
                "cannot be stored.",
                "line 16: left unchanged: `typed`: `typed=True` keeps 1 and 1.0 apart; the "
                "store's JSON keys do not.",
            ],
        )

    def test_cache_info_keeps_working_on_the_memo_it_keeps(self) -> None:
        self.rewrites(
            """
            from functools import lru_cache


            # Counted by the health page.
            @lru_cache(maxsize=32)
            def counted(n):
                return n


            print(counted.cache_info(), counted.cache_parameters())
            """,
            """
            from functools import lru_cache
            from shop._stateless import cache


            # Counted by the health page.
            @cache("counted", None).memoize
            @lru_cache(maxsize=32)
            def counted(n):
                return n


            print(counted.cache_info(), counted.cache_parameters())
            """,
        )

    def test_other_decorators_keep_their_order(self) -> None:
        self.rewrites(
            """
            import functools

            from shop.app import bp, timed


            @bp.get("/rates")
            @functools.lru_cache
            @timed
            def rates(day):
                return {"day": day}
            """,
            """
            import functools

            from shop.app import bp, timed
            from shop._stateless import cache


            @bp.get("/rates")
            @cache("rates", None).memoize
            @functools.lru_cache
            @timed
            def rates(day):
                return {"day": day}
            """,
        )

    def test_a_cache_reached_through_its_cache_attribute_is_refused(self) -> None:
        source = """
            from cachetools import LRUCache, cached


            @cached(LRUCache(maxsize=10), info=True)
            def price(sku):
                return 1


            def reset():
                price.cache.clear()
        """
        self.assertCodemod(
            source,
            source,
            None,
            RUNTIME,
            expected_warnings=[
                "line 4: left unchanged: `price`: the module reaches the cache object itself "
                "(`price.cache`); what it clears there would stay in the store."
            ],
        )

    def test_cachetools_shared_cache_object_and_custom_key_are_refused(self) -> None:
        source = """
            from cachetools import LRUCache, cached
            from cachetools.keys import hashkey

            PRICES = LRUCache(maxsize=10)


            @cached(PRICES)
            def price(sku):
                return 1


            @cached(LRUCache(maxsize=10), key=lambda sku: hashkey(sku))
            def stock(sku):
                return 1
        """
        self.assertCodemod(
            source,
            source,
            None,
            RUNTIME,
            expected_warnings=[
                "line 7: left unchanged: `price`: the cache object is shared by name, so other "
                "code may read or clear it.",
                "line 12: left unchanged: `stock`: a custom `key=` changes what is cached; the "
                "store cannot follow it.",
            ],
        )
