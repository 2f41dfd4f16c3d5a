from django.apps import AppConfig


class BoardConfig(AppConfig):
    name = "notes.board"
    label = "board"
    verbose_name = "Notes board"
