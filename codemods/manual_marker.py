"""Mark the sites a person must migrate, for what no rewrite can do safely.

Live objects (sockets, locks, file handles), local files without a clear path API, background
queues and registries this tool does not recognise get one comment line above the statement at
each given line, indented like it::

    # TODO(stateless): move the upload folder to blob storage — see `migrator playbook local_file`
    UPLOAD_DIR = Path("uploads")

Site lines are the lines of the file as it is now (`apply` scans the tree again before each
phase: the plan's numbers go stale once an earlier phase changed the file). A marker already
above the statement is not added again. A line that holds no statement is reported as a
warning and left alone. Nothing else in the file changes. `ascii_only` writes `-` for the dash,
for a file whose encoding (a `latin-1` cookie) has no `—`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TypeVar

import libcst as cst
from libcst.codemod import CodemodContext
from libcst.metadata import PositionProvider

from ._checked_codemod import CheckedCodemod

MARKER_PREFIX = "# TODO(stateless): "


@dataclass(frozen=True)
class MarkerSite:
    """One line of the file that needs a person, what to do there, and the playbook."""

    line: int
    what: str  # a short imperative sentence without a final full stop
    category: str


def marker_text(site: MarkerSite, ascii_only: bool = False) -> str:
    """The comment written above the site."""
    dash = "-" if ascii_only else "—"
    return f"{MARKER_PREFIX}{site.what} {dash} see `migrator playbook {site.category}`"


class ManualMarkerCodemod(CheckedCodemod):
    DESCRIPTION = "Add a manual-migration marker comment above each given site."
    METADATA_DEPENDENCIES = (PositionProvider,)

    def __init__(
        self, context: CodemodContext, sites: Sequence[MarkerSite], ascii_only: bool = False
    ) -> None:
        """`sites` are the lines of this file to mark."""
        super().__init__(context)
        self.sites = tuple(sites)
        self.ascii_only = ascii_only
        self.markers: dict[cst.CSTNode, list[str]] = {}
        self.statements: list[tuple[int, int, cst.CSTNode]] = []

    def visit_Module(self, node: cst.Module) -> None:
        self.tree = node

    def on_visit(self, node: cst.CSTNode) -> bool:
        if isinstance(node, (cst.SimpleStatementLine, cst.BaseCompoundStatement)):
            where = self.get_metadata(PositionProvider, node)
            self.statements.append((where.start.line, where.end.line, node))
        return super().on_visit(node)

    def leave_Module(self, original_node: cst.Module, updated_node: cst.Module) -> cst.Module:
        # Every statement's position is known only now; the markers go in a second pass.
        for site in self.sites:
            text = marker_text(site, self.ascii_only)
            statement = self._statement_at(site.line)
            if statement is None:
                self.warn(f"line {site.line}: no statement there to mark for {site.category}.")
                continue
            if text in self._markers_on(statement):
                continue
            texts = self.markers.setdefault(statement, [])
            if text not in texts:
                texts.append(text)
        # This codemod changes nothing else, so the tree as read is the one to mark.
        return cst.ensure_type(original_node.visit(_AddMarkers(self.markers)), cst.Module)

    def _statement_at(self, line: int) -> cst.CSTNode | None:
        containing = [s for s in self.statements if s[0] <= line <= s[1]]
        starting = [s for s in containing if s[0] == line]
        chosen = starting or containing
        if not chosen:
            return None
        # The innermost: the one that starts last, then the shortest.
        return max(chosen, key=lambda s: (s[0], -s[1]))[2]

    def _markers_on(self, statement: cst.CSTNode) -> set[str]:
        leading = list(getattr(statement, "leading_lines", ()))
        if self.tree.body and statement is self.tree.body[0]:
            # Comments above a module's first statement are parsed as the module's header.
            leading.extend(self.tree.header)
        for decorator in getattr(statement, "decorators", ()):
            leading.extend(decorator.leading_lines)
        return {line.comment.value for line in leading if line.comment}


_NodeT = TypeVar("_NodeT", bound=cst.CSTNode)


class _AddMarkers(cst.CSTTransformer):
    """Adds the chosen comments to statements of the tree as read (matched by identity)."""

    def __init__(self, markers: dict[cst.CSTNode, list[str]]) -> None:
        super().__init__()
        self.markers = markers

    def on_leave(
        self, original_node: _NodeT, updated_node: _NodeT
    ) -> _NodeT | cst.RemovalSentinel | cst.FlattenSentinel[_NodeT]:
        texts = self.markers.get(original_node)
        if not texts:
            return updated_node
        leading = list(getattr(updated_node, "leading_lines", ()))
        present = {line.comment.value for line in leading if line.comment}
        added = [cst.EmptyLine(comment=cst.Comment(t)) for t in texts if t not in present]
        return updated_node.with_changes(leading_lines=[*leading, *added])
