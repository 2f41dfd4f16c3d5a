"""local_file: a database that is a file on the machine, by the service's own settings.

Looks for: Django `DATABASES` on `django.db.backends.sqlite3`, and database URLs
(`SQLALCHEMY_DATABASE_URI`, `DATABASE_URL`, ...) that are `sqlite:` files, whether
that is the only value or the fallback when an environment variable is unset. Every
replica would open its own file: rows written on one are missing on the others, and a
replaced machine loses them. Ignores: in-memory SQLite, settings modules for tests and CI.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from migrator.inventory.detectors import ProjectDetector, finding, register
from migrator.inventory.detectors._settings import TEST_SETTINGS, with_named_values
from migrator.inventory.extract import strings_in
from migrator.inventory.facts import ConfigItem, ModuleFacts
from migrator.inventory.symbols import Project
from migrator.model import Evidence, Finding

# Keys whose value is a database URL by the convention of Flask-SQLAlchemy, Alembic, twelve-factor.
DATABASE_URL_KEY = re.compile(r"(^|_)(DATABASE|DB|SQLALCHEMY)_(URL|URI|DSN)$|^SQLALCHEMY_DATABASE_URI$")


@register
class LocalDatabaseDetector(ProjectDetector):
    category = "local_file"
    STATE = (
        "import os\nSQLALCHEMY_DATABASE_URI = os.environ.get('DATABASE_URL') or 'sqlite:///app.db'\n",
        "INSTALLED_APPS = []\nROOT_URLCONF = 'urls'\nDATABASES = {'default': {'ENGINE': "
        "'django.db.backends.sqlite3', 'NAME': 'db.sqlite3'}}\n",
    )
    NOT_STATE = (
        "SQLALCHEMY_DATABASE_URI = 'sqlite:///:memory:'\n",
        "INSTALLED_APPS = []\nROOT_URLCONF = 'urls'\nDATABASES = {'default': {'ENGINE': "
        "'django.db.backends.postgresql', 'NAME': 'shop'}}\n",
    )

    def detect(self, project: Project) -> Iterable[Finding]:
        for facts in project.by_module.values():
            if TEST_SETTINGS.search(facts.path):
                continue
            for item in facts.config:
                if item.key == "DATABASES" or DATABASE_URL_KEY.search(item.key):
                    found = self._sqlite(facts, item)
                    if found is not None:
                        yield found

    def _sqlite(self, facts: ModuleFacts, item: ConfigItem) -> Finding | None:
        strings = [s for v in with_named_values(item.value, facts) for s in strings_in(v)]
        sqlite = [s for s in strings if "sqlite" in s.lower()]
        if not sqlite or any(":memory:" in s for s in strings):
            return None
        fallback = item.value[0] == "alts" or any(
            s.isupper() and s.endswith(("URL", "URI", "DSN", "ENGINE")) for s in strings
        )
        how = (
            "falls back to an SQLite file when its environment variable is unset"
            if fallback
            else "is an SQLite file"
        )
        return finding(
            self.category,
            symbol=item.key,
            qualname=f"{facts.module}.{item.key}",
            path=facts.path,
            line=item.line,
            confidence="medium" if fallback else "high",
            message=(
                f"The database in `{item.key}` {how}: every replica opens its own file, so rows "
                "written on one are missing on the others, and a replaced machine loses them. "
                "Point it at a shared PostgreSQL (`migrator playbook local_file`)."
            ),
            evidence=(Evidence(facts.path, item.line, "write", "config"),),
            kind="local_database",
            automation="manual",
            store="postgres",
            store_reason="a database server every replica connects to; SQLite is one file on one disk",
            detector=type(self).__name__,
        )
