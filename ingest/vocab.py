"""Reader of the model author's caption vocabulary (waifuset `custom_tags.json`), in either form.

A JSON object of lists of names. Upstream has two forms of the file:
- Danbooru form (waifuset HEAD, `waifuset.custom_tags.json`): keys `quality`, `aesthetic`, `style`;
  canonical names with underscores (`amazing_quality`, `watercolor_(medium)`).
- the author's caption form (the AIDXL 0.8 era, `waifuset.custom_tags.dcfd297.json`, the full
  vocabulary): the same keys plus `artist`, `character`, `game`; lower case with spaces, escaped
  where the author escaped (`oil painting \\(medium\\)`, `frieren (sousou no frieren)`).
A file's form is its majority: caption form when more names contain a space than an underscore
(emoticons such as `^_^` aside), else Danbooru form. A name in the other form is bad, as are an
empty name, a name with surrounding spaces, a tab or double space, upper case (caption form), a name
twice in one list (bad on the later line), and a value that is not a list of strings.

What each key becomes:
- `quality`, `aesthetic`, `style` → `entries`: verified triggers of kind quality, aesthetic,
  painting_style; the text is the name's plain form, linked to the tag of its canonical name. The
  quality rank is the list order in Danbooru form (HEAD lists best first); the caption-form file
  lists quality in no order (`low quality` first), so there its entries carry no rank (the curated
  ladder ranks all seven).
- `artist` → `author_artists`: canonical artist names (`yoneyama_mai`). Each is an author-tier
  artist-style trigger `by ` + its plain form (`by yoneyama mai`), NOT verified: this is the author's
  whole caption vocabulary (24,999 names), a superset of the 800+ styles AIDXL was trained on.
- `character` → `author_characters`: canonical names of the author's character forms
  (`frieren_(sousou_no_frieren)`); the plain form is what AIDXL saw in training
  (`frieren (sousou no frieren)`). The writer links them to Danbooru character tags.
- `game` → `author_copyrights`: canonical copyright names the author captions by name (`arknights`).
"""

from __future__ import annotations

import operator
from collections import Counter
from dataclasses import dataclass, field
from enum import StrEnum
from itertools import repeat
from pathlib import Path
from typing import Any

from ingest.jsondoc import JsonObject, read_json_source
from ingest.problems import Problem, SourceFileError
from ingest.tagrows import name_problem, spaced_name_problem
from ingest.triggerrows import TriggerEntry, TriggerRows
from kb.knowledge.tagforms import keeps_underscores, to_canonical, to_plain_form
from kb.schema import TriggerKind

VOCAB_KINDS: dict[str, TriggerKind] = {
    "quality": TriggerKind.QUALITY,
    "aesthetic": TriggerKind.AESTHETIC,
    "style": TriggerKind.PAINTING_STYLE,
}
AUTHOR_KEYS = ("artist", "character", "game")
VOCAB_KEYS = (*VOCAB_KINDS, *AUTHOR_KEYS)


class NameForm(StrEnum):
    DANBOORU = "danbooru"  # long_hair, watercolor_(medium)
    CAPTION = "caption"  # long hair, watercolor \(medium\)


@dataclass
class AuthorNames:
    """One of the author's name lists: canonical names and the line of each."""

    names: list[str] = field(default_factory=list)
    lines: list[int] = field(default_factory=list)

    def __len__(self) -> int:
        return len(self.names)


@dataclass
class VocabRows(TriggerRows):
    """The verified triggers (`entries`) and the author's artist, character and copyright lists."""

    name_form: NameForm = NameForm.DANBOORU
    author_artists: AuthorNames = field(default_factory=AuthorNames)
    author_characters: AuthorNames = field(default_factory=AuthorNames)
    author_copyrights: AuthorNames = field(default_factory=AuthorNames)

    def __len__(self) -> int:
        return (
            len(self.entries)
            + len(self.author_artists)
            + len(self.author_characters)
            + len(self.author_copyrights)
        )


def _all_strings(values: list[Any]) -> bool:
    return set(map(type, values)) <= {str}


def _name_form(document: JsonObject) -> NameForm:
    spaced = underscored = 0
    for _, values in document:
        if isinstance(values, list) and not isinstance(values, JsonObject):
            names = values if _all_strings(values) else [value for value in values if isinstance(value, str)]
            spaced += sum(map(operator.contains, names, repeat(" ")))
            with_underscore = [name for name in names if "_" in name]
            underscored += sum(not keeps_underscores(name) for name in with_underscore)
    return NameForm.CAPTION if spaced > underscored else NameForm.DANBOORU


def canonical_name(name: str, form: NameForm) -> str:
    """The canonical Danbooru name of a vocabulary name, or ValueError with why it is unusable."""
    if form is NameForm.DANBOORU:
        reason = name_problem(name)
        if reason:
            raise ValueError(reason)
        return name
    spacing = spaced_name_problem(name)
    if spacing:
        raise ValueError(spacing)
    if "_" in name and not keeps_underscores(name):
        raise ValueError(
            f"name {name!r} contains underscores, but this file writes names with spaces "
            "(the author's caption form)"
        )
    if name != name.lower():
        raise ValueError(f"name {name!r} has upper-case letters (the author's caption form is lower case)")
    return to_canonical(name)


def _clean_caption_names(names: list[str]) -> bool:
    """True when `canonical_name` would accept every name and only replace spaces (C-speed checks)."""
    joined = "\n".join(names)
    return (
        all(names)
        and "_" not in joined
        and "\\" not in joined
        and joined == joined.lower()
        # single spaces between words only: exactly one word more than separators
        and len(joined.split()) == joined.count(" ") + len(names)
    )


def read_vocab_file(path: Path) -> VocabRows:
    source = read_json_source(path)
    document = source.document
    if not isinstance(document, JsonObject):
        raise SourceFileError([Problem(path, 1, f"expected a JSON object with keys {', '.join(VOCAB_KEYS)}")])
    keys = [key for key, _ in document]
    unknown = sorted(set(keys) - set(VOCAB_KEYS))
    if unknown:
        raise SourceFileError(
            [Problem(path, None, f"unknown key(s) {', '.join(unknown)} (expected {', '.join(VOCAB_KEYS)})")]
        )
    repeated = sorted(key for key, count in Counter(keys).items() if count > 1)
    if repeated:
        raise SourceFileError([Problem(path, None, f"key(s) given twice: {', '.join(repeated)}")])
    form = _name_form(document)
    rows = VocabRows(path, source.sha256, name_form=form)
    lines = source.scalar_lines()
    for key, values in document:
        key_line = lines.take()
        if not isinstance(values, list) or isinstance(values, JsonObject):
            lines.skip(values)
            rows.problems.append(Problem(path, key_line, f"`{key}` must be a list of names"))
            continue
        if _all_strings(values):
            value_lines = lines.take_many(len(values))
        else:
            value_lines = [lines.skip(value) or key_line for value in values]
        if key in VOCAB_KINDS:
            _add_triggers(rows, key, values, value_lines)
        else:
            _add_author_names(rows, key, values, value_lines)
    rows.problems.sort(key=lambda problem: problem.line or 0)
    return rows


def _checked_names(
    rows: VocabRows, key: str, values: list[Any], value_lines: list[int]
) -> list[tuple[int, int, str, str]]:
    """(position, line, name, canonical name) of each good name; problems for the others."""
    good: list[tuple[int, int, str, str]] = []
    seen: set[str] = set()
    for position, (value, line) in enumerate(zip(values, value_lines, strict=True), start=1):
        where = f"{key}[{position}]"
        if not isinstance(value, str):
            rows.problems.append(Problem(rows.path, line, f"{where}: expected a string, found {value!r}"))
            continue
        try:
            canonical = canonical_name(value, rows.name_form)
        except ValueError as error:
            rows.problems.append(Problem(rows.path, line, f"{where}: {error}"))
            continue
        if canonical in seen:
            rows.problems.append(Problem(rows.path, line, f"{where}: duplicate name {value!r} in {key}"))
            continue
        seen.add(canonical)
        good.append((position, line, value, canonical))
    return good


def _add_triggers(rows: VocabRows, key: str, values: list[Any], value_lines: list[int]) -> None:
    kind = VOCAB_KINDS[key]
    ranked = kind is TriggerKind.QUALITY and rows.name_form is NameForm.DANBOORU
    for position, line, _, canonical in _checked_names(rows, key, values, value_lines):
        rows.entries.append(
            TriggerEntry(
                line=line,
                text=to_plain_form(canonical),
                kind=kind,
                note=f"{rows.path.name} ({key})",
                danbooru_tag=canonical,
                rank=position if ranked else None,
            )
        )


def _add_author_names(rows: VocabRows, key: str, values: list[Any], value_lines: list[int]) -> None:
    target = {
        "artist": rows.author_artists,
        "character": rows.author_characters,
        "game": rows.author_copyrights,
    }[key]
    if (
        rows.name_form is NameForm.CAPTION
        and _all_strings(values)
        and _clean_caption_names(values)
        and len(set(values)) == len(values)
    ):
        target.names = [value.replace(" ", "_") for value in values]
        target.lines = value_lines
        return
    for _, line, _, canonical in _checked_names(rows, key, values, value_lines):
        target.names.append(canonical)
        target.lines.append(line)
