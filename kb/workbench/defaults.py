"""The defaults every front end shares: the model page's negative prompt and the sheet/preview base."""

from __future__ import annotations

from functools import cache

from kb.errors import AidxlError

# The base prompt a style sheet puts the styles on when the user gives none (`aidxl sheet`, the explorer).
DEFAULT_BASE_PROMPT = "1girl, solo, upper body"

# The model page's recommended negative prompt; kb/data/negative.toml is the source and wins when readable.
FALLBACK_NEGATIVE = (
    "(worst quality:1.3), low quality, lowres, messy, abstract, ugly, disfigured, bad anatomy, draft, "
    "deformed hands, fused fingers, signature, text, multi views"
)


@cache
def default_negative() -> str:
    """The model page's negative prompt from kb's curated data (the same text inline if it is broken)."""
    from kb.knowledge.curated import load_negative_prompt

    try:
        return load_negative_prompt().text
    except AidxlError:
        return FALLBACK_NEGATIVE
