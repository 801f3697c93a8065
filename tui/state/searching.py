"""The search the explorer runs on each keystroke: `kb.search` hits as rows for the results table.

Filters: a trigger kind (F2–F9), the AIDXL-likely tiers (ctrl+l: verified and the model author's
vocabulary), and a copyright's characters (ctrl+s from a copyright's or a character's detail:
`kb.knowledge.copyrights`, most posted first; typing then searches among them).
"""

from __future__ import annotations

import importlib.util
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb

from kb.knowledge.tagforms import escape_a1111, to_canonical, unescape_a1111
from kb.schema import Category, TriggerKind, TriggerTier
from tui.state.features import optional_module

RESULT_LIMIT = 100
# An empty search box under a filter lists this many entries at most (the table draws visible rows only).
BROWSE_LIMIT = 1000
# A copyright's characters listed at most (Touhou has ~1,000; the table draws only visible rows).
COPYRIGHT_LISTING_LIMIT = 2000
# The AIDXL-likely filter: triggers verified as the model's own, or in its author's caption vocabulary.
LIKELY_TIERS: frozenset[str] = frozenset({str(TriggerTier.VERIFIED), str(TriggerTier.AUTHOR)})

# Filter chips: (label, key, kb kind or None for all).
KIND_FILTERS: tuple[tuple[str, str, str | None], ...] = (
    ("all", "f2", None),
    ("style", "f3", "artist_style"),
    ("paint", "f4", "painting_style"),
    ("quality", "f5", "quality"),
    ("aesth", "f6", "aesthetic"),
    ("char", "f7", "character"),
    ("copy", "f8", "copyright"),
    ("gen", "f9", "general"),
)


@dataclass(frozen=True)
class ResultRow:
    """One line of the results table."""

    prompt: str  # the text to paste (A1111 form)
    tag: str | None
    kind: str
    category: int | None
    count: int | None
    verified: bool
    match: str  # exact, prefix, word-start, substring, alias, fuzzy
    alias: str | None  # the alias that matched, shown as `alias → prompt`
    verdict: str | None  # recognition verdict (Yes / Unsure / No) when known
    tier: str = str(TriggerTier.DANBOORU)  # TriggerTier: verified | author | danbooru

    @property
    def key(self) -> str:
        return f"{self.kind}\x1f{self.prompt}"


def load_index(connection: duckdb.DuckDBPyConnection, catalog_path: Path) -> Any:
    """The catalog's search index (saved beside the catalog's build) with the user's usage bias."""
    search = optional_module("kb.search", "search", needs="SearchIndex")
    return search.SearchIndex.load(connection)


@dataclass(frozen=True)
class SearchFilter:
    """What narrows the results: a kind, the AIDXL-likely tiers, a copyright's characters."""

    kind: str | None = None  # a TriggerKind value; None: every kind
    likely: bool = False  # only verified and author-tier triggers
    copyright: str | None = None  # canonical copyright tag: only its characters


@dataclass(frozen=True)
class CopyrightScope:
    """The copyright whose characters the results list (the search box's `copyright:` chip)."""

    tag: str  # canonical: genshin_impact
    total: int  # its characters in the catalog
    members: frozenset[str]  # their canonical tags: typing searches among them
    listing: tuple[ResultRow, ...]  # most posted first, every tier (the likely filter picks among them)

    @property
    def label(self) -> str:
        return self.tag.replace("_", " ")


def run_search(
    index: Any,
    query: str,
    kind: str | None,
    *,
    likely: bool = False,
    members: frozenset[str] | None = None,
    limit: int = RESULT_LIMIT,
) -> list[ResultRow]:
    """The best hits for `query`: of `kind`, of the likely tiers, among `members` (character tags)."""
    tiers = LIKELY_TIERS if likely else None
    if members is None:
        kinds = (kind,) if kind is not None else None
        hits = index.search(query, limit=limit, kinds=kinds, tiers=tiers)
    else:
        from kb.search.filters import search_kept

        hits = search_kept(
            index,
            query,
            lambda hit: hit.tag in members,
            limit=limit,
            kinds=[str(TriggerKind.CHARACTER)],
            tiers=tiers,
        )
    verdicts = read_verdicts([str(hit.text) for hit in hits])
    return [row_from_hit(hit, verdicts.get(str(hit.text))) for hit in hits]


def load_copyright_scope(connection: duckdb.DuckDBPyConnection, copyright_tag: str) -> CopyrightScope:
    """A copyright's characters, most posted first (`kb.knowledge.copyrights`), as rows and a filter."""
    from kb.knowledge.copyrights import character_tags_of_copyright, characters_of_copyright

    cursor = connection.cursor()
    try:
        listing = characters_of_copyright(
            cursor,
            copyright_tag,
            limit=COPYRIGHT_LISTING_LIMIT,
        )
        members = character_tags_of_copyright(cursor, listing.copyright.tag)
    finally:
        cursor.close()
    rows = tuple(
        ResultRow(
            prompt=character.prompt,
            tag=character.tag,
            kind=str(TriggerKind.CHARACTER),
            category=int(Category.CHARACTER),
            count=character.count or None,
            verified=character.tier == TriggerTier.VERIFIED,
            match="listing",
            alias=None,
            verdict=None,
            tier=character.tier,
        )
        for character in listing.characters
    )
    return CopyrightScope(listing.copyright.tag, listing.total, members, rows)


# One row per entry (a tag's triggers fold into its best, as the search does), best tier first,
# then by posts: the browse list of an empty search box under a kind or the likely filter.
_BROWSE_QUERY = """
    WITH wanted AS (
        SELECT tr.text, tr.kind, tr.tier, tr.verified, tr.tag_id, tr.trigger_id, tr.rank,
               t.name, t.category, t.count
        FROM triggers tr LEFT JOIN tags t USING (tag_id)
        WHERE ($kind IS NULL OR tr.kind = $kind) AND (NOT $likely OR tr.tier IN ('verified', 'author'))
        QUALIFY row_number() OVER (
            PARTITION BY coalesce(tr.tag_id, -tr.trigger_id)
            ORDER BY tr.verified DESC,
                CASE tr.tier WHEN 'verified' THEN 0 WHEN 'author' THEN 1 ELSE 2 END,
                tr.rank NULLS LAST, tr.trigger_id
        ) = 1
    )
    ,
    untriggered AS (  -- a tag without any trigger is an entry of its category's kind (kb.search)
        SELECT t.prompt AS text, CASE t.category WHEN 1 THEN 'artist_style' WHEN 3 THEN 'copyright'
            WHEN 4 THEN 'character' WHEN 5 THEN 'meta' WHEN 9 THEN 'rating' ELSE 'general' END AS kind,
            'danbooru' AS tier, false AS verified, NULL::INTEGER AS rank, t.name, t.category, t.count,
            true AS escaped
        FROM tags t WHERE NOT $likely AND NOT EXISTS (SELECT 1 FROM triggers tr WHERE tr.tag_id = t.tag_id)
    ),
    entries AS (
        SELECT text, kind, tier, verified, rank, name, category, count, false AS escaped FROM wanted
        UNION ALL
        SELECT * FROM untriggered WHERE $kind IS NULL OR kind = $kind
    )
    SELECT text, escaped, kind, tier, verified, name, category, count, count(*) OVER () AS total
    FROM entries
    ORDER BY CASE tier WHEN 'verified' THEN 0 WHEN 'author' THEN 1 ELSE 2 END,
        rank NULLS LAST, count DESC NULLS LAST, text
    LIMIT $limit
"""


def browse_rows(
    connection: duckdb.DuckDBPyConnection, kind: str | None, *, likely: bool, limit: int = BROWSE_LIMIT
) -> tuple[list[ResultRow], int]:
    """The entries of a kind (and/or the likely tiers) without a query: best tier first, then the
    most posted; with how many there are in all."""
    cursor = connection.cursor()
    try:
        found = cursor.execute(_BROWSE_QUERY, {"kind": kind, "likely": likely, "limit": limit}).fetchall()
    finally:
        cursor.close()
    rows = [
        ResultRow(
            prompt=str(text) if escaped else escape_a1111(str(text)),  # tags.prompt is escaped
            tag=None if name is None else str(name),
            kind=str(row_kind),
            category=None if category is None else int(category),
            count=int(count) if count else None,
            verified=bool(verified),
            match="browse",
            alias=None,
            verdict=None,
            tier=str(tier),
        )
        for text, escaped, row_kind, tier, verified, name, category, count, _ in found
    ]
    return rows, int(found[0][-1]) if found else 0


def copyright_of_row(connection: duckdb.DuckDBPyConnection, row: ResultRow) -> str | None:
    """The copyright a result names: its own tag for a copyright, a character's series."""
    tag = row.tag or to_canonical(unescape_a1111(row.prompt))
    if row.kind == "copyright":
        return tag
    cursor = connection.cursor()
    try:
        found = cursor.execute(
            "SELECT c.copyright FROM characters c JOIN tags t USING (tag_id) WHERE t.name = ?", [tag]
        ).fetchone()
    finally:
        cursor.close()
    return str(found[0]) if found is not None and found[0] is not None else None


def tier_counts(rows: list[ResultRow]) -> dict[str, int]:
    """Rows per tier (for the status line)."""
    counts = {str(tier): 0 for tier in TriggerTier}
    for row in rows:
        counts[row.tier] = counts.get(row.tier, 0) + 1
    return counts


def read_verdicts(texts: list[str]) -> dict[str, str]:
    """Recognition verdicts (Yes / Unsure / No) from style sheets, when any were measured."""
    if importlib.util.find_spec("kb.recognition") is None:
        return {}
    from kb.recognition import read_verdicts as read_recognition_verdicts

    return {text: record.verdict for text, record in read_recognition_verdicts(texts).items()}


def row_from_hit(hit: Any, verdict: str | None = None) -> ResultRow:
    return ResultRow(
        prompt=str(hit.prompt),
        tag=hit.tag,
        kind=str(hit.kind),
        category=hit.category,
        count=hit.count or None,
        verified=bool(hit.verified),
        match=str(hit.match),
        alias=str(hit.matched) if str(hit.via) == "alias" else None,
        verdict=verdict,
        tier=str(getattr(hit, "tier", TriggerTier.VERIFIED if hit.verified else TriggerTier.DANBOORU)),
    )
