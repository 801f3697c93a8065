"""The search the explorer runs on each keystroke: `kb.search` hits as rows for the results table.

Filters: a trigger kind (F2–F9), the trigger tiers (ctrl+l: the AIDXL-likely tiers, verified and the
model author's vocabulary; again: verified only), and a copyright's characters (ctrl+s or Enter on
a copyright: `kb.knowledge.copyrights`, most posted first; typing then searches among them).

Every list comes in pages (`ResultPage`: the rows and how many exist in all): a query's hits, an
empty box's listing of a kind or tier, a copyright's characters. The table asks for the next page
as its cursor nears the end, so no list stops silently at a cap.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import duckdb

from kb.knowledge.tagforms import escape_a1111, to_canonical, unescape_a1111
from kb.schema import Category, TriggerKind, TriggerTier
from kb.search import SearchHit, SearchIndex
from kb.search.entries import TRIGGER_ENTRIES, UNTRIGGERED_TAGS

RESULT_LIMIT = 100
# Rows per page of every list: the first on a keystroke, the next as the cursor nears the end.
PAGE_SIZE = RESULT_LIMIT
# The AIDXL-likely filter: triggers verified as the model's own, or in its author's caption vocabulary.
LIKELY_TIERS: frozenset[str] = frozenset({str(TriggerTier.VERIFIED), str(TriggerTier.AUTHOR)})
VERIFIED_TIERS: frozenset[str] = frozenset({str(TriggerTier.VERIFIED)})

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
    description: str | None = None  # a curated trigger's one line (painting styles), shown dim

    @property
    def key(self) -> str:
        return f"{self.kind}\x1f{self.prompt}"


def load_index(connection: duckdb.DuckDBPyConnection, catalog_path: Path) -> SearchIndex:
    """The catalog's search index (saved beside the catalog's build) with the user's usage bias."""
    return SearchIndex.load(connection)


@dataclass(frozen=True)
class SearchFilter:
    """What narrows the results: a kind, the AIDXL-likely tiers, a copyright's characters."""

    kind: str | None = None  # a TriggerKind value; None: every kind
    likely: bool = False  # only verified and author-tier triggers
    copyright: str | None = None  # canonical copyright tag: only its characters
    verified: bool = False  # only verified triggers (ctrl+l's second step)

    @property
    def tiers(self) -> frozenset[str] | None:
        """The trigger tiers kept: verified only, the AIDXL-likely ones, or every tier (None)."""
        if self.verified:
            return VERIFIED_TIERS
        return LIKELY_TIERS if self.likely else None


@dataclass(frozen=True)
class ResultPage:
    """One page of a list and how many entries the whole list has (None: not counted)."""

    rows: list[ResultRow]
    total: int | None


@dataclass(frozen=True)
class CopyrightScope:
    """The copyright whose characters the results list (the search box's `copyright:` chip)."""

    tag: str  # canonical: genshin_impact
    total: int  # its characters in the catalog
    members: frozenset[str]  # their canonical tags: typing searches among them

    @property
    def label(self) -> str:
        return self.tag.replace("_", " ")


def run_search(
    index: SearchIndex,
    query: str,
    kind: str | None,
    *,
    likely: bool = False,
    members: frozenset[str] | None = None,
    limit: int = RESULT_LIMIT,
    tiers: frozenset[str] | None = None,
) -> list[ResultRow]:
    """The best hits for `query`: of `kind`, of the likely tiers (or `tiers`), among `members`
    (character tags)."""
    tiers = tiers if tiers is not None else LIKELY_TIERS if likely else None
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


def search_page(
    index: SearchIndex,
    query: str,
    search_filter: SearchFilter,
    members: frozenset[str] | None = None,
    *,
    offset: int = 0,
    limit: int | None = None,
    shown: frozenset[str] = frozenset(),
) -> ResultPage:
    """Hits `offset` to `offset + limit` of `query` under the filters, and how many match in all.

    The search ranks from the top each time and stops after `offset + limit` entries; a shorter
    search is not always a prefix of a longer one (entries of equal rank can change places:
    `by a` at 200 and 300 entries), so a page is the longer search's rows whose keys are not
    `shown` yet (the keys of the rows already on screen): no row twice, none skipped, and the
    last page brings the rows shown to the total. The total is counted (`kb.search.counting`)
    only when the page is full; among a copyright's characters it is not.
    """
    limit = limit or PAGE_SIZE  # read at call time: tests page through small lists with a small page
    tiers = search_filter.tiers
    found = run_search(
        index, query, search_filter.kind, members=members, limit=offset + limit, tiers=tiers
    )
    # At most `limit` rows: a full page stays PAGE_SIZE long (`has_more` of an uncounted list); a row
    # left over comes with the next page, which excludes what is shown by key.
    rows = [row for row in found if row.key not in shown][:limit] if shown else found[offset:]
    if len(found) < offset + limit:
        return ResultPage(rows, len(found))
    if members is not None:
        return ResultPage(rows, None)
    from kb.search.counting import count_matches

    kinds = (search_filter.kind,) if search_filter.kind is not None else None
    total = count_matches(index, query, kinds=kinds, tiers=tiers)
    return ResultPage(rows, max(total, len(found)))


def load_copyright_scope(connection: duckdb.DuckDBPyConnection, copyright_tag: str) -> CopyrightScope:
    """A copyright named by a result: its canonical tag, how many characters, their tags (a filter)."""
    from kb.knowledge.copyrights import character_tags_of_copyright, resolve_copyright

    cursor = connection.cursor()
    try:
        tag = resolve_copyright(cursor, copyright_tag).tag
        members = character_tags_of_copyright(cursor, tag)
    finally:
        cursor.close()
    return CopyrightScope(tag, len(members), members)


def copyright_page(
    connection: duckdb.DuckDBPyConnection,
    scope: CopyrightScope,
    search_filter: SearchFilter,
    *,
    offset: int = 0,
    limit: int | None = None,
) -> ResultPage:
    """The empty box in a copyright's listing: its characters, most posted first, a page of them."""
    from kb.knowledge.copyrights import characters_of_copyright

    limit = limit or PAGE_SIZE
    cursor = connection.cursor()
    try:
        listing = characters_of_copyright(
            cursor, scope.tag, limit=limit, offset=offset, tiers=search_filter.tiers
        )
    finally:
        cursor.close()
    rows = [
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
    ]
    return ResultPage(rows, listing.total)


# One row per entry (kb.search.entries defines them, for the search index too), best tier first,
# then the curated order (the quality ladder), the described triggers (the model card's painting
# styles), then by posts: the list of an empty search box under a kind or a tier filter.
_BROWSE_QUERY = f"""
    WITH wanted AS (
        SELECT text, kind, tier, verified, trigger_id, rank, description, name, category, count
        FROM ({TRIGGER_ENTRIES})
        WHERE opens_entry AND ($kind IS NULL OR kind = $kind)
            AND ($tiers IS NULL OR list_contains($tiers, tier))
    ),
    untriggered AS (
        SELECT prompt AS text, kind, 'danbooru' AS tier, false AS verified, NULL::INTEGER AS rank,
            NULL::VARCHAR AS description, NULL::BIGINT AS curated_order, name, category, count,
            true AS escaped
        FROM ({UNTRIGGERED_TAGS})
        WHERE $tiers IS NULL OR list_contains($tiers, 'danbooru')
    ),
    entries AS (
        SELECT text, kind, tier, verified, rank, description,
            CASE WHEN description IS NOT NULL THEN trigger_id END AS curated_order,
            name, category, count, false AS escaped
        FROM wanted
        UNION ALL
        SELECT * FROM untriggered WHERE $kind IS NULL OR kind = $kind
    )
    SELECT text, escaped, kind, tier, verified, description, name, category, count, count(*) OVER () AS total
    FROM entries
    ORDER BY CASE tier WHEN 'verified' THEN 0 WHEN 'author' THEN 1 ELSE 2 END,
        rank NULLS LAST, curated_order NULLS LAST, count DESC NULLS LAST, text
    LIMIT $limit OFFSET $offset
"""


def browse_page(
    connection: duckdb.DuckDBPyConnection,
    search_filter: SearchFilter,
    *,
    offset: int = 0,
    limit: int | None = None,
) -> ResultPage:
    """The entries of a kind (and/or tiers) without a query: best tier first, then the curated
    order, then the most posted; a page of them and how many there are in all."""
    tiers = sorted(search_filter.tiers) if search_filter.tiers is not None else None
    parameters = {"kind": search_filter.kind, "tiers": tiers, "limit": limit or PAGE_SIZE, "offset": offset}
    cursor = connection.cursor()
    try:
        found = cursor.execute(_BROWSE_QUERY, parameters).fetchall()
        if found:
            total = int(found[0][-1])
        else:  # past the end, or nothing at all: count without the page
            counted = cursor.execute(
                f"SELECT count(*) FROM ({_BROWSE_QUERY.rsplit('ORDER BY', 1)[0]})",
                {key: value for key, value in parameters.items() if key not in ("limit", "offset")},
            ).fetchone()
            total = int(counted[0]) if counted else 0
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
            description=None if description is None else str(description),
        )
        for text, escaped, row_kind, tier, verified, description, name, category, count, _ in found
    ]
    return ResultPage(rows, total)


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
    from kb.recognition import read_verdicts as read_recognition_verdicts

    return {text: record.verdict for text, record in read_recognition_verdicts(texts).items()}


def row_from_hit(hit: SearchHit, verdict: str | None = None) -> ResultRow:
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
        tier=str(hit.tier),
    )


def list_page(
    index: SearchIndex,
    connection: duckdb.DuckDBPyConnection | None,
    query: str,
    search_filter: SearchFilter,
    scope: CopyrightScope | None,
    offset: int = 0,
    shown: frozenset[str] = frozenset(),
) -> ResultPage:
    """The page from `offset` of the list the search box and filters ask for: the query's hits
    (among the copyright's characters in a listing), else the copyright's characters, else the
    entries of the kind or tiers."""
    if query.strip():
        members = scope.members if scope is not None else None
        return search_page(index, query, search_filter, members, offset=offset, shown=shown)
    if connection is None:
        return ResultPage([], 0)
    if scope is not None:
        return copyright_page(connection, scope, search_filter, offset=offset)
    return browse_page(connection, search_filter, offset=offset)


def has_more(shown: int, total: int | None) -> bool:
    """Whether a list of `total` entries (None: not counted, a full page) has rows past `shown`."""
    if total is None:
        return shown > 0 and shown % PAGE_SIZE == 0
    return shown < total


def next_tier_filter(likely: bool, verified: bool) -> tuple[bool, bool]:
    """ctrl+l's steps as (likely, verified): every tier → AIDXL-likely → verified only → every tier."""
    if verified:
        return False, False
    if likely:
        return False, True
    return True, False


def tier_filter_suffix(search_filter: SearchFilter) -> str:
    """The status line's word for the tier filter: ` + likely`, ` + verified`, or nothing."""
    if search_filter.verified:
        return " + verified"
    return " + likely" if search_filter.likely else ""


def results_summary(
    shown: int,
    total: int | None,
    *,
    more: bool,
    favourites: bool,
    listing: bool,
    scope: CopyrightScope | None,
) -> str:
    """`100 of 405 results`, `30 of 30, best tier first`, `100 of 296 genshin impact characters,
    most posted first`: how much of the list is shown, never a silent cap."""
    if favourites:
        return f"{shown:,} {'favourite' if shown == 1 else 'favourites'}"
    if listing and scope is not None:
        noun = "character" if total == 1 else "characters"
        of = f"{total:,}" if total is not None else f"{shown:,}+"
        return f"{shown:,} of {of} {scope.label} {noun}, most posted first"
    if total is None:
        counted_part = f"{shown:,}+ results" if more else f"{shown:,} {'result' if shown == 1 else 'results'}"
    elif total == shown:
        counted_part = f"{shown:,} {'result' if shown == 1 else 'results'}"
        if listing:
            counted_part = f"{shown:,} of {total:,}"
    else:
        counted_part = f"{shown:,} of {total:,}" + ("" if listing else " results")
    if listing:
        counted_part += ", best tier first"
    return counted_part + (" (↓ for more)" if more else "")


def empty_copyright_hint(scope: CopyrightScope, search_filter: SearchFilter) -> str:
    """Why a copyright's listing is empty: none of its characters pass the tier filter, or none exist."""
    if search_filter.verified:
        return f"No verified characters of {scope.label} in this catalog (ctrl+l shows all)."
    if search_filter.likely:
        return f"No characters of {scope.label} in this catalog of the AIDXL-likely tiers (ctrl+l shows all)."
    return f"No characters of {scope.label} in this catalog."
