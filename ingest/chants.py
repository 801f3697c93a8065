"""Reader of a chants file (tag-autocomplete `noob_characters-chants.json`): characters' core tags.

A JSON list of chants `{"name", "terms", "content", "color"}` (exactly those keys; `color` an
integer). A chant whose comma-separated `terms` include `Character` describes a character: its
`content` is the character tag (the chant's name), then its core tags, comma-separated, in the
prompt form (`2b_(nier:automata),1girl, mole under mouth, short hair, white hair, ...`). Any other
chant is a prompt preset (`Basic-HighQuality`): counted in `presets`, not read further, no problem.

From a character chant: the gender from its role tag (`1girl` girl, `1boy` boy, `1other` other;
none for `no humans` or no role tag; two different ones are bad), and the core tags: every tag after
the character tag except the role tag, canonical (`mole_under_mouth`), in file order, a repeat kept
once (the upstream file repeats tags). Bad: a wrong key or value type, an empty tag (`a,,b`), a tag
with a tab, newline or double space inside, content that does not start with the chant's name, a
character name that is not a tag name, a character with two chants (bad on every line).
CRLF line endings are accepted (ingest/jsondoc.py; the upstream file has them).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ingest.jsondoc import JsonObject, ScalarLines, json_type_name, read_json_source
from ingest.problems import Problem, SourceFileError
from ingest.tagrows import name_problem
from kb.knowledge.caption_groups import GENDER_OF_ROLE_TAG, CharacterGender
from kb.knowledge.tagforms import to_canonical

CHANT_KEYS = ("name", "terms", "content", "color")
CHARACTER_TERM = "Character"


@dataclass(frozen=True)
class Chant:
    """One character chant."""

    line: int  # the line of its name
    name: str  # the character tag as the file writes it: 2b_(nier:automata)
    gender: CharacterGender | None
    core_tags: tuple[str, ...]  # canonical: mole_under_mouth, short_hair, white_hair, ...


@dataclass
class ChantRows:
    path: Path
    sha256: str
    chants: list[Chant] = field(default_factory=list)
    presets: int = 0  # chants that are prompt presets, not characters (skipped, not problems)
    problems: list[Problem] = field(default_factory=list)

    def __len__(self) -> int:
        return len(self.chants)


def _canonical(tag: str) -> str:
    """`kb.knowledge.tagforms.to_canonical`, the common case (lower case, nothing escaped) done directly."""
    if tag.islower() and "\\" not in tag:
        return tag.replace(" ", "_")
    return to_canonical(tag)


def _fields(entry: JsonObject, lines: ScalarLines) -> tuple[dict[str, tuple[Any, int]], list[str]]:
    """The chant's values with their lines, and what is wrong with its keys and types."""
    values: dict[str, tuple[Any, int]] = {}
    reasons: list[str] = []
    for key, value in entry:
        key_line = lines.take()
        value_line = lines.skip(value) or key_line
        if key in values:
            reasons.append(f"key {key!r} given twice")
        values[key] = (value, value_line)
    unknown = [key for key in values if key not in CHANT_KEYS]
    missing = [key for key in CHANT_KEYS if key not in values]
    if unknown:
        reasons.append(f"unknown key(s) {', '.join(unknown)} (expected {', '.join(CHANT_KEYS)})")
    if missing:
        reasons.append(f"missing key(s) {', '.join(missing)}")
    for key in CHANT_KEYS:
        if key not in values:
            continue
        value = values[key][0]
        if key == "color" and type(value) is not int:
            reasons.append(f"`color` must be an integer, found {json_type_name(value)}")
        elif key != "color" and not isinstance(value, str):
            reasons.append(f"`{key}` must be a string, found {json_type_name(value)}")
    return values, reasons


def _character_chant(
    path: Path, name: str, line: int, content: str, content_line: int, where: str
) -> tuple[Chant | None, list[Problem]]:
    """The chant, or None and its one problem (every reason found, on the content's line)."""
    reason = name_problem(name, "character tag")
    if reason:
        return None, [Problem(path, line, f"{where}: {reason}")]
    parts = [part.strip() for part in content.split(",")]
    reasons: list[str] = []
    for position, part in enumerate(parts, start=1):
        if not part:
            reasons.append(f"empty tag at position {position} of the content")
        elif part.split() != part.split(" "):
            reasons.append(f"tag {part!r} contains a tab, newline or double space")
    if not reasons and _canonical(parts[0]) != name:
        reasons.append(f"content starts with {parts[0]!r}, not the chant's name {name!r}")
    if reasons:
        return None, [Problem(path, content_line, f"{where} ({name}): {'; '.join(reasons)}")]
    core: dict[str, None] = {}
    genders: dict[CharacterGender, None] = {}
    for part in parts[1:]:
        tag = _canonical(part)
        gender = GENDER_OF_ROLE_TAG.get(tag)
        if gender is not None:
            genders[gender] = None
        else:
            core[tag] = None
    if len(genders) > 1:
        found = ", ".join(gender.value for gender in genders)
        return None, [Problem(path, content_line, f"{where} ({name}): several genders ({found})")]
    return Chant(line, name, next(iter(genders), None), tuple(core)), []


def read_chants_file(path: Path) -> ChantRows:
    source = read_json_source(path)
    document = source.document
    if not isinstance(document, list) or isinstance(document, JsonObject):
        expected = "a JSON list of chants {name, terms, content, color}"
        raise SourceFileError([Problem(path, 1, f"expected {expected}, found {json_type_name(document)}")])
    if not document:
        raise SourceFileError([Problem(path, None, "no chants (an empty list)")])
    rows = ChantRows(path, source.sha256)
    lines = source.scalar_lines()
    lines_of_name: dict[str, list[int]] = {}
    for position, entry in enumerate(document, start=1):
        where = f"chant {position}"
        if not isinstance(entry, JsonObject):
            line = lines.skip(entry)  # None for an empty container: the reason names the chant
            rows.problems.append(
                Problem(
                    path,
                    line,
                    f"{where}: expected an object {{name, terms, content, color}}, "
                    f"found {json_type_name(entry)}",
                )
            )
            continue
        values, reasons = _fields(entry, lines)
        if reasons:
            first_line = min((line for _, line in values.values()), default=None)
            rows.problems.append(Problem(path, first_line, f"{where}: {'; '.join(reasons)}"))
            continue
        terms = [term.strip() for term in values["terms"][0].split(",")]
        if CHARACTER_TERM not in terms:
            rows.presets += 1
            continue
        name, name_line = values["name"]
        content, content_line = values["content"]
        chant, problems = _character_chant(path, name, name_line, content, content_line, where)
        rows.problems.extend(problems)
        if chant is not None:
            lines_of_name.setdefault(name, []).append(name_line)
            rows.chants.append(chant)
    repeated = {name: found for name, found in lines_of_name.items() if len(found) > 1}
    if repeated:
        for name, found in repeated.items():
            others = ", ".join(str(line) for line in found)
            rows.problems.extend(
                Problem(path, line, f"character {name!r} has {len(found)} chants (lines {others})")
                for line in found
            )
        rows.chants = [chant for chant in rows.chants if chant.name not in repeated]
    rows.problems.sort(key=lambda problem: problem.line or 0)
    return rows
