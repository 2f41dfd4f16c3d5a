"""A small stateful shop on disk, and the ScanResult a scan of it would give."""

from __future__ import annotations

import textwrap
from collections.abc import Callable
from pathlib import Path

import pytest

from migrator.model import Deployment, Effort, Evidence, Finding, ScanResult

STATE = """\
import threading
from functools import lru_cache

SESSIONS = {}
PRODUCT_CACHE = {}
ORDERS = []
NEXT_ORDER = {"n": 0}
ORDER_LOCK = threading.Lock()
CONNECTIONS = set()


@lru_cache(maxsize=256)
def price_of(sku):
    return len(sku) * 100
"""

VIEWS = """\
from shop.state import CONNECTIONS, NEXT_ORDER, ORDER_LOCK, ORDERS, PRODUCT_CACHE, SESSIONS
from shop.state import price_of


def login(sid, user):
    SESSIONS[sid] = {"user": user, "cart": []}


def add_to_cart(sid, sku):
    SESSIONS[sid]["cart"].append(sku)
    return price_of(sku)


def product(sku):
    if sku not in PRODUCT_CACHE:
        PRODUCT_CACHE[sku] = {"sku": sku, "price": price_of(sku)}
    return PRODUCT_CACHE[sku]


def place_order(sid):
    with ORDER_LOCK:
        NEXT_ORDER["n"] += 1
        ORDERS.append({"id": NEXT_ORDER["n"], "items": SESSIONS[sid]["cart"]})


def connect(ws):
    CONNECTIONS.add(ws)
"""


def write_shop(root: Path) -> None:
    """The shop's source files under `root`."""
    (root / "shop").mkdir(parents=True, exist_ok=True)
    (root / "shop" / "__init__.py").write_text("")
    (root / "shop" / "state.py").write_text(STATE)
    (root / "shop" / "views.py").write_text(VIEWS)
    (root / "settings.py").write_text(textwrap.dedent("""\
        SESSION_TYPE = "filesystem"
    """))


def finding(category: str, symbol: str, line: int, evidence: tuple[Evidence, ...] = (),
            *, automation: str = "codemod", store: str = "redis", kind: str = "dict",
            path: str = "shop/state.py", points: int = 2, message: str = "") -> Finding:
    module = path.removesuffix(".py").replace("/", ".")
    return Finding(
        category=category,
        symbol=symbol,
        qualname=f"{module}.{symbol}",
        path=path,
        line=line,
        confidence="high",
        message=message or f"`{symbol}` is changed by request handlers.",
        evidence=evidence,
        automation=automation,
        suggested_store=store,
        severity="warning",
        kind=kind,
        detector=category,
        effort=Effort(points, f"{len(evidence)} access sites"),
    )


def v(line: int, access: str, detail: str = "") -> Evidence:
    return Evidence("shop/views.py", line, access, detail)


def shop_findings() -> tuple[Finding, ...]:
    """What a scan of `write_shop` finds (lines match the sources above)."""
    return (
        finding("session_store", "SESSIONS", 4,
                (v(6, "write"), v(10, "mutate", "nested"), v(22, "read")), points=3),
        finding("cache", "PRODUCT_CACHE", 5, (v(15, "read"), v(16, "write"), v(17, "read"))),
        finding("cache", "price_of", 13, (v(11, "read"), v(16, "read")), kind="lru_cache",
                points=1),
        finding("app_data", "ORDERS", 6, (v(22, "mutate"),), kind="list", store="postgres"),
        finding("counter_ratelimit", "NEXT_ORDER", 7, (v(21, "mutate"),)),
        finding("lock", "ORDER_LOCK", 8, (v(20, "read"),), kind="lock"),
        finding("connection_registry", "CONNECTIONS", 9, (v(26, "mutate"),), kind="set",
                automation="manual", message="`CONNECTIONS` holds live websocket objects."),
        finding("server_session_config", "SESSION_TYPE", 1, (), automation="config",
                kind="config", path="settings.py", points=1),
    )


def shop_result(root: Path, processes: int = 1, findings: tuple[Finding, ...] | None = None
                ) -> ScanResult:
    sources = ("gunicorn.conf.py: workers = 4",) if processes > 1 else ()
    return ScanResult(
        root=str(root),
        files=4,
        lines=60,
        seconds=0.1,
        findings=shop_findings() if findings is None else findings,
        deployment=Deployment(processes, sources),
    )


@pytest.fixture
def shop(tmp_path: Path) -> Path:
    """A project root holding the shop's sources."""
    root = tmp_path / "project"
    write_shop(root)
    return root


@pytest.fixture
def make_result() -> Callable[..., ScanResult]:
    return shop_result


@pytest.fixture
def make_finding() -> Callable[..., Finding]:
    return finding


@pytest.fixture
def site() -> Callable[..., Evidence]:
    return v


# Categories of a large plan and how many components each has: seven migrate phases, one of 60.
LARGE_PLAN = (
    ("cache", 60, "redis", "codemod"),
    ("session_store", 30, "redis", "codemod"),
    ("server_session_config", 5, "redis", "config"),
    ("app_data", 30, "postgres", "codemod"),
    ("counter_ratelimit", 20, "redis", "codemod"),
    ("lock", 10, "redis", "codemod"),
    ("queue_background", 15, "redis", "manual"),
    ("local_file", 15, "s3", "manual"),
    ("connection_registry", 15, "redis", "manual"),
)


def long_path(category: str, n: int, length: int = 200) -> str:
    """A source path of exactly `length` characters, as deep vendored trees have."""
    head = f"src/acme_platform/services/{category}/handlers/tenant_billing_{n:03d}/"
    filler = "reconciliation_of_customer_accounts_" * (length // 10)
    return head + filler[: length - len(head) - len(".py")] + ".py"


def large_findings() -> tuple[Finding, ...]:
    """200 components with 200-character paths, spread over seven phases."""
    out: list[Finding] = []
    for category, count, store, automation in LARGE_PLAN:
        for n in range(count):
            symbol = f"{category.upper()}_STATE_FOR_TENANT_BILLING_RECONCILIATION_{n:03d}"
            out.append(finding(category, symbol, 10 + n, automation=automation, store=store,
                               path=long_path(category, n)))
    return tuple(out)


@pytest.fixture
def large_result(tmp_path: Path) -> ScanResult:
    """A scan of a large project: 200 components, paths 200 characters long, 4 processes."""
    root = tmp_path / "large-project"
    root.mkdir()
    return shop_result(root, processes=4, findings=large_findings())
