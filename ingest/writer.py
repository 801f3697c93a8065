"""Writing one complete catalog file from the sources that were read.

Bulk loading: each column travels to DuckDB as a numpy array in one registered scan; the merge of
tags over sources, aliases, prompt forms and per-tag triggers are set-based SQL. Python does only
what needs a parser: linking the verified triggers, choosing artist candidate names, splitting
character tags (kb.knowledge.characters).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence, Sized
from dataclasses import astuple, dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import duckdb
import numpy as np

from ingest.aliasfile import AliasRows
from ingest.author_links import (
    ARTIST_PREFIX,
    AuthorArtist,
    AuthorName,
    AuthorVocabulary,
    CharacterForm,
    author_lookup_names,
    link_author_artists,
    link_author_characters,
    reduced_names,
)
from ingest.chants import ChantRows
from ingest.implications import ImplicationRows
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
    series_resolver,
    split_qualifiers,
    taken_artist_names,
)
from ingest.priorities import PriorityRows
from ingest.tagrows import TagRows
from ingest.triggerrows import TriggerEntry
from kb import __version__
from kb.errors import IngestError
from kb.knowledge.caption_groups import UNGROUPED_INDEX, FeaturePart, feature_part
from kb.knowledge.characters import CharacterTag, series_qualifier
from kb.knowledge.tagforms import EMOTICON_TAGS, to_plain_form
from kb.schema import DDL, KIND_OF_CATEGORY, SCHEMA_VERSION, Category, TriggerKind, TriggerTier


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
    list_kind: str | None = None  # a list source's --kind


@dataclass(frozen=True)
class CatalogCounts:
    """Row counts of a written catalog, checked again after it is reopened."""

    tags: int
    tag_sources: int
    aliases: int
    triggers: int
    characters: int
    sources: int
    implications: int = 0
    caption_order: int = 0
    character_features: int = 0
    character_genders: int = 0


def _sql_string_list(values: Iterable[str]) -> str:
    return "[" + ", ".join("'" + value.replace("'", "''") + "'" for value in sorted(values)) + "]"


# kb.knowledge.tagforms.to_plain_form and to_prompt_form as SQL macros for speed; a test checks they agree
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


def _with_names(connection: duckdb.DuckDBPyConnection, index: TagIndex, names: Iterable[str]) -> TagIndex:
    """`index` that also knows the tags of `names` by exact name (for the author's reduced forms)."""
    extra = {
        name: (tag_id, category)
        for tag_id, name, category in connection.execute(
            "SELECT tag_id, name, category FROM merged WHERE name IN (SELECT unnest($names))",
            {"names": sorted(set(names))},
        ).fetchall()
    }
    return TagIndex({**index.tag_of_name, **extra}, index.tags_of_alias)


def _author_artist_trigger(artist: AuthorArtist) -> LinkedTrigger:
    return LinkedTrigger(
        text=ARTIST_PREFIX + to_plain_form(artist.name),
        kind=TriggerKind.ARTIST_STYLE,
        tag_id=artist.tag_id,
        description=None,
        verified=False,
        source_id=artist.source_id,
        note=None,
        rank=None,
        tier=TriggerTier.AUTHOR,
    )


def _author_character_trigger(name: AuthorName) -> LinkedTrigger:
    return LinkedTrigger(
        text=to_plain_form(name.name),
        kind=TriggerKind.CHARACTER,
        tag_id=None,
        description=None,
        verified=False,
        source_id=name.source_id,
        note=None,
        rank=None,
        tier=TriggerTier.AUTHOR,
    )


def _next_trigger_id_sql() -> str:
    return "(SELECT coalesce(max(trigger_id), 0) FROM triggers)"


def _insert_linked_triggers(connection: duckdb.DuckDBPyConnection, triggers: Sequence[LinkedTrigger]) -> None:
    """Verified and author-tier triggers, first in trigger_id order."""
    columns = {
        "text": _object_array([trigger.text for trigger in triggers]),
        "kind": _object_array([trigger.kind.value for trigger in triggers]),
        "tag_id": _int_array([trigger.tag_id for trigger in triggers]),
        "description": _object_array([trigger.description for trigger in triggers]),
        "source_id": np.array([trigger.source_id for trigger in triggers], dtype=np.int32),
        "note": _object_array([trigger.note for trigger in triggers]),
        "rank": _int_array([trigger.rank for trigger in triggers]),
        "verified": np.array([trigger.verified for trigger in triggers], dtype=np.bool_),
        "tier": _object_array([trigger.tier.value for trigger in triggers]),
        "position": np.arange(len(triggers), dtype=np.int32),
    }
    _insert_staged(
        connection,
        "staged_triggers",
        columns,
        f"""
        INSERT INTO triggers
        SELECT position + 1, text, kind, NULLIF(tag_id, {_NO_ID}), description::VARCHAR, verified, tier,
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


def _stage_forms(connection: duckdb.DuckDBPyConnection, forms: Mapping[int, CharacterForm]) -> None:
    """The author's character forms as a temp table `forms(tag_id, text, source_id)`."""
    ordered = sorted(forms.values(), key=lambda form: form.tag_id)
    columns = {
        "tag_id": np.array([form.tag_id for form in ordered], dtype=np.int64),
        "form": _object_array([form.form for form in ordered]),
        "source_id": np.array([form.source_id for form in ordered], dtype=np.int32),
    }
    _insert_staged(
        connection,
        "staged_forms",
        columns,
        "CREATE TEMP TABLE forms AS SELECT tag_id, plain_form(form) AS text, source_id FROM staged_forms",
    )


def _insert_tag_triggers(connection: duckdb.DuckDBPyConnection) -> None:
    """Every tag that is not an artist is a trigger of its category's kind, unless a verified trigger
    already has the same text and kind (that one links to the tag instead). A character with an
    author's form (table `forms`) is triggered by that form, in the author tier, from that source."""
    connection.execute(
        f"""
        INSERT INTO triggers
        SELECT {_next_trigger_id_sql()} + row_number() OVER (ORDER BY m.tag_id),
               coalesce(f.text, m.plain), {_KIND_OF_CATEGORY_SQL}, m.tag_id, NULL, false,
               CASE WHEN f.tag_id IS NULL THEN 'danbooru' ELSE 'author' END,
               coalesce(f.source_id, m.category_source_id), NULL, NULL
        FROM merged m LEFT JOIN forms f USING (tag_id)
        ANTI JOIN triggers v ON v.text = coalesce(f.text, m.plain) AND v.kind = {_KIND_OF_CATEGORY_SQL}
        WHERE m.category <> {int(Category.ARTIST)}
        ORDER BY m.tag_id
        """
    )


def _series_of_aliases(
    connection: duckdb.DuckDBPyConnection, series_of: Callable[[str], str | None]
) -> dict[int, dict[str, int]]:
    """Character tag id → {copyright: source} of each series its Danbooru aliases name
    (`raiden_shogun_(genshin_impact)`, `baal_(genshin_impact)`), with the first source listing one."""
    found: dict[int, dict[str, int]] = {}
    for tag_id, alias, source_id in connection.execute(
        "SELECT a.tag_id, a.alias, a.source_id FROM aliases a JOIN merged m USING (tag_id) "
        "WHERE m.category = ? AND a.alias LIKE '%)' ORDER BY a.tag_id, a.source_id, a.alias",
        [int(Category.CHARACTER)],
    ).fetchall():
        base, qualifiers = split_qualifiers(alias)
        series = series_qualifier(CharacterTag(alias, base, qualifiers), series_of) if qualifiers else None
        if series is not None:
            found.setdefault(tag_id, {}).setdefault(series[1], source_id)
    return found


def _alias_series(aliases_series: Mapping[int, Mapping[str, int]]) -> dict[int, tuple[str, int]]:
    """(copyright, source) where a character's aliases all name one series."""
    return {tag_id: next(iter(named.items())) for tag_id, named in aliases_series.items() if len(named) == 1}


def _own_series(
    connection: duckdb.DuckDBPyConnection, index: TagIndex, aliases_series: Mapping[int, Mapping[str, int]]
) -> dict[int, frozenset[str]]:
    """Character tag id → every series its own tag name's qualifier and its aliases name (a franchise
    and its games may both be named: `fate_(series)`, `fate/grand_order`)."""
    characters = connection.execute(
        "SELECT tag_id, name FROM merged WHERE category = ? ORDER BY tag_id", [int(Category.CHARACTER)]
    ).fetchall()
    own = {tag_id: set(named) for tag_id, named in aliases_series.items()}
    for row in character_rows(characters, index):
        if row.copyright is not None:
            own.setdefault(row.tag_id, set()).add(row.copyright)
    return {tag_id: frozenset(series) for tag_id, series in own.items()}


def _insert_characters(
    connection: duckdb.DuckDBPyConnection,
    index: TagIndex,
    forms: Mapping[int, CharacterForm],
    alias_series: Mapping[int, tuple[str, int]],
) -> None:
    """One row per character tag, parsed from the form AIDXL knows (the author's, else the tag's own
    name); the form's source also gave the name, qualifiers and copyright. A form without a series
    takes the copyright its aliases name (`_alias_series`), from the aliases' source."""
    characters = connection.execute(
        "SELECT tag_id, name FROM merged WHERE category = ? ORDER BY tag_id", [int(Category.CHARACTER)]
    ).fetchall()
    named = [(tag_id, forms[tag_id].form if tag_id in forms else name) for tag_id, name in characters]
    series_of_tag = {row.tag_id: row.copyright for row in character_rows(characters, index)}
    rows = []
    alias_sourced: list[int | None] = []  # the aliases' source, where they named the copyright
    for row in character_rows(named, index):
        # The form's series, else the tag's own (an author form may drop it: `a2_(nier:automata)`
        # is `yorha type a no. 2`), else the one its aliases all name.
        source_id = None
        if row.copyright is None and series_of_tag.get(row.tag_id) is not None:
            row = row._replace(copyright=series_of_tag[row.tag_id])
        elif row.copyright is None and row.tag_id in alias_series:
            copyright_name, source_id = alias_series[row.tag_id]
            row = row._replace(copyright=copyright_name)
        alias_sourced.append(source_id)
        rows.append(row)
    separator = "\x1f"  # never in a tag name (ASCII unit separator)
    columns = {
        "tag_id": np.array([row.tag_id for row in rows], dtype=np.int64),
        "form": _object_array([form for _, form in named]),
        "name": _object_array([row.name for row in rows]),
        "qualifiers": _object_array([separator.join(row.qualifiers) for row in rows]),
        "copyright": _object_array([row.copyright for row in rows]),
        "copyright_source": _object_array(alias_sourced),
    }
    _insert_staged(
        connection,
        "staged_characters",
        columns,
        f"""
        INSERT INTO characters
        SELECT c.tag_id, plain_form(c.name), plain_form(c.qualifiers[-1]),
               coalesce(list_transform(c.qualifiers, lambda q: plain_form(q)), []::VARCHAR[]),
               c.copyright::VARCHAR, plain_form(c.form),
               coalesce(f.source_id, m.category_source_id),
               CASE WHEN c.copyright IS NULL THEN NULL
                    ELSE coalesce(c.copyright_source::INTEGER, f.source_id, m.category_source_id) END
        FROM (
            SELECT tag_id, form, name, copyright, copyright_source,
                   CASE WHEN qualifiers = '' THEN NULL
                        ELSE string_split(qualifiers, '{separator}') END AS qualifiers
            FROM staged_characters
        ) c
        JOIN merged m USING (tag_id)
        LEFT JOIN forms f USING (tag_id)
        ORDER BY c.tag_id
        """,
    )


def write_catalog(
    path: Path,
    sources: Sequence[SourceRecord],
    tag_sources: Sequence[tuple[int, TagRows]],
    verified_entries: Sequence[tuple[int, TriggerEntry]],
    fingerprint: str,
    author: AuthorVocabulary | None = None,
    author_tables: AuthorTables | None = None,
) -> WrittenCatalog:
    """Create the catalog at `path` (a new file); its row counts and what linking found per source."""
    author = author if author is not None else AuthorVocabulary()
    connection = duckdb.connect(str(path))
    connection.execute("SET enable_progress_bar = false")  # DuckDB would draw it on stdout
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
            "INSERT INTO sources (source_id, kind, name, location, file_name, sha256, rows, skipped, "
            "list_kind, ingested_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [[*astuple(source), ingested_at] for source in sources],  # fields in column order
        )
        _load_tag_staging(connection, tag_sources)
        _merge_tags(connection)
        merged_entries = merge_verified(verified_entries)
        wanted = lookup_names(entry for _, entry in merged_entries)
        wanted.update(author_lookup_names(author.artists, author.characters))
        index = _tag_index(connection, wanted)
        series_of = series_resolver(index)
        # Rule 3 of ingest/author_links.py looks at names that are neither a tag nor an alias.
        unknown = (
            name.name
            for name in author.characters
            if name.name not in index.tag_of_name and name.name not in index.tags_of_alias
        )
        reduced = reduced_names(unknown, series_of)
        index = _with_names(connection, index, (name.base for name in reduced.values()))
        artists = connection.execute(
            "SELECT tag_id, name FROM merged WHERE category = ? ORDER BY tag_id", [int(Category.ARTIST)]
        ).fetchall()
        artist_names = artist_candidate_names(artists)
        artist_of_chosen = {artist.chosen: artist.tag_id for artist in artist_names}
        verified = link_verified(merged_entries, index, artist_of_chosen)
        taken = taken_artist_names(verified)
        author_artists = link_author_artists(author.artists, index, artist_of_chosen, taken)
        aliases_series = _series_of_aliases(connection, series_of)
        alias_series = _alias_series(aliases_series)
        own_series = _own_series(connection, index, aliases_series)
        characters = link_author_characters(author.characters, index, reduced, own_series)
        linked = [
            *verified,
            *(_author_artist_trigger(artist) for artist in author_artists),
            *(_author_character_trigger(name) for name in characters.author_only),
        ]
        _insert_linked_triggers(connection, linked)
        linked_artists = {trigger.tag_id for trigger in verified if trigger.kind is TriggerKind.ARTIST_STYLE}
        linked_artists.update(artist.tag_id for artist in author_artists)
        taken.update(artist.name for artist in author_artists)
        _insert_artist_candidates(connection, artist_candidates(artist_names, linked_artists, taken))
        _stage_forms(connection, characters.forms)
        _insert_tag_triggers(connection)
        _insert_characters(connection, index, characters.forms, alias_series)
        link_notes = _insert_author_tables(connection, author_tables or AuthorTables())
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
        for table in ("src_tags", "src_aliases", "merged", "forms"):
            connection.execute(f"DROP TABLE {table}")
        check_unique_keys(connection, path)
        connection.execute("CHECKPOINT")
    finally:
        connection.close()
    return WrittenCatalog(counts, link_notes)


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
        implications=count("implications"),
        caption_order=count("caption_order"),
        character_features=count("character_features"),
        character_genders=count("character_genders"),
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
    ("implications", "tag, implied"),
    ("caption_order", "tag"),
    ("character_features", "tag_id, source_id, part, position"),
    ("character_features", "tag_id, source_id, feature"),
    ("character_genders", "tag_id, source_id"),
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


# --- The model author's caption tables (implications, caption order, aliases) and chants ---------


@dataclass(frozen=True)
class AuthorTables:
    """The author's caption tables and the chant files to store, each with its source id."""

    implications: Sequence[tuple[int, ImplicationRows]] = ()
    priorities: Sequence[tuple[int, PriorityRows]] = ()
    aliases: Sequence[tuple[int, AliasRows]] = ()
    chants: Sequence[tuple[int, ChantRows]] = ()


@dataclass(frozen=True)
class WrittenCatalog:
    counts: CatalogCounts
    link_notes: dict[int, tuple[str, ...]]  # source_id -> what linking its rows found (aliases, chants)


def _insert_author_tables(
    connection: duckdb.DuckDBPyConnection, tables: AuthorTables
) -> dict[int, tuple[str, ...]]:
    """Runs after every other table is written: the author's aliases join the aliases table here, so
    they link chants to characters but change no link made before (verified triggers, copyrights)."""
    _insert_implications(connection, tables.implications)
    _insert_caption_order(connection, tables.priorities)
    notes = _insert_author_aliases(connection, tables.aliases)
    notes.update(_insert_chants(connection, tables.chants))
    return notes


def _source_id_column(columns: Sequence[tuple[int, Sized]]) -> np.ndarray[Any, np.dtype[Any]]:
    """The source id of every row, given (source id, one of that source's columns) in order."""
    return np.concatenate([np.full(len(column), source_id, dtype=np.int32) for source_id, column in columns])


def _insert_implications(
    connection: duckdb.DuckDBPyConnection, sources: Sequence[tuple[int, ImplicationRows]]
) -> None:
    if not any(rows.tags for _, rows in sources):
        return
    columns = {
        "source_id": _source_id_column([(source_id, rows.tags) for source_id, rows in sources]),
        "tag": _object_array([tag for _, rows in sources for tag in rows.tags]),
        "implied": _object_array([implied for _, rows in sources for implied in rows.implied]),
    }
    _insert_staged(
        connection,
        "staged_implications",
        columns,
        "INSERT INTO implications SELECT tag, implied, min(source_id) FROM staged_implications "
        "GROUP BY tag, implied ORDER BY tag, implied",
    )


def _insert_caption_order(
    connection: duckdb.DuckDBPyConnection, sources: Sequence[tuple[int, PriorityRows]]
) -> None:
    """One group per tag: the first source listing the tag wins."""
    if not any(rows.tags for _, rows in sources):
        return
    columns = {
        "source_id": _source_id_column([(source_id, rows.tags) for source_id, rows in sources]),
        "tag": _object_array([tag for _, rows in sources for tag in rows.tags]),
        "group_index": np.array(
            [group for _, rows in sources for group in rows.group_indexes], dtype=np.int32
        ),
    }
    _insert_staged(
        connection,
        "staged_priorities",
        columns,
        "INSERT INTO caption_order SELECT tag, arg_min(group_index, source_id), min(source_id) "
        "FROM staged_priorities GROUP BY tag ORDER BY tag",
    )


def _insert_author_aliases(
    connection: duckdb.DuckDBPyConnection, sources: Sequence[tuple[int, AliasRows]]
) -> dict[int, tuple[str, ...]]:
    """Each alias whose tag is a catalog tag (by exact name) becomes an aliases row, unless that
    (alias, tag) pair is already there from an earlier source; the others are counted."""
    if not any(rows.aliases for _, rows in sources):
        return {}
    columns = {
        "source_id": _source_id_column([(source_id, rows.aliases) for source_id, rows in sources]),
        "alias": _object_array([alias for _, rows in sources for alias in rows.aliases]),
        "tag": _object_array([tag for _, rows in sources for tag in rows.tags]),
    }
    _insert_staged(
        connection,
        "staged_author_aliases",
        columns,
        "CREATE TEMP TABLE author_aliases AS SELECT s.source_id, s.alias, t.tag_id, "
        "EXISTS (SELECT 1 FROM aliases e WHERE e.alias = s.alias AND e.tag_id = t.tag_id) AS known "
        "FROM staged_author_aliases s LEFT JOIN tags t ON t.name = s.tag",
    )
    connection.execute(
        "INSERT INTO aliases SELECT alias, tag_id, min(source_id) FROM author_aliases "
        "WHERE tag_id IS NOT NULL AND NOT known GROUP BY alias, tag_id ORDER BY alias, tag_id"
    )
    notes: dict[int, tuple[str, ...]] = {}
    for source_id, unknown, known in connection.execute(
        "SELECT source_id, count(*) FILTER (tag_id IS NULL), count(*) FILTER (known) "
        "FROM author_aliases GROUP BY source_id ORDER BY source_id"
    ).fetchall():
        notes[source_id] = (
            f"{unknown} alias(es) whose tag is not in the catalog left out; "
            f"{known} already known from an earlier source",
        )
    connection.execute("DROP TABLE author_aliases")
    return notes


def _character_lookup(
    connection: duckdb.DuckDBPyConnection, names: Iterable[str]
) -> tuple[dict[str, int], dict[str, int]]:
    """Character tags (category 4) by exact name, and by alias (the most-posted character an alias
    names), for the wanted names."""
    parameters = {"wanted": sorted(set(names)), "character": int(Category.CHARACTER)}
    by_name = dict(
        connection.execute(
            "SELECT name, tag_id FROM tags WHERE category = $character AND name IN (SELECT unnest($wanted))",
            parameters,
        ).fetchall()
    )
    by_alias = dict(
        connection.execute(
            "SELECT a.alias, arg_max(t.tag_id, t.count) FROM aliases a JOIN tags t USING (tag_id) "
            "WHERE t.category = $character AND a.alias IN (SELECT unnest($wanted)) GROUP BY a.alias",
            parameters,
        ).fetchall()
    )
    return by_name, by_alias


def _feature_names(connection: duckdb.DuckDBPyConnection, tags: Iterable[str]) -> dict[str, str]:
    """Core tags that are not tag names but aliases → the name of their (most-posted) tag."""
    return dict(
        connection.execute(
            "SELECT a.alias, arg_max(t.name, t.count) FROM aliases a JOIN tags t USING (tag_id) "
            "WHERE a.alias IN (SELECT unnest($wanted)) "
            "AND a.alias NOT IN (SELECT name FROM tags WHERE name IN (SELECT unnest($wanted))) "
            "GROUP BY a.alias",
            {"wanted": sorted(set(tags))},
        ).fetchall()
    )


@dataclass
class _ChantTables:
    """Rows for character_features and character_genders, column by column."""

    feature_tag_ids: list[int]
    feature_parts: list[str]
    feature_positions: list[int]
    features: list[str]
    feature_source_ids: list[int]
    gender_tag_ids: list[int]
    genders: list[str]
    gender_source_ids: list[int]


def _insert_chants(
    connection: duckdb.DuckDBPyConnection, sources: Sequence[tuple[int, ChantRows]]
) -> dict[int, tuple[str, ...]]:
    """Link each chant to its character tag (exact name, else through an alias) and store its gender
    and its features: canonical, repeats dropped, split into appearance and outfit by
    kb.knowledge.caption_groups, each part in the author's caption order (group index, then chant order)."""
    if not any(rows.chants for _, rows in sources):
        return {source_id: (f"{rows.presets} preset(s) skipped",) for source_id, rows in sources}
    chants = [chant for _, rows in sources for chant in rows.chants]
    character_of_name, character_of_alias = _character_lookup(connection, {chant.name for chant in chants})
    alias_targets = _feature_names(connection, {tag for chant in chants for tag in chant.core_tags})
    feature_names = {alias_targets.get(tag, tag) for chant in chants for tag in chant.core_tags}
    group_of: dict[str, int] = dict(
        connection.execute(
            "SELECT tag, group_index FROM caption_order WHERE tag IN (SELECT unnest($wanted))",
            {"wanted": sorted(feature_names)},
        ).fetchall()
    )
    part_of: dict[str, FeaturePart | None] = {
        name: feature_part(name, group_of.get(name)) for name in feature_names
    }
    # The author's implications (written just before): a feature another one implies is left out,
    # as the author's caption tools drop it (`very_long_hair` keeps, `long_hair` goes).
    implied_of: dict[str, set[str]] = {}
    for tag, implied in connection.execute(
        "SELECT tag, implied FROM implications WHERE tag IN (SELECT unnest($wanted))",
        {"wanted": sorted(feature_names)},
    ).fetchall():
        implied_of.setdefault(str(tag), set()).add(str(implied))
    tables = _ChantTables([], [], [], [], [], [], [], [])
    notes: dict[int, tuple[str, ...]] = {}
    for source_id, rows in sources:
        exact: list[tuple[int, int, bool]] = []  # (tag_id, chant index, through an alias)
        through_alias: list[tuple[int, int, bool]] = []
        for position, chant in enumerate(rows.chants):
            tag_id = character_of_name.get(chant.name)
            if tag_id is not None:
                exact.append((tag_id, position, False))
            elif (tag_id := character_of_alias.get(chant.name)) is not None:
                through_alias.append((tag_id, position, True))
        claimed: set[int] = set()
        via_alias = dropped = genderless = implied = 0
        for tag_id, position, aliased in [*exact, *through_alias]:  # exact names claim their tag first
            if tag_id in claimed:
                continue
            claimed.add(tag_id)
            via_alias += aliased
            chant = rows.chants[position]
            if chant.gender is None:
                genderless += 1
            else:
                tables.gender_tag_ids.append(tag_id)
                tables.genders.append(chant.gender.value)
                tables.gender_source_ids.append(source_id)
            not_features, implied_features = _add_features(
                tables, tag_id, source_id, chant.core_tags, alias_targets, part_of, group_of, implied_of
            )
            dropped += not_features
            implied += implied_features
        resolved = len(exact) + len(through_alias)
        doubles = resolved - len(claimed)
        notes[source_id] = (
            f"{len(claimed)} of {len(rows.chants)} characters linked to catalog tags "
            f"({via_alias} through an alias); {len(rows.chants) - resolved} not in the catalog",
            *([f"{doubles} chant(s) naming a character another chant already describes"] if doubles else []),
            f"{genderless} linked character(s) without a gender tag",
            f"{dropped} core tag(s) that describe the picture, not the character "
            "(role, expression, action, ...), left out",
            f"{implied} core tag(s) implied by another of the same character's (the author's "
            "implications), left out",
            f"{rows.presets} preset(s) skipped",
        )
    _insert_chant_tables(connection, tables)
    return notes


def _add_features(
    tables: _ChantTables,
    tag_id: int,
    source_id: int,
    core_tags: Sequence[str],
    alias_targets: dict[str, str],
    part_of: dict[str, FeaturePart | None],
    group_of: dict[str, int],
    implied_of: dict[str, set[str]],
) -> tuple[int, int]:
    """Append one character's feature rows; returns how many core tags were not features, and how
    many were implied by another of its features."""
    by_part: dict[FeaturePart, list[str]] = {FeaturePart.APPEARANCE: [], FeaturePart.OUTFIT: []}
    core_names = list(dict.fromkeys(alias_targets.get(tag, tag) for tag in core_tags))  # repeats dropped
    features = [name for name in core_names if part_of[name] is not None]
    implied_here = set().union(*(implied_of.get(name, set()) for name in features)) & set(features)
    dropped = len(core_names) - len(features)
    for name in features:
        part = part_of[name]
        if part is not None and name not in implied_here:
            by_part[part].append(name)
    for part, names in by_part.items():
        names.sort(key=lambda name: group_of.get(name, UNGROUPED_INDEX))  # stable: chant order within a group
        tables.feature_tag_ids.extend([tag_id] * len(names))
        tables.feature_parts.extend([part.value] * len(names))
        tables.feature_positions.extend(range(1, len(names) + 1))
        tables.features.extend(names)
        tables.feature_source_ids.extend([source_id] * len(names))
    return dropped, len(implied_here)


def _insert_chant_tables(connection: duckdb.DuckDBPyConnection, tables: _ChantTables) -> None:
    if tables.features:
        _insert_staged(
            connection,
            "staged_features",
            {
                "tag_id": np.array(tables.feature_tag_ids, dtype=np.int64),
                "part": _object_array(tables.feature_parts),
                "position": np.array(tables.feature_positions, dtype=np.int32),
                "feature": _object_array(tables.features),
                "source_id": np.array(tables.feature_source_ids, dtype=np.int32),
            },
            "INSERT INTO character_features SELECT tag_id, part, position, feature, source_id "
            "FROM staged_features ORDER BY tag_id, source_id, part, position",
        )
    if tables.genders:
        _insert_staged(
            connection,
            "staged_genders",
            {
                "tag_id": np.array(tables.gender_tag_ids, dtype=np.int64),
                "gender": _object_array(tables.genders),
                "source_id": np.array(tables.gender_source_ids, dtype=np.int32),
            },
            "INSERT INTO character_genders SELECT tag_id, gender, source_id FROM staged_genders "
            "ORDER BY tag_id, source_id",
        )
