"""The base of every codemod here: output that does not compile is never returned.

A subclass reports what it will not rewrite through `refuse`, one whole sentence a site,
which libcst hands back as the run's warnings.
"""

from __future__ import annotations

from collections.abc import Collection
from typing import ClassVar

import libcst as cst
from libcst.codemod import SkipFile, VisitorBasedCodemodCommand
from libcst.metadata import PositionProvider, ProviderT


class CheckedCodemod(VisitorBasedCodemodCommand):
    """A visitor codemod whose result is re-parsed and compiled before it is returned.

    A result that fails raises `SkipFile` with the reason, so the caller writes nothing.
    """

    # Typed as libcst's base does, so that subclasses may ask for more providers.
    METADATA_DEPENDENCIES: ClassVar[Collection[ProviderT]] = (PositionProvider,)

    def transform_module(self, tree: cst.Module) -> cst.Module:
        result = super().transform_module(tree)
        if result.code == tree.code:
            return result
        name = self.context.filename or "<module>"
        try:
            cst.parse_module(result.code)
            compile(result.code, name, "exec", dont_inherit=True)
        except (cst.ParserSyntaxError, SyntaxError, ValueError) as error:
            raise SkipFile(
                f"{type(self).__name__} produced code that does not compile in {name} "
                f"({error}); nothing was written."
            ) from error
        return result

    def line_of(self, node: cst.CSTNode) -> int:
        """The 1-based line where `node` starts in the file as read."""
        return self.get_metadata(PositionProvider, node).start.line

    def refuse(self, node: cst.CSTNode, reason: str) -> None:
        """Record that the site at `node` is left as it is, and why."""
        self.warn(f"line {self.line_of(node)}: left unchanged: {reason}")
