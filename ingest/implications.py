"""Reader of the author's implication table (waifuset `tag_implications.json`): `tag -> [implied tags]`.

One JSON object; keys and implied tags are canonical Danbooru names (`very_long_hair -> [long_hair]`).
The table is already transitive. A row is one tag; each of its implied tags becomes one pair.
Bad: a value that is not a non-empty list of strings, a name that is not a tag name, a tag implying
itself, an implied tag listed twice for one tag, a tag repeated in the file.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from ingest.jsondoc import JsonObject, JsonSource, json_type_name
from ingest.problems import Problem
from ingest.tagmapping import KeyTracker, all_strings, names_are_clean, pairs_of, read_tag_object
from ingest.tagrows import name_problem


@dataclass
class ImplicationRows:
    """Good pairs column by column: `tags[i]` implies `implied[i]`."""

    path: Path
    sha256: str
    tag_count: int = 0  # tags with at least one good pair: the rows of the source
    tags: list[str] = field(default_factory=list)
    implied: list[str] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)

    def __len__(self) -> int:
        return self.tag_count


def read_implications_file(path: Path) -> ImplicationRows:
    source = read_tag_object(path, "tag -> [implied tags]")
    document = pairs_of(source)
    rows = ImplicationRows(path, source.sha256)
    tags = [tag for tag, _ in document]
    values = [value for _, value in document]
    if set(map(type, values)) == {list} and all(values):
        implied = [name for value in values for name in value]
        if (
            all_strings(implied)
            and names_are_clean(tags)
            and names_are_clean(implied)
            and len(set(tags)) == len(tags)
            and all(len(set(value)) == len(value) and tag not in value for tag, value in document)
        ):
            rows.tag_count = len(tags)
            rows.tags = [tag for tag, value in document for _ in value]
            rows.implied = implied
            return rows
    _read_value_by_value(source, rows)
    return rows


def _read_value_by_value(source: JsonSource, rows: ImplicationRows) -> None:
    path = source.path
    document = pairs_of(source)
    lines = source.scalar_lines()
    keys = KeyTracker(path, document, "tag")
    for tag, value in document:
        line = lines.take()
        if keys.is_repeated(tag, line):
            lines.skip(value)
            continue
        reason = name_problem(tag, "tag")
        if reason is None and (not isinstance(value, list) or isinstance(value, JsonObject)):
            reason = f"{tag!r}: expected a list of implied tags, found {json_type_name(value)}"
        elif reason is None and not value:
            reason = f"{tag!r} implies nothing (an empty list)"
        if reason:
            lines.skip(value)
            rows.problems.append(Problem(path, line, reason))
            continue
        seen: set[str] = set()
        for implied in value:
            implied_line = lines.take() if isinstance(implied, str) else (lines.skip(implied) or line)
            if not isinstance(implied, str):
                reason = f"{tag!r}: expected an implied tag name, found {json_type_name(implied)}"
            else:
                reason = name_problem(implied, "implied tag")
                if reason is None and implied == tag:
                    reason = f"{tag!r} implies itself"
                elif reason is None and implied in seen:
                    reason = f"{tag!r}: implied tag {implied!r} listed twice"
            if reason:
                rows.problems.append(Problem(path, implied_line, reason))
                continue
            seen.add(implied)
            rows.tags.append(tag)
            rows.implied.append(implied)
        if seen:
            rows.tag_count += 1
    rows.problems.extend(keys.problems())
    rows.problems.sort(key=lambda problem: problem.line or 0)
