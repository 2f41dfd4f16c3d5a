"""Emoji shortcodes understood in messages."""

from __future__ import annotations

import re

EMOJI = {
    ":smile:": "\U0001f604",
    ":tada:": "\U0001f389",
    ":thumbsup:": "\U0001f44d",
    ":coffee:": "\u2615",
    ":fire:": "\U0001f525",
}

_SHORTCODE = re.compile(r":[a-z_]+:")


def replace_shortcodes(text: str) -> str:
    """Replace known :shortcodes: with their emoji; unknown ones stay as typed."""
    return _SHORTCODE.sub(lambda m: EMOJI.get(m.group(0), m.group(0)), text)
