"""Reader of the model author's caption vocabulary (waifuset `custom_tags.json`).

A JSON object whose keys `quality`, `aesthetic` and `style` hold lists of Danbooru-style names
(`amazing_quality`, `flat-pasto`, `watercolor_(medium)`). Each becomes a verified trigger of kind
quality, aesthetic or painting_style; the list order is the quality ladder's order.
"""

from __future__ import annotations

import json
from pathlib import Path

from ingest.problems import Problem, SourceFileError
from ingest.tagrows import name_problem
from ingest.textfile import read_source_text
from ingest.triggerrows import TriggerEntry, TriggerRows
from kb.schema import TriggerKind
from kb.tagforms import to_plain_form

VOCAB_KINDS: dict[str, TriggerKind] = {
    "quality": TriggerKind.QUALITY,
    "aesthetic": TriggerKind.AESTHETIC,
    "style": TriggerKind.PAINTING_STYLE,
}


def _line_finder(lines: tuple[str | None, ...]) -> dict[str, int]:
    """First line number of each JSON string literal on its own (entries are one per line)."""
    found: dict[str, int] = {}
    for number, line in enumerate(lines, start=1):
        if line is not None:
            found.setdefault(line.strip().rstrip(","), number)
    return found


def read_vocab_file(path: Path) -> TriggerRows:
    source = read_source_text(path)
    if source.undecodable:
        raise SourceFileError(source.undecodable)
    try:
        document = json.loads("\n".join(line or "" for line in source.lines))
    except json.JSONDecodeError as error:
        raise SourceFileError([Problem(path, error.lineno, f"not valid JSON: {error.msg}")]) from error
    if not isinstance(document, dict):
        raise SourceFileError(
            [Problem(path, 1, "expected a JSON object with keys quality, aesthetic, style")]
        )
    unknown = sorted(set(document) - set(VOCAB_KINDS))
    if unknown:
        expected = ", ".join(VOCAB_KINDS)
        raise SourceFileError(
            [Problem(path, None, f"unknown key(s) {', '.join(unknown)} (expected {expected})")]
        )
    line_of = _line_finder(source.lines)
    rows = TriggerRows(path, source.sha256)
    for key, kind in VOCAB_KINDS.items():
        values = document.get(key, [])
        if not isinstance(values, list):
            rows.problems.append(
                Problem(path, line_of.get(f'"{key}": ['), f"`{key}` must be a list of names")
            )
            continue
        seen: set[str] = set()
        for position, value in enumerate(values, start=1):
            line = line_of.get(json.dumps(value)) if isinstance(value, str) else None
            where = f"{key}[{position}]"
            if not isinstance(value, str):
                rows.problems.append(Problem(path, line, f"{where}: expected a string, found {value!r}"))
                continue
            reason = name_problem(value)
            if reason is None and value in seen:
                reason = f"duplicate name {value!r} in {key}"
            if reason:
                rows.problems.append(Problem(path, line, f"{where}: {reason}"))
                continue
            seen.add(value)
            rows.entries.append(
                TriggerEntry(
                    line=line,
                    text=to_plain_form(value),
                    kind=kind,
                    note=f"{path.name} ({key})",
                    danbooru_tag=value,
                    rank=position if kind is TriggerKind.QUALITY else None,
                )
            )
    return rows
