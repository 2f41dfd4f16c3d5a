"""Switch Django sessions kept on the local disk or in a process-local cache to Redis.

In a settings module: `SESSION_ENGINE = "django.contrib.sessions.backends.file"` becomes the
cache engine on the Redis side, and a `cache` or `cached_db` engine whose cache alias is
LocMemCache/FileBasedCache (or Django's implicit default) keeps its engine; in both cases the
sessions move to a cache alias of their own, so the switch does not depend on `CACHES`'s::

    SESSION_ENGINE = (
        "django.contrib.sessions.backends.cache"
        if _session_engine_on_redis
        else "django.contrib.sessions.backends.file"
    )
    SESSION_CACHE_ALIAS = "stateless_sessions" if _session_engine_on_redis else "default"
    CACHES = {..., "stateless_sessions": {"BACKEND": "...RedisCache", "LOCATION": <env URL>}}

The extra alias costs nothing until it is used. Switching logs every user out once unless the
old sessions are copied (the `server_session_config` playbook says how). Leaves alone the
database and signed-cookie engines and engines on a shared cache. Refuses a `CACHES` it cannot
read and a missing one when a star import may define it.
"""

from __future__ import annotations

from collections.abc import Sequence

import libcst as cst

from .django_cache_backend import (
    LOCAL_BACKENDS,
    entry,
    single_assignment,
    string_of,
    top_level_assignment,
    why_caches_unseen,
)
from .framework_backends import (
    REDIS_URL,
    SERVICE_KEY_PREFIX,
    ConfigSwitchCodemod,
    absolute,
    insert_after,
)

ENGINES = "django.contrib.sessions.backends."
ALIAS = "stateless_sessions"


class DjangoSessionBackendCodemod(ConfigSwitchCodemod):
    DESCRIPTION = "Move Django sessions from files or a local cache to a Redis cache alias."
    FLAG = "SESSION_ENGINE"

    def visit_Module(self, node: cst.Module) -> None:
        super().visit_Module(node)
        self.module_body = node.body

    def rewrite_body(
        self, original: Sequence[cst.BaseStatement], body: Sequence[cst.BaseStatement]
    ) -> list[cst.BaseStatement]:
        out = list(body)
        engine_at = top_level_assignment(original, "SESSION_ENGINE")
        if original is not self.module_body or engine_at is None:
            return out
        engine = string_of(_value(original[engine_at]))
        alias_at = top_level_assignment(original, "SESSION_CACHE_ALIAS")
        alias = string_of(_value(original[alias_at])) if alias_at is not None else "default"
        caches_at = top_level_assignment(original, "CACHES")
        if engine == ENGINES + "file":
            pass
        elif engine in (ENGINES + "cache", ENGINES + "cached_db") and alias is not None:
            if not self._is_local(original, caches_at, alias):
                return out
        else:
            return out
        reason = why_caches_unseen(original) if caches_at is None else ""
        caches = _value(original[caches_at]) if caches_at is not None else None
        if reason or (caches_at is not None and not isinstance(caches, cst.Dict)):
            self.warn(f"sessions left unchanged: {reason or '`CACHES` is not a dict literal.'}")
            return out
        if engine == ENGINES + "file":
            out[engine_at] = self._switch_value(original[engine_at], f'"{ENGINES}cache"')
        if alias_at is not None:
            out[alias_at] = self._switch_value(original[alias_at], f'"{ALIAS}"')
        else:
            self.switch_used = True
            line = cst.parse_statement(
                f'SESSION_CACHE_ALIAS = "{ALIAS}" if {self.switch_name} else "default"\n'
            )
            out.insert(engine_at + 1, line)
        return self._add_alias(out, caches_at, engine_at)

    def _is_local(
        self, original: Sequence[cst.BaseStatement], caches_at: int | None, alias: str
    ) -> bool:
        if caches_at is None:
            return alias == "default" and not why_caches_unseen(original)
        caches = _value(original[caches_at])
        if not isinstance(caches, cst.Dict) or entry(caches, ALIAS) is not None:
            return False
        position = entry(caches, alias)
        settings = caches.elements[position].value if position is not None else None
        if not isinstance(settings, cst.Dict):
            return False
        backend = entry(settings, "BACKEND")
        return backend is not None and string_of(settings.elements[backend].value) in LOCAL_BACKENDS

    def _switch_value(self, statement: cst.BaseStatement, new: str) -> cst.BaseStatement:
        line, assign = single_assignment(statement)
        switched = self.switched(assign.value, new, statement)
        return line.with_changes(body=[assign.with_changes(value=switched)])

    def _add_alias(
        self, out: list[cst.BaseStatement], caches_at: int | None, engine_at: int
    ) -> list[cst.BaseStatement]:
        self.add_needed_import("os")
        if caches_at is None:
            default = '{"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}'
            statement = self.fill(
                cst.parse_statement(
                    f'CACHES = {{\n    "default": {default},\n'
                    f'    "{ALIAS}": {_redis_alias("    ", SERVICE_KEY_PREFIX)},\n}}\n'
                )
            )
            return [*out, statement.with_changes(leading_lines=[cst.EmptyLine()])]
        index = caches_at + (1 if caches_at > engine_at and len(out) > len(self.module_body) else 0)
        caches_line, assign = single_assignment(out[index])
        caches = cst.ensure_type(assign.value, cst.Dict)  # `rewrite_body` checked it is one
        line = self.source_lines[self.line_of(self.module_body[caches_at]) - 1]
        indent = line[: len(line) - len(line.lstrip())] + "    "
        added = cst.DictElement(
            cst.SimpleString(f'"{ALIAS}"'),
            self.fill(cst.parse_expression(_redis_alias(indent, SERVICE_KEY_PREFIX))),
        )
        elements = insert_after(
            list(caches.elements), len(caches.elements) - 1, [added], caches.lbrace.whitespace_after
        )
        value = _absolute_dict(caches.with_changes(elements=elements), added)
        out[index] = caches_line.with_changes(body=[assign.with_changes(value=value)])
        return out


def _value(statement: cst.BaseStatement) -> cst.BaseExpression:
    return single_assignment(statement)[1].value


def _redis_alias(indent: str, key_prefix: str) -> str:
    return (
        "{\n"
        f'{indent}    "BACKEND": "django.core.cache.backends.redis.RedisCache",\n'
        f'{indent}    "LOCATION": {REDIS_URL},\n'
        f'{indent}    "KEY_PREFIX": {key_prefix},\n'
        f"{indent}}}"
    )


def _absolute_dict(caches: cst.Dict, added: cst.DictElement) -> cst.Dict:
    """`caches` with the added alias's line breaks kept as written."""
    elements = [
        e.with_changes(value=absolute(e.value)) if e is added else e  # type: ignore[union-attr]
        for e in caches.elements
    ]
    return caches.with_changes(elements=elements)
