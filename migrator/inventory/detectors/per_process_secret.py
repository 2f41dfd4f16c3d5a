"""other: a signing secret that each process makes for itself at start-up.

Looks for: a secret setting or attribute (`SECRET_KEY`, `app.secret_key`,
`cookie_secret=`, `self._secret`) whose value is, or falls back to, a random value made
when the process starts (`os.urandom`, `secrets.token_hex`, `uuid4`). Every replica then
signs cookies and tokens with its own key: a user whose next request reaches another
replica is logged out, and a restart logs everyone out. Ignores: secrets read from the
environment or a file with no random fallback, random values that sign nothing.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from migrator.inventory.detectors import ProjectDetector, finding, register
from migrator.inventory.detectors._settings import with_named_values
from migrator.inventory.extract import calls_in
from migrator.inventory.facts import Summary
from migrator.inventory.symbols import Project
from migrator.model import Evidence, Finding

# Framework settings that sign sessions and tokens, and attributes that hold such a key.
SECRET_NAME = re.compile(r"secret|signing_key|_salt$", re.IGNORECASE)
RANDOM_SOURCES = frozenset(
    """os.urandom secrets.token_hex secrets.token_bytes secrets.token_urlsafe uuid.uuid4
    uuid.uuid1 random.getrandbits random.random cryptography.fernet.Fernet.generate_key
    Fernet.generate_key""".split()
)


@register
class PerProcessSecretDetector(ProjectDetector):
    category = "other"
    STATE = (
        "import os\nSECRET_KEY = os.environ.get('SECRET_KEY') or os.urandom(32)\n",
        "import secrets\nfrom flask import Flask\n\ndef create_app():\n    app = Flask(__name__)\n"
        "    app.secret_key = secrets.token_hex(16)\n    return app\n",
    )
    NOT_STATE = (
        "import os\nSECRET_KEY = os.environ['SECRET_KEY']\n",
        "import uuid\nINSTANCE_ID = uuid.uuid4().hex\n",
    )

    def detect(self, project: Project) -> Iterable[Finding]:
        seen: set[tuple[str, int]] = set()
        for module, facts in project.by_module.items():
            places: list[tuple[str, int, Summary]] = [
                (item.key, item.line, item.value) for item in facts.config
            ]
            places += [
                (b.name, b.line, b.value)
                for b in facts.bindings
                if b.kind not in ("function", "class")
            ]
            places += [(slot.display, slot.line, slot.value) for slot in facts.app_slots]
            places += [
                (key, call.line, value) for call in facts.calls for key, value in call.kwargs
            ]
            for symbol, line, value in places:
                if not SECRET_NAME.search(symbol) or (facts.path, line) in seen:
                    continue  # the cheap test first: most names say nothing of secrets
                names = re.findall(r"\w+", symbol)
                if not SECRET_NAME.search(names[-1] if names else symbol):
                    continue
                made = [
                    c
                    for v in with_named_values(value, facts)
                    for c in calls_in(v)
                    if c in RANDOM_SOURCES
                ]
                if not made:
                    continue
                seen.add((facts.path, line))
                yield finding(
                    self.category,
                    symbol=symbol,
                    qualname=f"{module}.{symbol}",
                    path=facts.path,
                    line=line,
                    confidence="high",
                    message=(
                        f"`{symbol}` is made with `{made[0]}()` when the process starts (when no "
                        "key is configured): every replica signs cookies and tokens with its own "
                        "key, so a user whose next request reaches another replica is logged out, "
                        "and so is everyone at each restart. Read one key, shared by every "
                        "replica, from the environment (`migrator playbook other`)."
                    ),
                    evidence=(Evidence(facts.path, line, "write", "random secret"),),
                    kind="per_process_secret",
                    automation="config",
                    store="env",
                    store_reason="a secret is configuration: one value from the environment or a "
                    "secret manager, the same on every replica",
                    detector=type(self).__name__,
                )
