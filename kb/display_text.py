"""User text shown to a person: control characters made visible, long quotes cut short.

A name or prompt may hold any character (a tag scraped with an ESC in it, a prompt pasted with NULs).
Written raw to a terminal, ESC starts an escape sequence (colours, cursor moves, a new window
title), BEL rings, NUL and the C1 controls do what the terminal makes of them, U+202E reverses
the line's direction; so wherever such text is shown, each of these characters is written as a
visible `\\uXXXX` escape instead (the one style for all of them: it is also a valid JSON string
escape, so JSON printed through `visible_controls` still reads back to the exact text).
"""

from __future__ import annotations

import re

# C0 controls, DEL, C1 controls, the line and paragraph separators, the bidirectional embeddings,
# overrides and isolates (they reorder what a terminal shows), and lone surrogates (undecodable
# bytes as Python carries them: not printable, and no encoder writes them).
_SHOWN_ESCAPED = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069\ud800-\udfff]")
ELLIPSIS = "…"


def visible_controls(text: str, *, keep: str = "") -> str:
    """`text` with each control character written as `\\uXXXX` (`\\u001b` for ESC), except those in
    `keep` (e.g. "\\n" for text shown on several lines)."""

    def escape(match: re.Match[str]) -> str:
        character = match.group(0)
        return character if character in keep else f"\\u{ord(character):04x}"

    return _SHOWN_ESCAPED.sub(escape, text)


def has_controls(text: str) -> bool:
    """Does `text` hold a character `visible_controls` would escape?"""
    return _SHOWN_ESCAPED.search(text) is not None


def quoted(text: str, limit: int = 60) -> str:
    """`repr(text)` for a message, cut short as `shortened` does: `'((((((…))))'`."""
    return repr(shortened(text, limit))


def shortened(text: str, limit: int = 60) -> str:
    """`text` when at most `limit` characters, else its start and end around "…" (`limit` long in all):
    a message quoting a tag stays one line however long the tag is."""
    if len(text) <= limit:
        return text
    tail = limit // 3
    return text[: limit - tail - 1] + ELLIPSIS + text[len(text) - tail :]
