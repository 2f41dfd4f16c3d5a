"""Switch Flask-Limiter, slowapi and limits from in-memory counters to Redis storage.

Rewrites `storage_uri="memory://"` (and the config keys `RATELIMIT_STORAGE_URI` /
`RATELIMIT_STORAGE_URL` wherever written), and gives a `Limiter(...)` without `storage_uri`
one whose old side is `None`, the library's own default::

    Limiter(get_remote_address, app=app)
    Limiter(get_remote_address, app=app, storage_uri=(
        os.environ.get("STATELESS_REDIS_URL", ...) if _ratelimit_storage_uri_on_redis else None
    ))

For `limits` used directly, `MemoryStorage()` and `storage_from_string("memory://")` switch to
`storage_from_string(<redis url>)`. Refuses `limits.aio` memory storage (its Redis storage
takes an `async+redis://` URL and an async client, a change to make by hand) and a
`Limiter(**options)` whose options it cannot see.
"""

from __future__ import annotations

import libcst as cst
from libcst.metadata import ParentNodeProvider, PositionProvider, QualifiedNameProvider

from .framework_backends import REDIS_URL, SERVICE_KEY_PREFIX, ConfigKeySwitchCodemod, insert_after

LIMITERS = {
    "flask_limiter.Limiter",
    "flask_limiter.extension.Limiter",
    "slowapi.Limiter",
    "slowapi.extension.Limiter",
}
MEMORY_STORAGES = {"limits.storage.MemoryStorage", "limits.storage.memory.MemoryStorage"}
ASYNC_MEMORY_STORAGES = {
    "limits.aio.storage.MemoryStorage",
    "limits.aio.storage.memory.MemoryStorage",
}
FROM_STRING = {"limits.storage.storage_from_string", "limits.storage.registry.storage_from_string"}


class LimiterBackendCodemod(ConfigKeySwitchCodemod):
    DESCRIPTION = "Switch Flask-Limiter / slowapi / limits memory:// storage to Redis."
    METADATA_DEPENDENCIES = (PositionProvider, ParentNodeProvider, QualifiedNameProvider)
    FLAG = "RATELIMIT_STORAGE_URI"
    KEYS = ("storage_uri", "RATELIMIT_STORAGE_URI", "RATELIMIT_STORAGE_URL")
    OLD_VALUES = frozenset({"memory://"})
    NEW_VALUE = REDIS_URL

    def leave_Call(self, original_node: cst.Call, updated_node: cst.Call) -> cst.BaseExpression:
        names = {
            q.name for q in self.get_metadata(QualifiedNameProvider, original_node.func, set())
        }
        if names & ASYNC_MEMORY_STORAGES:
            self.refuse(
                original_node,
                "`limits.aio` memory storage: its Redis storage needs an `async+redis://` URL "
                "and an async client; switch it by hand.",
            )
            return updated_node
        if names & MEMORY_STORAGES and not self.is_switched(original_node):
            self.add_needed_import("limits.storage", "storage_from_string")
            return self.switched(updated_node, f"storage_from_string({REDIS_URL})", original_node)
        if names & FROM_STRING:
            return self._switch_first_argument(original_node, updated_node)
        updated = self.switch_keyword_values(original_node, updated_node)
        if names & LIMITERS:
            return self._give_key_prefix(original_node, self._give_storage(original_node, updated))
        return updated

    def _give_key_prefix(self, original: cst.Call, updated: cst.Call) -> cst.Call:
        """`key_prefix=` from `STATELESS_KEY_PREFIX`: on a shared Redis, each service counts
        apart (and in memory the prefix changes nothing)."""
        if updated.deep_equals(original) or any(a.star == "**" for a in updated.args):
            return updated  # not switched here: leave the call as the user wrote it
        if any(a.keyword and a.keyword.value == "key_prefix" for a in updated.args):
            return updated
        no_space = cst.SimpleWhitespace("")
        prefix = cst.Arg(
            self.expression(SERVICE_KEY_PREFIX),
            keyword=cst.Name("key_prefix"),
            equal=cst.AssignEqual(no_space, no_space),
        )
        args = insert_after(
            list(updated.args), len(updated.args) - 1, [prefix], updated.whitespace_before_args
        )
        return updated.with_changes(args=args)

    def _switch_first_argument(self, original: cst.Call, updated: cst.Call) -> cst.Call:
        if not updated.args or updated.args[0].keyword or not self.is_local(updated.args[0].value):
            return updated
        value = self.switched(updated.args[0].value, REDIS_URL, original.args[0])
        return updated.with_changes(
            args=[updated.args[0].with_changes(value=value), *updated.args[1:]]
        )

    def _give_storage(self, original: cst.Call, updated: cst.Call) -> cst.Call:
        if any(a.keyword and a.keyword.value == "storage_uri" for a in updated.args):
            return updated
        if any(a.star == "**" for a in updated.args):
            self.refuse(original, "`Limiter(**options)`: cannot see whether it sets `storage_uri`.")
            return updated
        no_space = cst.SimpleWhitespace("")
        storage = cst.Arg(
            self.switched(cst.Name("None"), REDIS_URL, original),
            keyword=cst.Name("storage_uri"),
            equal=cst.AssignEqual(no_space, no_space),
        )
        if not updated.args:
            return updated.with_changes(args=[storage])
        args = insert_after(
            list(updated.args), len(updated.args) - 1, [storage], updated.whitespace_before_args
        )
        return updated.with_changes(args=args)
