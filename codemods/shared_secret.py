"""Read the signing key every replica shares, where the process made its own at start-up.

At the line the scan names, each call that makes a random secret becomes a read of
`STATELESS_SECRET_KEY` that falls back to the call::

    app.secret_key = secrets.token_hex(16)
    # becomes
    app.secret_key = os.environ.get("STATELESS_SECRET_KEY") or secrets.token_hex(16)

`secrets.token_hex` and `secrets.token_urlsafe` give text; `secrets.token_bytes` and
`os.urandom` give bytes, so their read is `os.fsencode(os.environ.get(..., ""))`. Merging
changes nothing while the variable is unset; once every replica has the same value, they sign
cookies and tokens alike and a restart no longer logs everyone out. Refuses (nothing written)
when the line holds no such call: a key made elsewhere and passed in is moved by hand.
"""

from __future__ import annotations

import libcst as cst
from libcst.codemod import CodemodContext, SkipFile
from libcst.metadata import ParentNodeProvider, QualifiedNameProvider

from ._checked_codemod import CheckedCodemod

VARIABLE = "STATELESS_SECRET_KEY"
# What each random source returns: the shared key is read as the same type.
TEXT_SOURCES = frozenset({"secrets.token_hex", "secrets.token_urlsafe"})
BYTES_SOURCES = frozenset({"secrets.token_bytes", "os.urandom"})


class SharedSecretCodemod(CheckedCodemod):
    DESCRIPTION = "Read a shared signing key from STATELESS_SECRET_KEY before making one."
    METADATA_DEPENDENCIES = (
        *CheckedCodemod.METADATA_DEPENDENCIES,
        QualifiedNameProvider,
        ParentNodeProvider,
    )

    def __init__(self, context: CodemodContext, line: int) -> None:
        """`line`: the 1-based line of the finding, where the key is made."""
        super().__init__(context)
        self.line = line
        self.rewritten = 0

    def leave_Call(self, original_node: cst.Call, updated_node: cst.Call) -> cst.BaseExpression:
        if self.line_of(original_node) != self.line:
            return updated_node
        names = {q.name for q in self.get_metadata(QualifiedNameProvider, original_node.func, ())}
        if names & TEXT_SOURCES:
            shared = f'os.environ.get("{VARIABLE}")'
        elif names & BYTES_SOURCES:
            shared = f'os.fsencode(os.environ.get("{VARIABLE}", ""))'
        else:
            return updated_node
        self.rewritten += 1
        self.add_needed_import("os")
        # `a or b` binds looser than the places a call sits in (`secret or f()`, `f().hex()`);
        # only a whole assigned or returned value needs no parentheses.
        whole = isinstance(
            self.get_metadata(ParentNodeProvider, original_node), (cst.Assign, cst.AnnAssign, cst.Return)
        )
        return cst.BooleanOperation(
            left=cst.parse_expression(shared),
            operator=cst.Or(),
            right=updated_node,
            lpar=[] if whole else [cst.LeftParen()],
            rpar=[] if whole else [cst.RightParen()],
        )

    def leave_Module(self, original_node: cst.Module, updated_node: cst.Module) -> cst.Module:
        if not self.rewritten:
            raise SkipFile(
                f"line {self.line}: no `secrets.token_*()` or `os.urandom()` call makes the key "
                "here; read it from the environment by hand"
            )
        return updated_node



class PinSharedSecretCodemod(CheckedCodemod):
    """The cleanup of `SharedSecretCodemod`, once every replica has the key: the fallback that
    made a key per process goes, so a replica started without it stops at once (KeyError)::

        os.environ.get("STATELESS_SECRET_KEY") or secrets.token_hex(16)
        # becomes
        os.environ["STATELESS_SECRET_KEY"]
    """

    DESCRIPTION = "Drop the per-process fallback of STATELESS_SECRET_KEY."

    def __init__(self, context: CodemodContext) -> None:
        super().__init__(context)
        self.pinned = 0

    def leave_BooleanOperation(
        self, original_node: cst.BooleanOperation, updated_node: cst.BooleanOperation
    ) -> cst.BaseExpression:
        if not isinstance(updated_node.operator, cst.Or):
            return updated_node
        left = cst.Module(body=[]).code_for_node(updated_node.left)
        if left == f'os.environ.get("{VARIABLE}")':
            shared = f'os.environ["{VARIABLE}"]'
        elif left == f'os.fsencode(os.environ.get("{VARIABLE}", ""))':
            shared = f'os.fsencode(os.environ["{VARIABLE}"])'
        else:
            return updated_node
        self.pinned += 1
        self.remove_unused_import_by_node(original_node.right)
        return cst.parse_expression(shared).with_changes(
            lpar=updated_node.lpar, rpar=updated_node.rpar
        )
