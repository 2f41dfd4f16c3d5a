"""Components defined in one module and changed in another are one finding each,
whatever import form reaches them, with evidence from every module that touches them."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from migrator.inventory import scan_project
from migrator.model import Finding, ScanResult


def scan_tree(root: Path, files: dict[str, str]) -> ScanResult:
    for rel, source in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(source).lstrip("\n"), encoding="utf-8")
    result = scan_project(root, use_cache=False)
    assert result.skipped == ()
    return result


def the_one_finding(result: ScanResult) -> Finding:
    assert len(result.findings) == 1, [(f.category, f.qualname) for f in result.findings]
    return result.findings[0]


def sites(finding: Finding) -> set[tuple[str, int, str]]:
    return {(e.path, e.line, e.access) for e in finding.evidence}


STATE_MODULE = """
SESSIONS = {}


def current(sid):
    return SESSIONS.get(sid)
"""

# Line numbers below are those of the dedented text: the import is line 1.
VIEWS_MODULE = """
{import_line}


def login(sid, user):
    {ref}[sid] = {{"user": user, "cart": []}}


def add_to_cart(sid, item):
    {ref}[sid]["cart"].append(item)


def logout(sid):
    del {ref}[sid]


def active():
    return [sid for sid in {ref}]
"""

EXPECTED_SITES = {
    ("pkg/state.py", 5, "read"),
    ("pkg/views.py", 5, "write"),
    ("pkg/views.py", 9, "mutate"),
    ("pkg/views.py", 13, "delete"),
    ("pkg/views.py", 17, "iterate"),
}

IMPORT_FORMS = {
    "from-import-as": ("from pkg.state import SESSIONS as S", "S", ""),
    "from-package-import-module": ("from pkg import state", "state.SESSIONS", ""),
    "import-as": ("import pkg.state as st", "st.SESSIONS", ""),
    "import-dotted": ("import pkg.state", "pkg.state.SESSIONS", ""),
    "relative-name": ("from .state import SESSIONS", "SESSIONS", ""),
    "relative-module": ("from . import state", "state.SESSIONS", ""),
    "relative-as": ("from .state import SESSIONS as S", "S", ""),
    "re-export-name": ("from pkg import SESSIONS", "SESSIONS", "from .state import SESSIONS\n"),
    "re-export-attribute": ("import pkg", "pkg.SESSIONS", "from pkg.state import SESSIONS\n"),
    "re-export-star": ("from pkg import SESSIONS as S", "S", "from .state import *\n"),
}


@pytest.mark.parametrize(
    ("import_line", "ref", "package_init"), IMPORT_FORMS.values(), ids=IMPORT_FORMS.keys()
)
def test_container_changed_from_another_module_is_one_finding(
    tmp_path: Path, import_line: str, ref: str, package_init: str
) -> None:
    views = VIEWS_MODULE.format(import_line=import_line, ref=ref)
    result = scan_tree(
        tmp_path,
        {"pkg/__init__.py": package_init, "pkg/state.py": STATE_MODULE, "pkg/views.py": views},
    )
    found = the_one_finding(result)
    assert (found.category, found.qualname, found.symbol) == (
        "session_store",
        "pkg.state.SESSIONS",
        "SESSIONS",
    )
    assert (found.path, found.line) == ("pkg/state.py", 1)
    assert found.confidence == "high"
    assert sites(found) == EXPECTED_SITES
    nested = [e for e in found.evidence if e.line == 9]
    assert [e.detail.partition(":")[0] for e in nested] == ["nested"]


def test_parent_relative_import_from_a_subpackage(tmp_path: Path) -> None:
    views = VIEWS_MODULE.format(import_line="from ..state import SESSIONS as S", ref="S")
    result = scan_tree(
        tmp_path,
        {
            "pkg/__init__.py": "",
            "pkg/state.py": STATE_MODULE,
            "pkg/web/__init__.py": "",
            "pkg/web/views.py": views,
        },
    )
    found = the_one_finding(result)
    assert found.qualname == "pkg.state.SESSIONS"
    assert sites(found) == {
        (path.replace("pkg/views.py", "pkg/web/views.py"), line, access)
        for path, line, access in EXPECTED_SITES
    }


def test_global_rebinding_in_the_defining_module(tmp_path: Path) -> None:
    result = scan_tree(
        tmp_path,
        {
            "pkg/__init__.py": "",
            "pkg/state.py": """
                SESSIONS = {}


                def reset():
                    global SESSIONS
                    SESSIONS = {}
                """,
            "pkg/views.py": """
                from pkg import state


                def login(sid, user):
                    state.SESSIONS[sid] = user


                def logout_everyone():
                    state.reset()
                """,
        },
    )
    found = the_one_finding(result)
    assert found.qualname == "pkg.state.SESSIONS"
    assert sites(found) == {("pkg/state.py", 6, "write"), ("pkg/views.py", 5, "write")}
    assert {e.detail for e in found.evidence if e.path == "pkg/state.py"} == {"rebind"}
    assert "across 2 modules" in found.message
    # Rebinding replaces the object other modules hold: no codemod can make that safe.
    assert found.automation == "manual"


def test_module_counter_incremented_from_another_module(tmp_path: Path) -> None:
    result = scan_tree(
        tmp_path,
        {
            "pkg/__init__.py": "",
            "pkg/state.py": "VISITS = 0\n",
            "pkg/views.py": """
                from pkg import state


                def visit():
                    state.VISITS += 1
                    return state.VISITS
                """,
        },
    )
    found = the_one_finding(result)
    assert (found.category, found.qualname) == ("counter_ratelimit", "pkg.state.VISITS")
    assert ("pkg/views.py", 5, "mutate") in sites(found)


def test_class_attribute_changed_through_cls_and_the_class(tmp_path: Path) -> None:
    result = scan_tree(
        tmp_path,
        {
            "pkg/__init__.py": "",
            "pkg/state.py": """
                class Registry:
                    sessions = {}

                    @classmethod
                    def login(cls, sid, user):
                        cls.sessions[sid] = user
                """,
            "pkg/views.py": """
                from pkg.state import Registry


                def login(sid, user):
                    Registry.login(sid, user)


                def logout(sid):
                    Registry.sessions.pop(sid, None)
                """,
        },
    )
    found = the_one_finding(result)
    assert (found.category, found.qualname, found.symbol) == (
        "session_store",
        "pkg.state.Registry.sessions",
        "Registry.sessions",
    )
    assert (found.path, found.line) == ("pkg/state.py", 2)
    assert sites(found) == {("pkg/state.py", 6, "write"), ("pkg/views.py", 9, "delete")}


def test_class_level_counter_incremented_through_cls_and_the_class(tmp_path: Path) -> None:
    result = scan_tree(
        tmp_path,
        {
            "pkg/__init__.py": "",
            "pkg/state.py": """
                class Page:
                    visits = 0

                    @classmethod
                    def hit(cls):
                        cls.visits += 1
                """,
            "pkg/views.py": """
                from pkg.state import Page


                def view():
                    Page.visits += 1
                    Page.hit()
                """,
        },
    )
    found = the_one_finding(result)
    assert (found.category, found.qualname) == ("counter_ratelimit", "pkg.state.Page.visits")
    assert sites(found) == {("pkg/state.py", 6, "mutate"), ("pkg/views.py", 5, "mutate")}


def test_self_assignment_over_a_class_level_scalar_is_not_shared_state(tmp_path: Path) -> None:
    # `self.x = v` and `self.x += 1` make an instance attribute; the class's value is untouched.
    result = scan_tree(
        tmp_path,
        {
            "pkg/__init__.py": "",
            "pkg/state.py": """
                class Page:
                    visits = 0
                    title = "home"

                    def hit(self):
                        self.visits += 1
                        self.title = "seen"
                        del self.title


                page = Page()
                """,
            "pkg/views.py": """
                from pkg.state import Page, page


                def view():
                    page.hit()
                    fresh = Page()
                    fresh.hit()
                    return fresh.visits
                """,
        },
    )
    assert result.findings == ()


def test_class_level_list_mutated_through_self_is_shared(tmp_path: Path) -> None:
    # The contrast to the test above: `self.items.append(x)` changes the one list of the class.
    result = scan_tree(
        tmp_path,
        {
            "pkg/__init__.py": "",
            "pkg/state.py": """
                class Feed:
                    items = []

                    def add(self, item):
                        self.items.append(item)
                """,
            "pkg/views.py": """
                from pkg.state import Feed


                def post(item):
                    Feed().add(item)
                """,
        },
    )
    found = the_one_finding(result)
    assert found.qualname == "pkg.state.Feed.items"
    assert sites(found) == {("pkg/state.py", 5, "mutate")}


SINGLETON_STATE = """
class Store:
    def __init__(self):
        self.sessions = {}

    def put(self, sid, user):
        self.sessions[sid] = user

    def drop(self, sid):
        self.sessions.pop(sid, None)


store = Store()
"""


def test_instance_attribute_of_a_module_level_singleton(tmp_path: Path) -> None:
    result = scan_tree(
        tmp_path,
        {
            "pkg/__init__.py": "",
            "pkg/state.py": SINGLETON_STATE,
            "pkg/views.py": """
                from pkg.state import store


                def login(sid, user):
                    store.put(sid, user)


                def logout(sid):
                    store.drop(sid)
                """,
        },
    )
    found = the_one_finding(result)
    assert (found.category, found.qualname) == ("session_store", "pkg.state.Store.sessions")
    assert {("pkg/state.py", 6, "write"), ("pkg/state.py", 9, "delete")} <= sites(found)


def test_instance_attribute_of_a_class_made_per_call_is_not_shared(tmp_path: Path) -> None:
    result = scan_tree(
        tmp_path,
        {
            "pkg/__init__.py": "",
            "pkg/state.py": SINGLETON_STATE.replace("store = Store()", ""),
            "pkg/views.py": """
                from pkg.state import Store


                def login(sid, user):
                    Store().put(sid, user)
                """,
        },
    )
    assert result.findings == ()


def test_singleton_attribute_changed_through_the_instance_from_another_module(
    tmp_path: Path,
) -> None:
    result = scan_tree(
        tmp_path,
        {
            "pkg/__init__.py": "",
            "pkg/state.py": """
                class Store:
                    def __init__(self):
                        self.sessions = {}


                store = Store()
                """,
            "pkg/views.py": """
                from pkg.state import store


                def login(sid, user):
                    store.sessions[sid] = user


                def logout(sid):
                    store.sessions.pop(sid, None)
                """,
        },
    )
    found = the_one_finding(result)
    assert found.category == "session_store"
    assert {("pkg/views.py", 5, "write"), ("pkg/views.py", 9, "delete")} <= sites(found)


def test_registry_filled_by_a_decorator_at_import_is_not_state(tmp_path: Path) -> None:
    result = scan_tree(
        tmp_path,
        {
            "pkg/__init__.py": "",
            "pkg/registry.py": """
                HANDLERS = {}


                def handler(name):
                    def wrap(fn):
                        HANDLERS[name] = fn
                        return fn
                    return wrap


                def dispatch(name, *args):
                    return HANDLERS[name](*args)
                """,
            "pkg/views.py": """
                from pkg.registry import dispatch, handler


                @handler("greet")
                def greet(who):
                    return "hi " + who


                def view(name):
                    return dispatch(name, "you")
                """,
        },
    )
    assert result.findings == ()


@pytest.mark.parametrize(
    ("import_line", "ref"),
    [("from pkg.catalog import price", "price"), ("from pkg import catalog", "catalog.price")],
    ids=["from-import", "module-attribute"],
)
def test_lru_cache_cleared_from_another_module(tmp_path: Path, import_line: str, ref: str) -> None:
    result = scan_tree(
        tmp_path,
        {
            "pkg/__init__.py": "",
            "pkg/catalog.py": """
                import functools


                @functools.lru_cache(maxsize=256)
                def price(sku):
                    return len(sku)
                """,
            "pkg/admin.py": f"""
                {import_line}


                def update_price(sku):
                    {ref}.cache_clear()
                """,
        },
    )
    found = the_one_finding(result)
    assert (found.category, found.qualname, found.kind) == (
        "cache",
        "pkg.catalog.price",
        "lru_cache",
    )
    assert found.confidence == "high"
    assert ("pkg/admin.py", 5, "delete") in sites(found)
    assert {e.path for e in found.evidence} == {"pkg/catalog.py", "pkg/admin.py"}


def test_lru_cache_of_a_pure_function_is_not_a_component(tmp_path: Path) -> None:
    # Its result depends on its arguments only: each process may keep its own copy.
    result = scan_tree(
        tmp_path,
        {
            "pkg/__init__.py": "",
            "pkg/catalog.py": """
                import functools


                @functools.lru_cache(maxsize=256)
                def price(sku):
                    return len(sku)
                """,
            "pkg/views.py": """
                from pkg.catalog import price


                def show(sku):
                    return price(sku)
                """,
        },
    )
    assert result.findings == ()


def test_lru_cache_over_data_the_service_changes_is_low_confidence(tmp_path: Path) -> None:
    result = scan_tree(
        tmp_path,
        {
            "pkg/__init__.py": "",
            "pkg/catalog.py": """
                import functools

                PRICES = {}


                @functools.lru_cache(maxsize=256)
                def price(sku):
                    return PRICES.get(sku, 0)


                def set_price(sku, value):
                    PRICES[sku] = value
                """,
            "pkg/views.py": """
                from pkg.catalog import price


                def show(sku):
                    return price(sku)
                """,
        },
    )
    memo = [f for f in result.findings if f.symbol == "price"]
    assert [(f.category, f.confidence) for f in memo] == [("cache", "low")]
