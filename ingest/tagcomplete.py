"""Reader of a tag-autocomplete CSV (`danbooru.csv`): no header, `name,category,count,"alias1,alias2"`.

RFC 4180 quoting: a field holding a comma or a quote is quoted and its quotes doubled.
An alias repeated within one row's list counts once (the real danbooru.csv does this in 134 rows):
the writer keeps distinct (alias, tag) pairs.
"""

from __future__ import annotations

from pathlib import Path

from ingest.csvlines import split_clean_lines, split_csv_lines
from ingest.tagrows import TagRows, TagRowsBuilder
from ingest.textfile import read_source_text

TAGCOMPLETE_CATEGORIES = frozenset({0, 1, 3, 4, 5})


def read_tagcomplete_file(path: Path) -> TagRows:
    source = read_source_text(path)
    builder = TagRowsBuilder(path, source.sha256, TAGCOMPLETE_CATEGORIES, "tag-autocomplete file")
    clean = split_clean_lines(source, 4)
    if clean is not None:  # every line split cleanly: hand over whole columns
        names = [fields[0] for fields in clean]
        categories = [fields[1] for fields in clean]
        counts = [fields[2] for fields in clean]
        aliases = [fields[3] for fields in clean]
        lines = list(range(1, len(clean) + 1))
        builder.add_rows(lines, names, categories, counts, [None] * len(clean), aliases)
        return builder.finish()
    split = split_csv_lines(source)
    builder.rows.problems.extend(split.problems)
    good = [(line, *fields) for line, fields in split.records if len(fields) == 4]
    for line, fields in split.records:
        if len(fields) != 4:
            builder.problem(line, f'expected 4 fields (name,category,count,"aliases"), found {len(fields)}')
    if good:
        lines, names, categories, counts, aliases = (list(column) for column in zip(*good, strict=True))
        builder.add_rows(lines, names, categories, counts, [None] * len(good), aliases)
    return builder.finish()
