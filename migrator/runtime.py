"""Render the runtime that `apply` writes into a target: `<pkg>/_stateless/`.

The runtime is plain Python generated from `templates/runtime/`; the target never imports
`migrator`. Only the stores the components choose are rendered, so the target imports only
their clients.
"""

from __future__ import annotations

import keyword
import re
from collections.abc import Sequence
from dataclasses import dataclass

import jinja2

from migrator.codemods.python_literal import python_literal

KINDS = ("kv", "cache", "counter", "lock", "broadcast", "blob")
STORES = ("redis", "postgres", "dynamodb", "s3")
# Which stores can carry each kind of component.
SUPPORTED_STORES: dict[str, tuple[str, ...]] = {
    "kv": ("redis", "postgres", "dynamodb"),
    "cache": ("redis", "postgres", "dynamodb"),
    "counter": ("redis", "postgres", "dynamodb"),
    "lock": ("redis", "postgres", "dynamodb"),
    "broadcast": ("redis", "postgres"),
    "blob": ("s3",),
}
# The requirements each store's runtime imports: its client, and for PostgreSQL its pool.
CLIENTS: dict[str, tuple[str, ...]] = {
    "redis": ("redis>=5",),
    "postgres": ("psycopg[binary]>=3.1", "psycopg-pool>=3.2"),
    "dynamodb": ("boto3>=1.34",),
    "s3": ("boto3>=1.34",),
}
_BACKEND_CLASSES = {
    "redis": "RedisBackend",
    "postgres": "PostgresBackend",
    "dynamodb": "DynamoDBBackend",
    "s3": "S3Backend",
}
_PROTOCOLS_BY_KIND = {
    "kv": "KeyValueBackend",
    "cache": "KeyValueBackend",
    "counter": "CounterBackend",
    "lock": "LockBackend",
    "broadcast": "BroadcastBackend",
    "blob": "BlobBackend",
}
_COMMON_MODULES = (
    "__init__",
    "components",
    "flags",
    "metrics",
    "errors",
    "codec",
    "settings",
    "mirror",
    "breaker",
)
# Each store's async half (`<module>_async`) is its own file; the store class inherits it.
_STORE_MODULES = {
    "kv": ("keyvalue", "keyvalue_async"),
    "cache": ("keyvalue", "keyvalue_async", "cache", "cache_async"),
    "counter": ("counter", "counter_async"),
    "lock": ("lock", "lock_async"),
    "broadcast": ("broadcast", "broadcast_async"),
    "blob": ("blob",),
}
# What every async half imports: the loop registry, the async Mirror and the async backends'
# common parts; a store with an async backend (Redis, PostgreSQL) adds its own module.
_ASYNC_MODULES = ("loops", "mirror_async", "backends/base_async", "backends/aio")
_ASYNC_STORES = ("redis", "postgres")
_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\Z")
_PREFIX = re.compile(r"[A-Za-z0-9_.\-]+\Z")
RUNTIME_DIR = "_stateless"


@dataclass(frozen=True)
class Component:
    """One component the runtime carries: its symbol, kind, store and default TTL (seconds).

    `pinned` marks a component whose old path the cleanup phase removed: its flag always reads
    `complete`, whatever the environment or an OpenFeature provider says.
    """

    name: str
    kind: str
    store: str
    ttl: float | None = None
    pinned: bool = False


def _check(package: str, components: Sequence[Component]) -> None:
    if not all(_NAME.match(part) for part in package.split(".")):
        raise ValueError(f"{package!r} is not an importable package name")
    if not components:
        raise ValueError("a runtime needs at least one component")
    seen: dict[str, str] = {}
    for c in components:
        if not _NAME.match(c.name) or keyword.iskeyword(c.name):
            raise ValueError(f"component name {c.name!r} is not a Python identifier")
        if c.name.upper() in seen:
            raise ValueError(
                f"components {seen[c.name.upper()]!r} and {c.name!r} would share the flag "
                f"STATELESS_{c.name.upper()}; rename one"
            )
        seen[c.name.upper()] = c.name
        if c.kind not in KINDS:
            raise ValueError(f"{c.name}: kind {c.kind!r} is not one of {', '.join(KINDS)}")
        if c.store not in SUPPORTED_STORES[c.kind]:
            allowed = ", ".join(SUPPORTED_STORES[c.kind])
            raise ValueError(f"{c.name}: a {c.kind} cannot live in {c.store!r}; use {allowed}")
        if c.ttl is not None and not c.ttl > 0:
            raise ValueError(f"{c.name}: ttl must be a positive number of seconds or None")
        if not isinstance(c.pinned, bool):
            raise ValueError(f"{c.name}: pinned must be True or False")


def required_clients(components: Sequence[Component]) -> list[str]:
    """The requirement strings of the store clients (and pools) the rendered runtime imports,
    sorted."""
    return sorted({requirement for c in components for requirement in CLIENTS[c.store]})


def _environment() -> jinja2.Environment:
    environment = jinja2.Environment(
        loader=jinja2.PackageLoader("migrator.templates", "runtime"),
        undefined=jinja2.StrictUndefined,
        keep_trailing_newline=True,
        trim_blocks=True,
        lstrip_blocks=True,
        autoescape=False,
    )
    # A value from the target or its plan goes into the code as a literal, never as code.
    environment.filters["pyrepr"] = python_literal
    return environment


def render_runtime(
    package: str, components: Sequence[Component], key_prefix: str = ""
) -> dict[str, str]:
    """Render the runtime for `package`: relative path -> file text, the same for the same input.

    `key_prefix` is the default of `STATELESS_KEY_PREFIX` (`[tool.migrator] key_prefix`; the
    package's name when empty).

    Raises ValueError for a component whose name, kind, store or TTL cannot work. Nothing is
    written; `apply` writes the files under the package's directory.
    """
    _check(package, components)
    ordered = sorted(components, key=lambda c: c.name)
    kinds = sorted({c.kind for c in ordered}, key=KINDS.index)
    stores = sorted({c.store for c in ordered}, key=STORES.index)
    table_stores = [s for s in stores if s in SUPPORTED_STORES["kv"]]
    if key_prefix and not _PREFIX.match(key_prefix):
        raise ValueError(f"key prefix {key_prefix!r}: use letters, digits, '.', '_' or '-'")
    context = {
        "package": package,
        "key_prefix": key_prefix or package,
        "components": ordered,
        "kinds": kinds,
        "stores": stores,
        "table_stores": table_stores,
        "table_union": " | ".join(_BACKEND_CLASSES[s] for s in table_stores),
        "classes": _BACKEND_CLASSES,
        "protocols": sorted({_PROTOCOLS_BY_KIND[k] for k in kinds}),
        "factories": kinds,
    }
    modules = [f"{name}.py" for name in _COMMON_MODULES]
    modules += ["stores/__init__.py"]
    modules += sorted({f"stores/{m}.py" for k in kinds for m in _STORE_MODULES[k]})
    modules += ["backends/__init__.py", "backends/base.py"]
    if {"dynamodb", "s3"} & set(stores):
        modules.append("backends/aws.py")
    if "postgres" in stores:
        modules.append("backends/deadline.py")
    modules += [f"backends/{store}.py" for store in stores]
    if set(kinds) - {"blob"}:
        modules += [f"{module}.py" for module in _ASYNC_MODULES]
        modules += [f"backends/{store}_async.py" for store in stores if store in _ASYNC_STORES]
    environment = _environment()
    return {
        f"{RUNTIME_DIR}/{module}": environment.get_template(f"{module}.j2").render(context)
        for module in modules
    }
