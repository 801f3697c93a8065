"""Reader of the model's own trigger list: `references/artist.csv` of the Hub repository
`Eugeoter/anime_illust_diffusion_xl` (`aidxl ingest --triggers hub`), or any file of the same kind.

The real file's layout is not known offline, so none is assumed. Accepted:
- a header naming the name column, `artist`, `trigger`, `name`, `tag` or `style` (any case),
  optionally with a `count` column, in either order: `"artist","count"`, `name`, `count,style`;
- no header: one name per line, optionally followed by a count: `yoneyama mai` or `yoneyama mai,259`.
  A first line whose field is one of the column words above is read as a header.
Names may be quoted (RFC 4180) or not, start with `by ` or not, use spaces or underscores
(`yoneyama_mai`), be escaped or not (`ask \\(askzy\\)`). Each becomes the verified artist-style
trigger `by <name>` in plain form: `by ` + kb.knowledge.tagforms.to_plain_form(to_canonical(name)), so lower
case (CLIP lower-cases every prompt; the catalog's texts are lower case), spaces, no escapes.
The count (images per artist, as far as is known) goes into the trigger's note.

Bad rows: a wrong field count, a non-integer count, an empty name, a name with surrounding spaces
(`by ` alone has one), a tab or double space, a comma (a prompt splits there), both spaces and
underscores (which form is meant?), the same trigger twice (bad on the later line).
File problems: a header with an unknown column, two name columns or two `count` columns, no rows,
and what every CSV reader refuses (ingest/textfile.py): a BOM, CRLF line endings, an empty file.
"""

from __future__ import annotations

from pathlib import Path

from ingest.csvlines import MAX_COUNT, number_problem, split_csv_lines
from ingest.problems import Problem, SourceFileError
from ingest.tagrows import spaced_name_problem
from ingest.textfile import read_source_text
from ingest.triggerrows import TriggerEntry, TriggerRows
from kb.knowledge.tagforms import keeps_underscores, to_canonical, to_plain_form
from kb.schema import TriggerKind

NAME_COLUMNS = ("artist", "trigger", "name", "tag", "style")
COUNT_COLUMN = "count"
ARTIST_PREFIX = "by "


def _header_columns(path: Path, fields: list[str]) -> tuple[int, int | None] | None:
    """(name column, count column) when the first line is a header, None when it is a name."""
    lowered = [field.lower() for field in fields]
    if not any(field in NAME_COLUMNS for field in lowered):
        return None
    expected = f"expected one of {', '.join(NAME_COLUMNS)}, and optionally {COUNT_COLUMN}"
    unknown = [field for field in fields if field.lower() not in (*NAME_COLUMNS, COUNT_COLUMN)]
    names = [index for index, field in enumerate(lowered) if field in NAME_COLUMNS]
    counts = [index for index, field in enumerate(lowered) if field == COUNT_COLUMN]
    reasons = []
    if unknown:
        reasons.append(f"unknown column(s) {', '.join(map(repr, unknown))} in the header ({expected})")
    if len(names) > 1:
        reasons.append(f"the header names {len(names)} name columns ({expected})")
    if len(counts) > 1:
        reasons.append(f"the header names {len(counts)} count columns")
    if reasons:
        raise SourceFileError([Problem(path, 1, "; ".join(reasons))])
    return names[0], counts[0] if counts else None


def artist_trigger_text(name: str) -> str:
    """`by <name>` in plain form, or raises ValueError with the reason the name is unusable."""
    reason = spaced_name_problem(name)
    if reason:
        raise ValueError(reason)
    if "," in name:
        raise ValueError(f"name {name!r} contains a comma (a prompt splits at commas)")
    if name.lower().startswith(ARTIST_PREFIX):
        name = name[len(ARTIST_PREFIX) :]
    if " " in name and "_" in name and not keeps_underscores(name):
        raise ValueError(f"name {name!r} mixes spaces and underscores")
    return ARTIST_PREFIX + to_plain_form(to_canonical(name))


def read_trigger_list_file(path: Path) -> TriggerRows:
    source = read_source_text(path)
    split = split_csv_lines(source)
    rows = TriggerRows(path, source.sha256)
    rows.problems.extend(split.problems)
    records = split.records
    columns: tuple[int, int | None] | None = None
    if records and records[0][0] == 1:
        columns = _header_columns(path, records[0][1])
        if columns is not None:
            records = records[1:]
    if not records and not rows.problems:
        raise SourceFileError([Problem(path, None, "no rows after the header")])
    first_line_of_text: dict[str, int] = {}
    for line, fields in records:
        if columns is not None:
            width = max(index for index in columns if index is not None) + 1
            if len(fields) != width:
                rows.problems.append(
                    Problem(path, line, f"expected {width} field(s) as in the header, found {len(fields)}")
                )
                continue
            name_index, count_index = columns
        elif len(fields) in (1, 2):
            name_index, count_index = 0, (1 if len(fields) == 2 else None)
        else:
            rows.problems.append(
                Problem(path, line, f"expected a name, or a name and a count, found {len(fields)} fields")
            )
            continue
        reasons = []
        try:
            text = artist_trigger_text(fields[name_index])
        except ValueError as error:
            text = ""
            reasons.append(str(error))
        count_text = fields[count_index] if count_index is not None else None
        count_reason = None if count_text is None else number_problem(count_text, "count", MAX_COUNT)
        if count_reason:
            reasons.append(count_reason)
        if text and text in first_line_of_text:
            reasons.append(f"duplicate trigger {text!r} (first on line {first_line_of_text[text]})")
        if reasons:
            rows.problems.append(Problem(path, line, "; ".join(reasons)))
            continue
        first_line_of_text[text] = line
        note = path.name if count_text is None else f"{path.name}; count={count_text}"
        rows.entries.append(TriggerEntry(line, text, TriggerKind.ARTIST_STYLE, note=note))
    rows.problems.sort(key=lambda problem: problem.line or 0)
    return rows
