"""Switch a Celery result backend held in process memory to Redis.

Rewrites the result backend wherever it is `"cache+memory://"` (`Celery(..., backend=...)`,
`app.conf.result_backend = ...`, `app.conf.update(result_backend=...)`, a `celeryconfig`
module's `result_backend`, Django settings' `CELERY_RESULT_BACKEND`, config dicts)::

    result_backend = "cache+memory://"
    result_backend = os.environ.get("STATELESS_REDIS_URL", ...) if _result_backend_on_redis else "cache+memory://"

Leaves alone backends that are already shared or carry no state between processes (`rpc://`
sends results back over the broker), no backend at all, and the broker itself.
"""

from __future__ import annotations

from .framework_backends import REDIS_URL, ConfigKeySwitchCodemod


class CeleryResultBackendCodemod(ConfigKeySwitchCodemod):
    DESCRIPTION = "Switch a Celery cache+memory:// result backend to Redis."
    FLAG = "RESULT_BACKEND"
    KEYS = ("backend", "result_backend", "CELERY_RESULT_BACKEND")
    OLD_VALUES = frozenset({"cache+memory://", "cache+memory"})
    NEW_VALUE = REDIS_URL
