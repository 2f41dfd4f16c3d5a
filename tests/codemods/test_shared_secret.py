"""SharedSecretCodemod: a signing key made at start-up is read from STATELESS_SECRET_KEY first."""

from libcst.codemod import CodemodTest, SkipFile
from migrator.codemods.shared_secret import PinSharedSecretCodemod, SharedSecretCodemod


class SharedSecretTest(CodemodTest):
    TRANSFORM = SharedSecretCodemod

    def test_a_text_key_assigned_whole(self) -> None:
        before = """
            import secrets

            from flask import Flask


            def create_app():
                app = Flask(__name__)
                app.secret_key = secrets.token_hex(16)
                return app
        """
        after = """
            import secrets

            from flask import Flask
            import os


            def create_app():
                app = Flask(__name__)
                app.secret_key = os.environ.get("STATELESS_SECRET_KEY") or secrets.token_hex(16)
                return app
        """
        self.assertCodemod(before, after, line=8)

    def test_a_fallback_inside_an_expression_keeps_its_meaning(self) -> None:
        before = """
            import secrets
            from secrets import token_urlsafe


            class Service:
                def __init__(self, secret=None):
                    self._secret = secret or secrets.token_hex(32)
                    self._salt = token_urlsafe(8).upper()
        """
        after = """
            import secrets
            from secrets import token_urlsafe
            import os


            class Service:
                def __init__(self, secret=None):
                    self._secret = secret or (os.environ.get("STATELESS_SECRET_KEY") or secrets.token_hex(32))
                    self._salt = token_urlsafe(8).upper()
        """
        self.assertCodemod(before, after, line=7)

    def test_a_bytes_key_reads_bytes(self) -> None:
        before = """
            import os

            SECRET_KEY: bytes = os.urandom(24)
        """
        after = """
            import os

            SECRET_KEY: bytes = os.fsencode(os.environ.get("STATELESS_SECRET_KEY", "")) or os.urandom(24)
        """
        self.assertCodemod(before, after, line=3)

    def test_refuses_a_line_that_does_not_make_the_key(self) -> None:
        before = """
            import secrets

            KEY = secrets.token_hex(16)
            SECRET_KEY = KEY
        """
        with self.assertRaises(SkipFile) as raised:
            self.assertCodemod(before, before, line=4)
        self.assertIn("line 4: no `secrets.token_*()` or `os.urandom()` call", str(raised.exception))


class PinSharedSecretTest(CodemodTest):
    TRANSFORM = PinSharedSecretCodemod

    def test_the_fallback_goes_once_every_replica_has_the_key(self) -> None:
        before = """
            import os
            import secrets

            SECRET_KEY = os.environ.get("STATELESS_SECRET_KEY") or secrets.token_hex(16)
            SALT = os.fsencode(os.environ.get("STATELESS_SECRET_KEY", "")) or os.urandom(8)
            OTHER = os.environ.get("OTHER") or secrets.token_hex(16)


            def make(secret=None):
                return secret or (os.environ.get("STATELESS_SECRET_KEY") or secrets.token_hex(32))
        """
        after = """
            import os
            import secrets

            SECRET_KEY = os.environ["STATELESS_SECRET_KEY"]
            SALT = os.fsencode(os.environ["STATELESS_SECRET_KEY"])
            OTHER = os.environ.get("OTHER") or secrets.token_hex(16)


            def make(secret=None):
                return secret or (os.environ["STATELESS_SECRET_KEY"])
        """
        self.assertCodemod(before, after)
