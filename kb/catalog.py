"""Opening the catalog for reading, with clear errors instead of tracebacks."""

from __future__ import annotations

import os
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import duckdb

from kb.catalog_digest import check_catalog_content
from kb.errors import CatalogError, DamagedCatalogError
from kb.schema import SCHEMA_VERSION, TriggerTier


def open_catalog(path: Path) -> duckdb.DuckDBPyConnection:
    """Open a built catalog read-only.

    Read-only connections never take DuckDB's writer lock, so any number of explorers and
    scripts can read while `aidxl ingest` builds the next catalog beside it.
    """
    if not path.exists():
        raise CatalogError(f"{path}: no catalog here; build one with `aidxl ingest`")
    if path.is_dir():
        raise CatalogError(f"{path}: is a directory, not a catalog file")
    if not path.is_file():
        raise CatalogError(f"{path}: is not a regular file, not a catalog file")
    not_duckdb = _why_not_a_duckdb_file(path)
    if not_duckdb is not None:
        raise CatalogError(
            f"{path}: not a DuckDB catalog file ({not_duckdb}); check the path, "
            "or build a catalog with `aidxl ingest`"
        )
    try:
        # Absolute, so DuckDB never reads the name as one of its own (`:memory:`, `md:...`).
        connection = duckdb.connect(str(path.absolute()), read_only=True)
        # No progress bar: DuckDB draws it on stdout for long queries, into `--json` output too.
        connection.execute("SET enable_progress_bar = false")
    except duckdb.Error as error:
        if is_damage_error(error):
            raise _damaged(path, _first_line(error)) from error
        raise CatalogError(
            f"{path}: not a readable DuckDB catalog ({_first_line(error)}); rebuild with `aidxl ingest`"
        ) from error
    try:
        found_version = read_schema_version(connection)
    except duckdb.Error as error:
        connection.close()
        raise _damaged(path, _first_line(error)) from error
    if found_version != SCHEMA_VERSION:
        connection.close()
        raise CatalogError(
            f"{path}: catalog schema version {found_version}, this aidxl-kb needs {SCHEMA_VERSION}; "
            "rebuild with `aidxl ingest`"
        )
    # The content check (kb.catalog_digest): instant unless the file changed since ingest wrote it.
    content = check_catalog_content(Path(os.path.realpath(path)), full=False)
    if content.damaged is not None:
        connection.close()
        raise _damaged(path, content.damaged)
    return connection


# A DuckDB database file starts with an 8-byte checksum, then this magic (DuckDB's MainHeader).
_DUCKDB_MAGIC = b"DUCK"
_DUCKDB_MAGIC_OFFSET = 8


def _why_not_a_duckdb_file(path: Path) -> str | None:
    """Why the file cannot be a DuckDB database (empty, text, another format), or None when its
    header says it is one; DuckDB's own errors for such files are misleading ("in-memory")."""
    try:
        with open(path, "rb") as handle:
            head = handle.read(64)
    except OSError as error:
        return f"cannot read it: {error.strerror}"
    if not head:
        return "the file is empty"
    if head[_DUCKDB_MAGIC_OFFSET : _DUCKDB_MAGIC_OFFSET + len(_DUCKDB_MAGIC)] == _DUCKDB_MAGIC:
        return None
    try:
        text = head.decode("utf-8")
    except UnicodeDecodeError as error:
        if error.start < len(head) - 3:  # not just a character cut at the end of what was read
            return "no DuckDB header at its start"
        text = head[: error.start].decode("utf-8")
    first_line = next((line.strip() for line in text.splitlines() if line.strip()), "")
    if not first_line.isprintable():
        return "no DuckDB header at its start"
    shown = first_line if len(first_line) <= 30 else first_line[:27] + "..."
    return f"it holds text: {shown!r}" if shown else "it holds blank text"


def read_schema_version(connection: duckdb.DuckDBPyConnection) -> int | None:
    """The catalog's schema version; None when it has no meta table (not a catalog, or a very old one).
    A damaged file raises its duckdb.Error (`is_damage_error`)."""
    try:
        row = connection.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchone()
    except duckdb.Error as error:
        if is_damage_error(error):
            raise
        return None
    try:
        return int(row[0]) if row is not None else None
    except ValueError:
        return None


def _first_line(error: BaseException) -> str:
    text = str(error).strip()
    return text.splitlines()[0] if text else type(error).__name__


def damaged_catalog_message(path: Path, reason: str) -> str:
    """The one sentence every command prints for a damaged catalog file."""
    return f"{path}: the catalog file is damaged ({reason}); rebuild it with `aidxl ingest`"


def _damaged(path: Path, reason: str) -> DamagedCatalogError:
    return DamagedCatalogError(damaged_catalog_message(path, reason), reason=reason)


# DuckDB's words for a file whose blocks do not read back (a failed checksum, a cut file).
_DAMAGE_MARKERS = ("Corrupt database file", "checksum", "Could not read enough bytes", "Invalid block")


def is_damage_error(error: BaseException) -> bool:
    """True when a DuckDB error says the database file itself is damaged."""
    text = str(error)
    return isinstance(error, duckdb.Error) and any(marker in text for marker in _DAMAGE_MARKERS)


def catalog_error_for(error: BaseException, path: Path) -> CatalogError | None:
    """The one-sentence CatalogError for a DuckDB error met while reading the catalog at `path`, or
    None when the error is not about the file (a bug: let it show)."""
    if is_damage_error(error):
        return _damaged(path, _first_line(error))
    if isinstance(error, duckdb.IOException):
        return CatalogError(f"{path}: cannot read the catalog ({_first_line(error)})")
    return None


# Tables whose rows each name their source, counted per source by `aidxl stats`.
SOURCE_TABLES = ("aliases", "implications", "caption_order", "character_features", "character_genders")
# Facts kept in a column of another table, counted per source like SOURCE_TABLES: name -> (table, column).
SOURCE_COLUMNS: dict[str, tuple[str, str]] = {
    "character_forms": ("characters", "form_source_id"),
    "character_copyrights": ("characters", "copyright_source_id"),
}
# The tables of the model author's caption tools and chants, counted in total.
AUTHOR_TABLES = ("implications", "caption_order", "character_features", "character_genders")


@dataclass(frozen=True)
class SourceStats:
    """One ingested file: its rows per Danbooru category (tag files), triggers per kind, and rows in
    the tables whose rows name their source (aliases, implications, caption order, chants)."""

    source_id: int
    kind: str
    location: str
    file_name: str
    sha256: str
    rows: int
    skipped: int
    rows_per_category: dict[int, int]
    triggers_per_kind: dict[str, int]
    rows_per_table: dict[str, int] = field(default_factory=dict)  # SOURCE_TABLES it has rows in


@dataclass(frozen=True)
class CatalogStats:
    path: Path
    built_at: datetime  # UTC
    schema_version: int
    tag_count: int
    alias_count: int
    character_count: int
    tags_per_category: dict[int, int]
    triggers_per_kind: dict[str, int]
    verified_triggers_per_kind: dict[str, int]
    sources: tuple[SourceStats, ...]
    # Every TriggerTier, best first, with 0 where none: in all, and per kind (kinds as above).
    triggers_per_tier: dict[str, int]
    triggers_per_kind_and_tier: dict[str, dict[str, int]]
    table_counts: dict[str, int] = field(default_factory=dict)  # rows of each of AUTHOR_TABLES
    # Entries per kind (kb.search.entries): what the explorer's lists and `aidxl search` show; fewer
    # than triggers where a tag has several trigger texts (they find one entry).
    entries_per_kind: dict[str, int] = field(default_factory=dict)

    def age_seconds(self, now: datetime | None = None) -> float:
        current = now if now is not None else datetime.now(UTC)
        return (current - self.built_at).total_seconds()

    def to_json(self, now: datetime | None = None) -> dict[str, Any]:
        """The `aidxl stats --json` object (keys of per-category maps are category numbers as strings)."""
        return {
            "catalog": str(self.path),
            "built_at": self.built_at.isoformat(timespec="seconds").replace("+00:00", "Z"),
            "age_seconds": round(self.age_seconds(now), 1),
            "schema_version": self.schema_version,
            "tags": self.tag_count,
            "aliases": self.alias_count,
            "characters": self.character_count,
            "tags_per_category": {str(key): value for key, value in self.tags_per_category.items()},
            "triggers_per_kind": self.triggers_per_kind,
            "entries_per_kind": self.entries_per_kind,
            "verified_triggers_per_kind": self.verified_triggers_per_kind,
            **self.table_counts,
            "triggers_per_tier": self.triggers_per_tier,
            "triggers_per_kind_and_tier": self.triggers_per_kind_and_tier,
            "sources": [
                {
                    "kind": source.kind,
                    "file_name": source.file_name,
                    "location": source.location,
                    "sha256": source.sha256,
                    "rows": source.rows,
                    "skipped": source.skipped,
                    "rows_per_category": {str(key): value for key, value in source.rows_per_category.items()},
                    "triggers_per_kind": source.triggers_per_kind,
                    "rows_per_table": source.rows_per_table,
                }
                for source in self.sources
            ],
        }


def _grouped(connection: duckdb.DuckDBPyConnection, sql: str) -> dict[Any, dict[Any, int]]:
    grouped: dict[Any, dict[Any, int]] = {}
    for outer, inner, count in connection.execute(sql).fetchall():
        grouped.setdefault(outer, {})[inner] = int(count)
    return grouped


def _scalar(connection: duckdb.DuckDBPyConnection, sql: str) -> Any:
    row = connection.execute(sql).fetchone()
    return row[0] if row else None


def catalog_stats(connection: duckdb.DuckDBPyConnection, path: Path) -> CatalogStats:
    """Counts for `aidxl stats`, read from an open catalog."""
    from kb.search.entries import entries_per_kind

    per_category = _grouped(
        connection,
        "SELECT source_id, category, count(*) FROM tag_sources GROUP BY ALL ORDER BY ALL",
    )
    per_kind = _grouped(
        connection, "SELECT source_id, kind, count(*) FROM triggers GROUP BY ALL ORDER BY ALL"
    )
    per_table = _grouped(
        connection,
        " UNION ALL ".join(
            [
                *(
                    f"SELECT source_id, '{table}' AS name, count(*) FROM {table} GROUP BY source_id"
                    for table in SOURCE_TABLES
                ),
                *(
                    f"SELECT {column}, '{name}', count(*) FROM {table} WHERE {column} IS NOT NULL "
                    f"GROUP BY {column}"
                    for name, (table, column) in SOURCE_COLUMNS.items()
                ),
            ]
        ),
    )
    sources = tuple(
        SourceStats(
            source_id,
            kind,
            location,
            file_name,
            sha256,
            rows,
            skipped,
            per_category.get(source_id, {}),
            per_kind.get(source_id, {}),
            {
                table: per_table[source_id][table]
                for table in (*SOURCE_TABLES, *SOURCE_COLUMNS)
                if table in per_table.get(source_id, {})
            },
        )
        for source_id, kind, location, file_name, sha256, rows, skipped in connection.execute(
            "SELECT source_id, kind, location, file_name, sha256, rows, skipped "
            "FROM sources ORDER BY source_id"
        ).fetchall()
    )
    all_kinds = _grouped(connection, "SELECT 0, kind, count(*) FROM triggers GROUP BY ALL ORDER BY ALL")
    verified = _grouped(
        connection, "SELECT 0, kind, count(*) FROM triggers WHERE verified GROUP BY ALL ORDER BY ALL"
    )
    per_kind_and_tier = _grouped(
        connection, "SELECT kind, tier, count(*) FROM triggers GROUP BY ALL ORDER BY ALL"
    )
    tiers = [str(tier) for tier in TriggerTier]
    # A tier this version does not know (a newer catalog) is counted under its own name.
    tiers += sorted({tier for counts in per_kind_and_tier.values() for tier in counts} - set(tiers))
    kind_and_tier = {
        kind: {tier: per_kind_and_tier[kind].get(tier, 0) for tier in tiers}
        for kind in sorted(per_kind_and_tier)
    }
    per_tier = {tier: sum(counts[tier] for counts in kind_and_tier.values()) for tier in tiers}
    categories = _grouped(connection, "SELECT 0, category, count(*) FROM tags GROUP BY ALL ORDER BY ALL")
    built_at = datetime.fromisoformat(
        str(_scalar(connection, "SELECT value FROM meta WHERE key = 'built_at'")).replace("Z", "+00:00")
    )
    return CatalogStats(
        path=path,
        built_at=built_at,
        schema_version=int(_scalar(connection, "SELECT value FROM meta WHERE key = 'schema_version'")),
        tag_count=int(_scalar(connection, "SELECT count(*) FROM tags")),
        alias_count=int(_scalar(connection, "SELECT count(*) FROM aliases")),
        character_count=int(_scalar(connection, "SELECT count(*) FROM characters")),
        tags_per_category=categories.get(0, {}),
        triggers_per_kind=all_kinds.get(0, {}),
        verified_triggers_per_kind=verified.get(0, {}),
        sources=sources,
        triggers_per_tier=per_tier,
        triggers_per_kind_and_tier=kind_and_tier,
        table_counts={
            table: int(_scalar(connection, f"SELECT count(*) FROM {table}")) for table in AUTHOR_TABLES
        },
        entries_per_kind=entries_per_kind(connection),
    )


@dataclass(frozen=True)
class SourceRef:
    """A catalog source, as people name it: the registry name when known, else the file name."""

    source_id: int
    kind: str
    name: str | None
    file_name: str

    @property
    def label(self) -> str:
        return f"{self.name} ({self.file_name})" if self.name else self.file_name

    def to_json(self) -> dict[str, Any]:
        return {"name": self.name, "file": self.file_name, "kind": self.kind}


def source_ref(connection: duckdb.DuckDBPyConnection, source_id: int | None) -> SourceRef | None:
    """The source with this id, as people name it; None for None or an unknown id."""
    if source_id is None:
        return None
    row = connection.execute(
        "SELECT source_id, kind, name, file_name FROM sources WHERE source_id = ?", [source_id]
    ).fetchone()
    return SourceRef(int(row[0]), str(row[1]), row[2], str(row[3])) if row is not None else None


def trigger_sources(
    connection: duckdb.DuckDBPyConnection, triggers: Iterable[tuple[str, str]]
) -> dict[tuple[str, str], SourceRef]:
    """The source of each (unescaped text, kind) trigger that the catalog holds."""
    wanted = sorted(set(triggers))
    if not wanted:
        return {}
    rows = connection.execute(
        """
        SELECT tr.text, tr.kind, s.source_id, s.kind, s.name, s.file_name
        FROM triggers tr JOIN sources s USING (source_id)
        WHERE (tr.text, tr.kind) IN (SELECT (unnest($texts), unnest($kinds)))
        """,
        {"texts": [text for text, _ in wanted], "kinds": [kind for _, kind in wanted]},
    ).fetchall()
    return {
        (str(text), str(kind)): SourceRef(int(source_id), str(source_kind), name, str(file_name))
        for text, kind, source_id, source_kind, name, file_name in rows
    }
