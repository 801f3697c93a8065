"""Writing the catalog atomically: build beside the target, check, then rename over it.

A build holds an exclusive lock file beside the target, so temp files left by a killed build
(`kill -9`, power loss) can be removed safely by the next ingest. Readers only ever open the
target name, which always points at a complete catalog (rename is atomic on POSIX).

Nothing is left beside the catalog once an ingest ends, whether it succeeded, failed or was
interrupted: the temp catalog is renamed or removed, and the lock file exists only while a build
holds it (the holder removes it before unlocking). Only `kill -9` leaves files, which the next
ingest removes.
"""

from __future__ import annotations

import fcntl
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from kb.errors import IngestError

# Beside `catalog.duckdb` during a build: `catalog.duckdb.tmp-build-PID` (+ DuckDB's `.wal`) and the
# lock `catalog.duckdb.tmp-lock`; .gitignore's `/catalog.duckdb.tmp*` covers both (after a kill -9).
TEMP_INFIX = ".tmp-build-"


def lock_path(target: Path) -> Path:
    return target.with_name(f"{target.name}.tmp-lock")


def temp_path(target: Path) -> Path:
    return target.with_name(f"{target.name}{TEMP_INFIX}{os.getpid()}")


def stale_temp_files(target: Path) -> list[Path]:
    """Temp catalogs (and their DuckDB WAL files) of earlier builds that never finished."""
    return sorted(target.parent.glob(f"{target.name}{TEMP_INFIX}*"))


def _lock_or_refuse(target: Path) -> int:
    """An open descriptor of the lock file, exclusively locked; IngestError while another build holds it."""
    lock = lock_path(target)
    while True:
        descriptor = os.open(lock, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(descriptor)
            raise IngestError(
                f"{target}: another `aidxl ingest` is building this catalog right now"
            ) from None
        try:
            current = os.stat(lock)
        except FileNotFoundError:
            current = None
        if current is not None and os.path.samestat(os.fstat(descriptor), current):
            return descriptor
        # We opened the file just before its holder removed it and locked it after its release:
        # that lock guards nothing. Try again on the file the path names now (or a new one).
        os.close(descriptor)


@contextmanager
def build_lock(target: Path) -> Iterator[None]:
    """Exclusive right to build `target`; a second concurrent ingest fails with a clear message.

    The lock file is removed while still locked, then unlocked: a build that opened it in between
    finds its lock is on a removed file and starts over (see `_lock_or_refuse`).
    """
    target.parent.mkdir(parents=True, exist_ok=True)
    descriptor = _lock_or_refuse(target)
    try:
        yield
    finally:
        lock_path(target).unlink(missing_ok=True)
        os.close(descriptor)  # releases the lock


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
