"""CeleryResultBackendCodemod: cache+memory:// result backends switch to Redis."""

from libcst.codemod import CodemodTest
from migrator.codemods.celery_result_backend import CeleryResultBackendCodemod


class CeleryResultBackendTest(CodemodTest):
    TRANSFORM = CeleryResultBackendCodemod

    def rewrites(self, before: str, after: str) -> None:
        self.assertCodemod(before, after)
        self.assertCodemod(after, after, expected_warnings=[])

    def test_rpc_and_redis_backends_are_unchanged(self) -> None:
        source = """
            from celery import Celery

            app = Celery("tasks", broker="memory://", backend="rpc://")
            app.conf.result_backend = "redis://cache:6379/2"
        """
        self.assertCodemod(source, source, expected_warnings=[])

    def test_constructor_and_conf_attribute(self) -> None:
        self.rewrites(
            """
            import os

            from celery import Celery

            app = Celery(
                "tasks",
                broker=os.environ["BROKER_URL"],
                backend="cache+memory://",
            )
            app.conf.result_backend = "cache+memory://"
            """,
            """
            import os

            from celery import Celery

            # Migration switch, read at start-up: off keeps the old backend, complete uses Redis.
            _result_backend_on_redis = (
                os.environ.get("STATELESS_RESULT_BACKEND", os.environ.get("STATELESS_MODE", "off"))
                == "complete"
            )

            app = Celery(
                "tasks",
                broker=os.environ["BROKER_URL"],
                backend=(
                    os.environ.get("STATELESS_REDIS_URL", "redis://127.0.0.1:6379/0")
                    if _result_backend_on_redis
                    else "cache+memory://"
                ),
            )
            app.conf.result_backend = (
                os.environ.get("STATELESS_REDIS_URL", "redis://127.0.0.1:6379/0")
                if _result_backend_on_redis
                else "cache+memory://"
            )
            """,
        )

    def test_django_settings_key(self) -> None:
        self.rewrites(
            """
            CELERY_BROKER_URL = "redis://broker:6379/0"
            CELERY_RESULT_BACKEND = "cache+memory://"
            """,
            """
            import os

            # Migration switch, read at start-up: off keeps the old backend, complete uses Redis.
            _result_backend_on_redis = (
                os.environ.get("STATELESS_RESULT_BACKEND", os.environ.get("STATELESS_MODE", "off"))
                == "complete"
            )

            CELERY_BROKER_URL = "redis://broker:6379/0"
            CELERY_RESULT_BACKEND = (
                os.environ.get("STATELESS_REDIS_URL", "redis://127.0.0.1:6379/0")
                if _result_backend_on_redis
                else "cache+memory://"
            )
            """,
        )
