"""Playbooks: every category has real guidance, loaded from the shipped TOML files."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from importlib.resources import files
from pathlib import Path

import pytest

from migrator.apply.recipes import recipe_for
from migrator.model import CATEGORIES, Finding
from migrator.playbook import (
    AUTOMATIONS,
    RUNTIME_STORES,
    KindEntry,
    Playbook,
    StoreChoice,
    all_playbooks,
    load_playbook,
    parse_playbook,
)

STAGES = ("off", "dualwrite", "shadow", "live", "rampdown", "complete")

MINIMAL = """
category = "cache"
title = "Caches"
summary = "A cache."
why = "Each replica has its own."
automation = "codemod"
automation_note = "Wraps it."
effort = "Low."
rollback = "Flag back."
steps = ["Do it."]
pitfalls = ["Keys."]
[[stores]]
store = "redis"
why = "Fast."
"""

KIND = """
[[kinds]]
kind = "memo_dict"
title = "Memo dicts"
what = "A dict memo."
why = "Each replica fills its own."
fix = "A shared cache."
steps = ["Wrap it."]
rollback = "Flag back."
effort = "Low."
automation = "codemod"
"""

# Kinds of finding that must have a `[[kinds]]` entry in their category's playbook. Kept by
# hand: a kind is added here when a detector starts to emit it. `app_slot` and
# `process_object` are where state lives (the application object, an object made by start-up
# code), reported under each category whose container detector claims them.
REQUIRED_KINDS = [
    ("local_file", "local_database"),
    ("local_file", "django_local_storage"),
    ("other", "per_process_secret"),
    ("queue_background", "deferred_work"),
    ("queue_background", "background_loop"),
    ("connection_registry", "socketio_no_queue"),
    ("counter_ratelimit", "django_throttle_local_cache"),
    *(
        (category, place)
        for category in (
            "session_store",
            "cache",
            "app_data",
            "counter_ratelimit",
            "lock",
            "queue_background",
            "connection_registry",
            "other",
        )
        for place in ("app_slot", "process_object")
    ),
]
PLACES = ("app_slot", "process_object")
ENTRIES = [(book.category, entry) for book in all_playbooks() for entry in book.kinds]


def test_every_category_has_a_playbook_and_no_file_is_stray() -> None:
    shipped = sorted(
        p.name for p in files("migrator.playbooks").iterdir() if p.name.endswith(".toml")
    )
    assert shipped == sorted(f"{c}.toml" for c in CATEGORIES)
    assert [p.category for p in all_playbooks()] == list(CATEGORIES)


def test_unknown_category_raises_key_error_listing_the_known_ones() -> None:
    with pytest.raises(KeyError) as caught:
        load_playbook("sessions")
    message = str(caught.value)
    assert "'sessions'" in message
    assert all(c in message for c in CATEGORIES)


def test_loads_are_cached() -> None:
    assert load_playbook("lock") is load_playbook("lock")


@pytest.mark.parametrize("category", CATEGORIES)
def test_playbook_fields_hold_real_guidance(category: str) -> None:
    book = load_playbook(category)
    assert book.category == category
    assert book.automation in AUTOMATIONS
    # One sentence: a full stop at the end and none inside.
    assert book.summary.endswith(".") and ". " not in book.summary
    assert book.stores[0].store in RUNTIME_STORES
    assert len({s.store for s in book.stores}) == len(book.stores)
    assert all(isinstance(s, StoreChoice) and len(s.why) > 20 for s in book.stores)
    assert len(book.steps) >= 4 and len(book.pitfalls) >= 4
    for text in (book.why, book.rollback, book.effort, book.automation_note, *book.steps):
        assert len(text) > 30, text
    # The flag's first and last stage are named wherever migration flags apply.
    steps = " ".join(book.steps)
    assert "`off`" in steps and "`complete`" in steps
    # Multi-line TOML strings are joined into single-spaced prose.
    assert all("\n" not in s and "  " not in s for s in (*book.steps, book.why))


@pytest.mark.parametrize(
    "category", [p.category for p in all_playbooks() if p.automation == "codemod"]
)
def test_codemod_playbooks_walk_through_every_flag_stage(category: str) -> None:
    steps = " ".join(load_playbook(category).steps)
    assert [s for s in STAGES if f"`{s}`" in steps] == list(STAGES)


def test_pitfalls_name_what_a_codemod_must_not_hide() -> None:
    sessions = " ".join(load_playbook("session_store").pitfalls)
    assert "copy" in sessions and "SCAN" in sessions
    assert "`edit`" in sessions
    registry = " ".join(load_playbook("connection_registry").pitfalls)
    assert "Live objects cannot move" in registry


def test_framework_switches_have_two_stages() -> None:
    book = load_playbook("server_session_config")
    assert book.automation == "config"
    assert "`off` and `complete`" in book.automation_note


def test_markdown_is_a_complete_document() -> None:
    book = load_playbook("session_store")
    doc = book.to_markdown()
    assert doc.startswith(f"# {book.title} (`session_store`)\n")
    headings = re.findall(r"^## (.+)$", doc, flags=re.M)
    assert headings == [
        "Why it breaks horizontal scaling",
        "Where to move it",
        "Steps",
        "Rollback",
        "Effort",
        "Pitfalls",
        "What migrator does",
    ]
    for n, step in enumerate(book.steps, 1):
        assert f"\n{n}. {step}\n" in doc
    assert "1. **redis**: " in doc
    assert all(f"- {p}" in doc for p in book.pitfalls)


def test_help_text_is_plain_text_with_every_section() -> None:
    book = load_playbook("local_file")
    text = book.help_text()
    assert not re.search(r"^#", text, flags=re.M) and "**" not in text
    assert text.startswith(f"{book.title}.\n")
    assert "  1. s3: " in text
    for part in (book.why, book.rollback, book.effort, *book.steps, *book.pitfalls):
        assert part in text


def test_parse_accepts_a_minimal_playbook() -> None:
    book = parse_playbook(MINIMAL, "cache.toml")
    assert book == Playbook(
        category="cache",
        title="Caches",
        summary="A cache.",
        why="Each replica has its own.",
        stores=(StoreChoice("redis", "Fast."),),
        steps=("Do it.",),
        rollback="Flag back.",
        effort="Low.",
        pitfalls=("Keys.",),
        automation="codemod",
        automation_note="Wraps it.",
    )
    assert book.best_store == "redis"


@pytest.mark.parametrize(
    ("change", "complaint"),
    [
        (('rollback = "Flag back."', ""), "`rollback`"),
        (('steps = ["Do it."]', "steps = []"), "`steps`"),
        (('automation = "codemod"', 'automation = "magic"'), "`automation`"),
        (('store = "redis"', 'store = "Redis Cluster"'), "'Redis Cluster'"),
        (('store = "redis"', 'store = "cookie"'), "first store"),
        (('summary = "A cache."', "summary = [unclosed"), "cache.toml"),
    ],
)
def test_parse_names_the_broken_field(change: tuple[str, str], complaint: str) -> None:
    with pytest.raises(ValueError, match=re.escape(complaint)):
        parse_playbook(MINIMAL.replace(*change), "cache.toml")


def test_parse_rejects_a_file_named_for_another_category() -> None:
    with pytest.raises(ValueError, match="`category` is 'cache'"):
        parse_playbook(MINIMAL, "lock.toml")


# ---- kinds of finding ----------------------------------------------------------------------


@pytest.mark.parametrize(("category", "kind"), REQUIRED_KINDS)
def test_every_required_kind_has_an_entry_in_its_category(category: str, kind: str) -> None:
    entry = load_playbook(category).kind(kind)
    assert entry is not None, f"playbooks/{category}.toml has no [[kinds]] entry for {kind!r}"
    assert entry.kind == kind


@pytest.mark.parametrize(("category", "entry"), ENTRIES, ids=[f"{c}-{e.kind}" for c, e in ENTRIES])
def test_kind_entries_hold_real_guidance(category: str, entry: KindEntry) -> None:
    assert entry.automation in AUTOMATIONS
    assert len(entry.steps) >= 3
    for text in (entry.what, entry.why, entry.fix, entry.rollback, entry.effort, *entry.steps):
        assert len(text) > 30, text
        assert text.endswith((".", ".)")), text  # whole sentences
        assert "\n" not in text and "  " not in text


@pytest.mark.parametrize(
    ("category", "entry"),
    [(c, e) for c, e in ENTRIES if e.automation != "manual"],
    ids=[f"{c}-{e.kind}" for c, e in ENTRIES if e.automation != "manual"],
)
def test_an_automated_kind_has_a_recipe_that_rewrites_it(category: str, entry: KindEntry) -> None:
    # A place names no container: stand in the one the category's codemod rewrites.
    kind = "list" if entry.kind in PLACES else entry.kind
    finding = Finding(
        category=category,
        symbol="ConnectionManager.active_connections",
        qualname="app.ConnectionManager.active_connections",
        path="app.py",
        line=1,
        confidence="high",
        message="",
        automation=entry.automation,
        kind=kind,
    )
    assert recipe_for(finding, "app", "app_stateless", "redis", None) is not None


def test_kind_entries_render_after_the_category_text() -> None:
    book = load_playbook("local_file")
    assert "## Kinds" not in book.to_markdown()  # SARIF help and plan documents are unchanged
    section = book.kinds_markdown()
    assert section.startswith("## Kinds of finding\n")
    for entry in book.kinds:
        assert f"### {entry.title} (`{entry.kind}`)" in section
        assert all(f". {step}\n" in section for step in entry.steps)
    assert "**What migrator does (manual).**" in section
    assert load_playbook("server_session_config").kinds_markdown() == ""


def test_parse_reads_kind_entries() -> None:
    book = parse_playbook(MINIMAL + KIND, "cache.toml")
    assert book.kinds == (
        KindEntry(
            kind="memo_dict",
            title="Memo dicts",
            what="A dict memo.",
            why="Each replica fills its own.",
            fix="A shared cache.",
            steps=("Wrap it.",),
            rollback="Flag back.",
            effort="Low.",
            automation="codemod",
        ),
    )
    assert book.kind("memo_dict") is book.kinds[0]
    assert book.kind("lru_cache") is None
    assert parse_playbook(MINIMAL, "cache.toml").kinds == ()


@pytest.mark.parametrize(
    ("change", "complaint"),
    [
        (('automation = "codemod"', 'automation = "rewrite"'), "kind 'memo_dict': `automation`"),
        (('fix = "A shared cache."', ""), "kind 'memo_dict': `fix`"),
        (('steps = ["Wrap it."]', "steps = []"), "kind 'memo_dict': `steps`"),
        (('steps = ["Wrap it."]', 'steps = [""]'), "`memo_dict.steps`"),
        (('kind = "memo_dict"', 'kind = "Memo Dict"'), "plain `kind`"),
        (("[[kinds]]", "[kinds]"), "`kinds` must be an array"),
    ],
)
def test_parse_refuses_a_bad_kind_entry_naming_the_file(
    change: tuple[str, str], complaint: str
) -> None:
    with pytest.raises(ValueError, match=re.escape(complaint)) as caught:
        parse_playbook(MINIMAL + KIND.replace(*change), "cache.toml")
    assert str(caught.value).startswith("playbook cache.toml: ")


def test_parse_refuses_a_kind_listed_twice() -> None:
    with pytest.raises(ValueError, match="kind 'memo_dict': listed twice"):
        parse_playbook(MINIMAL + KIND + KIND, "cache.toml")


def _migrator(cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k != "MIGRATOR_DEBUG"}
    return subprocess.run(
        [sys.executable, "-m", "migrator", *args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_cli_prints_the_kinds_after_the_playbook(tmp_path: Path) -> None:
    book = load_playbook("queue_background")
    done = _migrator(tmp_path, "playbook", "queue_background")
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith(book.to_markdown())
    assert done.stdout.endswith(book.kinds_markdown())


def test_cli_prints_one_kind(tmp_path: Path) -> None:
    done = _migrator(tmp_path, "playbook", "local_file", "--kind", "local_database")
    assert done.returncode == 0, done.stderr
    entry = load_playbook("local_file").kind("local_database")
    assert entry is not None and done.stdout == entry.to_markdown(level=1)


@pytest.mark.parametrize(
    ("args", "complaint"),
    [
        (("playbook", "local_file", "--kind", "dict"), "its kinds: local_database"),
        (("playbook", "--kind", "local_database"), "needs a CATEGORY"),
    ],
)
def test_cli_refuses_an_unknown_kind_in_one_line(
    tmp_path: Path, args: tuple[str, ...], complaint: str
) -> None:
    done = _migrator(tmp_path, *args)
    assert done.returncode == 2 and done.stdout == ""
    assert len(done.stderr.strip().splitlines()) == 1 and complaint in done.stderr
