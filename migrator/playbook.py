"""Playbooks: what a category of local state is, why it breaks scaling, and how to move it.

The text lives in `playbooks/<category>.toml` (shipped as `migrator.playbooks`); the CLI,
SARIF rule help, scan messages and plan documents all render from the `Playbook` read here.
A playbook may add `[[kinds]]` entries: guidance for one kind of finding in the category.
"""

from __future__ import annotations

import functools
import re
import sys
from dataclasses import dataclass
from importlib.resources import files
from typing import Any

from migrator.model import CATEGORIES

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - exercised only on Python 3.10
    import tomli as tomllib

AUTOMATIONS = ("codemod", "config", "manual")
# The stores the generated runtime has a backend for; a playbook's first choice is one of them.
RUNTIME_STORES = ("redis", "postgres", "dynamodb", "s3")
_STORE_NAME = re.compile(r"^[a-z][a-z0-9_-]*$")
_TEXT_FIELDS = (
    "category",
    "title",
    "summary",
    "why",
    "rollback",
    "effort",
    "automation",
    "automation_note",
)
_LIST_FIELDS = ("steps", "pitfalls")
_KIND_TEXT_FIELDS = ("title", "what", "why", "fix", "rollback", "effort", "automation")
_KIND_NAME = re.compile(r"^[a-z][a-z0-9_]*$")
# What `apply` does with a finding of each automation, as a kind entry says it.
_AUTOMATION_SENTENCES = {
    "codemod": "`migrator apply` rewrites it with a codemod behind a migration flag, and marks "
    "for review what it cannot prove safe.",
    "config": "`migrator apply` switches the setting to a shared backend.",
    "manual": "No rewrite: `migrator apply` marks the definition and each site that changes it, "
    "and a person follows the steps.",
}


@dataclass(frozen=True)
class StoreChoice:
    """One place the state can move to, and why it fits."""

    store: str
    why: str


@dataclass(frozen=True)
class KindEntry:
    """The guidance for one kind of finding within a category.

    `kind` is a finding's `kind` (`local_database`, `deferred_work`, ...); `app_slot` and
    `process_object` name where state lives instead (a slot of the application object, an
    attribute of an object made by start-up code), whatever container it is.
    """

    kind: str
    title: str
    what: str  # what the finding is
    why: str  # why it breaks as soon as there is a second replica
    fix: str  # the store or the design change that fixes it
    steps: tuple[str, ...]
    rollback: str
    effort: str
    automation: str  # one of AUTOMATIONS: what migrator does for this kind

    def to_markdown(self, level: int = 3) -> str:
        """A Markdown section headed at `level`, each part a short labelled paragraph."""
        lines = [f"{'#' * level} {self.title} (`{self.kind}`)", "", self.what, ""]
        lines += [f"**Why it breaks a second replica.** {self.why}", ""]
        lines += [f"**The fix.** {self.fix}", "", "**Steps.**", ""]
        lines += [f"{n}. {step}" for n, step in enumerate(self.steps, 1)]
        lines += ["", f"**Rollback.** {self.rollback}", "", f"**Effort.** {self.effort}", ""]
        does = _AUTOMATION_SENTENCES[self.automation]
        lines += [f"**What migrator does ({self.automation}).** {does}"]
        return "\n".join(lines) + "\n"


@dataclass(frozen=True)
class Playbook:
    """The migration guide for one finding category."""

    category: str
    title: str
    summary: str  # one sentence: what the state is
    why: str  # why it breaks with several replicas, restarts, autoscaling
    stores: tuple[StoreChoice, ...]  # best first
    steps: tuple[str, ...]
    rollback: str
    effort: str
    pitfalls: tuple[str, ...]
    automation: str  # one of AUTOMATIONS: what migrator usually does
    automation_note: str  # that, in a sentence or two
    kinds: tuple[KindEntry, ...] = ()  # guidance for particular kinds of finding

    @property
    def best_store(self) -> str:
        return self.stores[0].store

    def kind(self, kind: str) -> KindEntry | None:
        """The entry for `kind`, or None when the playbook has none."""
        return next((k for k in self.kinds if k.kind == kind), None)

    def kinds_markdown(self) -> str:
        """The `[[kinds]]` entries as a Markdown section, or '' when there are none."""
        if not self.kinds:
            return ""
        return "\n".join(["## Kinds of finding", "", *(k.to_markdown() for k in self.kinds)])

    def to_markdown(self) -> str:
        """A complete Markdown document: title, every section, numbered steps."""
        lines = [f"# {self.title} (`{self.category}`)", "", self.summary, ""]
        lines += ["## Why it breaks horizontal scaling", "", self.why, ""]
        lines += ["## Where to move it", ""]
        lines += [f"{n}. **{s.store}**: {s.why}" for n, s in enumerate(self.stores, 1)]
        lines += ["", "## Steps", ""]
        lines += [f"{n}. {step}" for n, step in enumerate(self.steps, 1)]
        lines += ["", "## Rollback", "", self.rollback, ""]
        lines += ["## Effort", "", self.effort, ""]
        lines += ["## Pitfalls", ""]
        lines += [f"- {p}" for p in self.pitfalls]
        lines += ["", "## What migrator does", "", f"**{self.automation}**: {self.automation_note}"]
        return "\n".join(lines) + "\n"

    def help_text(self) -> str:
        """Plain text (no Markdown structure) for SARIF `help.text` and terminals."""
        lines = [f"{self.title}.", "", self.summary, "", "Why it breaks scaling:", self.why, ""]
        lines.append("Where to move it:")
        lines += [f"  {n}. {s.store}: {s.why}" for n, s in enumerate(self.stores, 1)]
        lines += ["", "Steps:"]
        lines += [f"  {n}. {step}" for n, step in enumerate(self.steps, 1)]
        lines += ["", "Rollback:", self.rollback, "", "Effort:", self.effort, "", "Pitfalls:"]
        lines += [f"  - {p}" for p in self.pitfalls]
        lines += ["", f"What migrator does ({self.automation}):", self.automation_note]
        return "\n".join(lines) + "\n"


@functools.cache
def load_playbook(category: str) -> Playbook:
    """The playbook of `category`; `KeyError` naming the known categories when there is none."""
    if category not in CATEGORIES:
        raise KeyError(
            f"no playbook for category {category!r}; the categories are: {', '.join(CATEGORIES)}"
        )
    name = f"{category}.toml"
    return parse_playbook(files("migrator.playbooks").joinpath(name).read_text("utf-8"), name)


def all_playbooks() -> list[Playbook]:
    """Every playbook, in the order of `migrator.model.CATEGORIES`."""
    return [load_playbook(c) for c in CATEGORIES]


def parse_playbook(text: str, name: str) -> Playbook:
    """The playbook in TOML `text` read from file `name`; `ValueError` naming a bad field."""
    # A broken playbook is a packaging bug: fail loudly with the file and field named.
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ValueError(f"playbook {name}: {exc}") from exc
    for key in _TEXT_FIELDS:
        if not isinstance(data.get(key), str) or not data[key].strip():
            raise ValueError(f"playbook {name}: `{key}` must be a non-empty string")
    for key in (*_LIST_FIELDS, "stores"):
        if not isinstance(data.get(key), list) or not data[key]:
            raise ValueError(f"playbook {name}: `{key}` must be a non-empty array")
    if f"{data['category']}.toml" != name:
        raise ValueError(f"playbook {name}: `category` is {data['category']!r}")
    if data["automation"] not in AUTOMATIONS:
        raise ValueError(f"playbook {name}: `automation` must be one of {', '.join(AUTOMATIONS)}")
    stores = tuple(_store_choice(name, s) for s in data["stores"])
    if stores[0].store not in RUNTIME_STORES:
        raise ValueError(f"playbook {name}: the first store must be one of {RUNTIME_STORES}")
    kinds = _kind_entries(name, data.get("kinds", []))
    return Playbook(
        category=data["category"],
        title=_prose(data["title"]),
        summary=_prose(data["summary"]),
        why=_prose(data["why"]),
        stores=stores,
        steps=tuple(_strings(name, "steps", data["steps"])),
        rollback=_prose(data["rollback"]),
        effort=_prose(data["effort"]),
        pitfalls=tuple(_strings(name, "pitfalls", data["pitfalls"])),
        automation=data["automation"],
        automation_note=_prose(data["automation_note"]),
        kinds=kinds,
    )


def _kind_entries(name: str, raw: Any) -> tuple[KindEntry, ...]:
    if not isinstance(raw, list) or not all(isinstance(k, dict) for k in raw):
        raise ValueError(f"playbook {name}: `kinds` must be an array of tables (`[[kinds]]`)")
    entries: list[KindEntry] = []
    for item in raw:
        kind = item.get("kind")
        if not isinstance(kind, str) or not _KIND_NAME.match(kind):
            raise ValueError(f"playbook {name}: each of `kinds` needs a plain `kind` name")
        where = f"playbook {name}: kind {kind!r}"
        for key in _KIND_TEXT_FIELDS:
            if not isinstance(item.get(key), str) or not item[key].strip():
                raise ValueError(f"{where}: `{key}` must be a non-empty string")
        if not isinstance(item.get("steps"), list) or not item["steps"]:
            raise ValueError(f"{where}: `steps` must be a non-empty array")
        if item["automation"] not in AUTOMATIONS:
            raise ValueError(f"{where}: `automation` must be one of {', '.join(AUTOMATIONS)}")
        if any(e.kind == kind for e in entries):
            raise ValueError(f"{where}: listed twice")
        entries.append(
            KindEntry(
                kind=kind,
                title=_prose(item["title"]),
                what=_prose(item["what"]),
                why=_prose(item["why"]),
                fix=_prose(item["fix"]),
                steps=tuple(_strings(name, f"{kind}.steps", item["steps"])),
                rollback=_prose(item["rollback"]),
                effort=_prose(item["effort"]),
                automation=item["automation"],
            )
        )
    return tuple(entries)


def _store_choice(name: str, raw: Any) -> StoreChoice:
    if not isinstance(raw, dict) or not isinstance(raw.get("store"), str):
        raise ValueError(f"playbook {name}: each of `stores` needs `store` and `why`")
    if not _STORE_NAME.match(raw["store"]) or not str(raw.get("why", "")).strip():
        raise ValueError(f"playbook {name}: store {raw['store']!r} needs a plain name and a `why`")
    return StoreChoice(raw["store"], _prose(str(raw["why"])))


def _strings(name: str, key: str, raw: list[Any]) -> list[str]:
    if not all(isinstance(s, str) and s.strip() for s in raw):
        raise ValueError(f"playbook {name}: `{key}` must hold non-empty strings")
    return [_prose(s) for s in raw]


def _prose(text: str) -> str:
    # TOML multi-line strings wrap at the author's margin; rendering wraps again.
    return " ".join(text.split())
