"""Danbooru category colours and the marks for AIDXL's own trigger kinds and trigger tiers.

Danbooru's site colours (light and dark variants), so a tag looks the way users know it. The
kind marks (◆ ★ ✿) distinguish the kinds AIDXL redefines or was trained on; the tier marks say how
sure we are that AIDXL knows a trigger: ✓ verified, ○ the model author's vocabulary (a circle, so it
cannot be taken for the ◆ painting-style mark), none for plain Danbooru tags. The CLI's `aidxl
search` writes the same marks (`TIER_MARKS`, imported from here; this module needs no Textual).
"""

from __future__ import annotations

# category -> (colour on a light background, colour on a dark background)
CATEGORY_COLOURS: dict[int, tuple[str, str]] = {
    0: ("#0075f8", "#009be6"),  # general
    1: ("#c00004", "#ff8a8b"),  # artist
    3: ("#a800aa", "#c797ff"),  # copyright
    4: ("#00ab2c", "#35c64a"),  # character
    5: ("#fd9200", "#ead084"),  # meta
    9: ("#6b6b6b", "#a0a0a0"),  # rating
}
KIND_CATEGORY: dict[str, int] = {
    "general": 0,
    "artist_style": 1,
    "copyright": 3,
    "character": 4,
    "meta": 5,
    "rating": 9,
}
KIND_MARKS: dict[str, str] = {
    "painting_style": "◆",
    "quality": "★",
    "aesthetic": "✿",
}
KIND_MARK_COLOURS: dict[str, tuple[str, str]] = {
    "painting_style": ("#b35c00", "#ffb347"),
    "quality": ("#a07800", "#ffd700"),
    "aesthetic": ("#c2185b", "#ff80ab"),
}
VERIFIED_MARK = "✓"
AUTHOR_MARK = "○"
TIER_MARKS: dict[str, str] = {"verified": VERIFIED_MARK, "author": AUTHOR_MARK, "danbooru": " "}
# (colour on a light background, on a dark one)
TIER_COLOURS: dict[str, tuple[str, str]] = {
    "verified": ("#007a1f", "#4ade80"),
    "author": ("#0061c2", "#7cc4ff"),
    "danbooru": ("#6b6b6b", "#a0a0a0"),
}
TIER_SHORT_LABELS: dict[str, str] = {
    "verified": "verified AIDXL trigger",
    "author": "author's vocabulary",
    "danbooru": "Danbooru tag",
}
ALIAS_ARROW = "→"
UNKNOWN_MARK = "?"

# Short names for the kind column and the filter chips.
KIND_LABELS: dict[str, str] = {
    "artist_style": "style",
    "painting_style": "painting",
    "quality": "quality",
    "aesthetic": "aesthetic",
    "character": "character",
    "copyright": "copyright",
    "general": "general",
    "meta": "meta",
    "rating": "rating",
    "unknown": "unknown",
}

# Five-character labels for the results table's kind column (80 columns leave little room).
KIND_SHORT_LABELS: dict[str, str] = {
    "artist_style": "style",
    "painting_style": "paint",
    "quality": "qual",
    "aesthetic": "aesth",
    "character": "char",
    "copyright": "copy",
    "general": "gen",
    "meta": "meta",
    "rating": "rate",
    "unknown": "?",
}


def kind_colour(kind: str, category: int | None, *, dark: bool) -> str:
    """The colour a result's text is drawn in."""
    if kind in KIND_MARK_COLOURS:
        return KIND_MARK_COLOURS[kind][1 if dark else 0]
    resolved = category if category is not None else KIND_CATEGORY.get(kind, 0)
    light_colour, dark_colour = CATEGORY_COLOURS.get(resolved, CATEGORY_COLOURS[0])
    return dark_colour if dark else light_colour


def kind_mark(kind: str) -> str:
    return KIND_MARKS.get(kind, " ")


def tier_mark(tier: str | None) -> str:
    return TIER_MARKS.get(tier or "", " ")


def tier_colour(tier: str | None, *, dark: bool) -> str:
    light_colour, dark_colour = TIER_COLOURS.get(tier or "", TIER_COLOURS["danbooru"])
    return dark_colour if dark else light_colour


def format_count(count: int | None) -> str:
    """Post counts the way boorus print them: 1234 -> 1.2k, 1234567 -> 1.2M."""
    if count is None:
        return ""
    if count >= 1_000_000:
        return f"{count / 1_000_000:.1f}M"
    if count >= 10_000:
        return f"{count // 1000}k"
    if count >= 1000:
        return f"{count / 1000:.1f}k"
    return str(count)
