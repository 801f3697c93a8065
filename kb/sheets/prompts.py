"""The positive prompt of one cell: the base prompt with the row's style put in its slot.

Without a `{style}` marker the base prompt is put in the model card's order by `kb.prompt.assemble`
(no catalog: the same text always gives the same prompt, so cached cells stay valid when the
catalog is rebuilt) and the style goes where assembly puts a style blend: first (strongest) or
appended at the very end on request (gentler). A base prompt with a `{style}` marker is the
user's explicit order: it is used as written, with the style exactly at the marker (the
baseline drops the marker and the comma beside it). Either way the style text is kept exactly
as pasted, weights included, so each cell's prompt contains its row label verbatim.
"""

from __future__ import annotations

import re
from functools import cache

from kb.prompt.assemble import assemble_prompt

STYLE_SLOT = "{style}"
_EMPTY_SLOT = re.compile(r"\s*,\s*\{style\}|\{style\}\s*,\s*|\{style\}")
_SPACE_RUN = re.compile(r"[ \t]+")


def build_cell_prompt(base_prompt: str, style: str | None, *, position: str = "first") -> str:
    base = base_prompt.strip()
    if STYLE_SLOT in base:
        if style is None:
            return _SPACE_RUN.sub(" ", _EMPTY_SLOT.sub("", base, count=1)).strip(" ,")
        return base.replace(STYLE_SLOT, style.strip(), 1)
    body = assembled_body(base)
    if style is None:
        return body
    parts = [style.strip(), body] if position == "first" else [body, style.strip()]
    return ", ".join(part for part in parts if part)


@cache
def assembled_body(base_prompt: str) -> str:
    """The base prompt in AIDXL order (tags slotted, quality weighted, duplicates merged)."""
    return assemble_prompt(base_prompt).positive
