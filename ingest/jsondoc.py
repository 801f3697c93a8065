"""Reading a JSON source file strictly, with the line of every value for `path:line: reason`.

Python's json module gives no positions, so the file's scalars (strings, numbers, true/false/null;
object keys included) are also found in the bytes, in file order, each with its line (numpy: the
unescaped quotes pair up into strings; a byte that can start a number or literal, outside a string
and not inside another token, starts one). A reader walks the parsed document in the same order and
takes one line per scalar (`ScalarLines`); only the value-by-value path of a reader needs them.

Strict: a byte-order mark, bytes that are not UTF-8, invalid JSON and the non-standard constants
`NaN`/`Infinity` stop the file. Objects keep every key in file order, duplicates included
(`JsonObject`): `json.loads` would keep the last value of a repeated key without a word.
CRLF line endings are accepted: JSON allows `\\r\\n` between values (a CR inside a string is invalid
JSON anyway), and the upstream chants file has them.
"""

from __future__ import annotations

import hashlib
import json
import re
from pathlib import Path
from typing import Any

import numpy as np

from ingest.controlchars import describe_control, first_control_character
from ingest.problems import Problem, SourceFileError
from ingest.textfile import UTF8_BOM, read_source_bytes

# Only to name the line of a non-standard constant (the file is valid JSON apart from it).
_SCALAR = re.compile(
    r'"[^"\\]*(?:\\.[^"\\]*)*"|-?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?|true|false|null|NaN|-?Infinity'
)
_NON_STANDARD = frozenset({"NaN", "Infinity", "-Infinity"})


def _byte_table(members: bytes) -> np.ndarray[Any, np.dtype[np.bool_]]:
    table = np.zeros(256, dtype=np.bool_)
    table[list(members)] = True
    return table


# Bytes that start a number or a literal outside strings, and bytes that continue such a token.
_TOKEN_START = _byte_table(b"-0123456789tfnNI")
_TOKEN_CONTINUE = _byte_table(b"-+.0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ")
_QUOTE, _BACKSLASH, _NEWLINE = ord('"'), ord("\\"), ord("\n")
_BRACKET = _byte_table(b"[]{}")
_OPENING = _byte_table(b"[{")
# Deeper nesting is refused (`path: nested too deep`); the author's files nest 3 levels at most.
MAX_DEPTH = 100
# Longer numbers are refused: no count or index has that many digits (and Python converts at most 4,300).
_MAX_INT_DIGITS = 30


def _string_quotes(data: bytes, buffer: np.ndarray[Any, np.dtype[np.uint8]]) -> np.ndarray[Any, Any]:
    """Positions of the quotes that open and close strings (escaped quotes left out), in order."""
    quotes = np.flatnonzero(buffer == _QUOTE)
    after_backslash = quotes[(quotes > 0) & (buffer[quotes - 1] == _BACKSLASH)]
    if len(after_backslash):  # rare: a quote is escaped when an odd run of backslashes precedes it
        escaped = []
        for position in after_backslash.tolist():
            run = 0
            while data[position - 1 - run] == _BACKSLASH:
                run += 1
            if run % 2:
                escaped.append(position)
        real = np.ones(len(quotes), dtype=np.bool_)
        real[np.searchsorted(quotes, escaped)] = False
        quotes = quotes[real]
    return quotes


def scalar_lines_of(data: bytes) -> list[int]:
    """The line of every scalar of valid JSON `data`, in file order."""
    buffer = np.frombuffer(data, dtype=np.uint8)
    quotes = _string_quotes(data, buffer)
    string_starts = quotes[0::2]
    candidates = np.flatnonzero(_TOKEN_START[buffer])
    outside = np.searchsorted(quotes, candidates) % 2 == 0  # an even number of quotes before it
    candidates = candidates[outside]
    previous = buffer[np.maximum(candidates - 1, 0)]
    other_starts = candidates[(candidates == 0) | ~_TOKEN_CONTINUE[previous]]
    starts = np.sort(np.concatenate([string_starts, other_starts]))
    newlines = np.flatnonzero(buffer == _NEWLINE)
    lines: list[int] = (np.searchsorted(newlines, starts, side="right") + 1).tolist()
    return lines


class JsonObject(list[tuple[str, Any]]):
    """A JSON object as its (key, value) pairs in file order; a repeated key stays repeated."""


class _NonStandardConstant(ValueError):
    pass


def _reject_constant(name: str) -> Any:
    raise _NonStandardConstant(name)


class ScalarLines:
    """Lines of the document's scalars in file order; `take` one per scalar while walking the document."""

    def __init__(self, lines: list[int]) -> None:
        self._lines = lines
        self._next = 0

    def take(self) -> int:
        """The line of the next scalar (a key, a string, a number, a literal)."""
        line = self._lines[self._next]
        self._next += 1
        return line

    def take_many(self, count: int) -> list[int]:
        """The lines of the next `count` scalars (a list of strings)."""
        lines = self._lines[self._next : self._next + count]
        self._next += count
        return lines

    def skip(self, value: Any) -> int | None:
        """Pass over every scalar of `value` (any JSON value); the line of its first, None if it has none."""
        if isinstance(value, JsonObject):
            first: int | None = None
            for _, item in value:
                key_line = self.take()
                first = first if first is not None else key_line
                self.skip(item)
            return first
        if isinstance(value, list):
            first = None
            for item in value:
                item_line = self.skip(item)
                first = first if first is not None else item_line
            return first
        return self.take()


class JsonSource:
    """A parsed JSON file; `scalar_lines()` finds the lines (a regex scan, only when a reader needs them)."""

    def __init__(self, path: Path, sha256: str, data: bytes, document: Any) -> None:
        self.path = path
        self.sha256 = sha256
        self.document: Any = document  # JsonObject, list, str, int, float, bool or None
        self._data = data

    def scalar_lines(self) -> ScalarLines:
        """A fresh walker over the lines of every scalar, in file order."""
        return ScalarLines(scalar_lines_of(self._data))


def json_type_name(value: Any) -> str:
    """How a problem names what it found: `an object`, `a list`, `a string 'x'`, `the number 7`."""
    if isinstance(value, JsonObject):
        return "an object"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, str):
        return f"a string {value!r}"
    if isinstance(value, bool) or value is None:
        return json.dumps(value)
    return f"the number {value!r}"


def read_json_source(path: Path) -> JsonSource:
    data = read_source_bytes(path)
    if data.startswith(UTF8_BOM):
        reason = "starts with a UTF-8 byte-order mark (BOM); save the file as UTF-8 without BOM"
        raise SourceFileError([Problem(path, 1, reason)])
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as error:
        line = data.count(b"\n", 0, error.start) + 1
        line_start = data.rfind(b"\n", 0, error.start) + 1
        bad_bytes = data[error.start : error.end].hex(" ")
        raise SourceFileError(
            [Problem(path, line, f"not UTF-8 (byte {error.start - line_start + 1} of the line: {bad_bytes})")]
        ) from None
    too_deep = SourceFileError([Problem(path, None, f"nested too deep (more than {MAX_DEPTH} levels)")])
    try:
        document = json.loads(
            text, object_pairs_hook=JsonObject, parse_constant=_reject_constant, parse_int=_bounded_int
        )
    except json.JSONDecodeError as error:
        raise SourceFileError([Problem(path, error.lineno, f"not valid JSON: {error.msg}")]) from None
    except _NonStandardConstant as error:
        found = next(match for match in _SCALAR.finditer(text) if match.group() in _NON_STANDARD)
        line = text.count("\n", 0, found.start()) + 1
        raise SourceFileError([Problem(path, line, f"not valid JSON: {error} is not a JSON value")]) from None
    except _NumberTooLong as error:
        start = text.find(str(error))
        line = text.count("\n", 0, start) + 1
        reason = f"number of {len(str(error)):,} digits out of range"
        raise SourceFileError([Problem(path, line, reason)]) from None
    except RecursionError:  # deeper than the interpreter's stack allows
        raise too_deep from None
    if nesting_depth(data) > MAX_DEPTH:  # the readers' walks recurse too: stay far from the limit
        raise too_deep
    control = _control_character_problems(path, data, document)
    if control:
        raise SourceFileError(control)
    return JsonSource(path, hashlib.sha256(data).hexdigest(), data, document)


def nesting_depth(data: bytes) -> int:
    """The deepest nesting of lists and objects in valid JSON `data` (brackets inside strings aside)."""
    buffer = np.frombuffer(data, dtype=np.uint8)
    quotes = _string_quotes(data, buffer)
    brackets = np.flatnonzero(_BRACKET[buffer])
    brackets = brackets[np.searchsorted(quotes, brackets) % 2 == 0]  # outside strings
    if not len(brackets):
        return 0
    steps = np.where(_OPENING[buffer[brackets]], 1, -1)
    return int(np.cumsum(steps).max())


class _NumberTooLong(ValueError):
    pass


def _bounded_int(text: str) -> int:
    """json's int parser, refusing numbers too long to be any count or index (and to convert fast)."""
    if len(text) > _MAX_INT_DIGITS:
        raise _NumberTooLong(text)
    return int(text)


# A string scalar holding an escaped control character (`\u001b`, `\b`, `\f`) or a raw DEL or C1
# one (JSON forbids raw C0 in strings): only then are the strings walked to name each one's line.
_ESCAPED_CONTROL = re.compile(
    rb"\\u00[01][0-9a-fA-F]|\\u007[fF]|\\u00[89][0-9a-fA-F]|\\[bf]|\x7f|\xc2[\x80-\x9f]"
)


def _control_character_problems(path: Path, data: bytes, document: Any) -> list[Problem]:
    """A problem for every string (key or value) holding a control character other than tab, newline
    and carriage return (free text such as a preset chant's content may hold those)."""
    if not _ESCAPED_CONTROL.search(data):
        return []
    problems: list[Problem] = []
    lines = ScalarLines(scalar_lines_of(data))
    pending: list[Any] = [document]
    while pending:  # file order, without recursion
        value = pending.pop()
        if isinstance(value, JsonObject):
            for key, item in reversed(value):
                pending.append(item)
                pending.append(_Key(key))
            continue
        if isinstance(value, list):
            pending.extend(reversed(value))
            continue
        line = lines.take()
        text = value.text if isinstance(value, _Key) else value
        if isinstance(text, str):
            found = first_control_character(text)
            if found is not None:
                what = "key" if isinstance(value, _Key) else "string"
                reason = f"{what} {text!r} contains the control character {describe_control(found[1])}"
                problems.append(Problem(path, line, reason))
    return problems


class _Key:
    __slots__ = ("text",)

    def __init__(self, text: str) -> None:
        self.text = text
