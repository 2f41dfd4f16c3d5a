"""Where a project keeps its framework settings: Django settings modules, Flask config."""

from __future__ import annotations

import re

from migrator.inventory.extract import literal, summary_parts
from migrator.inventory.facts import ConfigItem, ModuleFacts, Summary
from migrator.inventory.symbols import Project

# Settings modules that exist only for the test suite or CI, not for serving.
TEST_SETTINGS = re.compile(r"(^|/)(tests?|testing|ci)(/|\.py$|_)|(_|/)(tests?|testing|ci)\.py$")
DJANGO_MARKERS = frozenset({"INSTALLED_APPS", "ROOT_URLCONF", "MIDDLEWARE", "WSGI_APPLICATION"})


def django_settings(project: Project) -> list[ModuleFacts]:
    """Modules that look like Django settings (two or more of its marker settings)."""
    found = []
    for facts in project.by_module.values():
        keys = {item.key for item in facts.config if item.where == "module"}
        if len(keys & DJANGO_MARKERS) >= 2 or (
            "INSTALLED_APPS" in keys and facts.path.rpartition("/")[2].startswith("settings")
        ):
            found.append(facts)
    return found


def config_items(project: Project, key: str) -> list[tuple[ModuleFacts, ConfigItem]]:
    """Every place the project sets `key`: module constants, config classes, `app.config[...]`."""
    return [
        (facts, item)
        for facts in project.by_module.values()
        for item in facts.config
        if item.key == key
    ]


def imports_anything_of(project: Project, prefix: str) -> bool:
    return any(
        target == prefix or target.startswith(prefix + ".")
        for facts in project.by_module.values()
        for target in facts.imports.values()
    )


def with_named_values(value: Summary, facts: ModuleFacts, depth: int = 2) -> list[Summary]:
    """A value, and the values of the module names it uses, to `depth` (`key = urandom(32)`
    then `SECRET_KEY = env or key`; `config = {...}` then `DATABASES = {"default": config}`)."""
    found = [value]
    if depth:
        names = {str(p[1]) for p in summary_parts(value) if p[0] == "name"}
        for b in facts.bindings:
            if b.name in names and b.scope == "module":
                found += with_named_values(b.value, facts, depth - 1)
    return found


def django_cache_is_local(project: Project) -> bool:
    """Whether Django's default cache lives in each process (`CACHES` unset, or locmem)."""
    configured = [i for _, i in config_items(project, "CACHES") if i.where == "module"]
    if not configured:
        return True
    for item in configured:
        caches = literal(item.value)
        default = caches.get("default") if isinstance(caches, dict) else None
        backend = default.get("BACKEND", "") if isinstance(default, dict) else ""
        if isinstance(backend, str) and "locmem" in backend:
            return True
    return False
