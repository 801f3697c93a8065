"""Writing one complete catalog file from the sources that were read.

Bulk loading: each column travels to DuckDB as a numpy array in one scan; the merge of tags over
sources, the aliases and the per-tag triggers are set-based SQL. Only the linking of verified
triggers, the artist candidates and the character parsing run in Python.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import duckdb
import numpy as np

from ingest.linking import (
    LinkedTrigger,
    lookup_names,
    TagIndex,
    artist_candidate_texts,
    artist_candidates,
    character_rows,
    link_verified,
    merge_verified,
)
from ingest.tagrows import TagRows
from ingest.triggerrows import TriggerEntry
from kb import __version__
from kb.errors import IngestError
from kb.schema import DDL, KIND_OF_CATEGORY, SCHEMA_VERSION, Category
from kb.tagforms import EMOTICON_TAGS


@dataclass(frozen=True)
class SourceRecord:
    """A row of the `sources` table."""

    source_id: int
    kind: str
    location: str
    file_name: str
    sha256: str
    rows: int
    skipped: int


@dataclass(frozen=True)
class CatalogCounts:
    """Row counts of a written catalog, checked again after it is reopened."""

    tags: int
    tag_sources: int
    aliases: int
    triggers: int
    characters: int
    sources: int


# Unescaped prompt text of a tag (kb.tagforms.to_plain_form), in SQL for speed; a test checks both agree
# on every tag of the real files. Emoticons and symbol-only faces keep their underscores.
PLAIN_FORM_SQL = """
    CASE WHEN list_contains($emoticons, lower(name))
              OR (contains(name, '_') AND NOT regexp_matches(lower(name), '[\\pL\\pN]'))
         THEN name ELSE replace(name, '_', ' ') END
"""
# A1111 escaping (kb.tagforms.escape_a1111): a backslash before each of \ ( ) [ ].
PROMPT_FORM_SQL = "regexp_replace($plain, '([\\\\()\\[\\]])', '\\\\\\1', 'g')"

_KIND_CASE = "CASE category " + " ".join(
    f"WHEN {int(category)} THEN '{kind.value}'" for category, kind in KIND_OF_CATEGORY.items()
) + " END"


def _object_array(values: Sequence[object]) -> np.ndarray:  # type: ignore[type-arg]
    array = np.empty(len(values), dtype=object)
    array[:] = values
    return array


def _load_tag_staging(connection: duckdb.DuckDBPyConnection, tag_sources: Sequence[tuple[int, TagRows]]) -> None:
    source_ids: list[int] = []
    names: list[str] = []
    categories: list[int] = []
    counts: list[int] = []
    danbooru_ids: list[int] = []
    alias_sources: list[int] = []
    alias_names: list[str] = []
    alias_values: list[str] = []
    for source_id, rows in tag_sources:
        source_ids.extend([source_id] * len(rows))
        names.extend(rows.names)
        categories.extend(rows.categories)
        counts.extend(rows.counts)
        danbooru_ids.extend(-1 if value is None else value for value in rows.danbooru_ids)
        for name, aliases in zip(rows.names, rows.aliases, strict=True):
            if aliases:
                alias_sources.extend([source_id] * len(aliases))
                alias_names.extend([name] * len(aliases))
                alias_values.extend(aliases)
    staged_tags = {  # noqa: F841 - read by DuckDB's replacement scan below
        "source_id": np.array(source_ids, dtype=np.int32),
        "name": _object_array(names),
        "category": np.array(categories, dtype=np.int8),
        "count": np.array(counts, dtype=np.int64),
        "danbooru_id": np.array(danbooru_ids, dtype=np.int64),
    }
    staged_aliases = {  # noqa: F841
        "source_id": np.array(alias_sources, dtype=np.int32),
        "name": _object_array(alias_names),
        "alias": _object_array(alias_values),
    }
    connection.execute("CREATE TEMP TABLE src_tags AS SELECT * FROM staged_tags")
    connection.execute("CREATE TEMP TABLE src_aliases AS SELECT * FROM staged_aliases")


def _merge_tags(connection: duckdb.DuckDBPyConnection) -> None:
    """One row per distinct name; the category of the source with the highest post count wins
    (ties: the source given first); every source's own count stays in tag_sources."""
    connection.execute(
        f"""
        CREATE TEMP TABLE merged AS
        SELECT row_number() OVER (ORDER BY count DESC, name) AS tag_id, name, category, count,
               category_source_id, {PLAIN_FORM_SQL} AS plain
        FROM (
            SELECT name,
                   arg_max(category, count * 4096 - source_id) AS category,
                   arg_max(source_id, count * 4096 - source_id) AS category_source_id,
                   max(count) AS count
            FROM src_tags GROUP BY name
        )
        """,
        {"emoticons": sorted(EMOTICON_TAGS)},
    )
    connection.execute(
        f"""
        INSERT INTO tags
        SELECT tag_id, name, {PROMPT_FORM_SQL.replace("$plain", "plain")}, category, count
        FROM merged ORDER BY tag_id
        """
    )
    connection.execute(
        """
        INSERT INTO tag_sources
        SELECT m.tag_id, s.source_id, s.category, s.count, NULLIF(s.danbooru_id, -1)
        FROM src_tags s JOIN merged m USING (name)
        ORDER BY m.tag_id, s.source_id
        """
    )
    connection.execute(
        """
        INSERT INTO aliases
        SELECT a.alias, m.tag_id, min(a.source_id)
        FROM src_aliases a JOIN merged m USING (name)
        GROUP BY a.alias, m.tag_id
        ORDER BY a.alias, m.tag_id
        """
    )


def _tag_index(connection: duckdb.DuckDBPyConnection, wanted_names: Iterable[str]) -> TagIndex:
    """The tags and aliases linking may look up: the wanted names, and every copyright tag."""
    parameters = {"wanted": sorted(set(wanted_names)), "copyright": int(Category.COPYRIGHT)}
    tag_of_name = {
        name: (tag_id, category)
        for tag_id, name, category in connection.execute(
            "SELECT tag_id, name, category FROM merged "
            "WHERE category = $copyright OR name IN (SELECT unnest($wanted))",
            parameters,
        ).fetchall()
    }
    tags_of_alias: dict[str, list[tuple[int, int, int]]] = {}
    for alias, tag_id, category, count in connection.execute(
        "SELECT a.alias, m.tag_id, m.category, m.count FROM aliases a JOIN merged m USING (tag_id) "
        "WHERE m.category = $copyright OR a.alias IN (SELECT unnest($wanted))",
        parameters,
    ).fetchall():
        tags_of_alias.setdefault(alias, []).append((tag_id, category, count))
    return TagIndex(tag_of_name, {alias: tuple(targets) for alias, targets in tags_of_alias.items()})


def _source_of_tag(connection: duckdb.DuckDBPyConnection, category: Category) -> dict[int, int]:
    """tag_id -> the source whose category the merged tag took (the trigger's source)."""
    rows = connection.execute(
        "SELECT tag_id, category_source_id FROM merged WHERE category = ?", [int(category)]
    ).fetchall()
    return dict(rows)


def _insert_linked_triggers(connection: duckdb.DuckDBPyConnection, triggers: Sequence[LinkedTrigger]) -> None:
    staged_triggers = {  # noqa: F841
        "trigger_id": np.arange(1, len(triggers) + 1, dtype=np.int32),
        "text": _object_array([trigger.text for trigger in triggers]),
        "kind": _object_array([trigger.kind.value for trigger in triggers]),
        "tag_id": np.array([-1 if t.tag_id is None else t.tag_id for t in triggers], dtype=np.int32),
        "description": _object_array([trigger.description for trigger in triggers]),
        "verified": np.array([trigger.verified for trigger in triggers], dtype=bool),
        "source_id": np.array([trigger.source_id for trigger in triggers], dtype=np.int32),
        "note": _object_array([trigger.note for trigger in triggers]),
        "rank": np.array([-1 if t.rank is None else t.rank for t in triggers], dtype=np.int32),
    }
    connection.execute(
        """
        INSERT INTO triggers
        SELECT trigger_id, text, kind, NULLIF(tag_id, -1), description::VARCHAR, verified, source_id,
               note::VARCHAR, NULLIF(rank, -1)
        FROM staged_triggers
        """
    )


def _insert_tag_triggers(connection: duckdb.DuckDBPyConnection) -> None:
    """Every non-artist tag is a trigger of its category's kind, unless a verified trigger already
    has the same text and kind (that one links to the tag instead)."""
    connection.execute(
        f"""
        INSERT INTO triggers
        SELECT (SELECT coalesce(max(trigger_id), 0) FROM triggers) + row_number() OVER (ORDER BY m.tag_id),
               m.plain, {_KIND_CASE.replace("category", "m.category")}, m.tag_id, NULL, false,
               m.category_source_id, NULL, NULL
        FROM merged m
        ANTI JOIN triggers v ON v.text = m.plain AND v.kind = {_KIND_CASE.replace("category", "m.category")}
        WHERE m.category <> {int(Category.ARTIST)}
        ORDER BY m.tag_id
        """
    )


def _insert_characters(connection: duckdb.DuckDBPyConnection, index: TagIndex) -> None:
    characters = connection.execute(
        "SELECT tag_id, name FROM merged WHERE category = ? ORDER BY tag_id", [int(Category.CHARACTER)]
    ).fetchall()
    rows = character_rows(characters, index)
    staged_characters = {  # noqa: F841
        "tag_id": np.array([row.tag_id for row in rows], dtype=np.int32),
        "name": _object_array([row.name for row in rows]),
        "qualifier": _object_array([row.qualifier for row in rows]),
        "qualifiers": _object_array([list(row.qualifiers) for row in rows]),
        "copyright": _object_array([row.copyright for row in rows]),
    }
    connection.execute(
        """
        INSERT INTO characters
        SELECT tag_id, name, qualifier::VARCHAR, qualifiers::VARCHAR[], copyright::VARCHAR
        FROM staged_characters
        """
    )


def write_catalog(
    path: Path,
    sources: Sequence[SourceRecord],
    tag_sources: Sequence[tuple[int, TagRows]],
    verified_entries: Sequence[tuple[int, TriggerEntry]],
    fingerprint: str,
) -> CatalogCounts:
    """Create the catalog at `path` (a new file) and return its row counts."""
    connection = duckdb.connect(str(path))
    try:
        for statement in DDL:
            connection.execute(statement)
        ingested_at = datetime.now(UTC).replace(tzinfo=None)
        connection.executemany(
            "INSERT INTO sources VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            [
                [s.source_id, s.kind, s.location, s.file_name, s.sha256, s.rows, s.skipped, ingested_at]
                for s in sources
            ],
        )
        _load_tag_staging(connection, tag_sources)
        _merge_tags(connection)
        merged_entries = merge_verified(verified_entries)
        index = _tag_index(connection, lookup_names(entry for _, entry in merged_entries))
        artists = connection.execute(
            "SELECT tag_id, name FROM merged WHERE category = ? ORDER BY tag_id", [int(Category.ARTIST)]
        ).fetchall()
        candidate_texts = artist_candidate_texts(artists)
        text_owner = {text: tag_id for tag_id, text in candidate_texts.items()}
        verified = link_verified(merged_entries, index, text_owner)
        candidates = artist_candidates(candidate_texts, _source_of_tag(connection, Category.ARTIST), verified)
        _insert_linked_triggers(connection, [*verified, *candidates])
        _insert_tag_triggers(connection)
        _insert_characters(connection, index)
        connection.executemany(
            "INSERT INTO meta VALUES (?, ?)",
            [
                ["schema_version", str(SCHEMA_VERSION)],
                ["fingerprint", fingerprint],
                ["built_at", ingested_at.isoformat(timespec="seconds") + "Z"],
                ["aidxl_kb_version", __version__],
            ],
        )
        counts = count_rows(connection)
        for table in ("src_tags", "src_aliases", "merged"):
            connection.execute(f"DROP TABLE {table}")
        check_unique_keys(connection, path)
        connection.execute("CHECKPOINT")
    finally:
        connection.close()
    return counts


def count_rows(connection: duckdb.DuckDBPyConnection) -> CatalogCounts:
    def count(table: str) -> int:
        row = connection.execute(f"SELECT count(*) FROM {table}").fetchone()
        return int(row[0]) if row else 0

    return CatalogCounts(
        tags=count("tags"),
        tag_sources=count("tag_sources"),
        aliases=count("aliases"),
        triggers=count("triggers"),
        characters=count("characters"),
        sources=count("sources"),
    )


# The keys the schema documents; checked here instead of declared (see kb/schema.py).
UNIQUE_KEYS: dict[str, str] = {
    "meta": "key",
    "sources": "source_id",
    "tags": "tag_id",
    "tags ": "name",
    "tag_sources": "tag_id, source_id",
    "aliases": "alias, tag_id",
    "triggers": "trigger_id",
    "triggers ": "text, kind",
    "characters": "tag_id",
}


def check_unique_keys(connection: duckdb.DuckDBPyConnection, path: Path) -> None:
    for table, columns in UNIQUE_KEYS.items():
        row = connection.execute(
            f"SELECT count(*) - count(DISTINCT ({columns})) FROM {table.strip()}"
        ).fetchone()
        duplicates = int(row[0]) if row else 0
        if duplicates:
            raise IngestError(f"{path}: {duplicates} duplicate key(s) ({columns}) in table {table.strip()}")
