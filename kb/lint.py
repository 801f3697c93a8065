"""The prompt linter: what the A1111 web UI will really read, and how to say what was meant.

Each finding names a code, a message, the prompt span [start, end) it is about, a suggested fix
(the text to put in place of that span, or None when there is no mechanical fix) and a
severity. Checks without a catalog: underscores, unescaped qualifier brackets, emoticon
bracket traps, unclosed brackets, unreadable weights, duplicates, weights out of range, chunk
borders inside a tag, and the slot order (the assembly's slots, `kb.assemble.place_tags`: `by ...`
styles, curated triggers, `name (qualifier)` characters). With a catalog (a `TagMatcher`): unknown
tags (with "did you mean" from `search`), the slots of catalog characters and trigger kinds, and
triggers not verified as AIDXL's own.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import TYPE_CHECKING

from kb.assemble import place_tags
from kb.attention import (
    AttentionPiece,
    EmphasisNode,
    attention_pieces,
    parse_prompt_structure,
    render_nodes,
)
from kb.errors import ClipVocabularyError, CuratedDataError, PromptSyntaxError
from kb.render import format_weight, render_tag
from kb.tagforms import escape_a1111, keeps_underscores, to_canonical, unescape_a1111
from kb.tagview import MatchKind, PromptTag, TagMatcher, split_tags
from kb.tokens import count_prompt_tokens

if TYPE_CHECKING:
    import duckdb

# Weights the model takes well (GUIDE §2 uses 0.6–1.5); outside is a warning, <= 0 an error.
WEIGHT_LOW = 0.5
WEIGHT_HIGH = 1.5
# A style/character/quality tag is "far" from the place the assembly gives it when it sits at least
# SLOT_MIN_DISPLACEMENT places and more than SLOT_TOLERANCE of the prompt's length away from it.
SLOT_TOLERANCE = 1 / 3
SLOT_MIN_DISPLACEMENT = 2
SLOT_MIN_TAGS = 4
# Longer "tags" are sentences (e.g. the v0.8 `a girl named ... series` form), not catalog lookups.
MAX_WORDS_OF_A_TAG = 4

# Trigger kinds the model defines itself; a tag or character trigger unverified is the norm, not news.
AIDXL_TRIGGER_KINDS = frozenset({"artist_style", "painting_style", "quality", "aesthetic"})
# A bracket trap explains a tag's odd text better than "unknown tag" does.
_BRACKET_CODES = frozenset(
    {"emoticon-open-bracket", "emoticon-bracket", "emoticon-vanishes", "unclosed-bracket"}
)

Suggester = Callable[[str], Sequence[str]]


class Severity(StrEnum):
    ERROR = "error"
    WARNING = "warning"
    INFO = "info"


@dataclass(frozen=True)
class Finding:
    code: str
    message: str
    start: int
    end: int
    fix: str | None  # replacement for prompt[start:end]
    severity: Severity

    def to_json(self) -> dict[str, object]:
        return {
            "code": self.code,
            "message": self.message,
            "start": self.start,
            "end": self.end,
            "fix": self.fix,
            "severity": str(self.severity),
        }


def lint_prompt(
    text: str, matcher: TagMatcher | None = None, search: Suggester | None = None
) -> list[Finding]:
    """Every finding for `text`, in prompt order. Never raises on a bad prompt."""
    tags = split_tags(text, matcher)
    findings: list[Finding] = []
    findings += check_weight_syntax(text)
    findings += check_brackets(text)
    for tag in tags:
        findings += check_underscore(tag)
        findings += check_qualifier(text, tag)
        findings += check_weight(tag)
        if matcher is not None:
            findings += check_known(tag, search)
    findings += check_duplicates(tags)
    findings += check_slots(tags)
    findings += check_chunk_borders(text)
    bracket_spans = [(f.start, f.end) for f in findings if f.code in _BRACKET_CODES]
    findings = [
        finding
        for finding in findings
        if finding.code != "unknown-tag"
        or not any(start < finding.end and finding.start < end for start, end in bracket_spans)
    ]
    return sorted(findings, key=lambda finding: (finding.start, finding.end, finding.code))


# ----------------------------------------------------------------------------------------------
# Syntax


def check_weight_syntax(text: str) -> list[Finding]:
    try:
        attention_pieces(text, strict=True)
    except PromptSyntaxError as error:
        return [Finding("bad-weight", str(error), error.start, error.end, None, Severity.ERROR)]
    return []


_EMOTICON_EYES = ":;=8"


def check_brackets(text: str) -> list[Finding]:
    """Emoticon traps and brackets left open."""
    findings: list[Finding] = []
    for node in parse_prompt_structure(text).walk():
        if not isinstance(node, EmphasisNode):
            continue
        inner = render_nodes(node.children)
        if node.weight_source is not None and not inner.strip():
            source = text[node.start : node.end]
            read_weight = node.weight_source.lstrip(":").strip()
            findings.append(
                Finding(
                    "emoticon-vanishes",
                    f"`{source}` is read as an empty group weighted {read_weight}: it disappears from "
                    f"the prompt; escape it to keep the emoticon: `{escape_a1111(source)}`",
                    node.start,
                    node.end,
                    escape_a1111(source),
                    Severity.WARNING,
                )
            )
            continue
        multiplier = "×1.1" if node.opener == "(" else "÷1.1"
        opened_by_emoticon = node.start > 0 and text[node.start - 1] in _EMOTICON_EYES
        if not node.closed:
            rest = text[node.start + 1 :].strip()
            shown_rest = rest if len(rest) <= 40 else rest[:37] + "..."
            if opened_by_emoticon:
                emoticon = text[node.start - 1 : node.start + 1]
                findings.append(
                    Finding(
                        "emoticon-open-bracket",
                        f"`{emoticon}`: the web UI reads `{node.opener}` as a bracket that is never closed, "
                        f"so everything after it (`{shown_rest}`) is weighted {multiplier}; "
                        f"escape it: `{escape_a1111(emoticon)}`",
                        node.start - 1,
                        node.start + 1,
                        escape_a1111(emoticon),
                        Severity.WARNING,
                    )
                )
            else:
                findings.append(
                    Finding(
                        "unclosed-bracket",
                        f"`{node.opener}` is never closed: everything after it (`{shown_rest}`) is weighted "
                        f"{multiplier}; close it or escape it as `\\{node.opener}`",
                        node.start,
                        node.start + 1,
                        "\\" + node.opener,
                        Severity.WARNING,
                    )
                )
            continue
        closed_by_emoticon = node.end >= 2 and text[node.end - 2] in _EMOTICON_EYES and node.weight is None
        if opened_by_emoticon or closed_by_emoticon:
            at = node.start - 1 if opened_by_emoticon else node.end - 2
            emoticon = text[at : at + 2]
            findings.append(
                Finding(
                    "emoticon-bracket",
                    f"`{emoticon}`: its bracket pairs with another one, so `{inner.strip()}` is weighted "
                    f"{multiplier} and the bracket disappears; escape it: `{escape_a1111(emoticon)}`",
                    at,
                    at + 2,
                    escape_a1111(emoticon),
                    Severity.WARNING,
                )
            )
    return findings


# ----------------------------------------------------------------------------------------------
# One tag at a time


def check_underscore(tag: PromptTag) -> list[Finding]:
    if "_" not in tag.text or keeps_underscores(to_canonical(tag.text)):
        return []
    fixed = tag.text.replace("_", " ")
    return [
        Finding(
            "underscore",
            f"`{tag.text}`: AIDXL was trained on tags with spaces, not underscores; write `{fixed}`",
            tag.start,
            tag.end,
            fixed,
            Severity.WARNING,
        )
    ]


# `name (qualifier)` / `name_(qualifier)` with the brackets unescaped and no `:w` weight inside.
_QUALIFIER = re.compile(r"^(?P<name>.*?[^\s_\\])[\s_]*(?<!\\)\((?P<qualifier>(?:[^()\\]|\\.)+)\)$", re.S)
_ROUND_WEIGHT = re.compile(r":\s*[+-]?[.\d]+\s*$")


def check_qualifier(text: str, tag: PromptTag) -> list[Finding]:
    match = _QUALIFIER.match(tag.text)
    if match is None or _ROUND_WEIGHT.search(match.group("qualifier")):
        return []
    read_parts = _read_parts(attention_pieces(text, strict=False), tag.start, tag.end)
    if len(read_parts) < 2:
        return []
    described = " and ".join(f"`{part}` weighted {format_weight(weight)}" for part, weight in read_parts)
    fixed = escape_a1111(unescape_a1111(tag.text))
    return [
        Finding(
            "unescaped-qualifier",
            f"`{tag.text}`: the brackets are attention syntax here, the web UI reads {described}, "
            f"brackets gone; escape them: `{fixed}`",
            tag.start,
            tag.end,
            fixed,
            Severity.WARNING,
        )
    ]


def _read_parts(pieces: list[AttentionPiece], start: int, end: int) -> list[tuple[str, float]]:
    """What the web UI reads inside [start, end): text runs of equal weight, blanks trimmed."""
    parts: list[tuple[str, float]] = []
    for piece in pieces:
        if piece.end <= start or piece.start >= end:
            continue
        if parts and parts[-1][1] == piece.weight:
            parts[-1] = (parts[-1][0] + piece.text, piece.weight)
        else:
            parts.append((piece.text, piece.weight))
    return [(part.strip(), weight) for part, weight in parts if part.strip()]


def check_weight(tag: PromptTag) -> list[Finding]:
    lowest, highest = min(tag.weights), max(tag.weights)
    plain = unescape_a1111(tag.text) if not tag.mixed_weight else tag.read_text
    if lowest <= 0:
        return [
            Finding(
                "weight-not-positive",
                f"`{tag.text}` has weight {format_weight(lowest)}: zero or negative weights break the "
                "encoding; remove the tag or give it a positive weight",
                tag.outer_start,
                tag.outer_end,
                None,
                Severity.ERROR,
            )
        ]
    if lowest >= WEIGHT_LOW and highest <= WEIGHT_HIGH:
        return []
    weight = lowest if lowest < WEIGHT_LOW else highest
    clamped = min(max(weight, WEIGHT_LOW), WEIGHT_HIGH)
    return [
        Finding(
            "weight-range",
            f"`{tag.text}` has weight {format_weight(weight)}, outside {WEIGHT_LOW}–{WEIGHT_HIGH}: "
            f"expect artefacts; try {format_weight(clamped)}",
            tag.outer_start,
            tag.outer_end,
            None if tag.mixed_weight else render_tag(plain, clamped),
            Severity.WARNING,
        )
    ]


def check_known(tag: PromptTag, search: Suggester | None) -> list[Finding]:
    findings: list[Finding] = []
    if tag.match.kind == MatchKind.UNKNOWN and _looks_like_a_tag(tag):
        suggestions = list(search(tag.read_text.strip())) if search is not None else []
        suggestions = [suggestion for suggestion in suggestions if suggestion != tag.text][:3]
        hint = "; did you mean " + ", ".join(f"`{s}`" for s in suggestions) + "?" if suggestions else ""
        findings.append(
            Finding(
                "unknown-tag",
                f"`{tag.text}` is not a tag or trigger in the catalog{hint}",
                tag.start,
                tag.end,
                suggestions[0] if suggestions else None,
                Severity.INFO,
            )
        )
    if tag.match.trigger_kind in AIDXL_TRIGGER_KINDS and tag.match.verified is False:
        findings.append(
            Finding(
                "unverified-trigger",
                f"`{tag.match.trigger}` is a candidate trigger, not verified as one of AIDXL's own: "
                "it may do little or nothing",
                tag.start,
                tag.end,
                None,
                Severity.INFO,
            )
        )
    return findings


def _looks_like_a_tag(tag: PromptTag) -> bool:
    text = tag.read_text.strip()
    if not text or text.startswith("<") or text.replace(".", "").isdigit():
        return False
    return len(text.split()) <= MAX_WORDS_OF_A_TAG


# ----------------------------------------------------------------------------------------------
# The prompt as a whole


def check_duplicates(tags: Sequence[PromptTag]) -> list[Finding]:
    findings: list[Finding] = []
    first_seen: dict[str, PromptTag] = {}
    for index, tag in enumerate(tags):
        key = tag.match.target or tag.canonical
        if not key:
            continue
        first = first_seen.setdefault(key, tag)
        if first is tag:
            continue
        # Remove the repeat together with the separator before it.
        start = tags[index - 1].outer_end if index > 0 else tag.outer_start
        findings.append(
            Finding(
                "duplicate-tag",
                f"`{tag.text}` repeats `{first.text}` (position {first.start}); keep one, and weight it "
                "instead of repeating it",
                start,
                tag.outer_end,
                "",
                Severity.WARNING,
            )
        )
    return findings


# Slots filled by style, character and quality triggers, with where the card wants them.
_SLOT_ADVICE: dict[str, str] = {
    "art_style": "art style opens the prompt (appending it is a deliberate softening)",
    "character": "the character comes right after the art style",
    "painting_style": "painting styles follow the character, race and composition",
    "aesthetics": "aesthetic tags go near the end, before the quality tags",
    "quality": "quality tags go near the end, after the aesthetics",
}


def check_slots(tags: Sequence[PromptTag]) -> list[Finding]:
    """Style, character, aesthetic and quality tags far from where `assemble_prompt` puts them.

    Both positions count distinct tags (a duplicate once). Far: moved by at least
    `SLOT_MIN_DISPLACEMENT` places and by more than `SLOT_TOLERANCE` of the prompt's length.
    """
    try:
        placements = place_tags(tags)
    except CuratedDataError:  # a broken curated file is reported by ingest, not by the linter
        return []
    if len(placements) < SLOT_MIN_TAGS:
        return []
    allowed = max(SLOT_MIN_DISPLACEMENT - 1, SLOT_TOLERANCE * (len(placements) - 1))
    findings: list[Finding] = []
    for placement in placements:
        if placement.slot not in _SLOT_ADVICE or abs(placement.written - placement.assembled) <= allowed:
            continue
        tag = tags[placement.tag]
        findings.append(
            Finding(
                "slot-order",
                f"`{tag.text}` ({placement.slot.replace('_', ' ')}) is tag {placement.written + 1} of "
                f"{len(placements)}; in the card's order (`aidxl prompt assemble`) it is tag "
                f"{placement.assembled + 1}: {_SLOT_ADVICE[placement.slot]}",
                tag.start,
                tag.end,
                None,
                Severity.INFO,
            )
        )
    return findings


def check_chunk_borders(text: str) -> list[Finding]:
    """Chunk borders inside a tag; none without a CLIP vocabulary (`kb.clip_vocab.vocabulary_error`
    says why, and the callers show it)."""
    try:
        report = count_prompt_tokens(text)
    except ClipVocabularyError:
        return []
    findings: list[Finding] = []
    for chunk in report.split_tags:
        tag = chunk.split_tag
        assert tag is not None
        findings.append(
            Finding(
                "chunk-border",
                f"the 75-token chunk border (token {chunk.start}) falls inside `{tag.text}`: CLIP reads its "
                "two parts separately; move the tag, or put BREAK before it",
                tag.start,
                tag.end,
                f"BREAK {tag.text}",
                Severity.WARNING,
            )
        )
    return findings


# ----------------------------------------------------------------------------------------------
# "Did you mean": the closest catalog entries, from the catalog search


def catalog_suggester(connection: duckdb.DuckDBPyConnection, *, limit: int = 3) -> Suggester:
    """Closest catalog entries by the catalog search (`kb.search`: exact, word starts, typos,
    ranked by popularity); the returned function takes a tag's plain text."""
    from kb.search import shared_index

    index = shared_index(connection)

    def suggest(query: str) -> list[str]:
        return [hit.prompt for hit in index.search(query, limit=limit)]

    return suggest
