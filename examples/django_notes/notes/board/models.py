"""Notes and the files attached to them."""

from __future__ import annotations

from django.conf import settings
from django.db import models


class Note(models.Model):
    FORMAT_CHOICES = [("plain", "Plain text"), ("markdown", "Markdown")]

    title = models.CharField(max_length=200)
    body = models.TextField()
    format = models.CharField(max_length=16, choices=FORMAT_CHOICES, default="markdown")
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notes"
    )
    created = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created", "-id"]

    def __str__(self) -> str:
        return self.title


class Attachment(models.Model):
    note = models.ForeignKey(Note, on_delete=models.CASCADE, related_name="attachments")
    file = models.FileField(upload_to="attachments/%Y/%m/")
    uploaded = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return self.file.name
