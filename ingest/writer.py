"""Writing one complete catalog file from the sources that were read.

Bulk loading: each column travels to DuckDB as a numpy array in one registered scan; the merge of
tags over sources, aliases, prompt forms and per-tag triggers are set-based SQL. Python does only
what needs a parser: linking the verified triggers, choosing artist candidate names, splitting
character tags (kb.characters).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import astuple, dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import duckdb
import numpy as np

from ingest.linking import (
    ArtistName,
    LinkedTrigger,
    TagIndex,
    artist_candidate_names,
    artist_candidates,
    character_rows,
    link_verified,
    lookup_names,
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
    name: str | None  # registry name
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


def _sql_string_list(values: Iterable[str]) -> str:
    return "[" + ", ".join("'" + value.replace("'", "''") + "'" for value in sorted(values)) + "]"


# kb.tagforms.to_plain_form and to_prompt_form as SQL macros, for speed; a test checks that they agree
# on every tag of the real files. Emoticons and symbol-only faces keep their underscores; the prompt
# form puts a backslash before each of \ ( ) [ ].
FORM_MACROS: tuple[str, ...] = (
    f"""
    CREATE TEMP MACRO plain_form(name) AS
        CASE WHEN list_contains({_sql_string_list(EMOTICON_TAGS)}, lower(name))
                  OR (contains(name, '_') AND NOT regexp_matches(lower(name), '[\\pL\\pN]'))
             THEN name ELSE replace(name, '_', ' ') END
    """,
    "CREATE TEMP MACRO escape_a1111(text) AS regexp_replace(text, '([\\\\()\\[\\]])', '\\\\\\1', 'g')",
)

_KIND_OF_CATEGORY_SQL = (
    "CASE m.category "
    + " ".join(f"WHEN {int(category)} THEN '{kind.value}'" for category, kind in KIND_OF_CATEGORY.items())
    + " END"
)
_NO_ID = -1  # numpy integer columns have no NULL: -1 stands for it and NULLIF turns it back


def _object_array(values: Sequence[object]) -> np.ndarray[Any, np.dtype[Any]]:
    array = np.empty(len(values), dtype=object)
    array[:] = values
    return array


def _int_array(values: Sequence[int | None]) -> np.ndarray[Any, np.dtype[Any]]:
    return np.array([_NO_ID if value is None else value for value in values], dtype=np.int64)


def _insert_staged(
    connection: duckdb.DuckDBPyConnection,
    name: str,
    columns: dict[str, np.ndarray[Any, np.dtype[Any]]],
    sql: str,
) -> None:
    """Run `sql` (which reads the table `name`) over numpy columns registered under that name."""
    connection.register(name, columns)
    try:
        connection.execute(sql)
    finally:
        connection.unregister(name)


def _load_tag_staging(
    connection: duckdb.DuckDBPyConnection, tag_sources: Sequence[tuple[int, TagRows]]
) -> None:
    source_ids: list[int] = []
    names: list[str] = []
    categories: list[int] = []
    counts: list[int] = []
    danbooru_ids: list[int | None] = []
    alias_texts: list[str] = []
    for source_id, rows in tag_sources:
        source_ids.extend([source_id] * len(rows))
        names.extend(rows.names)
        categories.extend(rows.categories)
        counts.extend(rows.counts)
        danbooru_ids.extend(rows.danbooru_ids)
        alias_texts.extend(rows.alias_texts)
    tag_columns = {
        "source_id": np.array(source_ids, dtype=np.int32),
        "name": _object_array(names),
        "category": np.array(categories, dtype=np.int8),
        "count": np.array(counts, dtype=np.int64),
        "danbooru_id": _int_array(danbooru_ids),
        "alias_text": _object_array(alias_texts),
    }
    _insert_staged(
        connection,
        "staged_tags",
        tag_columns,
        f"CREATE TEMP TABLE src_tags AS SELECT source_id, name, category, count, "
        f"NULLIF(danbooru_id, {_NO_ID}) AS danbooru_id, alias_text FROM staged_tags",
    )
    connection.execute(
        "CREATE TEMP TABLE src_aliases AS "
        "SELECT source_id, name, unnest(string_split(alias_text, ',')) AS alias "
        "FROM src_tags WHERE alias_text <> ''"
    )


def _merge_tags(connection: duckdb.DuckDBPyConnection) -> None:
    """One row per distinct name; the category of the source with the highest post count wins
    (ties: the source given first); every source's own count stays in tag_sources."""
    connection.execute(
        """
        CREATE TEMP TABLE merged_in_order AS
        SELECT name, category, count, category_source_id, plain_form(name) AS plain
        FROM (
            SELECT name,
                   arg_max(category, count * 4096 - source_id) AS category,
                   arg_max(source_id, count * 4096 - source_id) AS category_source_id,
                   max(count) AS count
            FROM src_tags GROUP BY name
        )
        ORDER BY count DESC, name
        """
    )
    # The table holds the rows in tag_id order, so rowid + 1 is the tag_id: an ORDER BY here is
    # half the cost of row_number() OVER (ORDER BY ...), and the scans below keep that order
    # (preserve_insertion_order, DuckDB's default).
    connection.execute(
        "CREATE TEMP TABLE merged AS "
        "SELECT (rowid + 1)::BIGINT AS tag_id, name, category, count, category_source_id, plain "
        "FROM merged_in_order"
    )
    connection.execute("DROP TABLE merged_in_order")
    connection.execute(
        "INSERT INTO tags SELECT tag_id, name, escape_a1111(plain), category, count FROM merged"
    )
    connection.execute(
        """
        INSERT INTO tag_sources
        SELECT m.tag_id, s.source_id, s.category, s.count, s.danbooru_id
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


def _next_trigger_id_sql() -> str:
    return "(SELECT coalesce(max(trigger_id), 0) FROM triggers)"


def _insert_verified_triggers(
    connection: duckdb.DuckDBPyConnection, triggers: Sequence[LinkedTrigger]
) -> None:
    columns = {
        "text": _object_array([trigger.text for trigger in triggers]),
        "kind": _object_array([trigger.kind.value for trigger in triggers]),
        "tag_id": _int_array([trigger.tag_id for trigger in triggers]),
        "description": _object_array([trigger.description for trigger in triggers]),
        "source_id": np.array([trigger.source_id for trigger in triggers], dtype=np.int32),
        "note": _object_array([trigger.note for trigger in triggers]),
        "rank": _int_array([trigger.rank for trigger in triggers]),
        "position": np.arange(len(triggers), dtype=np.int32),
    }
    _insert_staged(
        connection,
        "staged_triggers",
        columns,
        f"""
        INSERT INTO triggers
        SELECT position + 1, text, kind, NULLIF(tag_id, {_NO_ID}), description::VARCHAR, true, 'verified',
               source_id, note::VARCHAR, NULLIF(rank, {_NO_ID})
        FROM staged_triggers ORDER BY position
        """,
    )


def _insert_artist_candidates(
    connection: duckdb.DuckDBPyConnection, candidates: Sequence[ArtistName]
) -> None:
    """Unverified `by <artist>` triggers; their source is the one whose category the tag took."""
    columns = {
        "tag_id": np.array([candidate.tag_id for candidate in candidates], dtype=np.int64),
        "chosen": _object_array([candidate.chosen for candidate in candidates]),
    }
    _insert_staged(
        connection,
        "staged_candidates",
        columns,
        f"""
        INSERT INTO triggers
        SELECT {_next_trigger_id_sql()} + row_number() OVER (ORDER BY c.tag_id),
               'by ' || plain_form(c.chosen), 'artist_style', c.tag_id, NULL, false, 'danbooru',
               m.category_source_id, NULL, NULL
        FROM staged_candidates c JOIN merged m USING (tag_id)
        ORDER BY c.tag_id
        """,
    )


def _insert_tag_triggers(connection: duckdb.DuckDBPyConnection) -> None:
    """Every tag that is not an artist is a trigger of its category's kind, unless a verified trigger
    already has the same text and kind (that one links to the tag instead)."""
    connection.execute(
        f"""
        INSERT INTO triggers
        SELECT {_next_trigger_id_sql()} + row_number() OVER (ORDER BY m.tag_id),
               m.plain, {_KIND_OF_CATEGORY_SQL}, m.tag_id, NULL, false, 'danbooru', m.category_source_id,
               NULL, NULL
        FROM merged m
        ANTI JOIN triggers v ON v.text = m.plain AND v.kind = {_KIND_OF_CATEGORY_SQL}
        WHERE m.category <> {int(Category.ARTIST)}
        ORDER BY m.tag_id
        """
    )


def _insert_characters(connection: duckdb.DuckDBPyConnection, index: TagIndex) -> None:
    characters = connection.execute(
        "SELECT tag_id, name FROM merged WHERE category = ? ORDER BY tag_id", [int(Category.CHARACTER)]
    ).fetchall()
    rows = character_rows(characters, index)
    separator = "\x1f"  # never in a tag name (ASCII unit separator)
    columns = {
        "tag_id": np.array([row.tag_id for row in rows], dtype=np.int64),
        "name": _object_array([row.name for row in rows]),
        "qualifiers": _object_array([separator.join(row.qualifiers) for row in rows]),
        "copyright": _object_array([row.copyright for row in rows]),
    }
    _insert_staged(
        connection,
        "staged_characters",
        columns,
        f"""
        INSERT INTO characters
        SELECT tag_id, plain_form(name), plain_form(qualifiers[-1]),
               coalesce(list_transform(qualifiers, lambda q: plain_form(q)), []::VARCHAR[]),
               copyright::VARCHAR
        FROM (
            SELECT tag_id, name, copyright,
                   CASE WHEN qualifiers = '' THEN NULL
                        ELSE string_split(qualifiers, '{separator}') END AS qualifiers
            FROM staged_characters
        )
        ORDER BY tag_id
        """,
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
        # Choosing a compression per column costs more than the whole merge; the file stays small anyway.
        connection.execute("SET force_compression = 'uncompressed'")
        # Every statement works on a few hundred thousand rows: a second thread costs more CPU than
        # it saves wall time, and on a shared 2-core machine it only competes with other work.
        connection.execute("SET threads = 1")
        for statement in (*DDL, *FORM_MACROS):
            connection.execute(statement)
        ingested_at = datetime.now(UTC).replace(tzinfo=None)
        connection.executemany(
            "INSERT INTO sources VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [[*astuple(source), ingested_at] for source in sources],  # fields in column order
        )
        _load_tag_staging(connection, tag_sources)
        _merge_tags(connection)
        merged_entries = merge_verified(verified_entries)
        index = _tag_index(connection, lookup_names(entry for _, entry in merged_entries))
        artists = connection.execute(
            "SELECT tag_id, name FROM merged WHERE category = ? ORDER BY tag_id", [int(Category.ARTIST)]
        ).fetchall()
        artist_names = artist_candidate_names(artists)
        verified = link_verified(
            merged_entries, index, {artist.chosen: artist.tag_id for artist in artist_names}
        )
        _insert_verified_triggers(connection, verified)
        _insert_artist_candidates(connection, artist_candidates(artist_names, verified))
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
UNIQUE_KEYS: tuple[tuple[str, str], ...] = (
    ("meta", "key"),
    ("sources", "source_id"),
    ("tags", "tag_id"),
    ("tags", "name"),
    ("tag_sources", "tag_id, source_id"),
    ("aliases", "alias, tag_id"),
    ("triggers", "trigger_id"),
    ("triggers", "text, kind"),
    ("characters", "tag_id"),
)


def check_unique_keys(connection: duckdb.DuckDBPyConnection, path: Path) -> None:
    checks = ", ".join(
        f"(SELECT count(*) - count(DISTINCT ({columns})) FROM {table})" for table, columns in UNIQUE_KEYS
    )
    row = connection.execute(f"SELECT [{checks}]").fetchone()
    duplicates = list(row[0]) if row else []
    for (table, columns), duplicate_count in zip(UNIQUE_KEYS, duplicates, strict=True):
        if duplicate_count:
            raise IngestError(f"{path}: {duplicate_count} duplicate key(s) ({columns}) in table {table}")
