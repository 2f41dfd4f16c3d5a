"""Manual-review markers for a component a person must move, placed at today's lines.

A marker goes above the definition and above each site that changes the component (write,
delete, mutate), at the lines of a fresh scan. A site in a file `apply` never edits (vendored
code, a migration, a release script, a test) gets no marker: the reason is returned instead,
for the component's entry in the commit message.
"""

from __future__ import annotations

import libcst as cst
from libcst.codemod import CodemodContext, SkipFile

from migrator.apply.layout import TargetLayout
from migrator.apply.text_files import encoding_of, read_source
from migrator.codemods.manual_marker import ManualMarkerCodemod, MarkerSite
from migrator.model import Finding

CHANGING = ("write", "delete", "mutate")


def marker_sites(finding: Finding) -> list[tuple[str, int]]:
    """(path, line) of the definition and of each site that changes the component."""
    sites = [(finding.path, finding.line)]
    sites += [(e.path, e.line) for e in finding.evidence if e.access in CHANGING]
    return list(dict.fromkeys(sites))


def place_markers(layout: TargetLayout, finding: Finding, current: dict[str, str]) -> list[str]:
    """Mark `finding` in `current` (new texts by path, updated in place); the reasons some of
    its sites were left unmarked."""
    what = f"`{finding.symbol}` ({finding.category.replace('_', ' ')}) must be moved by hand"
    by_path: dict[str, list[MarkerSite]] = {}
    skipped: list[str] = []
    for path, line in marker_sites(finding):
        why = layout.why_not_editable(path)
        if why is not None:
            skipped.append(why)
            continue
        by_path.setdefault(path, []).append(MarkerSite(line, what, finding.category))
    for path, sites in by_path.items():
        file = layout.root / path
        try:
            source = current[path] if path in current else read_source(file)
        except (OSError, ValueError):
            continue  # the plan still lists the component as manual
        ascii_only = encoding_of(file, source) != "utf-8"
        codemod = ManualMarkerCodemod(CodemodContext(filename=str(file)), sites, ascii_only)
        try:
            marked = codemod.transform_module(cst.parse_module(source.removeprefix("\ufeff")))
        except (cst.ParserSyntaxError, SkipFile):
            continue
        current[path] = ("\ufeff" if source.startswith("\ufeff") else "") + marked.code
    return list(dict.fromkeys(skipped))
