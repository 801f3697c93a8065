"""Reader of a user's trigger list, e.g. a copy of the model page's trigger word list.

- A `.csv` file: RFC 4180 CSV. With a header whose first column is `trigger`, columns are found by
  name (`trigger`, optional `kind` and `description`; every other column goes into the note as
  `column=value`). Without one, the columns are `trigger[,kind[,description]]`.
- Any other file: one trigger per line; blank lines and lines starting with `#` are skipped.
The kind comes from the file's `kind` column, else from `--kind`; a row with neither is bad.
Text is the unescaped prompt form: no surrounding spaces, no backslashes, spaces not underscores.
"""

from __future__ import annotations

from pathlib import Path

from ingest.csvlines import split_csv_lines
from ingest.problems import Problem
from ingest.textfile import SourceText, read_source_text
from ingest.triggerrows import TriggerEntry, TriggerRows
from kb.knowledge.tagforms import keeps_underscores
from kb.schema import TriggerKind

_STANDARD_COLUMNS = frozenset({"trigger", "kind", "description"})
KIND_NAMES = ", ".join(kind.value for kind in TriggerKind)


def trigger_text_problem(text: str) -> str | None:
    if not text:
        return "empty trigger"
    if text != text.strip():
        return f"trigger {text!r} has surrounding spaces"
    if any(character in text for character in "\\\t"):
        return f"trigger {text!r} contains a backslash or tab (write the text unescaped)"
    if "_" in text and not keeps_underscores(text):
        return f"trigger {text!r} contains underscores (AIDXL triggers use spaces)"
    return None


def _kind(text: str | None, default: TriggerKind | None) -> TriggerKind | str:
    """The kind, or the reason there is none."""
    if text:
        try:
            return TriggerKind(text)
        except ValueError:
            return f"unknown kind {text!r} (expected one of {KIND_NAMES})"
    if default is not None:
        return default
    return "no kind: add a `kind` column or pass --kind"


class _ListBuilder:
    def __init__(self, source: SourceText) -> None:
        self.rows = TriggerRows(source.path, source.sha256)
        self._seen: dict[tuple[str, TriggerKind], int] = {}

    def add(
        self, line: int, text: str, kind: TriggerKind | str, description: str | None, note: str | None
    ) -> None:
        reasons = [reason for reason in (trigger_text_problem(text),) if reason]
        if not isinstance(kind, TriggerKind):  # a reason (TriggerKind is a str too)
            reasons.append(kind)
        elif (text, kind) in self._seen:
            reasons.append(f"duplicate trigger {text!r} ({kind}; first on line {self._seen[(text, kind)]})")
        if reasons:
            self.rows.problems.append(Problem(self.rows.path, line, "; ".join(reasons)))
            return
        assert isinstance(kind, TriggerKind)
        self._seen[(text, kind)] = line
        self.rows.entries.append(TriggerEntry(line, text, kind, description or None, note or None))


def read_list_file(path: Path, default_kind: TriggerKind | None = None) -> TriggerRows:
    source = read_source_text(path)
    builder = _ListBuilder(source)
    if path.suffix.lower() == ".csv":
        _read_csv_list(source, builder, default_kind)
    else:
        builder.rows.problems.extend(source.undecodable)
        for number, line in enumerate(source.lines, start=1):
            if line is None or not line.strip() or line.startswith("#"):
                continue
            if "," in line:
                builder.rows.problems.append(
                    Problem(
                        path, number, f"{line!r} contains a comma (one trigger per line; use a .csv file)"
                    )
                )
                continue
            builder.add(number, line, _kind(None, default_kind), None, None)
    builder.rows.problems.sort(key=lambda problem: problem.line or 0)
    return builder.rows


def _read_csv_list(source: SourceText, builder: _ListBuilder, default_kind: TriggerKind | None) -> None:
    split = split_csv_lines(source)
    builder.rows.problems.extend(split.problems)
    records = split.records
    columns = ["trigger", "kind", "description"]
    positional = True
    if records and records[0][0] == 1 and records[0][1] and records[0][1][0] == "trigger":
        columns = records[0][1]
        records = records[1:]
        positional = False
    for line, fields in records:
        if positional and not 1 <= len(fields) <= 3:
            builder.rows.problems.append(
                Problem(
                    source.path,
                    line,
                    f"expected 1 to 3 fields (trigger,kind,description), found {len(fields)}",
                )
            )
            continue
        if not positional and len(fields) != len(columns):
            builder.rows.problems.append(
                Problem(
                    source.path, line, f"expected {len(columns)} fields as in the header, found {len(fields)}"
                )
            )
            continue
        values = dict(zip(columns, fields, strict=False))
        extra = "; ".join(
            f"{column}={value}"
            for column, value in values.items()
            if column not in _STANDARD_COLUMNS and value
        )
        builder.add(
            line,
            values["trigger"],
            _kind(values.get("kind"), default_kind),
            values.get("description"),
            extra or None,
        )
