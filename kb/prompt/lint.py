"""The prompt linter: what the A1111 web UI will really read, and how to say what was meant.

Each finding names a code, a message, the prompt span [start, end) it is about, a suggested fix
(the text to put in place of that span, or None when there is no mechanical fix) and a
severity. Checks without a catalog: underscores, unescaped qualifier brackets, emoticon
bracket traps, unclosed brackets, unreadable weights, duplicates, weights out of range, chunk
borders inside a tag, other models' quality words (`kb/data/foreign_quality.toml`), and the slot
order (the assembly's slots, `kb.prompt.assemble.place_tags`: `by ...` styles, curated triggers,
`name (qualifier)` characters). With a catalog (a `TagMatcher`): unknown tags (with "did you mean"
from `search`), the slots of catalog characters and trigger kinds and the author's caption order,
triggers not verified as AIDXL's own, and tags another tag of the prompt implies (the author's
implication table, `kb.knowledge.author_tables`).
"""

from __future__ import annotations

import re
from bisect import bisect_right
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from enum import StrEnum
from functools import cache, partial
from typing import TYPE_CHECKING

from kb.display_text import shortened
from kb.errors import ClipVocabularyError, CuratedDataError, PromptSyntaxError
from kb.knowledge.author_tables import AuthorTables, author_tables_of
from kb.knowledge.curated import ForeignQualityWord, load_foreign_quality_words, load_quality_ladder
from kb.knowledge.tagforms import escape_a1111, keeps_underscores, to_canonical, unescape_a1111
from kb.prompt.assemble import place_tags
from kb.prompt.attention import (
    AttentionPiece,
    EmphasisNode,
    attention_pieces,
    parse_prompt_structure,
)
from kb.prompt.render import format_weight, render_tag
from kb.prompt.schedule import AND_SEPARATOR, parse_schedule, subprompt_weight
from kb.prompt.segments import is_qualifier_trap
from kb.prompt.tagview import MatchKind, PromptTag, TagMatcher, split_tags
from kb.prompt.tokens import CHUNK_LENGTH, TagCost, count_prompt_tokens, remove_extra_networks
from kb.schema import Category

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
# Nor are "did you mean" suggestions looked for a longer one (the longest tag name is 111
# characters; the search costs time per character of the query).
MAX_SUGGESTION_QUERY_LENGTH = 200

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
    text: str,
    matcher: TagMatcher | None = None,
    search: Suggester | None = None,
    *,
    tables: AuthorTables | None = None,
) -> list[Finding]:
    """Every finding for `text`, in prompt order. Never raises on a bad prompt.

    `tables`: the author's caption order and implications; by default the matcher's (a
    `CatalogMatcher` reads its catalog's), none without a catalog.
    """
    tags = split_tags(text, matcher)
    tables = tables if tables is not None else author_tables_of(matcher)
    read_pieces = ReadPieces(attention_pieces(text, strict=False))  # parsed once, not once per tag
    findings: list[Finding] = []
    findings += check_weight_syntax(text)
    findings += check_brackets(text)
    foreign = check_foreign_quality(text, tags)
    foreign_tags = {(finding.tag_start, finding.tag_end) for finding in foreign}
    findings += [finding.finding for finding in foreign]
    for tag in tags:
        other_models_word = (tag.start, tag.end) in foreign_tags
        if not other_models_word:  # its fix replaces the word: "write `score 9`" would mislead
            findings += check_underscore(tag)
        findings += check_qualifier(text, tag, read_pieces)
        findings += check_weight(tag, text)
        if matcher is not None and not other_models_word:
            findings += check_known(tag, search)
        findings += check_character_form(tag, tables)
    findings += check_duplicates(tags, text)
    findings += check_implied(text, tags, tables)
    findings += check_slots(tags, tables)
    findings += check_chunk_borders(text)
    schedule_findings, schedule_spans = check_schedule_syntax(text)
    findings += schedule_findings
    # A bracket trap, editing or alternation (`[day:night:0.5]`, `[cat|dog]`) or the `|` that makes the
    # web UI read the prompt literally explains a "tag" better than "unknown tag" does.
    not_a_tag = _covered_positions(
        len(text),
        [(f.start, f.end) for f in findings if f.code in _BRACKET_CODES or f.code == "schedule-syntax"]
        + schedule_spans,
    )
    findings = [
        finding
        for finding in findings
        if finding.code != "unknown-tag" or not not_a_tag.overlaps(finding.start, finding.end)
    ]
    return sorted(findings, key=lambda finding: (finding.start, finding.end, finding.code))


@dataclass(frozen=True)
class _CoveredPositions:
    """Which prompt positions lie in one of some spans, answered per span in O(1)."""

    covered_before: list[int]  # covered_before[i]: how many of positions 0..i-1 are covered

    def overlaps(self, start: int, end: int) -> bool:
        """Does [start, end) share a position with one of the spans? (Empty spans share none.)"""
        return self.covered_before[end] > self.covered_before[start]


def _covered_positions(length: int, spans: Sequence[tuple[int, int]]) -> _CoveredPositions:
    """The positions in [0, length) inside at least one span; linear in length and spans (a check of
    each finding against each span made prompts with many findings quadratic)."""
    opened = [0] * (length + 1)
    for start, end in spans:
        if start < end:
            opened[start] += 1
            opened[end] -= 1
    covered_before = [0] * (length + 1)
    depth = 0
    for position in range(length):
        depth += opened[position]
        covered_before[position + 1] = covered_before[position] + (depth > 0)
    return _CoveredPositions(covered_before)


# ----------------------------------------------------------------------------------------------
# Syntax


def check_schedule_syntax(text: str) -> tuple[list[Finding], list[tuple[int, int]]]:
    """Where the web UI's schedule grammar rejects an AND part (it then reads that part literally:
    no editing, no alternation), one finding at the position it breaks; and the spans of the
    editing and alternation constructs it does read. Parsed as the web UI parses: extra networks
    removed, then each AND part on its own."""
    readable, original_positions = remove_extra_networks(text)
    findings: list[Finding] = []
    spans: list[tuple[int, int]] = []
    part_start = 0
    bounds = [match.span() for match in AND_SEPARATOR.finditer(readable)] + [(len(readable), len(readable))]
    for separator_start, separator_end in bounds:
        part_text = subprompt_weight(readable[part_start:separator_start])[0]
        parsed = parse_schedule(part_text)
        if parsed.problem is not None:
            at = original_positions[part_start + parsed.problem.position]
            reason = parsed.problem.describe(partial(_shifted_position, original_positions, part_start))
            findings.append(Finding("schedule-syntax", reason, at, at + 1, None, Severity.WARNING))
        for construct in parsed.edits + parsed.alternations:
            spans.append(
                (
                    original_positions[part_start + construct.start],
                    original_positions[part_start + construct.end],
                )
            )
        part_start = separator_end
    return findings, spans


def _shifted_position(original_positions: list[int], offset: int, position: int) -> int:
    return original_positions[offset + position]


def check_weight_syntax(text: str) -> list[Finding]:
    try:
        attention_pieces(text, strict=True)
    except PromptSyntaxError as error:
        return [Finding("bad-weight", str(error), error.start, error.end, None, Severity.ERROR)]
    return []


_EMOTICON_EYES = ":;=8"


class _Blanks:
    """Where a text's non-blank characters are, so that a span's stripped text costs what is shown,
    not the span's length (a prompt of nested brackets has spans as long as the prompt)."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.next_non_blank = [len(text)] * (len(text) + 1)  # first non-blank at or after i
        for position in reversed(range(len(text))):
            self.next_non_blank[position] = (
                position if not text[position].isspace() else self.next_non_blank[position + 1]
            )
        self.last_non_blank_before = [-1] * (len(text) + 1)  # last non-blank before i
        for position in range(len(text)):
            self.last_non_blank_before[position + 1] = (
                position if not text[position].isspace() else self.last_non_blank_before[position]
            )

    def is_blank(self, start: int, end: int) -> bool:
        return self.next_non_blank[start] >= end

    def shown(self, start: int, end: int, limit: int = 40) -> str:
        """`text[start:end].strip()`, cut to `limit` characters with `...`."""
        first, last = self.next_non_blank[start], self.last_non_blank_before[end]
        if first > last:
            return ""
        if last + 1 - first <= limit:
            return self.text[first : last + 1]
        return self.text[first : first + limit - 3] + "..."


def check_brackets(text: str) -> list[Finding]:
    """Emoticon traps and brackets left open."""
    findings: list[Finding] = []
    blanks = _Blanks(text)
    for node in parse_prompt_structure(text).walk():
        if not isinstance(node, EmphasisNode):
            continue
        # The tree is lossless: the children are the text between the opener and weight/closer.
        inner_start = node.start + len(node.opener)
        inner_end = node.end - len(node.closer) - len(node.weight_source or "")
        if node.weight_source is not None and blanks.is_blank(inner_start, inner_end):
            source = text[node.start : node.end]
            read_weight = node.weight_source.lstrip(":").strip()
            findings.append(
                Finding(
                    "emoticon-vanishes",
                    f"`{shortened(source)}` is read as an empty group weighted {read_weight}: it "
                    f"disappears from the prompt; escape it to keep the emoticon: "
                    f"`{shortened(escape_a1111(source))}`",
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
            effect = _unclosed_effect(blanks.shown(node.start + 1, len(text)), node.opener, multiplier)
            if opened_by_emoticon:
                emoticon = text[node.start - 1 : node.start + 1]
                findings.append(
                    Finding(
                        "emoticon-open-bracket",
                        f"`{emoticon}`: the web UI reads `{node.opener}` as a bracket that is never closed, "
                        f"so {effect}; escape it: `{escape_a1111(emoticon)}`",
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
                        f"`{node.opener}` is never closed: {effect}; "
                        f"close it or escape it as `\\{node.opener}`",
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
                    f"`{emoticon}`: its bracket pairs with another one, so "
                    f"`{blanks.shown(inner_start, inner_end)}` is weighted "
                    f"{multiplier} and the bracket disappears; escape it: `{escape_a1111(emoticon)}`",
                    at,
                    at + 2,
                    escape_a1111(emoticon),
                    Severity.WARNING,
                )
            )
    return findings


def _unclosed_effect(shown_rest: str, opener: str, multiplier: str) -> str:
    """What a bracket left open does: weights what follows it (`shown_rest`, stripped and cut), or,
    at the end, only vanishes."""
    if not shown_rest:
        return f"`{opener}` itself disappears from the prompt (nothing follows it)"
    return f"everything after it (`{shown_rest}`) is weighted {multiplier}"


# ----------------------------------------------------------------------------------------------
# One tag at a time


# An extra network (`<lora:ganyu_v2:0.8>`, the web UI's pattern) names a file: its underscores stay.
_EXTRA_NETWORK_CALL = re.compile(r"(<\w+:[^>]+>)")


def check_underscore(tag: PromptTag) -> list[Finding]:
    if "_" not in tag.text or keeps_underscores(to_canonical(tag.text)):
        return []
    if "_" not in _EXTRA_NETWORK_CALL.sub("", tag.text):
        return []
    # split keeps the networks at odd indexes
    pieces = _EXTRA_NETWORK_CALL.split(tag.text)
    fixed = "".join(piece if index % 2 else piece.replace("_", " ") for index, piece in enumerate(pieces))
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


def check_qualifier(text: str, tag: PromptTag, read_pieces: ReadPieces | None = None) -> list[Finding]:
    """`name (qualifier)` with bare brackets: the web UI weights the qualifier and drops the brackets.

    `read_pieces`: the text's attention pieces, when the caller has them (lint_prompt parses once)."""
    if not is_qualifier_trap(tag.text):
        return []
    pieces = read_pieces if read_pieces is not None else ReadPieces(attention_pieces(text, strict=False))
    read_parts = pieces.read_parts(tag.start, tag.end)
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


class ReadPieces:
    """A prompt's attention pieces (in prompt order, not overlapping), searchable by span."""

    def __init__(self, pieces: list[AttentionPiece]) -> None:
        self.pieces = pieces
        self._ends = [piece.end for piece in pieces]  # ascending, as the pieces follow the text

    def read_parts(self, start: int, end: int) -> list[tuple[str, float]]:
        """What the web UI reads inside [start, end): text runs of equal weight, blanks trimmed.
        Visits only the pieces in the span (found by bisection), not every piece of the prompt."""
        parts: list[tuple[str, float]] = []
        for index in range(bisect_right(self._ends, start), len(self.pieces)):
            piece = self.pieces[index]
            if piece.start >= end:
                break
            if piece.end <= start:
                continue
            text = piece.text
            if len(text) == piece.end - piece.start:  # no escapes inside: clip it to the span
                text = text[max(start - piece.start, 0) : len(text) - max(piece.end - end, 0)]
            if parts and parts[-1][1] == piece.weight:
                parts[-1] = (parts[-1][0] + text, piece.weight)
            else:
                parts.append((text, piece.weight))
        return [(part.strip(), weight) for part, weight in parts if part.strip()]


def brackets_left_open_factor(text: str, tag: PromptTag) -> float:
    """The factor that brackets left open before `tag` (`((a, x`) multiply its weight by: its
    weight in the prompt over the weight its own span reads alone (1.0 when none are open)."""
    alone = split_tags(text[tag.outer_start : tag.outer_end])
    own = alone[0].weight if alone else 1.0
    return tag.weight / own if own > 0 else 1.0


def check_weight(tag: PromptTag, text: str | None = None) -> list[Finding]:
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
    # Inside brackets left open the tag's own weight is multiplied by theirs: the fix writes the
    # weight that reads as `clamped` there (the weight alone would read ×1.21 more inside `((`).
    outside = brackets_left_open_factor(text, tag) if text is not None and not tag.mixed_weight else 1.0
    written: float | None = clamped
    inside = ""
    if round(outside, 4) != 1.0:
        # two decimals, rounded towards the range so that the fixed tag reads inside it; none fits
        # (brackets multiplying by hundreds): close or escape them first (their own findings)
        written = round(clamped / outside, 2)
        step = -0.01 if weight > WEIGHT_HIGH else 0.01
        for _ in range(2):
            if WEIGHT_LOW <= written * outside <= WEIGHT_HIGH:
                break
            written = round(written + step, 2)
        if written > 0 and WEIGHT_LOW <= written * outside <= WEIGHT_HIGH:
            inside = (
                f" (inside brackets left open, ×{format_weight(outside)}: written "
                f"{format_weight(written)} it reads {format_weight(written * outside)})"
            )
        else:
            written = None
            inside = f" (inside brackets left open, ×{format_weight(outside)}: close or escape them first)"
    return [
        Finding(
            "weight-range",
            f"`{tag.text}` has weight {format_weight(weight)}, outside {WEIGHT_LOW}–{WEIGHT_HIGH}: "
            f"expect artefacts; try {format_weight(clamped)}{inside}",
            tag.outer_start,
            tag.outer_end,
            None if tag.mixed_weight or written is None else render_tag(plain, written),
            Severity.WARNING,
        )
    ]


def check_known(tag: PromptTag, search: Suggester | None) -> list[Finding]:
    findings: list[Finding] = []
    if tag.match.kind == MatchKind.UNKNOWN and _looks_like_a_tag(tag):
        read_text = tag.read_text.strip()
        asks = search is not None and len(read_text) <= MAX_SUGGESTION_QUERY_LENGTH
        suggestions = list(search(read_text)) if search is not None and asks else []
        suggestions = [suggestion for suggestion in suggestions if suggestion != tag.text][:3]
        hint = "; did you mean " + ", ".join(f"`{s}`" for s in suggestions) + "?" if suggestions else ""
        findings.append(
            Finding(
                "unknown-tag",
                f"`{shortened(tag.text)}` is not a tag or trigger in the catalog{hint}",
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


def check_duplicates(tags: Sequence[PromptTag], text: str | None = None) -> list[Finding]:
    """A tag (or trigger) written twice; the fix removes the repeat with its separator."""
    findings: list[Finding] = []
    first_seen: dict[str, PromptTag] = {}
    for index, tag in enumerate(tags):
        key = tag.match.target or tag.canonical
        if not key:
            continue
        first = first_seen.setdefault(key, tag)
        if first is tag:
            continue
        start, end = removal_span(text, tags, index)
        findings.append(
            Finding(
                "duplicate-tag",
                f"`{tag.text}` repeats `{first.text}` (position {first.start}); keep one, and weight it "
                "instead of repeating it",
                start,
                end,
                "",
                Severity.WARNING,
            )
        )
    return findings


def removal_span(text: str | None, tags: Sequence[PromptTag], index: int) -> tuple[int, int]:
    """The span to delete so that `tags[index]` goes with one separator and its own weight syntax.

    Prefers the separator before the tag (`a, b` → `a`), else the one after it (first tag). A
    span that would cut a bracket shared with other tags (`(a, b:1.2)`) is narrowed to the tag's
    text, so the rest keeps its weight.
    """
    tag = tags[index]
    candidates: list[tuple[int, int]] = []
    if index > 0:
        before = tags[index - 1]
        candidates += [(before.outer_end, tag.outer_end), (before.end, tag.end)]
    if index + 1 < len(tags):
        after = tags[index + 1]
        candidates += [(tag.outer_start, after.outer_start), (tag.start, after.start)]
    candidates += [(tag.outer_start, tag.outer_end), (tag.start, tag.end)]
    if text is None:
        return candidates[0]
    for start, end in candidates:
        if _brackets_balance(text[start:end]):
            return start, end
    return tag.start, tag.end


def _brackets_balance(span: str) -> bool:
    """Does removing `span` leave the prompt's brackets as they were (each kind opened and closed
    within it, escapes skipped)?"""
    depth = {"(": 0, "[": 0}
    closer_of = {")": "(", "]": "["}
    position = 0
    while position < len(span):
        character = span[position]
        if character == "\\":
            position += 2
            continue
        if character in depth:
            depth[character] += 1
        elif character in closer_of:
            depth[closer_of[character]] -= 1
            if depth[closer_of[character]] < 0:
                return False
        position += 1
    return all(value == 0 for value in depth.values())


def check_character_form(tag: PromptTag, tables: AuthorTables | None) -> list[Finding]:
    """A character written by its Danbooru name where AIDXL was trained on another form: the
    author's captions say `frieren (sousou no frieren)` for Danbooru's `frieren`."""
    if tables is None or tag.match.category != Category.CHARACTER or tag.match.tag is None:
        return []
    trained = tables.trained_form(tag.match.tag)
    if trained is None or to_canonical(tag.text) == to_canonical(trained):
        return []
    fixed = escape_a1111(trained)
    return [
        Finding(
            "character-form",
            f"`{tag.text}`: AIDXL was trained on this character as `{fixed}` (the model author's "
            f"captions); write that form",
            tag.start,
            tag.end,
            fixed,
            Severity.INFO,
        )
    ]


def check_implied(text: str, tags: Sequence[PromptTag], tables: AuthorTables | None) -> list[Finding]:
    """A tag that another tag of the prompt implies (`very long hair` implies `long hair`).

    The model author's caption tools drop an implied tag from a caption, keeping the one with the
    most information (the card's "caption deduplicating"), so AIDXL rarely saw both together; the
    fix removes the implied tag with its separator. Tags resolve through the catalog (aliases,
    underscores, escapes and weights do not matter); a repeat counts once (`duplicate-tag` reports
    it). When the implied tag is weighted higher than the tag implying it, the emphasis may be
    deliberate (`very long hair, (long hair:1.3)`): the finding is then `info`, not `warning`.
    """
    if tables is None or not tables.implications:
        return []
    first_index: dict[str, int] = {}
    for index, tag in enumerate(tags):
        key = tag.match.tag or tag.canonical
        if key:
            first_index.setdefault(key, index)
    impliers: dict[int, list[int]] = {}  # implied tag index -> the tags implying it, in prompt order
    for key, index in sorted(first_index.items(), key=lambda item: item[1]):
        for implied in tables.implied_tags(key):
            implied_index = first_index.get(implied)
            if implied_index is not None and implied_index != index:
                impliers.setdefault(implied_index, []).append(index)
    findings: list[Finding] = []
    for index, implying in sorted(impliers.items()):
        # Name the tag that stays: one nothing else implies (`absurdly long hair` over `very long hair`).
        implier_index = next((other for other in implying if other not in impliers), implying[0])
        tag, implier = tags[index], tags[implier_index]
        deliberate = tag.weight > implier.weight
        message = (
            f"`{tag.text}` is implied by `{implier.text}` (the model author's implication table): the "
            f"author's captions keep only the tag with the most information; remove `{tag.text}`"
        )
        if deliberate:
            message += (
                f" (it is weighted {format_weight(tag.weight)}, more than `{implier.text}` at "
                f"{format_weight(implier.weight)}: keep it if that emphasis is deliberate)"
            )
        start, end = removal_span(text, tags, index)
        findings.append(
            Finding("implied", message, start, end, "", Severity.INFO if deliberate else Severity.WARNING)
        )
    return findings


@dataclass(frozen=True)
class _ForeignFinding:
    finding: Finding
    tag_start: int  # the tag it is about (its span may include a separator)
    tag_end: int


@cache
def _foreign_words() -> tuple[dict[str, ForeignQualityWord], tuple[str, ...]]:
    """Other models' words by key, and AIDXL's ladder (read once per process)."""
    return {word.key: word for word in load_foreign_quality_words()}, load_quality_ladder().texts


_KIND_WORDS = {
    "quality": "a quality tag",
    "score": "a score tag",
    "aesthetic": "an aesthetic tag",
    "detail": "a detail word",
    "rating": "a rating tag",
    "source": "a source tag",
    "year": "a year tag",
}


def check_foreign_quality(text: str, tags: Sequence[PromptTag]) -> list[_ForeignFinding]:
    """Quality, score, aesthetic, rating, source and year words of other models (`masterpiece`,
    `score_9`, `source_anime`): AIDXL has its own ladder. The fix puts the nearest AIDXL rung or
    aesthetic tag in place (weights kept), or removes the word when AIDXL has nothing close or the
    prompt already holds that rung."""
    try:
        words, ladder = _foreign_words()
    except CuratedDataError:  # a broken curated file is reported by its loader's tests, not per prompt
        return []
    present = {tag.match.target or tag.canonical for tag in tags} | {tag.canonical for tag in tags}
    findings: list[_ForeignFinding] = []
    for index, tag in enumerate(tags):
        word = words.get(tag.canonical)
        if word is None:
            continue
        what = f"`{tag.text}` is {_KIND_WORDS[word.kind]} of other models ({word.models}), not one of AIDXL's"
        if word.kind in {"quality", "score"}:
            what += f": AIDXL has its own quality ladder, `{ladder[0]}` … `{ladder[-1]}`"
        nearest_present = word.nearest is not None and to_canonical(word.nearest) in present
        if word.nearest is not None and not nearest_present:
            message, start, end, fix = (
                f"{what}; the nearest is `{word.nearest}`",
                tag.start,
                tag.end,
                word.nearest,
            )
        else:
            advice = (
                f"the prompt already has `{word.nearest}`" if nearest_present else "AIDXL has no counterpart"
            )
            start, end = removal_span(text, tags, index)
            message, fix = f"{what}; {advice}: remove it", ""
        findings.append(
            _ForeignFinding(
                Finding("foreign-quality", message, start, end, fix, Severity.WARNING), tag.start, tag.end
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


def check_slots(tags: Sequence[PromptTag], tables: AuthorTables | None = None) -> list[Finding]:
    """Style, character, aesthetic and quality tags far from where `assemble_prompt` puts them.

    Both positions count distinct tags (a duplicate once), placed as the assembly places them with
    the same author's caption order (`tables`). Far: moved by at least `SLOT_MIN_DISPLACEMENT`
    places and by more than `SLOT_TOLERANCE` of the prompt's length.
    """
    try:
        placements = place_tags(tags, tables=tables)
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
    """Chunk borders inside a tag, one finding per tag however many borders cut it (a tag of
    thousands of tokens is cut by dozens: a finding per border would repeat it each time); none
    without a CLIP vocabulary (`kb.prompt.clip_vocab.vocabulary_error` says why, and the callers show it)."""
    try:
        report = count_prompt_tokens(text)
    except ClipVocabularyError:
        return []
    borders_in: dict[TagCost, list[int]] = {}
    for chunk in report.split_tags:
        assert chunk.split_tag is not None
        borders_in.setdefault(chunk.split_tag, []).append(chunk.start)
    findings: list[Finding] = []
    for tag, borders in borders_in.items():
        shown = shortened(tag.text)
        if len(borders) == 1:
            where = f"the 75-token chunk border (token {borders[0]}) falls inside `{shown}`"
        else:
            where = (
                f"{len(borders)} chunk borders (tokens {borders[0]} to {borders[-1]}) fall inside `{shown}`"
            )
        longer_than_a_chunk = tag.tokens > CHUNK_LENGTH
        advice = (
            "it is longer than one 75-token chunk: split it into shorter tags"
            if longer_than_a_chunk
            else "move the tag, or put BREAK before it"
        )
        findings.append(
            Finding(
                "chunk-border",
                f"{where}: CLIP reads its parts separately; {advice}",
                tag.start,
                tag.end,
                None if longer_than_a_chunk else f"BREAK {tag.text}",
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
