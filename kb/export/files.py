"""Writing an export: atomically (the project's one helper), with a clear error instead of a traceback."""

from __future__ import annotations

import shutil
from pathlib import Path

from kb.errors import AidxlError
from kb.outpath import atomic_write_bytes


class ExportWriteError(AidxlError):
    """An export file that cannot be written (a folder in the way, no permission, a full disk)."""


def write_export_file(path: Path, data: bytes) -> None:
    """Create the folder, write a temporary file beside `path`, fsync, rename over it."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        if path.is_dir():
            raise ExportWriteError(f"{path}: is a folder; give a file name")
        atomic_write_bytes(path, data, what="export file")
    except OSError as error:
        raise ExportWriteError(f"{path}: cannot write: {error.strerror or error}") from error


def back_up(path: Path, backup: Path) -> None:
    try:
        shutil.copy2(path, backup)
    except OSError as error:
        raise ExportWriteError(
            f"{backup}: cannot keep the previous file: {error.strerror or error}"
        ) from error
