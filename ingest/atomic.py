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
from kb.outpath import make_parent_folder, os_reason

# Beside `catalog.duckdb` during a build: `catalog.duckdb.tmp-build-PID` (+ DuckDB's `.wal`) and the
# lock `catalog.duckdb.tmp-lock`; .gitignore's `/catalog.duckdb.tmp*` covers both (after a kill -9).
# Every path here is the catalog's real path (`kb.outpath.resolve_output_file`: symlinks followed), so
# a build through a link and one through the real name share one lock and one set of temp names.
TEMP_INFIX = ".tmp-build-"
_WAL_SUFFIX = ".wal"


def lock_path(target: Path) -> Path:
    return target.with_name(f"{target.name}.tmp-lock")


def temp_path(target: Path) -> Path:
    return target.with_name(f"{target.name}{TEMP_INFIX}{os.getpid()}")


def is_temp_name_of(target: Path, name: str) -> bool:
    """True when `name` is a temp catalog (or its WAL) of a build of `target`: the exact prefix, then
    a pid, then nothing or `.wal`. Plain string tests: the catalog's name may hold `*`, `?` or `[`."""
    prefix = f"{target.name}{TEMP_INFIX}"
    if not name.startswith(prefix):
        return False
    rest = name[len(prefix) :]
    rest = rest[: -len(_WAL_SUFFIX)] if rest.endswith(_WAL_SUFFIX) else rest
    return rest.isascii() and rest.isdigit()


def stale_temp_files(target: Path) -> list[Path]:
    """Temp catalogs (and their DuckDB WAL files) of earlier builds that never finished."""
    try:
        names = os.listdir(target.parent)
    except FileNotFoundError:
        return []
    return sorted(target.parent / name for name in names if is_temp_name_of(target, name))


def _lock_or_refuse(target: Path) -> int:
    """An open descriptor of the lock file, exclusively locked; IngestError while another build holds it."""
    lock = lock_path(target)
    while True:
        try:
            descriptor = os.open(lock, os.O_RDWR | os.O_CREAT, 0o644)
        except OSError as error:
            raise IngestError(
                f"{target}: cannot write beside the catalog in {target.parent}: {os_reason(error)}"
            ) from error
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
    make_parent_folder(target, what="catalog")
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
    temp.with_name(temp.name + _WAL_SUFFIX).unlink(missing_ok=True)


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
