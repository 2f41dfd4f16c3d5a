"""Switch Django's process-local cache backends to `django.core.cache.backends.redis.RedisCache`.

In a settings module, rewrites each `CACHES` alias whose `BACKEND` is `LocMemCache` or
`FileBasedCache`::

    "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
    "LOCATION": "unique-snowflake",
    "BACKEND": (
        "django.core.cache.backends.redis.RedisCache"
        if _caches_on_redis
        else "django.core.cache.backends.locmem.LocMemCache"
    ),
    "LOCATION": (
        os.environ.get("STATELESS_REDIS_URL", ...) if _caches_on_redis else "unique-snowflake"
    ),

A missing `LOCATION` gets the Redis URL on the Redis side only; `OPTIONS` become `{}` on
the Redis side, because LocMemCache's `MAX_ENTRIES` would break the Redis client. When the
settings module (one that sets `INSTALLED_APPS`, `DATABASES` or `ROOT_URLCONF`) has no
`CACHES`, Django's implicit LocMemCache default is written out with the switch. Refuses a
`CACHES` it cannot read (built by a call, or set inside a block) and a missing one when a star
import may define it.
"""

from __future__ import annotations

from collections.abc import Sequence

import libcst as cst
import libcst.matchers as m

from .framework_backends import REDIS_URL, SERVICE_KEY_PREFIX, ConfigSwitchCodemod, insert_after

REDIS_BACKEND = '"django.core.cache.backends.redis.RedisCache"'
LOCAL_BACKENDS = frozenset(
    {
        "django.core.cache.backends.locmem.LocMemCache",
        "django.core.cache.backends.filebased.FileBasedCache",
    }
)
SETTINGS_NAMES = ("INSTALLED_APPS", "DATABASES", "ROOT_URLCONF")


class DjangoCacheBackendCodemod(ConfigSwitchCodemod):
    DESCRIPTION = "Switch Django CACHES from LocMemCache/FileBasedCache (or the default) to Redis."
    FLAG = "CACHES"

    def visit_Module(self, node: cst.Module) -> None:
        super().visit_Module(node)
        self.module_body = node.body

    def rewrite_body(
        self, original: Sequence[cst.BaseStatement], body: Sequence[cst.BaseStatement]
    ) -> list[cst.BaseStatement]:
        out = list(body)
        if original is not self.module_body:
            return out
        position = top_level_assignment(original, "CACHES")
        if position is None:
            return self._add_default(original, out)
        statement, assign = single_assignment(original[position])
        if not isinstance(assign.value, cst.Dict):
            self.refuse(statement, "`CACHES` is not a dict literal; switch it by hand.")
            return out
        value = self._switch_aliases(assign.value)
        out[position] = statement.with_changes(body=[assign.with_changes(value=value)])
        return out

    def _switch_aliases(self, caches: cst.Dict) -> cst.Dict:
        elements = list(caches.elements)
        for position, alias in enumerate(elements):
            if not isinstance(alias, cst.DictElement) or not isinstance(alias.value, cst.Dict):
                continue
            entries = alias.value
            backend = entry(entries, "BACKEND")
            if backend is None or string_of(entries.elements[backend].value) not in LOCAL_BACKENDS:
                continue
            elements[position] = alias.with_changes(value=self._switch_entries(entries, backend))
        return caches.with_changes(elements=elements)

    def _switch_entries(self, entries: cst.Dict, backend: int) -> cst.Dict:
        elements: list[cst.BaseDictElement] = list(entries.elements)
        for index, (name, new) in enumerate(
            (("BACKEND", REDIS_BACKEND), ("LOCATION", REDIS_URL), ("OPTIONS", "{}"))
        ):
            position = backend if index == 0 else entry(entries, name)
            if position is None:
                continue
            old = cst.ensure_type(entries.elements[position], cst.DictElement)  # as `entry` found
            if name == "LOCATION":
                self.add_needed_import("os")
            elements[position] = old.with_changes(value=self.switched(old.value, new, old))
        if entry(entries, "LOCATION") is None:
            # Django reads a missing LOCATION as "": the old side stays exactly as it was.
            value = self.switched(cst.SimpleString('""'), REDIS_URL, entries.elements[backend])
            location = cst.DictElement(cst.SimpleString('"LOCATION"'), value)
            elements = insert_after(elements, backend, [location], entries.lbrace.whitespace_after)
        if entry(entries, "KEY_PREFIX") is None:
            # Harmless on the old side; on Redis it keeps this service's keys apart.
            prefix = cst.DictElement(
                cst.SimpleString('"KEY_PREFIX"'), self.expression(SERVICE_KEY_PREFIX)
            )
            elements = insert_after(
                elements, len(elements) - 1, [prefix], entries.lbrace.whitespace_after
            )
        return entries.with_changes(elements=elements)

    def _add_default(
        self, original: Sequence[cst.BaseStatement], out: list[cst.BaseStatement]
    ) -> list[cst.BaseStatement]:
        if not any(top_level_assignment(original, name) is not None for name in SETTINGS_NAMES):
            return out
        reason = why_caches_unseen(original)
        if reason:
            self.warn(f"`CACHES` left unchanged: {reason}")
            return out
        self.switch_used = True
        self.add_needed_import("os")
        statement = cst.parse_statement(
            "CACHES = {\n"
            '    "default": {\n'
            '        "BACKEND": (\n'
            f"            {REDIS_BACKEND}\n"
            f"            if {self.switch_name}\n"
            '            else "django.core.cache.backends.locmem.LocMemCache"\n'
            "        ),\n"
            f'        "LOCATION": {REDIS_URL},\n'
            f'        "KEY_PREFIX": {SERVICE_KEY_PREFIX},\n'
            "    }\n"
            "}\n"
        )
        statement = self.fill(statement)
        why = "# Django's implicit default cache, written out so the migration switch can move it."
        statement = statement.with_changes(
            leading_lines=[cst.EmptyLine(), cst.EmptyLine(comment=cst.Comment(why))]
        )
        return [*out, statement]


def top_level_assignment(body: Sequence[cst.BaseStatement], name: str) -> int | None:
    """The position of the module-level `name = ...` statement, if there is one."""
    pattern = m.SimpleStatementLine([m.Assign(targets=[m.AssignTarget(m.Name(name))])])
    return next((i for i, s in enumerate(body) if m.matches(s, pattern)), None)


def single_assignment(
    statement: cst.BaseStatement,
) -> tuple[cst.SimpleStatementLine, cst.Assign]:
    """The line and its assignment, of a statement `top_level_assignment` found."""
    line = cst.ensure_type(statement, cst.SimpleStatementLine)
    return line, cst.ensure_type(line.body[0], cst.Assign)


def why_caches_unseen(body: Sequence[cst.BaseStatement]) -> str:
    """Why `CACHES` may be set where this module cannot see it, or ''."""
    if any(m.findall(s, m.ImportFrom(names=m.ImportStar())) for s in body):
        return "a star import may define `CACHES`; add it where it is defined."
    if any(m.findall(s, m.AssignTarget(m.Name("CACHES"))) for s in body):
        return "`CACHES` is set inside a block; switch it by hand."
    return ""


def entry(mapping: cst.Dict, key: str) -> int | None:
    """The position of `"key": ...` in a dict literal."""
    return next(
        (
            i
            for i, e in enumerate(mapping.elements)
            if isinstance(e, cst.DictElement) and string_of(e.key) == key
        ),
        None,
    )


def string_of(node: cst.CSTNode | None) -> str | None:
    if isinstance(node, cst.SimpleString):
        value = node.evaluated_value
        return value if isinstance(value, str) else None
    return None
