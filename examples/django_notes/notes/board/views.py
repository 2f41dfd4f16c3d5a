"""The board's pages: sign-in, notes, attachments and board statistics."""

from __future__ import annotations

from collections import Counter
from typing import Any

from django.contrib.auth import authenticate, login, logout
from django.contrib.auth.decorators import login_required
from django.core.cache import cache
from django.db.models import Count
from django.http import FileResponse, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404
from django.views.decorators.http import require_GET, require_POST

from notes.board.models import Attachment, Note
from notes.board.rendering import render_body

STATS_KEY = "board-stats"

VIEW_COUNTS: Counter[int] = Counter()


def _note_json(note: Note) -> dict[str, Any]:
    return {
        "id": note.pk,
        "title": note.title,
        "author": note.author.get_username(),
        "html": render_body(note.body, note.format),
        "views": VIEW_COUNTS[note.pk],
        "attachments": [
            {"id": a.pk, "name": a.file.name, "url": f"/attachments/{a.pk}/"}
            for a in note.attachments.all()
        ],
    }


@require_POST
def sign_in(request: HttpRequest) -> JsonResponse:
    user = authenticate(
        request, username=request.POST.get("username"), password=request.POST.get("password")
    )
    if user is None:
        return JsonResponse({"error": "wrong username or password"}, status=401)
    login(request, user)
    return JsonResponse({"user": user.get_username()})


@require_POST
def sign_out(request: HttpRequest) -> JsonResponse:
    logout(request)
    return JsonResponse({"ok": True})


@login_required
def board(request: HttpRequest) -> JsonResponse:
    if request.method == "POST":
        note = Note.objects.create(
            title=request.POST["title"],
            body=request.POST.get("body", ""),
            format=request.POST.get("format", "markdown"),
            author=request.user,
        )
        cache.delete(STATS_KEY)
        return JsonResponse(_note_json(note), status=201)
    notes = Note.objects.select_related("author").prefetch_related("attachments")[:50]
    return JsonResponse({"notes": [_note_json(n) for n in notes]})


@login_required
@require_GET
def note_detail(request: HttpRequest, pk: int) -> JsonResponse:
    note = get_object_or_404(Note, pk=pk)
    VIEW_COUNTS[note.pk] += 1
    return JsonResponse(_note_json(note))


@login_required
@require_POST
def add_attachment(request: HttpRequest, pk: int) -> JsonResponse:
    note = get_object_or_404(Note, pk=pk)
    upload = request.FILES.get("file")
    if upload is None:
        return JsonResponse({"error": "send the file as `file`"}, status=400)
    attachment = Attachment.objects.create(note=note, file=upload)
    return JsonResponse({"id": attachment.pk, "name": attachment.file.name}, status=201)


@login_required
@require_GET
def download_attachment(request: HttpRequest, pk: int) -> HttpResponse:
    attachment = get_object_or_404(Attachment, pk=pk)
    return FileResponse(attachment.file.open("rb"), as_attachment=True)


def _compute_stats() -> dict[str, Any]:
    per_author = Note.objects.values("author__username").annotate(n=Count("id"))
    return {
        "notes": Note.objects.count(),
        "attachments": Attachment.objects.count(),
        "by_author": {row["author__username"]: row["n"] for row in per_author},
    }


@login_required
@require_GET
def stats(request: HttpRequest) -> JsonResponse:
    return JsonResponse(cache.get_or_set(STATS_KEY, _compute_stats, timeout=300))
