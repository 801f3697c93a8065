"""Reader of a WD tagger's `selected_tags.csv`: header `tag_id,name,category,count`.

Categories 0 (general), 4 (character) and 9 (rating); 3 (copyright) is tolerated because older
SmilingWolf lists carry it.
"""

from __future__ import annotations

from pathlib import Path

from ingest.csvlines import (
    ID_DIGITS_ALWAYS_IN_RANGE,
    MAX_ID,
    number_problem,
    split_clean_lines,
    split_csv_lines,
)
from ingest.problems import Problem, SourceFileError
from ingest.tagrows import TagRows, TagRowsBuilder
from ingest.textfile import read_source_text

TAGGER_HEADER = "tag_id,name,category,count"
TAGGER_CATEGORIES = frozenset({0, 3, 4, 9})


def read_tagger_file(path: Path) -> TagRows:
    """Every good row and every problem; file-level problems raise SourceFileError."""
    source = read_source_text(path)
    header = source.lines[0]
    if header is None:  # not UTF-8, or a control character: its own problem says which
        raise SourceFileError([problem for problem in source.undecodable if problem.line == 1])
    if header != TAGGER_HEADER:
        shown = "not UTF-8" if header is None else repr(header)
        raise SourceFileError([Problem(path, 1, f"wrong header {shown} (expected {TAGGER_HEADER!r})")])
    if len(source.lines) < 2:
        raise SourceFileError([Problem(path, None, "no rows after the header")])
    builder = TagRowsBuilder(path, source.sha256, TAGGER_CATEGORIES, "tagger file")
    clean = split_clean_lines(source, 4, first_line=2)
    if clean is not None:
        tag_ids = [fields[0] for fields in clean]
        joined_ids = "".join(tag_ids)
        if (  # every id a plain integer, short enough to be in range
            all(tag_ids)
            and joined_ids.isascii()
            and joined_ids.isdigit()
            and max(map(len, tag_ids)) <= ID_DIGITS_ALWAYS_IN_RANGE
        ):
            lines = list(range(2, len(clean) + 2))
            names = [fields[1] for fields in clean]
            categories = [fields[2] for fields in clean]
            counts = [fields[3] for fields in clean]
            builder.add_rows(lines, names, categories, counts, list(map(int, tag_ids)), [""] * len(clean))
            return builder.finish()
    split = split_csv_lines(source, first_line=2)
    builder.rows.problems.extend(split.problems)
    good: list[tuple[int, int, list[str]]] = []
    for line, fields in split.records:
        if len(fields) != 4:
            builder.problem(line, f"expected 4 fields (tag_id,name,category,count), found {len(fields)}")
            continue
        id_reason = number_problem(fields[0], "tag_id", MAX_ID)
        if id_reason is not None:
            builder.problem(line, id_reason)
            continue
        tag_id = int(fields[0])
        good.append((line, tag_id, fields))
    builder.add_rows(
        [line for line, _, _ in good],
        [fields[1] for _, _, fields in good],
        [fields[2] for _, _, fields in good],
        [fields[3] for _, _, fields in good],
        [tag_id for _, tag_id, _ in good],
        [""] * len(good),
    )
    return builder.finish()
