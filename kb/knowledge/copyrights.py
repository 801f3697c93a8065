"""A copyright's characters: `genshin_impact` → ganyu, zhongli, … by popularity.

A character belongs to a copyright when the copyright is the series its tag names
(`characters.copyright`, see docs/catalog.md): `ganyu_(genshin_impact)` and
`ganyu_(twilight_blossom)_(genshin_impact)` are Genshin Impact's, `frieren` (no qualifier) is
nobody's. The copyright may be typed in any form (`resolve_copyright`): the tag (`genshin_impact`),
its plain or prompt form (`genshin impact`), an alias of the tag (`genshin`), the qualifier a
character writes (`fate` → `fate_(series)`), or a misspelling (the search index's guess).

    listing = characters_of_copyright(connection, "genshin impact", limit=20)
    listing.copyright.tag, listing.total      # 'genshin_impact', 312
    listing.characters[0].prompt              # 'ganyu \\(genshin impact\\)'
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import TYPE_CHECKING, Any

from kb.errors import UnknownCopyrightError
from kb.knowledge.characters import find_copyright
from kb.knowledge.tagforms import escape_a1111, to_canonical, to_plain_form
from kb.schema import Category, TriggerKind, TriggerTier
from kb.search.hits import MatchReason

if TYPE_CHECKING:
    import duckdb

    from kb.search import SearchIndex


class CopyrightMatchKind(StrEnum):
    EXACT = "exact"  # the copyright tag itself, in any written form: genshin impact
    ALIAS = "alias"  # an alias of the tag, or the tag + `_(series)`: genshin, fate
    SEARCH = "search"  # the search index's best copyright: a prefix or a misspelling


@dataclass(frozen=True)
class CopyrightMatch:
    tag: str  # canonical copyright tag: genshin_impact
    count: int  # its post count
    kind: CopyrightMatchKind


@dataclass(frozen=True)
class CopyrightCharacter:
    """One character of a copyright, as the search shows it."""

    tag: str  # canonical character tag: ganyu_(genshin_impact)
    text: str  # the trigger text to use, unescaped (its best tier's): ganyu (genshin impact)
    count: int  # post count
    tier: str  # TriggerTier of that trigger

    @property
    def prompt(self) -> str:
        """The text to paste, A1111-escaped: ganyu \\(genshin impact\\)."""
        return escape_a1111(self.text)

    def to_json(self) -> dict[str, Any]:
        return {
            "prompt": self.prompt,
            "tag": self.tag,
            "text": self.text,
            "kind": str(TriggerKind.CHARACTER),
            "count": self.count,
            "tier": self.tier,
            "verified": self.tier == TriggerTier.VERIFIED,
        }


@dataclass(frozen=True)
class CopyrightCharacters:
    copyright: CopyrightMatch
    total: int  # characters of the copyright that pass the filters, however many are listed
    characters: tuple[CopyrightCharacter, ...]  # most posted first, `limit` from `offset`


# Search hits accepted as the copyright a user meant; substrings and abbreviations are only suggested.
SEARCH_MATCHES_ACCEPTED: frozenset[MatchReason] = frozenset(
    {MatchReason.EXACT, MatchReason.PREFIX, MatchReason.WORD_START, MatchReason.FUZZY}
)


def resolve_copyright(
    connection: duckdb.DuckDBPyConnection, text: str, *, index: SearchIndex | None = None
) -> CopyrightMatch:
    """The copyright tag `text` names, in any form; UnknownCopyrightError suggests the nearest.

    The catalog first (the tag, `<text>_(series)`, an alias: `kb.knowledge.characters.find_copyright`), then
    the search index (`index`, else the process's shared one) for a prefix or a misspelling.
    """
    canonical = to_canonical(text)
    copyright_category = int(Category.COPYRIGHT)
    if canonical:
        row = connection.execute(
            "SELECT name, count FROM tags WHERE category = $c AND name = $n",
            {"c": copyright_category, "n": canonical},
        ).fetchone()
        if row is not None:
            return CopyrightMatch(str(row[0]), int(row[1]), CopyrightMatchKind.EXACT)
        found = find_copyright(connection, canonical)
        if found is not None:
            return CopyrightMatch(found, _post_count(connection, found), CopyrightMatchKind.ALIAS)
    search_index = index if index is not None else _shared_index(connection)
    hits = search_index.search(text, limit=5, kinds={str(TriggerKind.COPYRIGHT)})
    best = next(((hit.tag, hit) for hit in hits if hit.tag is not None), None)
    if best is not None and best[1].match in SEARCH_MATCHES_ACCEPTED:
        return CopyrightMatch(best[0], best[1].count, CopyrightMatchKind.SEARCH)
    message = f"unknown copyright {text!r}"
    if best is not None:
        raise UnknownCopyrightError(f"{message}; did you mean {best[0]}?", suggestion=best[0])
    series = _copyright_of_character(connection, search_index, text)
    if series is not None:
        message += f"; it names a character of {series}: did you mean {series}?"
    raise UnknownCopyrightError(message, suggestion=series)


def characters_of_copyright(
    connection: duckdb.DuckDBPyConnection,
    copyright: str,
    *,
    limit: int | None = 50,
    offset: int = 0,
    min_count: int = 0,
    tiers: frozenset[str] | None = None,
    index: SearchIndex | None = None,
) -> CopyrightCharacters:
    """The characters of a copyright (typed in any form, see `resolve_copyright`), most posted
    first: `limit` of them (None: all) from `offset`. Filters: `min_count` posts, trigger `tiers`.

    Raises UnknownCopyrightError when nothing names a copyright.
    """
    match = resolve_copyright(connection, copyright, index=index)
    rows = connection.execute(_CHARACTERS_QUERY, {"copyright": match.tag, "min_count": min_count}).fetchall()
    characters = [
        CopyrightCharacter(
            tag=str(tag),
            text=str(text) if text is not None else to_plain_form(str(tag)),
            count=int(count),
            tier=str(tier),
        )
        for tag, text, count, tier in rows
    ]
    if tiers is not None:
        characters = [character for character in characters if character.tier in tiers]
    start = max(offset, 0)
    end = None if limit is None else start + max(limit, 0)
    return CopyrightCharacters(match, len(characters), tuple(characters[start:end]))


def character_tags_of_copyright(connection: duckdb.DuckDBPyConnection, copyright_tag: str) -> frozenset[str]:
    """Every character tag whose series is `copyright_tag` (canonical): a filter for search hits."""
    rows = connection.execute(
        "SELECT t.name FROM characters c JOIN tags t USING (tag_id) WHERE c.copyright = $copyright",
        {"copyright": copyright_tag},
    ).fetchall()
    return frozenset(str(name) for (name,) in rows)


# Each character's trigger is the one its search entry shows: the best tier's (ties: verified
# first, then the first written), else the tag's plain form (`kb.search.rows`).
_CHARACTERS_QUERY = """
    WITH members AS (
        SELECT c.tag_id, t.name, t.count FROM characters c JOIN tags t USING (tag_id)
        WHERE c.copyright = $copyright AND t.count >= $min_count
    ),
    best AS (
        SELECT tr.tag_id, tr.text, tr.tier, row_number() OVER (
            PARTITION BY tr.tag_id
            ORDER BY tr.verified DESC,
                CASE tr.tier WHEN 'verified' THEN 0 WHEN 'author' THEN 1 ELSE 2 END,
                tr.rank NULLS LAST, tr.trigger_id
        ) AS position
        FROM triggers tr JOIN members m USING (tag_id)
    )
    SELECT m.name, b.text, m.count, b.tier FROM members m JOIN best b USING (tag_id)
    WHERE b.position = 1
    UNION ALL
    SELECT m.name, NULL, m.count, 'danbooru' FROM members m
    WHERE NOT EXISTS (SELECT 1 FROM best b WHERE b.tag_id = m.tag_id)
    ORDER BY 3 DESC, 1
"""


def _post_count(connection: duckdb.DuckDBPyConnection, tag: str) -> int:
    row = connection.execute("SELECT count FROM tags WHERE name = $n", {"n": tag}).fetchone()
    return int(row[0]) if row is not None else 0


def _shared_index(connection: duckdb.DuckDBPyConnection) -> SearchIndex:
    from kb.search import shared_index  # loads (or builds) the index: only when the catalog alone fails

    return shared_index(connection)


def _copyright_of_character(
    connection: duckdb.DuckDBPyConnection, index: SearchIndex, text: str
) -> str | None:
    """When `text` names a character (`ganyu`), the copyright of the character it most likely means."""
    hits = index.search(text, limit=1, kinds={str(TriggerKind.CHARACTER)})
    if not hits or hits[0].tag is None or hits[0].match not in SEARCH_MATCHES_ACCEPTED:
        return None
    row = connection.execute(
        "SELECT c.copyright FROM characters c JOIN tags t USING (tag_id) WHERE t.name = $n",
        {"n": hits[0].tag},
    ).fetchone()
    return str(row[0]) if row is not None and row[0] is not None else None


__all__ = [
    "CopyrightCharacter",
    "CopyrightCharacters",
    "CopyrightMatch",
    "CopyrightMatchKind",
    "UnknownCopyrightError",
    "character_tags_of_copyright",
    "characters_of_copyright",
    "resolve_copyright",
]
