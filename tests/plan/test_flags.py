"""Flag names: a component's symbol, qualified by its module only when another shares it."""

from __future__ import annotations

import pytest

from migrator.model import Finding
from migrator.plan.flags import assign_flags, flag_problem, runtime_name


def component(qualname: str, category: str = "session_store") -> Finding:
    symbol = qualname.rpartition(".")[2]
    path = qualname.rpartition(".")[0].replace(".", "/") + ".py"
    return Finding(category, symbol, qualname, path, 3, "high", "kept in memory", kind="dict")


def test_a_symbol_no_other_component_shares_keeps_its_own_flag():
    hits, orders = component("app.HITS", "counter_ratelimit"), component("shop.orders.ORDERS")

    assert assign_flags([hits, orders]) == {
        hits.id: "STATELESS_HITS",
        orders.id: "STATELESS_ORDERS",
    }


def test_a_shared_symbol_is_qualified_by_its_module_in_every_component():
    cart, views = component("cart.SESSIONS"), component("shop.views.SESSIONS")

    flags = assign_flags([views, cart])

    assert flags == {cart.id: "STATELESS_CART_SESSIONS", views.id: "STATELESS_SHOP_VIEWS_SESSIONS"}


def test_a_kept_flag_never_moves_and_a_newcomer_takes_another():
    old, new = component("shop.state.SESSIONS"), component("shop.admin.SESSIONS")

    flags = assign_flags([old, new], kept={old.id: "STATELESS_SESSIONS"})

    assert flags == {old.id: "STATELESS_SESSIONS", new.id: "STATELESS_SHOP_ADMIN_SESSIONS"}


def test_a_clash_left_after_qualifying_is_numbered():
    first, second = component("a.b.C"), component("a_b.C")

    flags = assign_flags([first, second])

    assert sorted(flags.values()) == ["STATELESS_A_B_C", "STATELESS_A_B_C_2"]


def test_a_symbol_whose_flag_is_a_runtime_setting_is_qualified():
    mode = component("app.MODE", "app_data")

    assert assign_flags([mode]) == {mode.id: "STATELESS_APP_MODE"}


def test_the_runtime_names_a_component_by_its_flag_unless_the_flag_is_its_symbols():
    memo = component("shop.catalog.list_products", "cache")

    assert runtime_name(memo, "STATELESS_LIST_PRODUCTS") == "list_products"
    assert (
        runtime_name(memo, "STATELESS_SHOP_CATALOG_LIST_PRODUCTS") == "SHOP_CATALOG_LIST_PRODUCTS"
    )


@pytest.mark.parametrize(
    "flag", ["SESSIONS", "STATELESS_sessions", "STATELESS_A-B", "STATELESS_1A", 'STATELESS_X")', 7]
)
def test_a_flag_that_is_not_an_upper_case_name_is_a_problem(flag):
    assert "is not a flag" in flag_problem(flag)


def test_a_runtime_setting_is_not_a_flag():
    assert "setting of the runtime" in flag_problem("STATELESS_REDIS_URL")
    assert flag_problem("STATELESS_BASKETS") == ""
