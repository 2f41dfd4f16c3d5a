"""Playbooks: every category has real guidance, loaded from the shipped TOML files."""

from __future__ import annotations

import re
from importlib.resources import files

import pytest

from migrator.model import CATEGORIES
from migrator.playbook import (
    AUTOMATIONS,
    RUNTIME_STORES,
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
