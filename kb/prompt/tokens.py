"""CLIP token chunks of a prompt, cut exactly as the A1111 web UI cuts them.

The web UI (`modules/sd_hijack_clip.py`, `tokenize_line`) tokenizes each attention segment on its
own and fills chunks of 75 tokens (77 with the start and end tokens the encoder adds):

- when a chunk is full and the next token is not a comma, and the chunk's last comma is at most
  20 tokens back, the tokens after that comma move to the next chunk (so a tag is not cut);
- a comma that arrives when the chunk is full starts the next chunk, and there it does not
  count as "the last comma" (the web UI forgets it when it opens the chunk);
- `BREAK` (the segment `("BREAK", -1)`) closes the chunk, even an empty one;
- an empty prompt is one empty chunk.

The count users watch, `N/M`, is the web UI's (`modules/ui.py`, `update_token_counter`): extra
networks (`<lora:name:0.8>`) are removed, a positive prompt is split at `AND` (a negative one is
not), each part is expanded into the text of every step of its schedule (prompt editing
`[a:b:0.5]`, alternation `[a|b]`; `kb.prompt.schedule`) for the given step count, and each text is
counted with CLIP-L's tokenizer (ftfy-cleaned, `kb.prompt.clip_bpe`): every chunk but the last
counts 75 (padding included), the last counts its tokens, `M` is 75 × chunks. The report is the
first text with the most tokens. Textual-inversion embeddings are not known here.
"""

from __future__ import annotations

import bisect
import re
import threading
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

from kb.prompt.attention import BREAK_TEXT, BREAK_WEIGHT, attention_pieces, extra_network_matches
from kb.prompt.clip_bpe import END_OF_TEXT_ID, START_OF_TEXT_ID, ClipTokenizer, get_tokenizer
from kb.prompt.schedule import (
    AND_SEPARATOR,
    ScheduleError,
    ScheduleParse,
    parse_schedule,
    schedule_of,
    subprompt_weight,
    text_origins_at,
)

if TYPE_CHECKING:
    from kb.prompt.tagview import PromptTag

CHUNK_LENGTH = 75
COMMA_BACKTRACK = 20  # the web UI's default `comma_padding_backtrack`


@dataclass(frozen=True)
class TokenChunk:
    """Up to 75 CLIP ids of one chunk (no start/end ids, not padded) with one weight per id.

    `segment_indices[i]` is the input segment token i came from and `text_spans[i]` its
    [start, end) inside that segment's text.
    """

    tokens: tuple[int, ...]
    weights: tuple[float, ...]
    segment_indices: tuple[int, ...]
    text_spans: tuple[tuple[int, int], ...]

    def padded_tokens(self, *, pad_id: int = END_OF_TEXT_ID) -> tuple[int, ...]:
        """The 77 ids the text encoder reads: start, tokens, end, then `pad_id`.

        The web UI pads with the end id for CLIP ViT-L and with 0 for OpenCLIP bigG (SDXL's second
        encoder); the end id itself is always there.
        """
        padding = (pad_id,) * (CHUNK_LENGTH - len(self.tokens))
        return (START_OF_TEXT_ID, *self.tokens, END_OF_TEXT_ID, *padding)

    def padded_weights(self) -> tuple[float, ...]:
        """The 77 weights matching `padded_tokens` (1.0 for start, end and padding)."""
        return (1.0, *self.weights, *(1.0,) * (CHUNK_LENGTH + 1 - len(self.weights)))


@dataclass
class _OpenChunk:
    tokens: list[int]
    weights: list[float]
    segment_indices: list[int]
    text_spans: list[tuple[int, int]]

    def cut(self, at: int) -> _OpenChunk:
        """Remove and return the tokens from index `at` on."""
        tail = _OpenChunk(
            self.tokens[at:], self.weights[at:], self.segment_indices[at:], self.text_spans[at:]
        )
        del self.tokens[at:], self.weights[at:], self.segment_indices[at:], self.text_spans[at:]
        return tail

    def frozen(self) -> TokenChunk:
        return TokenChunk(
            tuple(self.tokens), tuple(self.weights), tuple(self.segment_indices), tuple(self.text_spans)
        )


def is_break(segment: tuple[str, float]) -> bool:
    return segment[0] == BREAK_TEXT and segment[1] == BREAK_WEIGHT


def chunk_segments_with_count(
    segments: Sequence[tuple[str, float]],
    *,
    tokenizer: ClipTokenizer | None = None,
    comma_backtrack: int = COMMA_BACKTRACK,
) -> tuple[list[TokenChunk], int]:
    """The web UI's chunks of attention segments and its token count N (see module doc)."""
    clip = tokenizer or get_tokenizer()
    chunks: list[TokenChunk] = []
    chunk = _OpenChunk([], [], [], [])
    token_count = 0
    last_comma = -1

    def close_chunk(*, is_last: bool = False) -> None:
        nonlocal token_count, last_comma
        token_count += len(chunk.tokens) if is_last else CHUNK_LENGTH
        chunks.append(chunk.frozen())
        last_comma = -1

    for segment_index, segment in enumerate(segments):
        if is_break(segment):
            close_chunk()
            chunk = _OpenChunk([], [], [], [])
            continue
        text, weight = segment
        for token in clip.encode_with_spans(text):
            if token.token_id == clip.comma_id:
                last_comma = len(chunk.tokens)
            elif (
                comma_backtrack != 0
                and len(chunk.tokens) == CHUNK_LENGTH
                and last_comma != -1
                and len(chunk.tokens) - last_comma <= comma_backtrack
            ):
                moved = chunk.cut(last_comma + 1)
                close_chunk()
                chunk = moved
            if len(chunk.tokens) == CHUNK_LENGTH:
                close_chunk()
                chunk = _OpenChunk([], [], [], [])
            chunk.tokens.append(token.token_id)
            chunk.weights.append(weight)
            chunk.segment_indices.append(segment_index)
            chunk.text_spans.append((token.start, token.end))
    if chunk.tokens or not chunks:
        close_chunk(is_last=True)
    return chunks, token_count


def chunk_segments(
    segments: Sequence[tuple[str, float]], *, tokenizer: ClipTokenizer | None = None
) -> list[TokenChunk]:
    """Attention segments (`kb.prompt.attention.parse_prompt_attention`) → the web UI's 75-token chunks."""
    return chunk_segments_with_count(segments, tokenizer=tokenizer)[0]


def target_token_count(token_count: int) -> int:
    """The M of `N/M`: 75 per chunk (the web UI's `get_target_prompt_token_count`)."""
    return -(-max(token_count, 1) // CHUNK_LENGTH) * CHUNK_LENGTH


# ----------------------------------------------------------------------------------------------
# The report behind `aidxl prompt tokens`: N/M, chunk borders and what each tag costs.


@dataclass(frozen=True)
class TagCost:
    """A prompt tag and the CLIP tokens it costs: `start`/`end` span its read text in the prompt,
    `text` is its label as written, with the brackets its syntax needs (`token_label_spans`)."""

    text: str
    start: int
    end: int
    tokens: int


@dataclass(frozen=True)
class ChunkInfo:
    """One chunk: its first token's index among all prompt tokens, its size, where it starts."""

    index: int
    start: int  # index of its first token among the prompt's tokens (padding not counted)
    tokens: int
    source_start: int | None  # prompt position of its first token; None for an empty chunk
    split_tag: TagCost | None  # the tag this chunk's starting border cuts in two, if any


@dataclass(frozen=True)
class StepText:
    """One text the web UI counts: an `AND` part's text for the steps up to `end_step`."""

    part: int  # index of the AND part (always 0 for a negative prompt)
    weight: float  # the part's AND weight
    end_step: int
    text: str
    count: int  # its N


@dataclass(frozen=True)
class TokenReport:
    """N/M as the web UI shows it, and the chunks and tag costs of the text it counted."""

    count: int  # N, as the web UI shows it: the largest of the texts'
    target: int  # M = 75 × chunks of that text
    chunks: tuple[ChunkInfo, ...]
    tags: tuple[TagCost, ...]  # the prompt's tags and their tokens in the counted text
    separator_tokens: int  # tokens outside every tag: the commas between tags
    token_chunks: tuple[TokenChunk, ...]
    texts: tuple[StepText, ...] = ()  # every part and step text, in order
    counted: StepText | None = None  # the text whose count is N
    steps: int = 0  # the step count the schedules were expanded for

    @property
    def texts_differ(self) -> bool:
        """Whether the counted texts are more than the prompt as written (AND, editing, alternation)."""
        return len({text.text for text in self.texts}) > 1

    @property
    def split_tags(self) -> tuple[ChunkInfo, ...]:
        """Chunks whose starting border falls inside a tag."""
        return tuple(chunk for chunk in self.chunks if chunk.split_tag is not None)


def remove_extra_networks(prompt: str) -> tuple[str, list[int]]:
    """The prompt without `<lora:...>` and the like, and each kept character's original position."""
    kept: list[str] = []
    positions: list[int] = []
    position = 0
    for extra in extra_network_matches(prompt):  # the web UI's `<(\w+):([^>]+)>`, in linear time
        kept.append(prompt[position : extra.start])
        positions.extend(range(position, extra.start))
        position = extra.end
    kept.append(prompt[position:])
    positions.extend(range(position, len(prompt)))
    positions.append(len(prompt))  # one past the end
    return "".join(kept), positions


def segments_with_sources(prompt: str) -> tuple[list[tuple[str, float]], list[list[tuple[int, int]]]]:
    """`parse_prompt_attention(prompt)` (lenient on bad weights), and for every character of every
    segment its [start, end) in the prompt (2 long for an escape such as `\\(`)."""
    # Each segment's texts, joined at the end: adding each piece to a growing string copied the
    # whole segment again per piece (a prompt of escaped tags is one long segment).
    segment_parts: list[tuple[list[str], float]] = []
    sources: list[list[tuple[int, int]]] = []
    for piece in attention_pieces(prompt, strict=False):
        escaped = piece.end - piece.start != len(piece.text)
        # An escape (read as one character) or the BREAK keyword: each character points at it all.
        if is_break((piece.text, piece.weight)) or escaped:
            character_sources = [(piece.start, piece.end)] * len(piece.text)
        else:
            character_sources = [(position, position + 1) for position in range(piece.start, piece.end)]
        # Neighbouring pieces of equal weight merge, as in the web UI (BREAKs included).
        if segment_parts and segment_parts[-1][1] == piece.weight:
            segment_parts[-1][0].append(piece.text)
            sources[-1].extend(character_sources)
        else:
            segment_parts.append(([piece.text], piece.weight))
            sources.append(character_sources)
    if not segment_parts:
        return [("", 1.0)], [[]]
    return [("".join(parts), weight) for parts, weight in segment_parts], sources


def default_steps() -> int:
    """The step count of the default generation settings (`kb.settings.GenerationSettings`)."""
    from kb.settings import GenerationSettings

    return GenerationSettings().steps


def _candidate_texts(readable: str, *, negative: bool) -> list[tuple[int, float, int, int]]:
    """(part, weight, part start in `readable`, text length) of each part, before scheduling."""
    if negative:
        return [(0, 1.0, 0, len(readable))]
    parts: list[tuple[int, float, int, int]] = []
    part_start = 0
    bounds = [(match.start(), match.end()) for match in AND_SEPARATOR.finditer(readable)]
    bounds.append((len(readable), len(readable)))
    for index, (separator_start, separator_end) in enumerate(bounds):
        text, weight = subprompt_weight(readable[part_start:separator_start])
        parts.append((index, weight, part_start, len(text)))
        part_start = separator_end
    return parts


def count_prompt_tokens(
    prompt: str,
    *,
    tokenizer: ClipTokenizer | None = None,
    steps: int | None = None,
    negative: bool = False,
) -> TokenReport:
    """N/M, the chunk borders and each tag's token cost for a prompt, as the web UI counts them.

    `steps` (default: the default settings' steps) expands prompt editing and alternation;
    `negative` counts as the negative prompt box does (no `AND` split). The last reports with the
    shared tokenizer are kept: the builder's render and its linter count the same prompt.
    """
    steps = default_steps() if steps is None else steps
    if steps < 1:
        raise ValueError(f"steps {steps}: must be at least 1")
    if tokenizer is not None:
        return _count_prompt_tokens(prompt, tokenizer, steps, negative)
    clip = get_tokenizer()
    key = (prompt, steps, negative, id(clip))
    with _RECENT_LOCK:
        recent = _RECENT_REPORTS.get(key)
    if recent is not None and recent[0] is clip:  # the tokenizer is held: its id is not reused
        return recent[1]
    report = _count_prompt_tokens(prompt, clip, steps, negative)
    with _RECENT_LOCK:
        _RECENT_REPORTS[key] = (clip, report)
        while len(_RECENT_REPORTS) > _RECENT_LIMIT:
            del _RECENT_REPORTS[next(iter(_RECENT_REPORTS))]
    return report


# Reports are immutable; a few recent ones (a 100 KB prompt's report is megabytes) by text.
_RECENT_LIMIT = 4
_RECENT_REPORTS: dict[tuple[str, int, bool, int], tuple[ClipTokenizer, TokenReport]] = {}
_RECENT_LOCK = threading.Lock()


def _count_prompt_tokens(prompt: str, clip: ClipTokenizer, steps: int, negative: bool) -> TokenReport:
    readable, original_positions = remove_extra_networks(prompt)
    counts: dict[str, int] = {}

    def count_of(text: str) -> int:
        if text not in counts:
            counts[text] = chunk_segments_with_count(segments_with_sources(text)[0], tokenizer=clip)[1]
        return counts[text]

    step_texts: list[tuple[int, float, int, str]] = []  # part, weight, end step, text
    parsed_parts: list[tuple[ScheduleParse, int]] = []
    try:
        for part, weight, start, length in _candidate_texts(readable, negative=negative):
            parsed = parse_schedule(readable[start : start + length])
            parsed_parts.append((parsed, start))
            step_texts += [(part, weight, end, text) for end, text in schedule_of(parsed, steps)]
    except ScheduleError:
        # The web UI's counter falls back to the whole text without extra networks, as one text.
        step_texts = [(0, 1.0, steps, readable)]
        parsed_parts = []
    single = len({text for _, _, _, text in step_texts}) == 1
    # One text (the usual prompt): counted once, by the detailed report below.
    texts = [
        StepText(part, weight, end, text, 0 if single else count_of(text))
        for part, weight, end, text in step_texts
    ]
    counted = texts[0]
    for candidate in texts[1:]:
        if candidate.count > counted.count:  # the first of the longest, as the web UI's max()
            counted = candidate
    if parsed_parts:
        parsed, part_start = parsed_parts[counted.part]
        _, origins = text_origins_at(parsed, steps, counted.end_step)
        text_positions = [original_positions[part_start + origin] for origin in origins]
        text_positions.append(original_positions[-1])
    else:
        text_positions = original_positions
    report = _detailed_report(prompt, counted.text, text_positions, clip)
    if single:
        texts = [replace(text, count=report.count) for text in texts]
        counted = texts[0]
    return TokenReport(
        count=report.count,
        target=report.target,
        chunks=report.chunks,
        tags=report.tags,
        separator_tokens=report.separator_tokens,
        token_chunks=report.token_chunks,
        texts=tuple(texts),
        counted=counted,
        steps=steps,
    )


# The web UI cuts a prompt into AND parts before it reads anything else (`\bAND\b`, anywhere).
_AND_KEYWORD = re.compile(r"\bAND\b")
_OPENERS = {"(": ")", "[": "]"}
_CLOSERS = {")": "(", "]": "["}


@dataclass(frozen=True)
class _LabelledSpan:
    text: str
    start: int
    end: int


def bracket_partners(prompt: str) -> list[int]:
    """For each position, the position of the bracket that pairs with the one there (-1: none, or
    no bracket); escaped brackets (`\\(`) are text. One pass with a stack."""
    partners = [-1] * len(prompt)
    stack: list[int] = []
    position = 0
    while position < len(prompt):
        character = prompt[position]
        if character == "\\":
            position += 2
            continue
        if character in _OPENERS:
            stack.append(position)
        elif character in _CLOSERS and stack and prompt[stack[-1]] == _CLOSERS[character]:
            opener = stack.pop()  # a closer of another kind than the open one stays unpaired
            partners[opener], partners[position] = position, opener
        position += 1
    return partners


def token_label_spans(prompt: str, tags: Sequence[PromptTag]) -> list[tuple[int, int, int, int]]:
    """(start, end, label_start, label_end) per tag of the token report, in prompt order.

    The tags are the tag view's (`kb.prompt.tagview.split_tags`: read text between commas and
    BREAKs), cut again at the `AND` keyword (the web UI counts each AND part apart, so no tag spans
    two). `start`/`end` cover the read text; the label widens it to the brackets written inside
    it that pair outside it (`[a|b]` of `[a|b] AND c`, `(red:1.2) hair`) and to the `[` `]`
    right around a schedule or an alternation (`[cat:dog:0.5]`), so it reads as written."""
    partners = bracket_partners(prompt)
    and_spans = [match.span() for match in _AND_KEYWORD.finditer(prompt)]
    and_starts = [start for start, _ in and_spans]
    pieces: list[tuple[int, int]] = []  # read spans, trimmed, in prompt order
    for tag in tags:
        piece_start = tag.start
        first = bisect.bisect_left(and_starts, tag.start)
        for and_start, and_end in and_spans[first:]:
            if and_start >= tag.end:
                break
            pieces.append(_trimmed(prompt, piece_start, and_start))
            piece_start = and_end
        pieces.append(_trimmed(prompt, piece_start, tag.end))
    pieces = [(start, end) for start, end in pieces if start < end]
    spans: list[tuple[int, int, int, int]] = []
    for index, (start, end) in enumerate(pieces):
        # A label never reaches into its neighbours, nor across an AND keyword: `(a, b) c` labels
        # `b) c`, not `(a, b) c`.
        lower = pieces[index - 1][1] if index else 0
        upper = pieces[index + 1][0] if index + 1 < len(pieces) else len(prompt)
        ands_before = _ands_between(and_spans, and_starts, lower, start)
        ands_after = _ands_between(and_spans, and_starts, end, upper)
        lower = max([lower, *(and_end for _, and_end in ands_before)])
        upper = min([upper, *(and_start for and_start, _ in ands_after)])
        spans.append((start, end, *_label_bounds(prompt, start, end, partners, lower, upper)))
    return spans


def _ands_between(
    and_spans: list[tuple[int, int]], and_starts: list[int], low: int, high: int
) -> list[tuple[int, int]]:
    first = bisect.bisect_left(and_starts, low)
    last = bisect.bisect_left(and_starts, high)
    return and_spans[first:last]


def _trimmed(prompt: str, start: int, end: int) -> tuple[int, int]:
    while start < end and prompt[start].isspace():
        start += 1
    while end > start and prompt[end - 1].isspace():
        end -= 1
    return start, end


def _label_bounds(
    prompt: str, start: int, end: int, partners: list[int], lower: int, upper: int
) -> tuple[int, int]:
    label_start, label_end = start, end
    for position in range(start, end):
        partner = partners[position]
        if partner < 0:
            continue
        if lower <= partner < start:
            label_start = min(label_start, partner)
        elif end <= partner < upper:
            label_end = max(label_end, partner + 1)
    # `[cat:dog:0.5]`, `[a|b]`: the brackets right around are the syntax's own, not emphasis.
    before = label_start - 1
    if before >= lower and label_end < upper and prompt[before] == "[" and partners[before] == label_end:
        inside = prompt[label_start:label_end]
        if "|" in inside or ":" in inside:
            label_start, label_end = before, label_end + 1
    return label_start, label_end


def _detailed_report(
    prompt: str, counted_text: str, text_positions: list[int], tokenizer: ClipTokenizer
) -> TokenReport:
    """Chunks and tag costs of `counted_text`, whose character i comes from `prompt[text_positions[i]]`."""
    from kb.prompt.tagview import split_tags

    segments, sources = segments_with_sources(counted_text)
    token_chunks, token_count = chunk_segments_with_count(segments, tokenizer=tokenizer)
    original_positions = text_positions
    tags = [
        _LabelledSpan(prompt[label_start:label_end], start, end)
        for start, end, label_start, label_end in token_label_spans(prompt, split_tags(prompt))
    ]
    # The tag at each prompt position (the first one, should spans overlap), built in one pass over
    # the tags: looking each token's tag up by scanning the tags made long prompts quadratic.
    tag_at_position: list[int | None] = [None] * (len(prompt) + 1)
    for index in reversed(range(len(tags))):
        tag_at_position[tags[index].start : tags[index].end] = [index] * (tags[index].end - tags[index].start)

    def tag_index_at(position: int) -> int | None:
        return tag_at_position[position]

    # Each token's prompt position (of its first character) and the tag it belongs to.
    token_sources = [
        [
            original_positions[sources[segment_index][span_start][0]]
            for segment_index, (span_start, _) in zip(chunk.segment_indices, chunk.text_spans, strict=True)
        ]
        for chunk in token_chunks
    ]
    token_tags = [[tag_index_at(source) for source in chunk_sources] for chunk_sources in token_sources]
    costs = [0] * len(tags)
    for chunk_tags in token_tags:
        for tag_index in chunk_tags:
            if tag_index is not None:
                costs[tag_index] += 1
    tag_costs = tuple(
        TagCost(tag.text, tag.start, tag.end, cost) for tag, cost in zip(tags, costs, strict=True)
    )
    chunk_infos: list[ChunkInfo] = []
    token_index = 0
    tag_before_border: int | None = None  # tag of the last token before the chunk, if adjacent
    for chunk_index, chunk in enumerate(token_chunks):
        chunk_tags = token_tags[chunk_index]
        split: TagCost | None = None
        if chunk_tags and chunk_tags[0] is not None and chunk_tags[0] == tag_before_border:
            split = tag_costs[chunk_tags[0]]
        source_start = token_sources[chunk_index][0] if chunk.tokens else None
        chunk_infos.append(ChunkInfo(chunk_index, token_index, len(chunk.tokens), source_start, split))
        # An empty chunk only comes from BREAK, which separates its neighbours.
        tag_before_border = chunk_tags[-1] if chunk_tags else None
        token_index += len(chunk.tokens)
    return TokenReport(
        count=token_count,
        target=target_token_count(token_count),
        chunks=tuple(chunk_infos),
        tags=tag_costs,
        separator_tokens=sum(chunk_tags.count(None) for chunk_tags in token_tags),
        token_chunks=tuple(token_chunks),
    )
