"""Switch Flask-Session from files on the local disk to its own Redis backend.

Rewrites `SESSION_TYPE` wherever it is set to `"filesystem"` (config class or module
attributes, `app.config[...]`, `config.update(...)`, `from_mapping(...)`, config dicts)::

    SESSION_TYPE = "filesystem"
    # becomes
    SESSION_TYPE = "redis" if _session_type_on_redis else "filesystem"
    SESSION_REDIS = redis.from_url(os.environ.get("STATELESS_REDIS_URL", ...))

`SESSION_REDIS` is added beside each switched site that lacks one; the client connects on first
use, so it costs nothing while the old backend runs. Switching logs every user out once unless
the old session files are copied (the `server_session_config` playbook says how). Leaves alone
other backends and values it cannot read.
"""

from __future__ import annotations

from .framework_backends import REDIS_URL, ConfigKeySwitchCodemod


class FlaskSessionBackendCodemod(ConfigKeySwitchCodemod):
    DESCRIPTION = "Switch Flask-Session SESSION_TYPE from filesystem to redis."
    FLAG = "SESSION_TYPE"
    KEYS = ("SESSION_TYPE",)
    OLD_VALUES = frozenset({"filesystem"})
    NEW_VALUE = '"redis"'
    COMPANIONS = (("SESSION_REDIS", f"redis.from_url({REDIS_URL})"),)
    IMPORTS = ("redis",)
