"""The notes project: a shared board of notes with attachments."""
