"""FlaskSessionBackendCodemod: SESSION_TYPE filesystem switches to redis behind a flag."""

from libcst.codemod import CodemodTest
from migrator.codemods.flask_session_backend import FlaskSessionBackendCodemod


class FlaskSessionBackendTest(CodemodTest):
    TRANSFORM = FlaskSessionBackendCodemod

    def rewrites(self, before: str, after: str) -> None:
        self.assertCodemod(before, after)
        self.assertCodemod(after, after, expected_warnings=[])

    def test_other_session_types_are_unchanged(self) -> None:
        source = """
            SESSION_TYPE = "redis"
            app.config["SESSION_TYPE"] = "sqlalchemy"
        """
        self.assertCodemod(source, source, expected_warnings=[])

    def test_module_settings(self) -> None:
        self.rewrites(
            """
            SESSION_TYPE = "filesystem"
            SESSION_FILE_DIR = "/tmp/sessions"
            """,
            """
            import os
            import redis

            # Migration switch, read at start-up: off keeps the old backend, complete uses Redis.
            _session_type_on_redis = (
                os.environ.get("STATELESS_SESSION_TYPE", os.environ.get("STATELESS_MODE", "off"))
                == "complete"
            )

            SESSION_TYPE = "redis" if _session_type_on_redis else "filesystem"
            SESSION_REDIS = redis.from_url(os.environ.get("STATELESS_REDIS_URL", "redis://127.0.0.1:6379/0"))
            SESSION_FILE_DIR = "/tmp/sessions"
            """,
        )

    def test_app_config_item(self) -> None:
        self.rewrites(
            """
            from flask import Flask
            from flask_session import Session

            app = Flask(__name__)
            app.config["SESSION_TYPE"] = "filesystem"
            Session(app)
            """,
            """
            from flask import Flask
            from flask_session import Session
            import os
            import redis

            # Migration switch, read at start-up: off keeps the old backend, complete uses Redis.
            _session_type_on_redis = (
                os.environ.get("STATELESS_SESSION_TYPE", os.environ.get("STATELESS_MODE", "off"))
                == "complete"
            )

            app = Flask(__name__)
            app.config["SESSION_TYPE"] = "redis" if _session_type_on_redis else "filesystem"
            app.config["SESSION_REDIS"] = redis.from_url(os.environ.get("STATELESS_REDIS_URL", "redis://127.0.0.1:6379/0"))
            Session(app)
            """,
        )
