"""The saved index: one mapped file per catalog build under the cache directory.

Building the index from the full catalog takes seconds; loading the saved arrays maps the file
(about a millisecond, see kb/search/arrays.py), which keeps the explorer's start-up fast. The
file name is a digest of the index format and the catalog's `meta` table (its source fingerprint
and build time), so a rebuilt catalog gets a new index and a copied one reuses it. Files are
written atomically and carry a checksum per array, verified once per process and file identity
(see kb/search/arrays.py); a damaged or foreign file is rebuilt, never trusted, and a damaged one
is named in one line on stderr. Files are replaced,
never rewritten in place: a process may have the old one mapped (truncating a mapped file would
crash it). Old files are left for the user to clear with the cache.
"""

from __future__ import annotations

import hashlib
import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from kb.paths import cache_dir
from kb.search.arrays import (
    ARRAY_STAGES,
    INDEX_FORMAT_VERSION,
    DamagedIndexError,
    IndexArrays,
    StageCallback,
    build_arrays,
)
from kb.search.rows import read_catalog_rows

if TYPE_CHECKING:
    import duckdb

INDEX_DIR_NAME = "search-index"
# A build's stages, in order, as load_or_build_arrays reports them to `on_stage` (none for a load).
INDEX_BUILD_STAGES = ("reading the catalog", *ARRAY_STAGES, "saving")


def catalog_identity(connection: duckdb.DuckDBPyConnection) -> str:
    """A digest naming this catalog build: its meta rows, else its file's path, size and mtime."""
    digest = hashlib.sha256(f"search-index-format {INDEX_FORMAT_VERSION}\n".encode())
    meta_rows = sorted(connection.execute("SELECT key, value FROM meta").fetchall())
    for key, value in meta_rows:
        digest.update(f"{key}={value}\n".encode())
    if not any(key == "fingerprint" for key, _ in meta_rows):
        path = catalog_file(connection)
        if path is not None and path.exists():
            stat = path.stat()
            digest.update(f"{path.resolve()} {stat.st_size} {stat.st_mtime_ns}".encode())
    return digest.hexdigest()[:32]


def catalog_file(connection: duckdb.DuckDBPyConnection) -> Path | None:
    row = connection.execute(
        "SELECT path FROM duckdb_databases() WHERE database_name = current_database()"
    ).fetchone()
    return Path(row[0]) if row is not None and row[0] else None


def index_file(connection: duckdb.DuckDBPyConnection) -> Path:
    return cache_dir() / INDEX_DIR_NAME / f"{catalog_identity(connection)}.index"


def load_or_build_arrays(
    connection: duckdb.DuckDBPyConnection, *, use_cache: bool = True, on_stage: StageCallback | None = None
) -> IndexArrays:
    """The saved arrays of this catalog, or freshly built ones (saved when the cache is writable).

    A build calls `on_stage(label)` as each of INDEX_BUILD_STAGES starts (a progress bar's steps).
    """
    if not use_cache:
        if on_stage is not None:
            on_stage(INDEX_BUILD_STAGES[0])
        return build_arrays(read_catalog_rows(connection), on_stage)
    path = index_file(connection)
    saved = _saved_arrays(path)
    if saved is not None:
        return saved
    if on_stage is not None:
        on_stage(INDEX_BUILD_STAGES[0])
    arrays = build_arrays(read_catalog_rows(connection), on_stage)
    if on_stage is not None:
        on_stage(INDEX_BUILD_STAGES[-1])
    try:
        arrays.save(path)
    except OSError:
        # A read-only cache only costs speed: the next process builds again.
        partial = path.with_name(f"{path.name}.partial")
        if partial.exists():
            os.unlink(partial)
    return arrays


def _saved_arrays(path: Path) -> IndexArrays | None:
    """The saved index at `path`; None when there is none, it is of another format, or it is
    damaged (said in one line on stderr: it is then rebuilt and replaced)."""
    try:
        return IndexArrays.open(path)
    except FileNotFoundError:
        return None
    except (OSError, DamagedIndexError) as error:
        reason = error.strerror if isinstance(error, OSError) and error.strerror else str(error)
        print(f"aidxl: search index {path}: {reason}; rebuilding it", file=sys.stderr)
        return None
