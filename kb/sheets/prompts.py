"""The positive prompt of one cell: the base prompt with the row's style put in its slot.

A base prompt with a `{style}` marker gets the style exactly there (the baseline drops the
marker and the comma beside it). Without a marker the style goes where AIDXL assembly puts
art styles: first (the card's order, strongest), or appended at the end on request (gentler).
The style text is kept exactly as pasted, weights included, so the prompt matches the label.
"""

from __future__ import annotations

import re

STYLE_SLOT = "{style}"
_EMPTY_SLOT = re.compile(r"\s*,\s*\{style\}|\{style\}\s*,\s*|\{style\}")
_SPACE_RUN = re.compile(r"[ \t]+")


def build_cell_prompt(base_prompt: str, style: str | None, *, position: str = "first") -> str:
    base = base_prompt.strip()
    if STYLE_SLOT in base:
        if style is None:
            return _SPACE_RUN.sub(" ", _EMPTY_SLOT.sub("", base, count=1)).strip(" ,")
        return base.replace(STYLE_SLOT, style.strip(), 1)
    if style is None:
        return base
    parts = [style.strip(), base] if position == "first" else [base, style.strip()]
    return ", ".join(part for part in parts if part)
