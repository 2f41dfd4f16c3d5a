"""session_store: module-level maps of session id, token or login -> user data.

Looks for: a dict (or defaultdict) changed while serving whose name says it holds
sessions, tokens, logins or users by id. Ignores: the framework's own `session`
proxy (that is configuration, see server_session_config), constant tables.
"""

from __future__ import annotations

import re

from migrator.inventory.detectors import Claim, ContainerDetector, register
from migrator.inventory.detectors._shapes import container_kind, details
from migrator.inventory.symbols import Component, Project

SESSION_NAME = re.compile(
    r"session|sess\b|sid\b|token|login|logged_in|credential|api_key|apikey|csrf|nonce|otp|"
    r"remember|jwt|oauth|active_users|online_users|current_user"
)


@register
class SessionStoreDetector(ContainerDetector):
    category = "session_store"
    priority = 50
    STATE = (
        "SESSIONS = {}\n\ndef login(sid, user):\n    SESSIONS[sid] = {'user': user, 'cart': []}\n\n"
        "def logout(sid):\n    SESSIONS.pop(sid, None)\n",
        "_tokens = {}\n\ndef issue(user, token):\n    _tokens[token] = user\n",
    )
    NOT_STATE = (
        "SESSION_COOKIE_NAME = 'sid'\n\ndef cookie():\n    return SESSION_COOKIE_NAME\n",
        "TOKEN_TYPES = {'bearer': 1}\n\ndef kind(t):\n    return TOKEN_TYPES.get(t)\n",
    )

    def claim(self, comp: Component, project: Project) -> Claim | None:
        container = container_kind(comp.binding)
        if container not in ("dict", "defaultdict", "ordereddict", "weakvaluedictionary"):
            return None
        if not SESSION_NAME.search(comp.symbol.rpartition(".")[2].lower()):
            return None
        nested = any(d.startswith("nested") for d in details(comp))
        why = "it maps session ids or tokens to user data"
        if nested:
            why += ", and its values are changed in place (a read-modify-write once in a store)"
        serves = any(project.serves(s) for s in comp.changes)
        return Claim("high" if serves else "medium", why, "dict")
