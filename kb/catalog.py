"""Opening the catalog for reading, with clear errors instead of tracebacks."""

from __future__ import annotations

from pathlib import Path

import duckdb

from kb.errors import CatalogError
from kb.schema import SCHEMA_VERSION


def open_catalog(path: Path) -> duckdb.DuckDBPyConnection:
    """Open a built catalog read-only.

    Read-only connections never take DuckDB's writer lock, so any number of explorers and
    scripts can read while `aidxl ingest` builds the next catalog beside it.
    """
    if not path.exists():
        raise CatalogError(f"{path}: no catalog here; build one with `aidxl ingest`")
    if path.is_dir():
        raise CatalogError(f"{path}: is a directory, not a catalog file")
    try:
        connection = duckdb.connect(str(path), read_only=True)
    except duckdb.Error as error:
        raise CatalogError(
            f"{path}: not a readable DuckDB catalog ({error}); rebuild with `aidxl ingest`"
        ) from error
    found_version = read_schema_version(connection)
    if found_version != SCHEMA_VERSION:
        connection.close()
        raise CatalogError(
            f"{path}: catalog schema version {found_version}, this aidxl-kb needs {SCHEMA_VERSION}; "
            "rebuild with `aidxl ingest`"
        )
    return connection


def read_schema_version(connection: duckdb.DuckDBPyConnection) -> int | None:
    try:
        row = connection.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchone()
    except duckdb.Error:
        return None
    return int(row[0]) if row is not None else None
