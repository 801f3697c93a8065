"""Writing the catalog atomically: build beside the target, check, then rename over it.

A build holds an exclusive lock file beside the target, so temp files left by a killed build
(`kill -9`, power loss) can be removed safely by the next ingest. Readers only ever open the
target name, which always points at a complete catalog (rename is atomic on POSIX).
"""

from __future__ import annotations

import fcntl
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from kb.errors import IngestError

# Beside `catalog.duckdb`: `catalog.duckdb.tmp-build-PID` (+ DuckDB's `.wal`) and the lock
# `catalog.duckdb.tmp-lock`; .gitignore's `/catalog.duckdb.tmp*` covers both.
TEMP_INFIX = ".tmp-build-"


def lock_path(target: Path) -> Path:
    return target.with_name(f"{target.name}.tmp-lock")


def temp_path(target: Path) -> Path:
    return target.with_name(f"{target.name}{TEMP_INFIX}{os.getpid()}")


def stale_temp_files(target: Path) -> list[Path]:
    """Temp catalogs (and their DuckDB WAL files) of earlier builds that never finished."""
    return sorted(target.parent.glob(f"{target.name}{TEMP_INFIX}*"))


@contextmanager
def build_lock(target: Path) -> Iterator[None]:
    """Exclusive right to build `target`; a second concurrent ingest fails with a clear message."""
    target.parent.mkdir(parents=True, exist_ok=True)
    with lock_path(target).open("a") as lock_file:
        try:
            fcntl.flock(lock_file.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise IngestError(
                f"{target}: another `aidxl ingest` is building this catalog right now"
            ) from None
        try:
            yield
        finally:
            fcntl.flock(lock_file.fileno(), fcntl.LOCK_UN)


def remove_stale_temp_files(target: Path) -> list[Path]:
    """Call with the build lock held: no other build can own these files."""
    removed = stale_temp_files(target)
    for path in removed:
        path.unlink(missing_ok=True)
    return removed


def remove_temp(temp: Path) -> None:
    temp.unlink(missing_ok=True)
    temp.with_name(temp.name + ".wal").unlink(missing_ok=True)


def fsync_path(path: Path) -> None:
    descriptor = os.open(path, os.O_RDONLY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)


def commit_temp(temp: Path, target: Path) -> None:
    """Make the finished temp file the catalog: durable contents first, then an atomic rename."""
    fsync_path(temp)
    os.replace(temp, target)
    fsync_path(target.parent)
