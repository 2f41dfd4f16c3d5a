"""Which phase each category belongs to, in shipping order: lowest risk first.

Caches go first because losing their content is harmless; connection registries go last
because they need a broadcast channel and live objects that cannot move to a store.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Group:
    """A phase template: the categories it takes, its position, its inherent risk."""

    rank: int
    slug: str
    title: str
    risk: str
    categories: tuple[str, ...]
    why_here: str
    symptom: str  # what users see today when several processes serve the target


GROUPS: tuple[Group, ...] = (
    Group(
        0,
        "caches",
        "Caches",
        "low",
        ("cache",),
        "A cache only holds what can be computed again, so losing it is harmless.",
        "stale answers after an update made through another process",
    ),
    Group(
        1,
        "sessions",
        "Sessions",
        "medium",
        ("session_store", "server_session_config"),
        "Losing sessions signs users out, which is annoying but recoverable.",
        "users signed out whenever a request lands on another process",
    ),
    Group(
        2,
        "app-data",
        "Application data",
        "high",
        ("app_data",),
        "In-memory records are the service's data: losing them loses work.",
        "records that exist in one process and not in the others",
    ),
    Group(
        3,
        "counters-locks",
        "Counters and locks",
        "medium",
        ("counter_ratelimit", "lock"),
        "Counters and locks must be atomic in the store; a wrong count is visible but bounded.",
        "counts and limits kept per process, locks that exclude nothing across processes",
    ),
    Group(
        4,
        "queues",
        "Queues and background work",
        "high",
        ("queue_background",),
        "Queued jobs are durable work: a job lost or run twice has effects outside the service.",
        "queued jobs lost whenever a process restarts",
    ),
    Group(
        5,
        "files",
        "Local files",
        "medium",
        ("local_file",),
        "Files move to object storage; old files must be copied before reads switch over.",
        "files that exist on one machine only",
    ),
    Group(
        6,
        "connections",
        "Connection registries",
        "high",
        ("connection_registry",),
        "Live connections cannot move to a store; replicas must fan messages out to each other.",
        "messages that never reach clients connected to another process",
    ),
    Group(
        7,
        "other",
        "Other process-local state",
        "high",
        ("other",),
        "State no detector could classify needs a person to decide where it lives.",
        "state that differs from one process to the next",
    ),
)

CLEANUP_SLUG = "cleanup"
_BY_CATEGORY = {category: group for group in GROUPS for category in group.categories}


def group_of(category: str) -> Group:
    """The phase template for a category; unknown categories count as `other`."""
    return _BY_CATEGORY.get(category, GROUPS[-1])


def group_by_slug(slug: str) -> Group | None:
    """The phase template with this slug, or None for a slug no template has."""
    for group in GROUPS:
        if group.slug == slug:
            return group
    return None


def higher_risk(a: str, b: str) -> str:
    order = ("low", "medium", "high")
    return a if order.index(a) >= order.index(b) else b


def raise_risk(risk: str) -> str:
    order = ("low", "medium", "high")
    return order[min(order.index(risk) + 1, len(order) - 1)]
