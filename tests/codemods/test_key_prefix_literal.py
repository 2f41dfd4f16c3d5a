"""Every framework switch writes the key prefix as a string literal, whatever it holds.

`[tool.migrator] key_prefix` comes from the target's own pyproject; pasted into source that is
then parsed, a crafted prefix became code that ran when the target's settings were imported.
"""

from __future__ import annotations

import ast

import libcst as cst
import pytest
from libcst.codemod import CodemodContext
from migrator.codemods.django_cache_backend import DjangoCacheBackendCodemod
from migrator.codemods.django_session_backend import DjangoSessionBackendCodemod
from migrator.codemods.flask_caching_backend import FlaskCachingBackendCodemod
from migrator.codemods.framework_backends import ConfigSwitchCodemod
from migrator.codemods.limiter_backend import LimiterBackendCodemod

CRAFTED = {
    "statement": 'x"; import os; os.system("echo pwned") #',
    "expression": 'x" + __import__("os").system("echo pwned") * "" + "',
    "quotes-and-newline": "x'\"\\\n__import__('os')",
}
DJANGO_SETTINGS = (
    'INSTALLED_APPS = ["shop"]\nSESSION_ENGINE = "django.contrib.sessions.backends.file"\n'
)
SOURCES = [
    pytest.param(
        FlaskCachingBackendCodemod,
        'class Config:\n    CACHE_TYPE = "SimpleCache"\n',
        id="flask-caching",
    ),
    pytest.param(DjangoCacheBackendCodemod, DJANGO_SETTINGS, id="django-default-cache"),
    pytest.param(
        DjangoCacheBackendCodemod,
        'INSTALLED_APPS = []\nCACHES = {"default": {"BACKEND": '
        '"django.core.cache.backends.locmem.LocMemCache"}}\n',
        id="django-locmem-cache",
    ),
    pytest.param(DjangoSessionBackendCodemod, DJANGO_SETTINGS, id="django-file-sessions"),
    pytest.param(
        LimiterBackendCodemod,
        "from flask_limiter import Limiter\nlimiter = Limiter(key_func, app=app)\n",
        id="flask-limiter",
    ),
]


@pytest.mark.parametrize("prefix", list(CRAFTED.values()), ids=list(CRAFTED))
@pytest.mark.parametrize(("codemod", "source"), SOURCES)
def test_the_key_prefix_is_a_string_constant_and_calls_nothing(
    codemod: type[ConfigSwitchCodemod], source: str, prefix: str
) -> None:
    code = codemod(CodemodContext(), None, prefix).transform_module(cst.parse_module(source)).code

    tree = ast.parse(code)
    constants = [n.value for n in ast.walk(tree) if isinstance(n, ast.Constant)]
    assert prefix in constants, code
    called = {ast.unparse(n.func) for n in ast.walk(tree) if isinstance(n, ast.Call)}
    assert not {"__import__", "os.system"} & called, code
