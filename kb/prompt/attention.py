"""The A1111 web UI's attention syntax, parsed exactly as the web UI parses it.

`parse_prompt_attention` gives the same (text, weight) segments and the same floating point
weights as `modules/prompt_parser.py::parse_prompt_attention` of the web UI: `(x)` ×1.1,
`[x]` ×(1/1.1), `(x:w)` ×w, nesting multiplies (each closing bracket multiplies every piece
since its opening, in closing order), `\\(` `\\)` `\\[` `\\]` `\\\\` are literal, a lone backslash
vanishes, brackets left open apply to the end (round ones first, then square), `BREAK` is the
segment `("BREAK", -1)` and runs of equal weight are merged. `attention_pieces` is the same
computation before merging, with each piece's source span, for the tag view and the linter.

The structural parser (`parse_prompt_structure`) recognises the rest of the syntax with source
spans: `AND` with its `:w`, prompt editing `[a:b:n]` / `[a::n]` / `[b:n]`, alternation `[a|b]`,
extra networks `<lora:name:w>`, emphasis and `BREAK`. It is lossless: `render_structure` of a
parsed prompt gives the prompt back character for character.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import NamedTuple

from kb.errors import PromptSyntaxError

ROUND_BRACKET_MULTIPLIER = 1.1
SQUARE_BRACKET_MULTIPLIER = 1 / 1.1
BREAK_WEIGHT = -1
BREAK_TEXT = "BREAK"

# One token of the web UI's attention syntax. The alternatives and their order are the web
# UI's: escapes, a lone backslash, openers, a weight closing a round bracket, closers, a run of
# plain text, a lone colon.
_ATTENTION_TOKEN = re.compile(
    r"""
      \\[()\[\]\\]            # escaped bracket or backslash: a literal character
    | \\                      # lone backslash: dropped
    | [(\[]                   # opener
    | :\s*([+-]?[.\d]+)\s*\)  # `:w)` closes a round bracket with weight w
    | [)\]]                   # closer
    | [^\\()\[\]:]+           # plain text
    | :                       # a colon that is not a weight
    """,
    re.X,
)
# The web UI splits text at `\s*\bBREAK\b\s*`; that pattern retries its leading `\s*` at every
# blank of a run (quadratic in a run of spaces), so the keyword is found alone and its blanks
# are taken by hand (`_break_separators`).
_BREAK_KEYWORD = re.compile(r"\bBREAK\b")


class AttentionPiece(NamedTuple):
    """One unmerged piece of parsed text: what the web UI reads, its weight, its source span."""

    text: str
    weight: float
    start: int
    end: int


@dataclass(slots=True)
class _OpenPiece:
    text: str
    weight: float  # multiplied in place as brackets close, in the web UI's order
    start: int
    end: int


def attention_pieces(prompt: str, *, strict: bool = True) -> list[AttentionPiece]:
    """The web UI's attention parse before runs of equal weight are merged (no empty-prompt filler).

    With `strict=False` an unreadable weight (`(a:1.2.3)`, where the web UI raises) is read as
    plain text instead of raising, so views of a broken prompt still work.
    """
    pieces: list[_OpenPiece] = []
    open_round: list[int] = []
    open_square: list[int] = []

    def multiply_from(first_index: int, multiplier: float) -> None:
        for piece in pieces[first_index:]:
            piece.weight *= multiplier

    for token in _ATTENTION_TOKEN.finditer(prompt):
        token_text = token.group(0)
        weight_text = token.group(1)
        if token_text.startswith("\\"):
            pieces.append(_OpenPiece(token_text[1:], 1.0, token.start(), token.end()))
        elif token_text == "(":
            open_round.append(len(pieces))
        elif token_text == "[":
            open_square.append(len(pieces))
        elif weight_text is not None and open_round and (strict or _is_float(weight_text)):
            multiply_from(open_round.pop(), _parse_weight(weight_text, token.start(1), token.end(1)))
        elif token_text == ")" and open_round:
            multiply_from(open_round.pop(), ROUND_BRACKET_MULTIPLIER)
        elif token_text == "]" and open_square:
            multiply_from(open_square.pop(), SQUARE_BRACKET_MULTIPLIER)
        else:
            _append_text_with_breaks(pieces, token_text, token.start())

    _multiply_after_unclosed(pieces, open_round, ROUND_BRACKET_MULTIPLIER)
    _multiply_after_unclosed(pieces, open_square, SQUARE_BRACKET_MULTIPLIER)
    return [AttentionPiece(piece.text, piece.weight, piece.start, piece.end) for piece in pieces]


def _multiply_after_unclosed(pieces: list[_OpenPiece], first_indices: list[int], multiplier: float) -> None:
    """What the web UI does for each bracket left open, one after another: multiply every piece
    from the bracket on by `multiplier`. Done per opener, that is quadratic in a prompt of many
    emoticons (`:(`); here each piece is multiplied as many times as openers precede it, in the
    same order (so to the same float), in one pass: the successive products of each starting
    weight are computed once and shared."""
    if not first_indices:
        return
    products: dict[float, list[float]] = {}  # weight -> [weight, weight*m, (weight*m)*m, ...]
    openers_so_far = 0
    for index, piece in enumerate(pieces):
        while openers_so_far < len(first_indices) and first_indices[openers_so_far] <= index:
            openers_so_far += 1
        if openers_so_far == 0:
            continue
        chain = products.setdefault(piece.weight, [piece.weight])
        while len(chain) <= openers_so_far:
            chain.append(chain[-1] * multiplier)
        piece.weight = chain[openers_so_far]


def _is_float(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def _parse_weight(weight_text: str, start: int, end: int) -> float:
    try:
        return float(weight_text)
    except ValueError:
        # The web UI raises here too and generates nothing.
        raise PromptSyntaxError(
            f"prompt position {start}: weight {weight_text!r} is not a number; "
            "the web UI stops with an error on this prompt",
            start=start,
            end=end,
        ) from None


def _append_text_with_breaks(pieces: list[_OpenPiece], text: str, offset: int) -> None:
    part_start = 0
    for part_end, separator_end in _break_separators(text):
        pieces.append(_OpenPiece(text[part_start:part_end], 1.0, offset + part_start, offset + part_end))
        # An int like the web UI's, so JSON prints -1 as it would.
        pieces.append(_OpenPiece(BREAK_TEXT, BREAK_WEIGHT, offset + part_end, offset + separator_end))
        part_start = separator_end
    pieces.append(_OpenPiece(text[part_start:], 1.0, offset + part_start, offset + len(text)))


def _break_separators(text: str) -> Iterator[tuple[int, int]]:
    """The (start, end) of each match of the web UI's `\\s*\\bBREAK\\b\\s*` in `text`, in one pass:
    the keyword with the blanks before it (back to the previous match) and after it."""
    previous_end = 0
    for keyword in _BREAK_KEYWORD.finditer(text):
        start = keyword.start()
        while start > previous_end and text[start - 1].isspace():  # str.isspace is re's `\s`
            start -= 1
        end = keyword.end()
        while end < len(text) and text[end].isspace():
            end += 1
        yield start, end
        previous_end = end


def merge_equal_weights(pieces: list[AttentionPiece]) -> list[tuple[str, float]]:
    """Join neighbouring pieces of equal weight, as the web UI does (BREAKs included)."""
    merged: list[tuple[str, float]] = []
    for piece in pieces:
        if merged and merged[-1][1] == piece.weight:
            merged[-1] = (merged[-1][0] + piece.text, merged[-1][1])
        else:
            merged.append((piece.text, piece.weight))
    return merged


def parse_prompt_attention(text: str) -> list[tuple[str, float]]:
    """Exactly the web UI's `parse_prompt_attention`: segments of text with their weights.

    >>> parse_prompt_attention("an (important) word")
    [('an ', 1.0), ('important', 1.1), (' word', 1.0)]

    Raises PromptSyntaxError where the web UI raises (a weight `float()` cannot read).
    """
    pieces = attention_pieces(text)
    if not pieces:
        return [("", 1.0)]
    return merge_equal_weights(pieces)


# ----------------------------------------------------------------------------------------------
# Structure: the whole prompt syntax with source spans.

# The web UI's extra-network pattern is `<(\w+):([^>]+)>`; searched with it, every `<` scans on to
# the next `>` (quadratic in `<a:<a:<a:...`), so `extra_network_matches` reads it in one pass.
_EXTRA_NETWORK_HEAD = re.compile(r"<(\w+):")
_ROUND_WEIGHT_CLOSE = re.compile(r":\s*[+-]?[.\d]+\s*\)")
_SCHEDULE_WHEN = re.compile(r"\s*[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?\s*")
_AND_SEPARATOR = re.compile(r"\bAND\b")
# The web UI's per-subprompt weight, `^((?:\s|.)*?)(?:\s*:\s*([-+]?(?:\d+\.?|\d*\.\d+)))?\s*$`: a
# trailing `:w` (and trailing blanks) is cut off the text. Its lazy prefix retries `\s*$` at every
# blank of a run (quadratic), so `_subprompt_weight` reads the same from the end.
_SUBPROMPT_NUMBER = re.compile(r"\d+\.?|\d*\.\d+")
_BREAK_WORD = re.compile(r"\bBREAK\b")


class ExtraNetworkMatch(NamedTuple):
    """One match of the web UI's `<(\\w+):([^>]+)>`: its span, the network and the text after `:`."""

    start: int
    end: int
    network: str
    arguments: str


class ExtraNetworkReader:
    """Matches of the web UI's `<(\\w+):([^>]+)>` at given positions of `prompt[:end]`, in time linear in
    the text over all positions asked for in increasing order: a match always ends at the first `>`
    after its `:`, so that `>` is looked up once for all the `<` before it."""

    def __init__(self, prompt: str, end: int | None = None) -> None:
        self.prompt = prompt
        self.end = len(prompt) if end is None else end
        self._searched_from = 0
        self._close = prompt.find(">", 0, self.end)  # the first `>` from _searched_from, -1: none

    def match_at(self, position: int) -> ExtraNetworkMatch | None:
        head = _EXTRA_NETWORK_HEAD.match(self.prompt, position, self.end)
        if head is None:
            return None
        if head.end() < self._searched_from or (self._close != -1 and self._close < head.end()):
            self._searched_from = head.end()
            self._close = self.prompt.find(">", head.end(), self.end)
        if self._close <= head.end():  # none, or `<a:>` (`[^>]+` needs one character)
            return None
        arguments = self.prompt[head.end() : self._close]
        return ExtraNetworkMatch(position, self._close + 1, head.group(1), arguments)


def extra_network_matches(prompt: str) -> Iterator[ExtraNetworkMatch]:
    """What `re.finditer(r"<(\\w+):([^>]+)>", prompt)` finds, in time linear in the prompt."""
    reader = ExtraNetworkReader(prompt)
    opener = prompt.find("<")
    while opener != -1:
        match = reader.match_at(opener)
        if match is not None:
            yield match
        opener = prompt.find("<", opener + 1 if match is None else match.end)


@dataclass(frozen=True)
class TextNode:
    """Plain text as written (escapes kept); `text` is what the web UI reads."""

    source: str
    start: int
    end: int

    @property
    def text(self) -> str:
        return re.sub(r"\\(.?)", r"\1", self.source, flags=re.S)


@dataclass(frozen=True)
class BreakNode:
    """The `BREAK` keyword: the current 75-token chunk ends here."""

    start: int
    end: int


@dataclass(frozen=True)
class ExtraNetworkNode:
    """`<lora:name:0.8>`: removed from the prompt text and applied as a network."""

    source: str
    network: str  # lora, hypernet, ...
    arguments: tuple[str, ...]  # name, then multipliers
    start: int
    end: int

    @property
    def name(self) -> str:
        return self.arguments[0]

    @property
    def multiplier(self) -> float | None:
        try:
            return float(self.arguments[1]) if len(self.arguments) > 1 else None
        except ValueError:
            return None


@dataclass(frozen=True)
class EmphasisNode:
    """`(x)`, `(x:w)` or `[x]`; `closer` is empty when the bracket is never closed."""

    opener: str
    children: tuple[PromptNode, ...]
    weight_source: str | None  # `:1.2` as written, before the closing `)`
    closer: str
    start: int
    end: int

    @property
    def weight(self) -> float | None:
        """The explicit weight of `(x:w)`, if any and readable."""
        if self.weight_source is None:
            return None
        try:
            return float(self.weight_source.lstrip(":").strip())
        except ValueError:
            return None

    @property
    def closed(self) -> bool:
        return self.closer != ""


@dataclass(frozen=True)
class ScheduleNode:
    """Prompt editing: `[before:after:when]`, `[before::when]`, or `[after:when]` (before is None)."""

    before: tuple[PromptNode, ...] | None
    after: tuple[PromptNode, ...]
    when_source: str
    start: int
    end: int

    @property
    def when(self) -> float:
        return float(self.when_source)


@dataclass(frozen=True)
class AlternationNode:
    """`[a|b|c]`: a different option on every sampling step."""

    options: tuple[tuple[PromptNode, ...], ...]
    start: int
    end: int


PromptNode = TextNode | BreakNode | ExtraNetworkNode | EmphasisNode | ScheduleNode | AlternationNode


@dataclass(frozen=True)
class SubPrompt:
    """One `AND`-separated part; `weight_source` is its trailing `:w` and blanks as written."""

    nodes: tuple[PromptNode, ...]
    weight_source: str
    start: int
    end: int

    @property
    def weight(self) -> float:
        weight_text = _subprompt_weight(self.weight_source)[1]
        return 1.0 if weight_text is None else float(weight_text)


def _subprompt_weight(part: str) -> tuple[int, str | None]:
    """Where the web UI's subprompt weight pattern ends the text (its group 1) and the weight it
    reads (its group 2, None without one), scanning back from the end in linear time."""
    text_end = len(part.rstrip())  # str.rstrip strips exactly re's `\s`
    number_start = text_end
    while number_start > 0 and (part[number_start - 1].isdecimal() or part[number_start - 1] == "."):
        number_start -= 1
    position = number_start
    if position > 0 and part[position - 1] in "+-":
        position -= 1
    sign_start = position
    while position > 0 and part[position - 1].isspace():
        position -= 1
    if (
        number_start == text_end
        or not _SUBPROMPT_NUMBER.fullmatch(part, number_start, text_end)
        or position == 0
        or part[position - 1] != ":"
    ):
        return text_end, None
    position -= 1
    while position > 0 and part[position - 1].isspace():
        position -= 1
    return position, part[sign_start:text_end]


@dataclass(frozen=True)
class PromptStructure:
    """A whole prompt: its `AND` parts (a prompt without `AND` has one)."""

    subprompts: tuple[SubPrompt, ...]

    def walk(self) -> Iterator[PromptNode]:
        """Every node, depth first, in source order."""
        for subprompt in self.subprompts:
            yield from walk_nodes(subprompt.nodes)


def walk_nodes(nodes: tuple[PromptNode, ...]) -> Iterator[PromptNode]:
    """The nodes and their descendants, depth first, in source order. Iterative: a prompt of
    thousands of unclosed brackets (`:(` after `:(`) nests that deep."""
    pending: list[Iterator[PromptNode]] = [iter(nodes)]
    while pending:
        node = next(pending[-1], None)
        if node is None:
            pending.pop()
            continue
        yield node
        pending.extend(reversed([iter(group) for group in _child_groups(node)]))


def _child_groups(node: PromptNode) -> list[tuple[PromptNode, ...]]:
    """A node's child sequences in source order."""
    if isinstance(node, EmphasisNode):
        return [node.children]
    if isinstance(node, ScheduleNode):
        return [node.after] if node.before is None else [node.before, node.after]
    if isinstance(node, AlternationNode):
        return list(node.options)
    return []


def parse_prompt_structure(prompt: str) -> PromptStructure:
    """Parse the whole A1111 syntax into a lossless tree with spans (never raises)."""
    subprompts: list[SubPrompt] = []
    part_start = 0
    bounds: list[tuple[int, int]] = []
    for separator in _AND_SEPARATOR.finditer(prompt):
        bounds.append((part_start, separator.start()))
        part_start = separator.end()
    bounds.append((part_start, len(prompt)))
    for start, end in bounds:
        part = prompt[start:end]
        body_end = start + _subprompt_weight(part)[0]
        nodes = _parse_body(prompt, start, body_end)
        subprompts.append(SubPrompt(nodes, prompt[body_end:end], start, end))
    return PromptStructure(tuple(subprompts))


@dataclass
class _Frame:
    opener: str | None
    start: int
    children: list[PromptNode]
    # `[`: the segments closed by `:` or `|` so far, with the separator and its position
    segments: list[tuple[list[PromptNode], str, int]]


def _parse_body(prompt: str, start: int, end: int) -> tuple[PromptNode, ...]:
    stack = [_Frame(None, start, [], [])]
    text_start: int | None = None
    extra_networks = ExtraNetworkReader(prompt, end)

    def flush(at: int) -> None:
        nonlocal text_start
        if text_start is not None:
            stack[-1].children.extend(_text_nodes(prompt, text_start, at))
            text_start = None

    position = start
    while position < end:
        character = prompt[position]
        top = stack[-1]
        if character == "\\":
            text_start = position if text_start is None else text_start
            position = min(position + 2, end)
            continue
        if character == "<":
            extra = extra_networks.match_at(position)
            if extra is not None:
                flush(position)
                arguments = tuple(extra.arguments.split(":"))
                top.children.append(
                    ExtraNetworkNode(
                        prompt[position : extra.end], extra.network, arguments, position, extra.end
                    )
                )
                position = extra.end
                continue
        if character in "([":
            flush(position)
            stack.append(_Frame(character, position, [], []))
            position += 1
            continue
        if top.opener == "(":
            weight_close = _ROUND_WEIGHT_CLOSE.match(prompt, position, end) if character == ":" else None
            if weight_close or character == ")":
                flush(position)
                stack.pop()
                close_at = weight_close.end() - 1 if weight_close else position
                weight_source = prompt[position:close_at] if weight_close else None
                stack[-1].children.append(
                    EmphasisNode("(", tuple(top.children), weight_source, ")", top.start, close_at + 1)
                )
                position = close_at + 1
                continue
        if top.opener == "[":
            if character in ":|":
                flush(position)
                top.segments.append((top.children, character, position))
                top.children = []
                position += 1
                continue
            if character == "]":
                flush(position)
                stack.pop()
                stack[-1].children.append(_close_square(prompt, top, position + 1))
                position += 1
                continue
        text_start = position if text_start is None else text_start
        position += 1
    flush(end)
    while len(stack) > 1:
        unclosed = stack.pop()
        children = _flatten_segments(prompt, unclosed)
        assert unclosed.opener is not None
        stack[-1].children.append(EmphasisNode(unclosed.opener, children, None, "", unclosed.start, end))
    return tuple(stack[0].children)


def _text_nodes(prompt: str, start: int, end: int) -> list[PromptNode]:
    nodes: list[PromptNode] = []
    for keyword in _BREAK_WORD.finditer(prompt, start, end):
        if keyword.start() > start:
            nodes.append(TextNode(prompt[start : keyword.start()], start, keyword.start()))
        nodes.append(BreakNode(keyword.start(), keyword.end()))
        start = keyword.end()
    if end > start:
        nodes.append(TextNode(prompt[start:end], start, end))
    return nodes


def _flatten_segments(prompt: str, frame: _Frame) -> tuple[PromptNode, ...]:
    """A `[` that is neither editing nor alternation: its `:` and `|` are plain text."""
    children: list[PromptNode] = []
    for segment, separator, at in frame.segments:
        children.extend(segment)
        children.append(TextNode(separator, at, at + 1))
    children.extend(frame.children)
    return tuple(children)


def _close_square(prompt: str, frame: _Frame, end: int) -> PromptNode:
    separators = [separator for _, separator, _ in frame.segments]
    parts = [segment for segment, _, _ in frame.segments] + [frame.children]
    if separators and all(separator == "|" for separator in separators):
        return AlternationNode(tuple(tuple(part) for part in parts), frame.start, end)
    when = parts[-1]
    if (
        len(separators) in (1, 2)
        and all(separator == ":" for separator in separators)
        and len(when) == 1
        and isinstance(when[0], TextNode)
        and _SCHEDULE_WHEN.fullmatch(when[0].source)
    ):
        before = tuple(parts[0]) if len(separators) == 2 else None
        return ScheduleNode(before, tuple(parts[-2]), when[0].source, frame.start, end)
    return EmphasisNode("[", _flatten_segments(prompt, frame), None, "]", frame.start, end)


def render_nodes(nodes: tuple[PromptNode, ...]) -> str:
    """Prompt text of a node sequence, exactly as it was written (iterative, for any depth)."""
    parts: list[str] = []
    # Work items: a node to render, or a literal piece of syntax; popped from the end.
    pending: list[PromptNode | str] = list(reversed(nodes))
    while pending:
        item = pending.pop()
        if isinstance(item, str):
            parts.append(item)
        else:
            pending.extend(reversed(_render_items(item)))
    return "".join(parts)


def _render_items(node: PromptNode) -> list[PromptNode | str]:
    """A node's text as literal syntax and child nodes, in source order."""
    if isinstance(node, TextNode | ExtraNetworkNode):
        return [node.source]
    if isinstance(node, BreakNode):
        return [BREAK_TEXT]
    if isinstance(node, EmphasisNode):
        return [node.opener, *node.children, (node.weight_source or "") + node.closer]
    if isinstance(node, ScheduleNode):
        before: list[PromptNode | str] = [] if node.before is None else [*node.before, ":"]
        return ["[", *before, *node.after, f":{node.when_source}]"]
    items: list[PromptNode | str] = ["["]
    for index, option in enumerate(node.options):
        items += ["|"] * (index > 0) + list(option)
    return [*items, "]"]


def render_structure(structure: PromptStructure) -> str:
    """The prompt text of a structure: `render_structure(parse_prompt_structure(p)) == p`."""
    return "AND".join(render_nodes(part.nodes) + part.weight_source for part in structure.subprompts)
