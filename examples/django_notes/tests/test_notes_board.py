"""Signing in, writing notes, attachments and board statistics, through Django's test client."""

from pathlib import Path

from django.conf import settings
from django.contrib.auth.models import User
from django.core.cache import cache
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import TestCase


class BoardTestCase(TestCase):
    @classmethod
    def setUpTestData(cls) -> None:
        User.objects.create_user("nina", password="correct horse")
        User.objects.create_user("omar", password="battery staple")

    def setUp(self) -> None:
        # The stats cache lives in process memory and outlives each test's rollback.
        cache.clear()

    def sign_in(self, username: str = "nina", password: str = "correct horse") -> None:
        response = self.client.post("/login/", {"username": username, "password": password})
        self.assertEqual(response.status_code, 200)

    def post_note(self, title: str, body: str = "", fmt: str = "markdown") -> dict[str, object]:
        response = self.client.post("/notes/", {"title": title, "body": body, "format": fmt})
        self.assertEqual(response.status_code, 201)
        return dict(response.json())


class SignInTests(BoardTestCase):
    def test_wrong_password_is_refused(self) -> None:
        response = self.client.post("/login/", {"username": "nina", "password": "guess"})
        self.assertEqual(response.status_code, 401)
        self.assertEqual(self.client.get("/notes/").status_code, 302)

    def test_session_keeps_the_user_signed_in_until_sign_out(self) -> None:
        self.sign_in()
        self.assertEqual(self.client.get("/notes/").status_code, 200)
        old_cookie = self.client.cookies["sessionid"].value

        self.client.post("/logout/")
        response = self.client.get("/notes/")
        self.assertEqual(response.status_code, 302)
        self.assertTrue(response["Location"].startswith("/login/"))
        # The session lives on the server: replaying the old cookie does not sign back in.
        self.client.cookies["sessionid"] = old_cookie
        self.assertEqual(self.client.get("/notes/").status_code, 302)


class NoteTests(BoardTestCase):
    def test_markdown_is_rendered_and_unsafe_links_dropped(self) -> None:
        self.sign_in()
        note = self.post_note(
            "Release",
            "# Friday\n**freeze** at noon, see [runbook](https://wiki/rb) or [x](javascript:void)",
        )
        self.assertEqual(
            note["html"],
            "<h2>Friday</h2>\n<p><strong>freeze</strong> at noon, see "
            '<a href="https://wiki/rb" rel="nofollow">runbook</a> or x</p>',
        )

    def test_plain_notes_are_escaped(self) -> None:
        self.sign_in()
        note = self.post_note("Snippet", "<b>not bold</b>\nline two", fmt="plain")
        self.assertEqual(note["html"], "<p>&lt;b&gt;not bold&lt;/b&gt;<br>line two</p>")

    def test_board_lists_newest_first(self) -> None:
        self.sign_in()
        self.post_note("older")
        self.post_note("newer")
        titles = [n["title"] for n in self.client.get("/notes/").json()["notes"]]
        self.assertEqual(titles[:2], ["newer", "older"])

    def test_each_visit_counts_a_view(self) -> None:
        self.sign_in()
        pk = self.post_note("counted")["id"]
        first = self.client.get(f"/notes/{pk}/").json()["views"]
        second = self.client.get(f"/notes/{pk}/").json()["views"]
        self.assertEqual(second, first + 1)

    def test_stats_follow_new_notes(self) -> None:
        self.sign_in()
        self.post_note("one")
        self.assertEqual(self.client.get("/stats/").json()["by_author"], {"nina": 1})
        self.sign_in("omar", "battery staple")
        self.post_note("two")
        stats = self.client.get("/stats/").json()
        self.assertEqual((stats["notes"], stats["by_author"]), (2, {"nina": 1, "omar": 1}))


class AttachmentTests(BoardTestCase):
    def test_uploaded_file_is_stored_under_media_root_and_downloadable(self) -> None:
        self.sign_in()
        pk = self.post_note("with file")["id"]
        upload = SimpleUploadedFile("minutes.txt", b"decisions: ship it\n", "text/plain")
        response = self.client.post(f"/notes/{pk}/attachments/", {"file": upload})
        self.assertEqual(response.status_code, 201)
        stored = Path(settings.MEDIA_ROOT) / response.json()["name"]
        self.assertEqual(stored.read_bytes(), b"decisions: ship it\n")

        listed = self.client.get(f"/notes/{pk}/").json()["attachments"]
        download = self.client.get(listed[0]["url"])
        self.assertEqual(b"".join(download.streaming_content), b"decisions: ship it\n")  # type: ignore[arg-type]

    def test_attachment_needs_a_file(self) -> None:
        self.sign_in()
        pk = self.post_note("no file")["id"]
        self.assertEqual(self.client.post(f"/notes/{pk}/attachments/").status_code, 400)
