"""Reading a source file as text lines, strictly: every encoding problem is reported, none repaired.

File-level problems (missing, a directory, empty, a byte-order mark, CRLF line endings) stop the
ingest of that file even with `--skip-bad`; a line that is not UTF-8 is a bad row like any other.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from pathlib import Path

from ingest.controlchars import describe_control, first_control_character
from ingest.problems import Problem, SourceFileError

UTF8_BOM = b"\xef\xbb\xbf"
# C0 controls but tab, newline and carriage return (CR is a file problem of its own), DEL, and the
# UTF-8 form of the C1 controls (U+0080-U+009F): `ingest.controlchars`.
_CONTROL_BYTES = re.compile(rb"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]|\xc2[\x80-\x9f]")


@dataclass(frozen=True)
class SourceText:
    """A source file's lines without their `\\n` (None for a line that is not UTF-8)."""

    path: Path
    sha256: str
    lines: tuple[str | None, ...]
    undecodable: tuple[Problem, ...]  # one per line that is not valid UTF-8 or holds a control character


def read_source_bytes(path: Path) -> bytes:
    """The file's bytes, or a SourceFileError saying why there are none."""
    if path.is_dir():
        raise SourceFileError([Problem(path, None, "is a directory, not a file")])
    try:
        data = path.read_bytes()
    except FileNotFoundError as error:
        raise SourceFileError([Problem(path, None, "no such file")]) from error
    except OSError as error:
        raise SourceFileError([Problem(path, None, f"cannot read: {error.strerror}")]) from error
    if not data:
        raise SourceFileError([Problem(path, None, "file is empty")])
    return data


def file_sha256(path: Path) -> str:
    return hashlib.sha256(read_source_bytes(path)).hexdigest()


def read_source_text(path: Path) -> SourceText:
    data = read_source_bytes(path)
    if data.startswith(UTF8_BOM):
        raise SourceFileError(
            [
                Problem(
                    path, 1, "starts with a UTF-8 byte-order mark (BOM); save the file as UTF-8 without BOM"
                )
            ]
        )
    if b"\r" in data:
        raise SourceFileError(
            [
                Problem(
                    path, number, "carriage return (CRLF line ending); convert the file to LF line endings"
                )
                for number, raw in enumerate(_split_lines(data), start=1)
                if b"\r" in raw
            ]
        )
    undecodable: list[Problem] = []
    try:
        text = data.decode("utf-8")
        lines: tuple[str | None, ...] = tuple(
            text[:-1].split("\n") if text.endswith("\n") else text.split("\n")
        )
    except UnicodeDecodeError:
        decoded: list[str | None] = []
        for number, raw in enumerate(_split_lines(data), start=1):
            try:
                decoded.append(raw.decode("utf-8"))
            except UnicodeDecodeError as error:
                decoded.append(None)
                bad_bytes = raw[error.start : error.end].hex(" ")
                undecodable.append(
                    Problem(path, number, f"not UTF-8 (byte {error.start + 1} of the line: {bad_bytes})")
                )
        lines = tuple(decoded)
    if _CONTROL_BYTES.search(data):  # one C-speed pass; the line scan only for a file with one
        lines, undecodable = _without_control_lines(path, lines, undecodable)
    return SourceText(path, hashlib.sha256(data).hexdigest(), lines, tuple(undecodable))


def _without_control_lines(
    path: Path, lines: tuple[str | None, ...], undecodable: list[Problem]
) -> tuple[tuple[str | None, ...], list[Problem]]:
    """Each line holding a control character becomes a bad line (None), like a line that is not UTF-8."""
    kept: list[str | None] = []
    problems = list(undecodable)
    for number, line in enumerate(lines, start=1):
        found = None if line is None else first_control_character(line)
        if found is None:
            kept.append(line)
            continue
        position, character = found
        kept.append(None)
        problems.append(
            Problem(
                path,
                number,
                f"control character {describe_control(character)} at character {position + 1} of the line "
                "(names cannot hold control characters)",
            )
        )
    problems.sort(key=lambda problem: problem.line or 0)
    return tuple(kept), problems


def _split_lines(data: bytes) -> list[bytes]:
    """The file's lines without `\\n`; the newline that ends the last line starts no new one."""
    raw_lines = data.split(b"\n")
    if raw_lines[-1] == b"":
        raw_lines.pop()
    return raw_lines
