"""The catalog's content check: a digest sidecar written by `aidxl ingest`, checked before it is trusted.

`aidxl ingest` writes `catalog.duckdb.digest` beside the catalog it builds: the catalog's sha256, size
and modification time (JSON, `aidxl-catalog-digest/1`). A catalog overwritten in the middle or cut
short then differs from its record:

- `aidxl ingest` hashes the whole file before it says "up to date" (about 20 ms per 30 MB) and
  rebuilds a catalog that differs;
- readers (`kb.catalog.open_catalog`) compare size and modification time, and hash only when those
  changed (a copy, an edit in place), so opening stays instant; a difference is one sentence naming
  the file and `aidxl ingest`.

A catalog without a record (built before the record existed, fetched by `dvc pull`) is checked by
`aidxl ingest` with a full read of every column of every table, which makes DuckDB verify the
checksum of every block it stores; if that passes, ingest writes the record.
"""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import dataclass
from pathlib import Path

import duckdb

DIGEST_SUFFIX = ".digest"
DIGEST_FORMAT = "aidxl-catalog-digest/1"
_READ_SIZE = 1 << 20


@dataclass(frozen=True)
class CatalogDigest:
    sha256: str
    size: int
    mtime_ns: int


def digest_path(catalog: Path) -> Path:
    return catalog.with_name(catalog.name + DIGEST_SUFFIX)


def file_sha256(path: Path) -> str:
    """sha256 of a file read in 1 MiB blocks into one buffer (no per-block allocation)."""
    digest = hashlib.sha256()
    buffer = bytearray(_READ_SIZE)
    view = memoryview(buffer)
    with open(path, "rb", buffering=0) as handle:
        while read := handle.readinto(buffer):
            digest.update(view[:read])
    return digest.hexdigest()


def digest_of(catalog: Path) -> CatalogDigest:
    """The record of the catalog as it is now (hashes the whole file)."""
    status = os.stat(catalog)
    return CatalogDigest(file_sha256(catalog), status.st_size, status.st_mtime_ns)


def digest_text(digest: CatalogDigest) -> str:
    document = {
        "format": DIGEST_FORMAT,
        "sha256": digest.sha256,
        "size": digest.size,
        "mtime_ns": digest.mtime_ns,
    }
    return json.dumps(document, indent=1) + "\n"


def read_digest(catalog: Path) -> CatalogDigest | None:
    """The record beside `catalog`, or None when there is none or it is not one we wrote."""
    try:
        document = json.loads(digest_path(catalog).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if not isinstance(document, dict) or document.get("format") != DIGEST_FORMAT:
        return None
    sha256, size, mtime_ns = document.get("sha256"), document.get("size"), document.get("mtime_ns")
    if not (isinstance(sha256, str) and type(size) is int and type(mtime_ns) is int):
        return None
    return CatalogDigest(sha256, size, mtime_ns)


@dataclass(frozen=True)
class ContentCheck:
    """What the content check found: `damaged` says how the file differs (None: it does not), and
    `recorded` whether there was a record to compare with."""

    damaged: str | None
    recorded: bool
    time_changed: bool = False  # same content, another modification time (a copy, `dvc checkout`)


def check_catalog_content(catalog: Path, *, full: bool) -> ContentCheck:
    """Compare the catalog with its record. `full`: always hash; else hash only when the size matches
    and the modification time does not (a reader's open)."""
    recorded = read_digest(catalog)
    if recorded is None:
        return ContentCheck(None, recorded=False)
    try:
        status = os.stat(catalog)
    except OSError as error:
        return ContentCheck(f"cannot read it: {error.strerror}", recorded=True)
    if status.st_size != recorded.size:
        return ContentCheck(
            f"{status.st_size:,} bytes, but `aidxl ingest` wrote {recorded.size:,}", recorded=True
        )
    if not full and status.st_mtime_ns == recorded.mtime_ns:
        return ContentCheck(None, recorded=True)
    try:
        found = file_sha256(catalog)
    except OSError as error:
        return ContentCheck(f"cannot read it: {error.strerror}", recorded=True)
    if found != recorded.sha256:
        return ContentCheck("its sha256 differs from the one `aidxl ingest` recorded", recorded=True)
    return ContentCheck(None, recorded=True, time_changed=status.st_mtime_ns != recorded.mtime_ns)


def read_every_block(connection: duckdb.DuckDBPyConnection) -> None:
    """Read every value of every column of every table, so DuckDB checks each stored block's checksum
    (raises duckdb.Error on a damaged block). About 0.4 s for the full real catalog."""
    tables = connection.execute(
        "SELECT table_name, list(column_name ORDER BY column_index) FROM duckdb_columns() "
        "WHERE database_name = current_database() AND schema_name = 'main' GROUP BY table_name"
    ).fetchall()
    for table, columns in tables:
        quoted = [f'"{column}"' for column in columns]
        aggregates = ", ".join(f"max(hash({column})), count({column})" for column in quoted)
        connection.execute(f'SELECT count(*), {aggregates} FROM "{table}"').fetchall()
