"""A prompt cut into comma-separated segments without changing what the web UI reads.

Pasting a prompt into the builder must keep its meaning exactly. `split_segments` cuts a prompt at
its top-level commas (and `BREAK`s) into `Segment`s, each either:

- plain: one or more tags, each with one weight, rebuilt from its read text and its emphasis chain
  (`PlainTag.emphasis`: the brackets around it, innermost first: `(`, `[` or a weight text such as
  `1.2`). Re-rendered with `kb.prompt.render.render_emphasised` the web UI multiplies the same
  factors in the same order, so the weight is the same float (`[x]` stays ×(1/1.1), `((x))` stays
  1.1·1.1), not a two-decimal approximation;
- syntax: kept verbatim (`source`), because re-weighting it would change or break it: prompt
  editing `[a:b:0.5]`, alternation `[a|b]`, extra networks `<lora:x:0.8>`, `AND`, `BREAK`, a
  bracket left open (`:(`, whose `(` weights the rest of the prompt: a trap the linter reports,
  never silently changed), a tag whose parts have different weights (`ganyu (genshin impact)`).

Brackets left open are not nesting for the cut: the segments after `:(` are cut as usual, and
rejoining the segments with `, ` leaves the open bracket weighting them as before. The promise
(property-tested): for every prompt, `attention_vector` of the rejoined segments equals the
prompt's. When a plain rebuild would differ (brackets of two kinds interleaved across commas,
`[a, (b], c)`), every segment is kept verbatim instead.

`normalise_prompt` re-renders a prompt one weight per tag, falling back to this lossless cut.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from kb.knowledge.tagforms import escape_a1111
from kb.prompt.attention import (
    BREAK_TEXT,
    AlternationNode,
    BreakNode,
    EmphasisNode,
    ExtraNetworkNode,
    PromptNode,
    ScheduleNode,
    TextNode,
    attention_pieces,
    parse_prompt_structure,
)
from kb.prompt.render import TAG_SEPARATOR, render_emphasised, render_tag, render_tags
from kb.prompt.tagview import split_tags

SEGMENT_SEPARATOR = ", "
MIXED_WEIGHTS = "a tag with parts weighted differently"
# `name (qualifier)` / `name_(qualifier)` with the brackets unescaped and no `:w` weight inside: the
# web UI weights the qualifier ×1.1 and drops the brackets (the linter's `unescaped-qualifier`).
_QUALIFIER = re.compile(r"^(?P<name>.*?[^\s_\\])[\s_]*(?<!\\)\((?P<qualifier>(?:[^()\\]|\\.)+)\)$", re.S)
_ROUND_WEIGHT = re.compile(r":\s*[+-]?[.\d]+\s*$")


def is_qualifier_trap(text: str) -> bool:
    """A tag written `name (qualifier)` with bare brackets and no weight: a character tag meant,
    not emphasis (`ganyu (genshin impact)`)."""
    match = _QUALIFIER.match(text)
    return match is not None and _ROUND_WEIGHT.search(match.group("qualifier")) is None
INTERLEAVED = "brackets interleaved"
_ESCAPABLE = "()[]\\"

# One tag as the web UI reads it: runs of (text, weight), blanks at both ends trimmed.
TagVector = tuple[tuple[str, float], ...]


@dataclass(frozen=True)
class PlainTag:
    """A tag of a plain segment: its read text and the brackets around it (innermost first)."""

    text: str  # what the web UI reads, unescaped and trimmed: `bishop (chess)`
    emphasis: tuple[str, ...]  # `(`, `[` or a weight text (`1.2`), innermost first
    start: int  # source span of the tag's read characters in the whole prompt
    end: int


@dataclass(frozen=True)
class Segment:
    """A top-level comma-separated piece of a prompt; `tags` is None for syntax kept verbatim."""

    source: str  # as written, blanks around it trimmed
    start: int
    end: int
    tags: tuple[PlainTag, ...] | None
    reason: str | None = None  # why it is kept verbatim

    @property
    def is_syntax(self) -> bool:
        return self.tags is None

    @property
    def is_structural(self) -> bool:
        """Syntax that is more than tags: prompt editing, alternation, extra networks, `BREAK`,
        `AND`, a bracket left open, an unreadable weight (not merely a tag weighted in parts)."""
        return self.tags is None and self.reason not in (MIXED_WEIGHTS, INTERLEAVED)

    @property
    def is_weighted_in_parts(self) -> bool:
        """A tag whose parts the user weighted on purpose (`girl with (red hair:1.4)`): kept as
        written. Not the qualifier trap `ganyu (genshin impact)` (bare brackets closing the tag,
        no weight), which assembly and the linter turn into the character tag the user meant."""
        return self.reason == MIXED_WEIGHTS and not is_qualifier_trap(self.source)

    def render(self) -> str:
        if self.tags is None:
            return self.source
        return SEGMENT_SEPARATOR.join(
            render_emphasised(escape_a1111(tag.text), tag.emphasis) for tag in self.tags
        )


def attention_vector(prompt: str) -> tuple[TagVector, ...]:
    """What the web UI reads, tag by tag: per tag (comma- or BREAK-separated, blanks trimmed) the
    runs of text with their weights; a BREAK is its own element `(("BREAK", w),)`. Unreadable
    weights (`(a:1.2.3)`, where the web UI stops) are read as text, the same on both sides."""
    tags: list[list[tuple[str, float]]] = [[]]
    for piece in attention_pieces(prompt, strict=False):
        if piece.text == BREAK_TEXT and piece.weight < 0:
            tags.append([(BREAK_TEXT, piece.weight)])
            tags.append([])
            continue
        for character in piece.text:
            if character == ",":
                tags.append([])
            else:
                tags[-1].append((character, piece.weight))
    vector: list[TagVector] = []
    for characters in tags:
        first, last = 0, len(characters)
        while first < last and characters[first][0].isspace():
            first += 1
        while last > first and characters[last - 1][0].isspace():
            last -= 1
        runs: list[tuple[list[str], float]] = []  # characters gathered in lists: linear in the tag
        for character, weight in characters[first:last]:
            if runs and runs[-1][1] == weight:
                runs[-1][0].append(character)
            else:
                runs.append(([character], weight))
        if runs:
            vector.append(tuple(("".join(run), weight) for run, weight in runs))
    return tuple(vector)


@dataclass
class _Range:
    start: int
    end: int | None = None
    nodes: list[PromptNode] | None = None
    reason: str | None = None


def _real_commas(source: str) -> list[int]:
    """Offsets of the commas the web UI reads as commas (not the character of an escape)."""
    commas = []
    position = 0
    while position < len(source):
        character = source[position]
        if character == "\\":
            position += 2 if position + 1 < len(source) and source[position + 1] in _ESCAPABLE else 1
            continue
        if character == ",":
            commas.append(position)
        position += 1
    return commas


def _read_text(source: str) -> str:
    """What the web UI reads of plain text: escapes become their character, a lone backslash vanishes."""
    characters = []
    position = 0
    while position < len(source):
        character = source[position]
        if character == "\\":
            if position + 1 < len(source) and source[position + 1] in _ESCAPABLE:
                characters.append(source[position + 1])
                position += 2
            else:
                position += 1
            continue
        characters.append(character)
        position += 1
    return "".join(characters)


def split_segments(prompt: str) -> list[Segment]:
    """The prompt's top-level segments in order (blank ones dropped); see the module docstring."""
    ranges = _cut(prompt)
    segments = [_classify(prompt, cut) for cut in ranges]
    segments = [segment for segment in segments if segment.source]
    expected = attention_vector(prompt)
    if _rejoined_vector(segments) == expected:
        return segments
    # Brackets the cut misjudged (interleaved across commas, `AND` inside brackets): every segment
    # verbatim, else (a cut at a BREAK that brackets made plain text) the whole prompt as written.
    segments = [
        Segment(segment.source, segment.start, segment.end, None, segment.reason or INTERLEAVED)
        for segment in segments
    ]
    if _rejoined_vector(segments) == expected:
        return segments
    stripped = prompt.strip()
    start = len(prompt) - len(prompt.lstrip())
    return [Segment(stripped, start, start + len(stripped), None, INTERLEAVED)] if stripped else []


def _rejoined_vector(segments: list[Segment]) -> tuple[TagVector, ...]:
    return attention_vector(SEGMENT_SEPARATOR.join(segment.render() for segment in segments))


def _cut(prompt: str) -> list[_Range]:
    """Ranges between top-level commas and BREAKs, with the nodes each holds."""
    structure = parse_prompt_structure(prompt)
    ranges = [_Range(0, nodes=[])]

    def cut_at(position: int, after: int) -> None:
        ranges[-1].end = position
        ranges.append(_Range(after, nodes=[]))

    for index, subprompt in enumerate(structure.subprompts):
        pending: list[PromptNode] = list(reversed(subprompt.nodes))
        while pending:
            node = pending.pop()
            if isinstance(node, EmphasisNode) and not node.closed:
                ranges[-1].reason = ranges[-1].reason or "a bracket left open"
                pending.extend(reversed(node.children))
            elif isinstance(node, TextNode):
                offset = node.start
                for comma in (node.start + at for at in _real_commas(node.source)):
                    if comma > offset:
                        _nodes(ranges[-1]).append(TextNode(prompt[offset:comma], offset, comma))
                    cut_at(comma, comma + 1)
                    offset = comma + 1
                if node.end > offset:
                    _nodes(ranges[-1]).append(TextNode(prompt[offset : node.end], offset, node.end))
            elif isinstance(node, BreakNode):
                cut_at(node.start, node.start)
                ranges[-1].reason = "BREAK"
                cut_at(node.end, node.end)
            else:
                _nodes(ranges[-1]).append(node)
        if index + 1 < len(structure.subprompts):
            ranges[-1].reason = ranges[-1].reason or "AND"
        elif subprompt.weight_source.strip():
            ranges[-1].reason = ranges[-1].reason or "a weight of the whole prompt"
    ranges[-1].end = len(prompt)
    return ranges


def _nodes(cut: _Range) -> list[PromptNode]:
    assert cut.nodes is not None
    return cut.nodes


def _classify(prompt: str, cut: _Range) -> Segment:
    assert cut.end is not None and cut.nodes is not None
    written = prompt[cut.start : cut.end]
    stripped = written.strip()
    start = cut.start + (len(written) - len(written.lstrip()))
    end = start + len(stripped)
    if cut.reason is not None:
        return Segment(stripped, start, end, None, cut.reason)
    events: list[tuple[tuple[str, ...], str, int, int] | None] = []  # (chain, read, start, end) or comma
    reason = _tag_events(cut.nodes, events)
    if reason is not None:
        return Segment(stripped, start, end, None, reason)
    tags: list[PlainTag] = []
    current: list[tuple[tuple[str, ...], str, int, int]] = []
    for event in [*events, None]:
        if event is not None:
            current.append(event)
            continue
        read = "".join(text for _, text, _, _ in current)
        if read.strip():
            first = next(i for i, item in enumerate(current) if item[1].strip())
            last = max(i for i, item in enumerate(current) if item[1].strip())
            chains = {item[0] for item in current[first : last + 1]}
            if len(chains) > 1:
                return Segment(stripped, start, end, None, MIXED_WEIGHTS)
            first_start, last_end = current[first][2], current[last][3]
            first_start += len(prompt[first_start:last_end]) - len(prompt[first_start:last_end].lstrip())
            last_end -= len(prompt[first_start:last_end]) - len(prompt[first_start:last_end].rstrip())
            tags.append(PlainTag(read.strip(), current[first][0], first_start, last_end))
        current = []
    segment = Segment(stripped, start, end, tuple(tags))
    if not any(character in stripped for character in "\\()[]"):
        return segment  # plain text: its tags are the read text itself
    if attention_vector(segment.render()) != attention_vector(stripped):
        return Segment(stripped, start, end, None, MIXED_WEIGHTS)
    return segment


def _tag_events(
    nodes: list[PromptNode], events: list[tuple[tuple[str, ...], str, int, int] | None]
) -> str | None:
    """Text pieces with their emphasis chains (None = a comma); the reason when a node is syntax."""
    pending: list[tuple[PromptNode, tuple[str, ...]]] = [(node, ()) for node in reversed(nodes)]
    while pending:
        node, chain = pending.pop()
        if isinstance(node, TextNode):
            offset = 0
            for comma in _real_commas(node.source):
                events.append(
                    (chain, _read_text(node.source[offset:comma]), node.start + offset, node.start + comma)
                )
                events.append(None)
                offset = comma + 1
            events.append((chain, _read_text(node.source[offset:]), node.start + offset, node.end))
        elif isinstance(node, EmphasisNode):
            if not node.closed:
                return "a bracket left open"
            if node.weight_source is not None and node.weight is None:
                return "a weight the web UI cannot read"
            step = node.opener if node.weight_source is None else node.weight_source.lstrip(":").strip()
            # innermost first: the node's own step comes before the steps of the brackets around it
            inner = (step, *chain)
            pending.extend((child, inner) for child in reversed(node.children))
        elif isinstance(node, ExtraNetworkNode):
            return "an extra network"
        elif isinstance(node, ScheduleNode):
            return "prompt editing"
        elif isinstance(node, AlternationNode):
            return "alternation"
        elif isinstance(node, BreakNode):
            return "BREAK"
    return None


def normalise_prompt(prompt: str) -> str:
    """Re-render a prompt in the canonical form: one tag per comma, one weight per tag; a prompt
    with a tag weighted in parts (`girl with (red hair:1.4)`), whose weights one weight per tag
    would lose, is cut losslessly instead (`split_segments`: that tag kept as written)."""
    tags = split_tags(prompt)
    if any(tag.mixed_weight for tag in tags):
        segments = split_segments(prompt)
        if any(segment.is_weighted_in_parts or segment.is_structural for segment in segments):
            rendered = (segment.render() for segment in segments)
            return TAG_SEPARATOR.join(text for text in rendered if text.strip())
    if not any(tag.is_extra_network for tag in tags):
        return render_tags([(tag.read_text, tag.weight) for tag in tags])
    # An extra network is taken out of the prompt before the rest is read: a comma added between it
    # and the tag it was written against (`<lora:x:1> 1girl`) would be read. Keep the space.
    kept = [tag for tag in tags if tag.read_text.strip()]
    pieces: list[str] = []
    for index, tag in enumerate(kept):
        if index:
            before = kept[index - 1]
            glued = before.is_extra_network or tag.is_extra_network
            between = prompt[before.outer_end : tag.outer_start]
            pieces.append(" " if glued and "," not in between else TAG_SEPARATOR)
        pieces.append(tag.text if tag.is_extra_network else render_tag(tag.read_text, tag.weight))
    return "".join(pieces)
