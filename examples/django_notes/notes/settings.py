"""Settings for the notes project."""

import os
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent
DATA_DIR = Path(os.environ.get("NOTES_DATA_DIR", "/var/lib/notes"))

SECRET_KEY = os.environ.get("NOTES_SECRET_KEY", "django-insecure-notes-dev-key")
DEBUG = os.environ.get("NOTES_DEBUG") == "1"
ALLOWED_HOSTS = ["localhost", "127.0.0.1", "testserver", ".notes.internal"]

INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "notes.board",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
]

ROOT_URLCONF = "notes.urls"
WSGI_APPLICATION = "notes.wsgi.application"

DATABASES = {
    "default": {
        "ENGINE": os.environ.get("NOTES_DB_ENGINE", "django.db.backends.sqlite3"),
        "NAME": os.environ.get("NOTES_DB_NAME", str(BASE_DIR / "notes.sqlite3")),
        "USER": os.environ.get("NOTES_DB_USER", ""),
        "PASSWORD": os.environ.get("NOTES_DB_PASSWORD", ""),
        "HOST": os.environ.get("NOTES_DB_HOST", ""),
    }
}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# Sessions as files: survives restarts, and needs no table.
SESSION_ENGINE = "django.contrib.sessions.backends.file"
SESSION_FILE_PATH = str(DATA_DIR / "sessions")
SESSION_COOKIE_AGE = 14 * 24 * 3600

MEDIA_URL = "/media/"
MEDIA_ROOT = DATA_DIR / "media"
FILE_UPLOAD_MAX_MEMORY_SIZE = 2 * 1024 * 1024

LOGIN_URL = "/login/"
USE_TZ = True
TIME_ZONE = "Europe/Berlin"
