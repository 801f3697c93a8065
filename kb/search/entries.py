"""What one *entry* of the catalog is, in SQL: the one definition behind every "how many".

An entry is one thing a result list shows (kb/search/rows.py reads the search index's entries
from `TRIGGER_ENTRIES`): each verified trigger is an entry of its own (`watercolor` and
`watercolor (medium)`, both from the model card, are two); a tag's other triggers fold into the
tag's first trigger, best tier first (`by dino (dinoartforame)` finds the entry `by dino`); a
trigger without a tag is an entry; a tag without any trigger is an entry of its category's kind.
An entry's kind is the kind of the trigger that opens it.

The explorer's lists (N of M), `aidxl stats` (entries per kind beside trigger texts per kind)
and the search index all count with this definition; the triggers table has more rows than there
are entries exactly when a tag has several trigger texts.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from kb.schema import KIND_OF_CATEGORY, TriggerKind

if TYPE_CHECKING:
    import duckdb

TIER_RANK_SQL = "CASE tr.tier WHEN 'verified' THEN 0 WHEN 'author' THEN 1 ELSE 2 END"

# Every trigger with its tag's columns and `opens_entry`: whether the trigger is an entry (else its
# text finds the entry its tag's first trigger opened). Within a tag the first trigger is the
# verified one when there is one, else the best tier's, then the curated rank, then the oldest.
TRIGGER_ENTRIES = f"""
    SELECT tr.trigger_id, tr.text, tr.kind, tr.tag_id, tr.verified, tr.tier, tr.rank, tr.description,
        t.name, t.category, t.count,
        tr.tag_id IS NULL OR tr.verified OR row_number() OVER (
            PARTITION BY tr.tag_id
            ORDER BY tr.verified DESC, {TIER_RANK_SQL}, tr.rank NULLS LAST, tr.trigger_id
        ) = 1 AS opens_entry
    FROM triggers tr LEFT JOIN tags t USING (tag_id)
"""

_KIND_OF_CATEGORY_SQL = (
    "CASE t.category "
    + " ".join(f"WHEN {int(category)} THEN '{kind}'" for category, kind in KIND_OF_CATEGORY.items())
    + f" ELSE '{TriggerKind.GENERAL}' END"
)

# Tags without a trigger: entries of their category's kind, at the danbooru tier.
UNTRIGGERED_TAGS = f"""
    SELECT t.tag_id, t.name, t.prompt, t.category, t.count, {_KIND_OF_CATEGORY_SQL} AS kind
    FROM tags t
    WHERE NOT EXISTS (SELECT 1 FROM triggers tr WHERE tr.tag_id = t.tag_id)
"""


def entries_per_kind(connection: duckdb.DuckDBPyConnection) -> dict[str, int]:
    """How many entries of each kind the catalog has (the explorer's list of the kind, empty box)."""
    rows = connection.execute(
        f"""
        SELECT kind, count(*) FROM (
            SELECT kind FROM ({TRIGGER_ENTRIES}) WHERE opens_entry
            UNION ALL SELECT kind FROM ({UNTRIGGERED_TAGS})
        ) GROUP BY kind ORDER BY kind
        """
    ).fetchall()
    return {str(kind): int(count) for kind, count in rows}
