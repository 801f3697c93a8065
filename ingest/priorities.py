"""Reader of the author's caption-order table (waifuset `tag_priorities.json`): `tag -> group index`.

One JSON object; tags are canonical Danbooru names, each group index a non-negative integer written
as one (`20`, not `20.0`, `"20"` or `true`); a lower index comes earlier in the author's captions
(`kb.knowledge.caption_groups` names the groups). Bad: any other value, a name that is not a tag name, a tag
repeated in the file.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from ingest.jsondoc import json_type_name
from ingest.problems import Problem
from ingest.tagmapping import KeyTracker, names_are_clean, pairs_of, read_tag_object
from ingest.tagrows import name_problem

# Group indexes are stored as 32-bit integers (the author's tables use 0..39).
MAX_GROUP_INDEX = 2**31 - 1

@dataclass
class PriorityRows:
    """Good rows column by column: `tags[i]` is in caption group `group_indexes[i]`."""

    path: Path
    sha256: str
    tags: list[str] = field(default_factory=list)
    group_indexes: list[int] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)

    def __len__(self) -> int:
        return len(self.tags)


def read_priorities_file(path: Path) -> PriorityRows:
    source = read_tag_object(path, "tag -> group index")
    document = pairs_of(source)
    rows = PriorityRows(path, source.sha256)
    tags = [tag for tag, _ in document]
    group_indexes = [group_index for _, group_index in document]
    if (
        set(map(type, group_indexes)) == {int}
        and min(group_indexes) >= 0
        and max(group_indexes) <= MAX_GROUP_INDEX
        and names_are_clean(tags)
        and len(set(tags)) == len(tags)
    ):
        rows.tags, rows.group_indexes = tags, group_indexes
        return rows
    lines = source.scalar_lines()
    keys = KeyTracker(path, document, "tag")
    for tag, group_index in document:
        line = lines.take()
        lines.skip(group_index)
        if keys.is_repeated(tag, line):
            continue
        reason = name_problem(tag, "tag")
        if reason is None and (type(group_index) is not int or group_index < 0):
            reason = (
                f"tag {tag!r}: the group index must be a non-negative integer, "
                f"found {json_type_name(group_index)}"
            )
        elif reason is None and group_index > MAX_GROUP_INDEX:
            reason = f"tag {tag!r}: group index {group_index} out of range (at most {MAX_GROUP_INDEX})"
        if reason:
            rows.problems.append(Problem(path, line, reason))
            continue
        rows.tags.append(tag)
        rows.group_indexes.append(group_index)
    rows.problems.extend(keys.problems())
    rows.problems.sort(key=lambda problem: problem.line or 0)
    return rows
