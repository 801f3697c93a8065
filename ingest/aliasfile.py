"""Reader of the author's alias table (waifuset `tag_aliases.json`): `alias -> tag`.

One JSON object; aliases and tags are canonical Danbooru names (`fdsanr18 -> fd_(fd_sanmaru)`).
An alias whose tag is itself an alias in the table is kept as written (the catalog links each alias
to a tag by the tag's name). Bad: a value that is not a string, a name that is not a tag name, an
alias pointing at itself, an alias repeated in the file.
"""

from __future__ import annotations

import operator
from dataclasses import dataclass, field
from pathlib import Path

from ingest.jsondoc import json_type_name
from ingest.problems import Problem
from ingest.tagmapping import KeyTracker, all_strings, names_are_clean, pairs_of, read_tag_object
from ingest.tagrows import name_problem


@dataclass
class AliasRows:
    """Good rows column by column: `aliases[i]` names `tags[i]`."""

    path: Path
    sha256: str
    aliases: list[str] = field(default_factory=list)
    tags: list[str] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)

    def __len__(self) -> int:
        return len(self.aliases)


def read_aliases_file(path: Path) -> AliasRows:
    source = read_tag_object(path, "alias -> tag")
    document = pairs_of(source)
    rows = AliasRows(path, source.sha256)
    aliases = [alias for alias, _ in document]
    tags = [tag for _, tag in document]
    if (
        all_strings(tags)
        and names_are_clean(aliases)
        and names_are_clean(tags)
        and len(set(aliases)) == len(aliases)
        and not any(map(operator.eq, aliases, tags))
    ):
        rows.aliases, rows.tags = aliases, tags
        return rows
    lines = source.scalar_lines()
    keys = KeyTracker(path, document, "alias")
    for alias, tag in document:
        line = lines.take()
        lines.skip(tag)
        if keys.is_repeated(alias, line):
            continue
        reason = name_problem(alias, "alias")
        if reason is None:
            if not isinstance(tag, str):
                reason = f"alias {alias!r}: expected a tag name, found {json_type_name(tag)}"
            else:
                reason = name_problem(tag, "tag")
                if reason is None and tag == alias:
                    reason = f"alias {alias!r} points at itself"
        if reason:
            rows.problems.append(Problem(path, line, reason))
            continue
        rows.aliases.append(alias)
        rows.tags.append(tag)
    rows.problems.extend(keys.problems())
    rows.problems.sort(key=lambda problem: problem.line or 0)
    return rows
