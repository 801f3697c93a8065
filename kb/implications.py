"""One tag's implications from the model author's table: what it implies and what implies it.

The catalog's `implications` table (docs/catalog.md) comes from the author's caption tools
(waifuset `tag_implications.json`, already transitive): `very_long_hair` implies `long_hair`, and the
author drops an implied tag from a caption. The explorer's detail pane lists both directions for
the selected tag, with the source they come from:

    found = implications_of(connection, "very long hair")
    found.implies, found.implied_by      # ('long_hair',), ('absurdly_long_hair',)
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from kb.character_info import SourceRef
from kb.tagforms import to_canonical

if TYPE_CHECKING:
    import duckdb


@dataclass(frozen=True)
class TagImplications:
    """What one tag implies and what implies it, canonical names, most posted first."""

    tag: str  # the canonical tag asked about (an alias resolved to its tag)
    implies: tuple[str, ...]  # very_long_hair → (long_hair,)
    implied_by: tuple[str, ...]  # long_hair → (very_long_hair, absurdly_long_hair, ...)
    sources: tuple[SourceRef, ...] = field(default=())  # the catalog sources of these pairs

    @property
    def empty(self) -> bool:
        return not self.implies and not self.implied_by


def implications_of(connection: duckdb.DuckDBPyConnection, tag: str) -> TagImplications:
    """The author's implications around one tag (any pasted form, or an alias of it).

    Empty tuples when the catalog has no implication for it (or no implications table rows at all).
    """
    key = _resolved_tag(connection, to_canonical(tag))
    implies = connection.execute(
        "SELECT i.implied, i.source_id FROM implications i LEFT JOIN tags t ON t.name = i.implied "
        "WHERE i.tag = ? AND i.implied <> i.tag ORDER BY t.count DESC NULLS LAST, i.implied",
        [key],
    ).fetchall()
    implied_by = connection.execute(
        "SELECT i.tag, i.source_id FROM implications i LEFT JOIN tags t ON t.name = i.tag "
        "WHERE i.implied = ? AND i.implied <> i.tag ORDER BY t.count DESC NULLS LAST, i.tag",
        [key],
    ).fetchall()
    source_ids = sorted({int(row[1]) for row in (*implies, *implied_by)})
    sources: tuple[SourceRef, ...] = ()
    if source_ids:
        sources = tuple(
            SourceRef(int(row[0]), str(row[1]), row[2], str(row[3]))
            for row in connection.execute(
                "SELECT source_id, kind, name, file_name FROM sources "
                "WHERE list_contains(?, source_id) ORDER BY source_id",
                [source_ids],
            ).fetchall()
        )
    return TagImplications(
        key,
        tuple(str(row[0]) for row in implies),
        tuple(str(row[0]) for row in implied_by),
        sources,
    )


def _resolved_tag(connection: duckdb.DuckDBPyConnection, key: str) -> str:
    """`key` when it is a tag of the catalog, else the most posted tag it is an alias of."""
    if connection.execute("SELECT 1 FROM tags WHERE name = ?", [key]).fetchone() is not None:
        return key
    alias = connection.execute(
        "SELECT t.name FROM aliases a JOIN tags t USING (tag_id) WHERE a.alias = ? "
        "ORDER BY t.count DESC, t.name LIMIT 1",
        [key],
    ).fetchone()
    return str(alias[0]) if alias is not None else key
