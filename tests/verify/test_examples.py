"""`migrator verify` finds on each example the breaks its e2e replica test knows, and passes
once the example is migrated and every flag is at `complete`.

The migrated examples still keep some state in process, where `apply` left a component to a
person (the shop's login throttle and upload folder, the notes' upload folder, the chat's
history, ids and mentions): verify must report those steps and no other, and a journey without
them must pass.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest
import yaml
from migrator_tests_verify_runs import replicas, run_verify

BREAKS_BEFORE = {
    "flask_shop": {
        "a cart filled on B",
        "is the cart seen on A",
        "B lists the product changed",
        "checkout on B gets a later order number",
        "checkout on B again gets a later order number",
        "B serves the bestsellers cached through A",
        "B serves the image",
        "logging out on B ends the session on A",
        "the sixth failed login on B is refused",
    },
    "django_notes": {
        "signed in on A, a note is created on B",
        "the session holds on B",
        "the stats on A count the note just made",
        "the cached stats agree on A and B",
        "views of a note on A and B add up",
        "the file attached on A is downloaded from B",
    },
    "fastapi_chat": {
        "a message posted to B gets a later id",
        "B's history lists the messages posted to A",
        "the mention posted to A is in the inbox B shows",
        "posts to A and B count against one limit of 10 a minute",
    },
}
# The component each break of the shop is most likely due to, as the report ranks them.
SHOP_LIKELIEST = {
    "a cart filled on B": "shop.state.SESSIONS",
    "checkout on B gets a later order number": "shop.orders.ORDER_SEQ",
    "B serves the bestsellers cached through A": "shop.settings.CACHE_TYPE",
    "B serves the image": "shop.views.UPLOAD_FOLDER",
    "the sixth failed login on B is refused": "shop.ratelimit.LOGIN_FAILURES",
}
# Steps that rest on what `apply` leaves to a person; left out of the journey that must pass.
MANUAL_STEPS = {
    "flask_shop": {
        "alice uploads a product image on A",
        "B serves the image",
        *(f"failed login {n} on {'AB'[(n - 1) % 2]}" for n in range(1, 6)),
        "the sixth failed login on B is refused",
    },
    "django_notes": {
        "ann reads them on A",
        "views of a note on A and B add up",
        "a file is attached on A",
        "the file attached on A is downloaded from B",
    },
    "fastapi_chat": {
        "frank posts minute 0 to A",
        "a message posted to B gets a later id",
        "a message posted to A again gets a later id",
        "B's history lists the messages posted to A",
        "gina mentions hank on A",
        "A delivers the mention",
        "the mention posted to A is in the inbox B shows",
    },
}


@pytest.mark.parametrize("example", sorted(BREAKS_BEFORE))
def test_verify_reports_the_steps_that_break_before_migration(example: str, tmp_path: Path) -> None:
    project = replicas.copy_example(example, tmp_path)
    verified = run_verify(project.root, example)
    assert verified.code == 1, verified.stderr
    assert verified.differing == BREAKS_BEFORE[example]
    for difference in verified.report["differences"]:
        assert difference["handler"], difference  # every path of these journeys has a route
        assert difference["suspects"], difference
    if example == "flask_shop":
        likeliest = {
            d["name"]: d["suspects"][0]["qualname"] for d in verified.report["differences"]
        }
        assert SHOP_LIKELIEST.items() <= likeliest.items()


@pytest.mark.parametrize("example", sorted(BREAKS_BEFORE))
def test_migrated_at_complete_only_the_manual_steps_differ_and_without_them_verify_passes(
    example: str, migrated: dict[str, Any]
) -> None:
    root = migrated[example].root
    journey = yaml.safe_load((root / "journey.yaml").read_text("utf-8"))
    journey["steps"] = [s for s in journey["steps"] if s["name"] not in MANUAL_STEPS[example]]
    trimmed = root.parent / "journey-migrated.yaml"
    trimmed.write_text(yaml.safe_dump(journey, sort_keys=False), "utf-8")
    # The shop's order book is left to a person, so whole answers of its bestsellers differ
    # between replicas: its journey is held to its expectations only, not with `--record`.
    record = [] if example == "flask_shop" else ["--record"]
    with ThreadPoolExecutor(2) as pool:  # two independent runs: side by side
        whole_run = pool.submit(run_verify, root, example, "--mode", "complete")
        trimmed_run = pool.submit(
            run_verify, root, example, "--mode", "complete", "--journey", str(trimmed), *record
        )
        whole, passed = whole_run.result(), trimmed_run.result()

    assert whole.code == 1, whole.stderr
    assert whole.differing <= MANUAL_STEPS[example]
    assert passed.code == 0, (passed.stderr, passed.report.get("differences"))
    assert passed.report["agree"] is True
