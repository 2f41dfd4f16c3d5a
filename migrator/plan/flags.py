"""Flag names: one `STATELESS_<NAME>` per component, distinct across the plan.

A component's flag is its symbol upper-cased (`SESSIONS` -> `STATELESS_SESSIONS`). When two
components would get the same flag (a `SESSIONS` in `cart.py` and one in `shop/views.py`),
each of them is named by its whole qualname instead (`STATELESS_CART_SESSIONS`,
`STATELESS_SHOP_VIEWS_SESSIONS`). plan.json records the flag of every component (`"flag"`);
a team may rename one there, and planning again keeps the names it finds, so a flag already
rolled out never changes because a component with the same symbol appeared later.

Without the prefix, the flag is also the component's name in the generated runtime (its store
keys and its `kv("NAME", ...)` call), except that a component with its own symbol's flag keeps
its symbol as written (`list_products`), as before flags could be renamed.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Mapping, Sequence

from migrator.model import Finding

FLAG_PREFIX = "STATELESS_"
# `STATELESS_` and an upper-case identifier: it names an environment variable and, without the
# prefix, a component of the generated runtime.
FLAG_PATTERN = re.compile(r"STATELESS_[A-Z_][A-Z0-9_]*\Z")
# Variables the runtime and the framework switches read for something else than one flag.
RESERVED_FLAGS = frozenset(
    {
        "STATELESS_MODE",
        "STATELESS_REDIS_URL",
        "STATELESS_REDIS_CLUSTER",
        "STATELESS_DATABASE_URL",
        "STATELESS_DYNAMODB_TABLE",
        "STATELESS_S3_BUCKET",
        "STATELESS_AWS_ENDPOINT_URL",
        "STATELESS_KEY_PREFIX",
        "STATELESS_TIMEOUT",
    }
)


def flag_name(symbol: str) -> str:
    """`STATELESS_<NAME>`: the symbol's last name (`Manager.active` -> `ACTIVE`, as the runtime
    names the component) upper-cased, anything not a letter or digit as `_`."""
    return FLAG_PREFIX + _upper(symbol.rpartition(".")[2])


def qualified_flag_name(finding: Finding) -> str:
    """The flag of a component that shares its symbol's flag with another: its whole qualname
    (`shop.cart.SESSIONS` -> `STATELESS_SHOP_CART_SESSIONS`)."""
    return FLAG_PREFIX + _upper(finding.qualname)


def _upper(name: str) -> str:
    return re.sub(r"[^A-Za-z0-9]", "_", name).upper()


def flag_problem(flag: object) -> str:
    """Why `flag` cannot be a component's flag, in a phrase; '' when it can."""
    if not isinstance(flag, str) or not FLAG_PATTERN.match(flag):
        return f"{flag!r} is not a flag: use `STATELESS_` and upper-case letters, digits or `_`"
    if flag in RESERVED_FLAGS:
        return f"{flag!r} is a setting of the runtime, not a flag; choose another name"
    return ""


def assign_flags(
    findings: Sequence[Finding], kept: Mapping[str, str] | None = None
) -> dict[str, str]:
    """Each component's flag, by finding id: `kept[id]` where given (a person's choice, or a
    previous plan's), else `flag_name(symbol)`, qualified by the qualname when another
    component has a symbol with the same flag or holds it already; a clash left after that
    gets `_2`, `_3`... in id order.
    """
    kept = kept or {}
    ordered = sorted({f.id: f for f in findings}.values(), key=lambda f: f.id)
    out = {f.id: kept[f.id] for f in ordered if f.id in kept}
    fresh = [f for f in ordered if f.id not in out]
    defaults = Counter(flag_name(f.symbol) for f in ordered)
    taken = set(out.values()) | RESERVED_FLAGS  # a symbol `MODE` must not read STATELESS_MODE
    for finding in fresh:
        flag = flag_name(finding.symbol)
        if defaults[flag] > 1 or flag in taken:
            flag = qualified_flag_name(finding)
        base, number = flag, 1
        while flag in taken:
            number += 1
            flag = f"{base}_{number}"
        out[finding.id] = flag
        taken.add(flag)
    return out


def runtime_name(finding: Finding, flag: str) -> str:
    """The component's name in the generated runtime, whose flag reads `STATELESS_<NAME>`:
    the symbol's last name when `flag` is the symbol's own, else `flag` without the prefix."""
    if flag == flag_name(finding.symbol):
        return finding.symbol.rpartition(".")[2]
    return flag.removeprefix(FLAG_PREFIX)
