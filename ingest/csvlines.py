"""Splitting CSV lines into fields, one physical line per record (RFC 4180 quotes, no embedded newlines).

Parsing line by line keeps every problem on its own line number: an unterminated quote is one bad
line, not the rest of the file swallowed into one field.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from typing import cast

from ingest.problems import Problem
from ingest.textfile import SourceText


@dataclass(frozen=True)
class CsvRecords:
    records: list[tuple[int, list[str]]]  # (line number, fields) of every line that split cleanly
    problems: list[Problem]  # lines that did not: not UTF-8, empty, bad quoting


def split_fields(line: str) -> list[str]:
    """RFC 4180 fields of one line: `,` delimiter, `"` quote, `""` for a literal quote; strict."""
    if '"' not in line:
        return line.split(",")
    return next(csv.reader((line,), delimiter=",", quotechar='"', doublequote=True, strict=True))


def split_clean_lines(source: SourceText, field_count: int, first_line: int = 1) -> list[list[str]] | None:
    """Fields of every line from `first_line` on when every line is clean, else None.

    The fast path: the csv module splits the whole file at C speed. It gives up (None) on anything
    `split_csv_lines` would report: a line that is not UTF-8, an empty line, bad quoting (an open
    quote swallows the next line, so the record count drops), a wrong field count. The caller then
    takes the line-by-line path, which names every problem with its line.
    """
    if source.undecodable:
        return None
    lines = cast("tuple[str, ...]", source.lines[first_line - 1 :])
    try:
        records = list(csv.reader(lines, delimiter=",", quotechar='"', doublequote=True, strict=True))
    except csv.Error:
        return None
    if len(records) != len(lines) or set(map(len, records)) != {field_count}:
        return None
    return records


def split_csv_lines(source: SourceText, first_line: int = 1) -> CsvRecords:
    """Records of the lines from `first_line` on (1-based); problems for the lines that fail."""
    problems = [problem for problem in source.undecodable if (problem.line or 0) >= first_line]
    records: list[tuple[int, list[str]]] = []
    for number, line in enumerate(source.lines[first_line - 1 :], start=first_line):
        if line is None:
            continue  # reported in source.undecodable
        if not line:
            problems.append(Problem(source.path, number, "empty line"))
            continue
        if '"' not in line:  # most lines: no quoting, a plain split (split_fields inlined for speed)
            records.append((number, line.split(",")))
            continue
        try:
            records.append((number, split_fields(line)))
        except csv.Error as error:
            reason = "unterminated quote" if "end of data" in str(error) else f"bad quoting ({error})"
            problems.append(Problem(source.path, number, reason))
    return CsvRecords(records, problems)


# Post counts: the build ranks a tag's sources by `count * 4096 - source_id` in 64-bit integers.
MAX_COUNT = 2**51 - 1
# Danbooru ids (a tagger's tag_id) are stored as 64-bit integers.
MAX_ID = 2**63 - 1
# Fast-path bounds: a plain number with at most this many digits is below the maximum.
COUNT_DIGITS_ALWAYS_IN_RANGE = 15
ID_DIGITS_ALWAYS_IN_RANGE = 18
_MAX_DIGITS_SHOWN = 24


def parse_count(text: str) -> int | None:
    """A non-negative decimal integer written plainly (`12`), else None (`12.0`, ` 12`, `+12`, `1_2`).
    Never more than 20 digits are converted (Python refuses to convert numbers of 4,300 digits)."""
    if text.isascii() and text.isdigit():
        return int(text) if len(text) <= 20 else MAX_ID + 1
    return None


def number_problem(text: str, what: str, maximum: int) -> str | None:
    """Why `text` is not a usable non-negative integer at most `maximum`, or None when it is."""
    value = parse_count(text)
    if value is None:
        return f"non-integer {what} {text!r}"
    if value > maximum:
        shown = text if len(text) <= _MAX_DIGITS_SHOWN else f"of {len(text):,} digits"
        return f"{what} {shown} out of range (at most {maximum})"
    return None
