"""Two processes of the migrated django_notes serve a signed-in user as one process does.

Both processes share the model database (a SQLite file here, the database server in
production) and each has a data folder of its own (`NOTES_DATA_DIR`: session files and
uploads), as replicas on separate machines would. The same journey against the original
project breaks where it keeps state per process. The view counter and the upload folder,
which `apply` left to a person, are checked against the original only; the render memo
(`_RENDER_CACHE`) has no effect a client can see, so no expectation rests on it.
"""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Collection, Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
import migrator_tests_e2e_replicas as replicas
import pytest

SESSION_ENGINE = "notes.settings.SESSION_ENGINE"
CACHES = "notes.settings.CACHES"
VIEW_COUNTS = "notes.board.views.VIEW_COUNTS"
MEDIA_ROOT = "notes.settings.MEDIA_ROOT"
EVERY_COMPONENT = (SESSION_ENGINE, CACHES, VIEW_COUNTS, MEDIA_ROOT)

SESSION_HOLDS = "signed in on A, a note is created on B and the session holds on both"
STATS_AGREE = "the cached stats agree on A and B and count the note just made"
VIEWS = "views of a note on A and B add up"
ATTACHMENT = "a file attached on A is downloaded from B"
SIGN_OUT = "signing out on A ends the session on B"

USER, PASSWORD = "ann", "correct horse battery staple"
# Django checks that the CSRF cookie and header match; a client may choose the token.
CSRF = "a" * 32


def notes_journey(a: str, b: str, components: Collection[str]) -> replicas.Journey:
    """A user signing in, writing notes and reading stats alternately on `a` and `b`.

    Checks the expectations that rest on `components` only, and signs out every session it
    opened. Raises only when a step fails that a single process must pass (a test bug).
    """
    journey = replicas.Journey(components)
    with replicas.http_client() as http:

        def new_note(server: str, headers: dict[str, str], title: str) -> int:
            made = http.post(
                server + "/notes/", data={"title": title, "body": "**hi**"}, headers=headers
            )
            assert made.status_code == 201, made.text
            return int(replicas.body(made)["id"])

        on_a = sign_in(http, a)
        if journey.covers(SESSION_ENGINE):
            made = http.post(b + "/notes/", data={"title": "From B"}, headers=on_a)
            held = [http.get(server + "/notes/", headers=on_a).status_code for server in (a, b)]
            journey.expect(
                SESSION_HOLDS,
                made.status_code == 201 and held == [200, 200],
                f"creating on B: {made.status_code}; the board on A, B: {held}",
            )

        # A session of B's own, so what follows is checked apart from shared sessions.
        on_b = sign_in(http, b)
        if journey.covers(CACHES):
            http.get(a + "/stats/", headers=on_a)  # A has the stats cached before the new note
            new_note(b, on_b, "Counted")
            notes = len(replicas.body(http.get(b + "/notes/", headers=on_b))["notes"])
            stats = [
                replicas.body(http.get(s + "/stats/", headers=h)) for s, h in ((a, on_a), (b, on_b))
            ]
            journey.expect(
                STATS_AGREE, stats[0] == stats[1] and stats[0].get("notes") == notes, stats
            )

        note = new_note(a, on_a, "Minutes")
        if journey.covers(VIEW_COUNTS):
            http.get(f"{a}/notes/{note}/", headers=on_a)
            seen = replicas.body(http.get(f"{b}/notes/{note}/", headers=on_b))
            journey.expect(VIEWS, seen.get("views") == 2, seen)

        if journey.covers(MEDIA_ROOT):
            content = b"agenda: ship the migration\n"
            files = {"file": ("agenda.txt", content, "text/plain")}
            attached = http.post(f"{a}/notes/{note}/attachments/", files=files, headers=on_a)
            assert attached.status_code == 201, attached.text
            fetched = http.get(f"{b}/attachments/{replicas.body(attached)['id']}/", headers=on_b)
            journey.expect(
                ATTACHMENT,
                fetched.status_code == 200 and fetched.content == content,
                fetched.status_code,
            )

        http.post(a + "/logout/", headers=on_a)
        if journey.covers(SESSION_ENGINE):
            after = http.get(b + "/notes/", headers=on_a)
            journey.expect(SIGN_OUT, after.status_code == 302, after.status_code)
        http.post(b + "/logout/", headers=on_b)
    return journey


def sign_in(http: httpx.Client, server: str) -> dict[str, str]:
    """Sign the user in on `server`; the headers of requests made in that session."""
    form = {"username": USER, "password": PASSWORD}
    signed = http.post(server + "/login/", data=form, headers=with_session(""))
    assert signed.status_code == 200, f"cannot sign in on {server}: {signed.text}"
    return with_session(signed.cookies["sessionid"])


def with_session(session_id: str) -> dict[str, str]:
    """Request headers of a client holding `session_id` (none when empty) and a CSRF token."""
    cookies = {"csrftoken": CSRF, **({"sessionid": session_id} if session_id else {})}
    return {**replicas.cookie_header(**cookies), "X-CSRFToken": CSRF}


def prepare_database(root: Path, env: Mapping[str, str]) -> None:
    """Create the model tables and the user in the database that `env` points at."""
    script = (
        "from django.core.management import call_command\n"
        "from django.contrib.auth.models import User\n"
        "call_command('migrate', verbosity=0)\n"
        f"User.objects.create_user({USER!r}, password={PASSWORD!r})\n"
    )
    done = subprocess.run(
        [sys.executable, "manage.py", "shell", "-c", script],
        cwd=root,
        env={**replicas.gitrepo.isolated_env(root.parent), **env},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr


@contextmanager
def notes_pair(
    root: Path, envs: tuple[Mapping[str, str], Mapping[str, str]], folder: Path
) -> Iterator[list[str]]:
    """Two `runserver` processes of the project at `root`, each with a data folder of its own.

    Each environment in `envs` should name the model database (`NOTES_DB_NAME`); it is
    migrated and given the user first.
    """
    full = []
    for name, env in zip("ab", envs, strict=True):
        data = folder / f"data-{name}"
        (data / "sessions").mkdir(parents=True)
        full.append({**env, "NOTES_DATA_DIR": str(data)})
    for database in {env["NOTES_DB_NAME"]: env for env in full}.values():
        prepare_database(root, database)

    def launch(port: int) -> list[str]:
        return [sys.executable, "manage.py", "runserver", f"127.0.0.1:{port}", "--noreload"]

    with replicas.serving(root, launch, full, folder / "logs") as urls:
        yield urls


@pytest.fixture(scope="module")
def migrated_notes(tmp_path_factory: pytest.TempPathFactory) -> tuple[Any, replicas.Migration]:
    """The project in git with every migrate phase applied, and what `apply` said it migrated."""
    project = replicas.git_example("django_notes", tmp_path_factory.mktemp("migrated-notes"))
    return project, replicas.migrate(project)


def test_two_migrated_processes_serve_the_journey_as_one(
    migrated_notes: tuple[Any, replicas.Migration], key_prefix: str, tmp_path: Path
) -> None:
    project, migration = migrated_notes
    assert {SESSION_ENGINE, CACHES} <= migration.migrated
    env = {**replicas.stateless_env(key_prefix), "NOTES_DB_NAME": str(tmp_path / "notes.sqlite3")}
    with notes_pair(project.root, (env, env), tmp_path) as (a, b):
        journey = notes_journey(a, b, migration.migrated)
    assert journey.broken == []
    assert {SESSION_HOLDS, STATS_AGREE, SIGN_OUT} <= set(journey.checked)


def test_two_original_processes_break_where_the_project_keeps_state(tmp_path: Path) -> None:
    project = replicas.copy_example("django_notes", tmp_path)
    env = {"NOTES_DB_NAME": str(tmp_path / "notes.sqlite3")}
    with notes_pair(project.root, (env, env), tmp_path) as (a, b):
        journey = notes_journey(a, b, EVERY_COMPONENT)
    # Signing out "holds" only because B never knew the session signed in on A.
    assert journey.broken_names == [SESSION_HOLDS, STATS_AGREE, VIEWS, ATTACHMENT]


def test_two_migrated_services_on_one_redis_keep_their_stats_apart(
    migrated_notes: tuple[Any, replicas.Migration], key_prefix: str, tmp_path: Path
) -> None:
    project, _ = migrated_notes
    one, other = (
        {
            **replicas.stateless_env(f"{key_prefix}-{name}"),
            "NOTES_DB_NAME": str(tmp_path / f"notes-{name}.sqlite3"),
        }
        for name in ("one", "other")
    )
    try:
        with (
            notes_pair(project.root, (one, other), tmp_path) as (a, b),
            replicas.http_client() as http,
        ):
            on_a, on_b = sign_in(http, a), sign_in(http, b)
            made = http.post(a + "/notes/", data={"title": "Only in one"}, headers=on_a)
            assert made.status_code == 201, made.text
            assert replicas.body(http.get(a + "/stats/", headers=on_a))["notes"] == 1
            other_stats = replicas.body(http.get(b + "/stats/", headers=on_b))
            http.post(a + "/logout/", headers=on_a)
            http.post(b + "/logout/", headers=on_b)
    finally:
        replicas.purge_prefix(f"{key_prefix}-one")
        replicas.purge_prefix(f"{key_prefix}-other")
    assert other_stats["notes"] == 0, (
        f"the other service serves the first one's stats: {other_stats}"
    )
