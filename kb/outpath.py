"""Where a write really lands, and the one atomic file writer every command uses.

A write to a path goes to the file the path names after symlinks are followed (the link stays a
link), and only ever replaces a regular file: a directory, a FIFO, a device node or a socket there
is refused with one sentence instead of being replaced by a plain file. Writes go to a temp file
beside the real target, are fsynced, then renamed over it, so nothing half-written is ever read;
the temp name carries the writer's pid so a killed writer's leftovers can be told from a live one's.
"""

from __future__ import annotations

import errno
import os
import secrets
import stat
from pathlib import Path

from kb.errors import OutputPathError

# Temp files beside a target: `.NAME.PID.tTOKEN.tmp` (PID: the writer's; TOKEN: random hex, so two
# threads of one process never share one; its `t` tells it from the PID of the older `.NAME.PID.tmp`).
TEMP_SUFFIX = ".tmp"

_KIND_OF_MODE = (
    (stat.S_ISREG, "a file"),
    (stat.S_ISDIR, "a directory"),
    (stat.S_ISFIFO, "a FIFO (named pipe)"),
    (stat.S_ISCHR, "a character device"),
    (stat.S_ISBLK, "a block device"),
    (stat.S_ISSOCK, "a socket"),
)


def _kind_of(mode: int) -> str:
    return next((kind for test, kind in _KIND_OF_MODE if test(mode)), "something other than a file")


def os_reason(error: OSError) -> str:
    """An OSError as a short reason: `No space left on device`, `Permission denied`."""
    if error.errno == errno.EFBIG:
        return "file too large (the file size limit or the disk is full)"
    return error.strerror or str(error)


def real_path(path: Path, *, what: str = "output file") -> Path:
    """`path` with every symlink followed (a dangling link gives its target's path), absolute.

    An OutputPathError for a name the system cannot use (a NUL byte, a symlink loop).
    """
    text = os.fspath(path)
    if "\0" in text:
        raise OutputPathError(f"{text!r}: the {what} path contains a NUL byte")
    resolved = Path(os.path.realpath(path))
    try:
        os.lstat(resolved)
    except FileNotFoundError:
        pass
    except OSError as error:
        raise OutputPathError(f"{path}: cannot use this {what} path: {os_reason(error)}") from error
    if resolved.is_symlink():  # realpath stops at a symlink loop
        raise OutputPathError(f"{path}: cannot use this {what} path: a symlink loop")
    return resolved


def resolve_output_file(path: Path, *, what: str = "output file") -> Path:
    """The real regular file a write to `path` replaces (or creates), after checking it can be one.

    Refused in one sentence: an existing directory, FIFO, device node or socket (at the path or at
    the end of its symlinks), a folder that is a file, a path the system cannot use.
    """
    resolved = real_path(path, what=what)
    try:
        mode = os.stat(resolved).st_mode
    except FileNotFoundError:
        mode = None
    except OSError as error:
        raise OutputPathError(f"{path}: cannot use this {what} path: {os_reason(error)}") from error
    if mode is not None and not stat.S_ISREG(mode):
        shown = f"{path} (-> {resolved})" if resolved != Path(path).absolute() else f"{path}"
        raise OutputPathError(
            f"{shown}: is {_kind_of(mode)}, not a regular file; give a file path for the {what}"
        )
    folder = resolved.parent
    if folder.exists() and not folder.is_dir():
        raise OutputPathError(f"{path}: cannot write the {what}: {folder} is not a folder")
    return resolved


def resolve_output_folder(path: Path, *, what: str = "output folder") -> Path:
    """The real folder `path` names (symlinks followed), created if missing; refused when it is a file
    or anything else that is not a folder, or cannot be created."""
    resolved = real_path(path, what=what)
    if resolved.exists() and not resolved.is_dir():
        mode = os.stat(resolved).st_mode
        raise OutputPathError(f"{path}: is {_kind_of(mode)}, not a folder; give a folder for the {what}")
    try:
        resolved.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise OutputPathError(f"{path}: cannot create the {what}: {os_reason(error)}") from error
    return resolved


def make_parent_folder(target: Path, *, what: str = "output file") -> None:
    """Create the folder `target` goes in; an OutputPathError saying why it cannot be."""
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise OutputPathError(
            f"{target}: cannot create its folder for the {what}: {os_reason(error)}"
        ) from error


def temp_path_for(target: Path) -> Path:
    """A fresh temp name beside `target` for this process (`.NAME.PID.TOKEN.tmp`)."""
    return target.with_name(f".{target.name}.{os.getpid()}.t{secrets.token_hex(4)}{TEMP_SUFFIX}")


def temp_writer_pid(temp_name: str) -> int | None:
    """The writer's pid in a temp name made by `temp_path_for`, or in the older `.NAME.PID.tmp`
    (None for any other name)."""
    if not (temp_name.startswith(".") and temp_name.endswith(TEMP_SUFFIX)):
        return None
    parts = temp_name[: -len(TEMP_SUFFIX)].rsplit(".", 2)
    if len(parts) != 3:
        return None
    pid_text = parts[1] if parts[2].startswith("t") else parts[2]
    return int(pid_text) if pid_text.isascii() and pid_text.isdigit() and len(pid_text) < 12 else None


def atomic_write_bytes(path: Path, data: bytes, *, what: str = "output file") -> Path:
    """Write `data` to the real file `path` names: a temp file beside it, fsync, rename over it.

    Returns the real path written. Symlinks are followed (the link keeps pointing at the new file);
    a target that is not a regular file is refused; an OSError (disk full, a read-only folder)
    becomes one OutputPathError sentence and leaves the old file and no temp file behind.
    """
    target = resolve_output_file(path, what=what)
    make_parent_folder(target, what=what)
    temp = temp_path_for(target)
    try:
        descriptor = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
        with os.fdopen(descriptor, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temp, target)
    except OSError as error:
        temp.unlink(missing_ok=True)
        raise OutputPathError(f"{path}: cannot write the {what}: {os_reason(error)}") from error
    except BaseException:
        temp.unlink(missing_ok=True)
        raise
    return target
