"""Turns note bodies into HTML; rendering is memoised because the board page renders every note."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable
from html import escape

__all__ = ["FORMATTERS", "formatter", "render_body"]

Formatter = Callable[[str], str]

FORMATTERS: dict[str, Formatter] = {}
LINK_SCHEMES = ("http://", "https://", "mailto:")

_RENDER_CACHE: dict[str, str] = {}


def formatter(name: str) -> Callable[[Formatter], Formatter]:
    """Register the decorated function as the formatter for note format `name`."""

    def register(func: Formatter) -> Formatter:
        FORMATTERS[name] = func
        return func

    return register


@formatter("plain")
def render_plain(text: str) -> str:
    return "<p>" + escape(text).replace("\n", "<br>") + "</p>"


def _link(match: re.Match[str]) -> str:
    label, url = match.group(1), match.group(2)
    if not url.startswith(LINK_SCHEMES):
        return label
    return f'<a href="{url}" rel="nofollow">{label}</a>'


@formatter("markdown")
def render_markdown(text: str) -> str:
    html_lines = []
    for line in escape(text, quote=False).splitlines():
        line = re.sub(r"\*\*(.+?)\*\*", r"<strong>\1</strong>", line)
        line = re.sub(r"\[(.+?)\]\((\S+?)\)", _link, line)
        if line.startswith("# "):
            html_lines.append(f"<h2>{line[2:]}</h2>")
        elif line.strip():
            html_lines.append(f"<p>{line}</p>")
    return "\n".join(html_lines)


def render_body(text: str, fmt: str) -> str:
    """HTML for a note body in format `fmt`; the same text is rendered once per process."""
    key = fmt + ":" + hashlib.sha1(text.encode()).hexdigest()
    html = _RENDER_CACHE.get(key)
    if html is None:
        html = FORMATTERS[fmt](text)
        _RENDER_CACHE[key] = html
    return html
