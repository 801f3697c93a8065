"""What the readers of the author's tag tables share: a JSON object keyed by canonical Danbooru names.

`waifuset.tag_implications.json` (tag -> [implied]), `tag_aliases.json` (alias -> tag) and
`tag_priorities.json` (tag -> group index) are each one JSON object. A key repeated in the file is
bad on every line it occurs (there is no way to tell which value is right), as in the tag files.

Every reader first checks the whole object at C speed (`names_are_clean`, types by set, duplicates by
set size) and only when that fails walks it value by value with line numbers, so a good file never
pays for the line scan.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from ingest.jsondoc import JsonObject, JsonSource, json_type_name, read_json_source
from ingest.problems import Problem, SourceFileError


def read_tag_object(path: Path, shape: str) -> JsonSource:
    """The file as JSON whose top level must be an object (`shape` says of what, for the error)."""
    source = read_json_source(path)
    if not isinstance(source.document, JsonObject):
        raise SourceFileError(
            [Problem(path, 1, f"expected a JSON object of {shape}, found {json_type_name(source.document)}")]
        )
    if not source.document:
        raise SourceFileError([Problem(path, None, f"no entries (an empty object; expected {shape})")])
    return source


class KeyTracker:
    """Finds the keys a JSON object repeats and reports every line each of them is on."""

    def __init__(self, path: Path, document: JsonObject, what: str) -> None:
        self._path = path
        self._what = what
        self.repeated = {key for key, count in Counter(key for key, _ in document).items() if count > 1}
        self._lines: dict[str, list[int]] = {}

    def is_repeated(self, key: str, line: int) -> bool:
        """True (and the line noted) when `key` occurs more than once in the object."""
        if key in self.repeated:
            self._lines.setdefault(key, []).append(line)
            return True
        return False

    def problems(self) -> Iterator[Problem]:
        for key, lines in self._lines.items():
            others = ", ".join(str(line) for line in lines)
            reason = f"{self._what} {key!r} occurs {len(lines)} times (lines {others})"
            for line in lines:
                yield Problem(self._path, line, reason)


def pairs_of(source: JsonSource) -> JsonObject:
    document: Any = source.document
    assert isinstance(document, JsonObject)
    return document


def names_are_clean(names: list[str]) -> bool:
    """True when every name is usable as `ingest.tagrows.name_problem` says: non-empty, no whitespace.

    One join and one split at C speed: `str.split()` splits on exactly the characters `\\s` matches.
    """
    if not names:
        return True
    joined = "".join(names)
    return all(names) and joined.split() == [joined]


def all_strings(values: list[Any]) -> bool:
    return not values or set(map(type, values)) == {str}
