"""Prompt schedules, `AND` and extra networks, computed exactly as the A1111 web UI computes them.

The web UI (`modules/prompt_parser.py`, `modules/extra_networks.py`) prepares a prompt in three
steps, and so does this module:

1. `strip_extra_networks`: `<lora:name:0.8>` (any `<word:args>`) is cut out of the text and
   becomes a call to that network (`extra_networks.parse_prompt`).
2. `split_and`: the text is split at each `AND` word; each part's trailing `:w` is its weight
   (`get_multicond_prompt_list`).
3. `prompt_schedule`: each part becomes the texts the sampler reads step by step
   (`get_learned_conditioning_prompt_schedules`): prompt editing `[to:when]`, `[from::when]`,
   `[from:to:when]` (nested too), and alternation `[a|b|c]`, one option per step.

The web UI decides what is editing with a lark grammar; a prompt the grammar rejects is read
literally, whole. `parse_schedule` makes the same decision in one left-to-right pass (no
recursion, linear in the prompt) with the rules that grammar implies:

- brackets inside a construct nest properly: `(` closes with `)`, `[` with `]`;
- `(a)` and `(a:b)` are emphasis (at most one `:` directly inside the round bracket);
- `[a]` is emphasis; `[a|b|...]` is alternation (options may be empty); `[a:n]`, `[a:b:n]` are
  editing, where `n` is a number (lark's SIGNED_NUMBER: `5`, `0.5`, `.5`, `1.`, `-1`, `1e3`),
  optionally with blanks around it;
- a bracket that cannot be read as one of these (never closed, wrong closer, a second `:` in
  `( )`, `:` mixed with `|`, a third `:`, a non-number after the last `:`) is plain text, and so
  are the brackets around it;
- a `|` that ends up outside every alternation, or a backslash before a line break or at the
  end, makes the whole prompt unreadable to the grammar: the web UI then uses the prompt as
  written, editing and alternation included (`ScheduleParse.problem` says where it broke).

Where the grammar allows a top-level construct to be read as plain characters instead (it sits
just left of stray brackets or colons: `[a:3]::`), the reading the web UI's Earley parser picks is
chosen by `_choose_top_level_readings`.

The step arithmetic is the web UI's: a number with a `.` is a fraction of the steps, any other
is a step (`int`, capped at `steps`); the sampler reads at its 0-based step `s` the first text
whose end step is `>= s` (`text_at_step`).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

from kb.errors import PromptSyntaxError

# ----------------------------------------------------------------------------------------------
# Extra networks: `<lora:name:0.8>`.

# The web UI's pattern (`extra_networks.re_extra_net`).
EXTRA_NETWORK_PATTERN = re.compile(r"<(\w+):([^>]+)>")


@dataclass(frozen=True)
class ExtraNetworkCall:
    """One `<name:item:item...>` of a prompt: `<lora:detail:0.8>` → ('lora', ('detail', '0.8'))."""

    name: str
    items: tuple[str, ...]
    start: int  # its span in the prompt it was cut from
    end: int


def strip_extra_networks(prompt: str) -> tuple[str, list[ExtraNetworkCall]]:
    """The prompt without its extra networks, and the calls in prompt order (`parse_prompt`)."""
    calls: list[ExtraNetworkCall] = []
    kept: list[str] = []
    position = 0
    for match in EXTRA_NETWORK_PATTERN.finditer(prompt):
        kept.append(prompt[position : match.start()])
        calls.append(ExtraNetworkCall(match.group(1), tuple(match.group(2).split(":")), *match.span()))
        position = match.end()
    kept.append(prompt[position:])
    return "".join(kept), calls


# ----------------------------------------------------------------------------------------------
# AND: composable sub-prompts with weights.

AND_SEPARATOR = re.compile(r"\bAND\b")  # the web UI's `re_AND`
# The number of the web UI's `re_weight`: `\d` is any Unicode digit, as in the web UI.
_SUBPROMPT_WEIGHT_NUMBER = re.compile(r"[-+]?(?:\d+\.?|\d*\.\d+)")


def split_and(prompt: str) -> list[tuple[str, float]]:
    """Each `AND` part's text and weight, exactly as `get_multicond_prompt_list` reads them.

    >>> split_and("a cat AND a dog:0.5")
    [('a cat', 1.0), (' a dog', 0.5)]
    """
    return [subprompt_weight(part) for part in AND_SEPARATOR.split(prompt)]


def subprompt_weight(part: str) -> tuple[str, float]:
    """The web UI's `re_weight` on one part: a trailing `:w` (blanks around it allowed) is its weight,
    trailing blanks are dropped. Done without the regex, whose lazy prefix is quadratic in a long
    run of blanks: the weight's colon can only be the last colon, followed by blanks and a number."""
    body = part.rstrip()  # str.isspace is exactly the regex's `\s`
    colon = body.rfind(":")
    if colon != -1:
        number = body[colon + 1 :].lstrip()
        if number and _SUBPROMPT_WEIGHT_NUMBER.fullmatch(number):
            return body[:colon].rstrip(), float(number)
    return body, 1.0


# ----------------------------------------------------------------------------------------------
# The schedule grammar.

# lark's SIGNED_NUMBER, which the grammar reads after an editing construct's last colon.
_WHEN = re.compile(
    r"\s*([+-]?(?:[0-9]+[eE][+-]?[0-9]+|(?:[0-9]+\.[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?|[0-9]+))\s*"
)


@dataclass(frozen=True)
class Literal:
    """Text the web UI keeps as written: `prompt[start:end]`."""

    start: int
    end: int


@dataclass(frozen=True)
class Group:
    """Emphasis, `(a)`, `(a:b)` or `[a]`: kept as written, with its brackets; `parts` in order."""

    parts: tuple[ScheduleItem, ...]
    start: int
    end: int


@dataclass(frozen=True)
class Edit:
    """Prompt editing `[before:after:when]`, `[after:when]` (before is None), `[before::when]`."""

    before: tuple[ScheduleItem, ...] | None
    after: tuple[ScheduleItem, ...]
    when_source: str  # the number as written, without the blanks around it
    start: int
    end: int
    parts: tuple[ScheduleItem, ...] = ()  # as written: brackets, colons, the items, the number


@dataclass(frozen=True)
class Alternation:
    """`[a|b|c]`: option `(step - 1) % len(options)` at each step."""

    options: tuple[tuple[ScheduleItem, ...], ...]
    start: int
    end: int


ScheduleItem = Literal | Group | Edit | Alternation


@dataclass(frozen=True)
class ScheduleProblem:
    """Why the web UI's grammar rejects a prompt (so it reads it literally), and where: a `|` outside
    every alternation (`opener`: the bracket that failed to become one, if any), or a backslash that
    escapes nothing."""

    position: int
    character: str  # `|` or `\\`
    opener: int | None = None

    @property
    def reason(self) -> str:
        return self.describe(lambda position: position)

    def describe(self, position_of: Callable[[int], int]) -> str:
        """The reason, with each position passed through `position_of` (e.g. into a larger prompt)."""
        where = f"prompt position {position_of(self.position)}"
        consequence = "so the web UI reads the whole prompt literally: no editing, no alternation"
        if self.character == "\\":
            escapes_nothing = "a backslash that escapes nothing (at the end or before a line break)"
            return f"{where}: {escapes_nothing}, {consequence}"
        because = ""
        if self.opener is not None:
            because = f" (the bracket at position {position_of(self.opener)} is not a complete construct)"
        return f"{where}: `|` is outside any alternation `[a|b]`{because}, {consequence}"


@dataclass(frozen=True)
class ScheduleParse:
    """A prompt as the web UI's schedule grammar reads it: `items`, or a `problem` (read literally)."""

    prompt: str
    items: tuple[ScheduleItem, ...]
    problem: ScheduleProblem | None

    @property
    def edits(self) -> list[Edit]:
        return [item for item in walk_items(self.items) if isinstance(item, Edit)]

    @property
    def alternations(self) -> list[Alternation]:
        return [item for item in walk_items(self.items) if isinstance(item, Alternation)]


def walk_items(items: tuple[ScheduleItem, ...]) -> Iterator[ScheduleItem]:
    """Every item and its descendants, depth first, in prompt order (iterative)."""
    pending: list[Iterator[ScheduleItem]] = [iter(items)]
    while pending:
        item = next(pending[-1], None)
        if item is None:
            pending.pop()
            continue
        yield item
        pending.extend(reversed([iter(children) for children in _children(item)]))


def _children(item: ScheduleItem) -> list[tuple[ScheduleItem, ...]]:
    if isinstance(item, Group):
        return [item.parts]
    if isinstance(item, Edit):
        return [item.after] if item.before is None else [item.before, item.after]
    if isinstance(item, Alternation):
        return list(item.options)
    return []


@dataclass
class _Frame:
    """An open bracket: the items of each segment so far (split at its `:` or `|`)."""

    opener: str
    start: int
    segments: list[list[ScheduleItem]] = field(default_factory=lambda: [[]])
    separators: list[int] = field(default_factory=list)  # positions of the `:` / `|` that split them
    bars: int = 0  # how many of the separators are `|`


def parse_schedule(prompt: str) -> ScheduleParse:
    """Read `prompt` as the web UI's schedule grammar does (see the module doc), in one pass."""
    top: list[ScheduleItem] = []
    stack: list[_Frame] = []
    text_start: int | None = None
    position = 0
    length = len(prompt)

    def items() -> list[ScheduleItem]:
        return stack[-1].segments[-1] if stack else top

    def flush(at: int) -> None:
        nonlocal text_start
        if text_start is not None and at > text_start:
            items().append(Literal(text_start, at))
        text_start = None

    def give_up_frames() -> ScheduleProblem | None:
        """Every open bracket can no longer be a construct: its text goes to the top level as
        written. A `|` that lands there is a grammar error."""
        for frame in stack:
            if frame.bars:
                bar = next(at for at in frame.separators if prompt[at] == "|")
                return ScheduleProblem(bar, "|", frame.start)
        for frame in stack:
            top.append(Literal(frame.start, frame.start + 1))
            for index, segment in enumerate(frame.segments):
                if index:
                    separator = frame.separators[index - 1]
                    top.append(Literal(separator, separator + 1))
                top.extend(segment)
        stack.clear()
        return None

    while position < length:
        character = prompt[position]
        if character == "\\":
            if position + 1 >= length or prompt[position + 1] == "\n":
                return _unreadable(prompt, ScheduleProblem(position, "\\"))
            if text_start is None:
                text_start = position
            position += 2
            continue
        if character not in "[]():|":
            if text_start is None:
                text_start = position
            position += 1
            continue
        flush(position)
        frame = stack[-1] if stack else None
        if character in "([":
            stack.append(_Frame(character, position))
        elif character == "|":
            if frame is None or frame.opener == "(" or len(frame.separators) > frame.bars:
                # `|` directly in `( )`, or after a `:` in `[ ]`: neither can be a construct.
                opener = frame.start if frame is not None else None
                problem = give_up_frames()
                return _unreadable(prompt, problem or ScheduleProblem(position, "|", opener))
            frame.separators.append(position)
            frame.bars += 1
            frame.segments.append([])
        elif character == ":":
            limit = 1 if frame is not None and frame.opener == "(" else 2
            if frame is None:
                top.append(Literal(position, position + 1))
            elif frame.bars or len(frame.separators) >= limit:
                problem = give_up_frames()
                if problem:
                    return _unreadable(prompt, problem)
                top.append(Literal(position, position + 1))
            else:
                frame.separators.append(position)
                frame.segments.append([])
        else:  # `)` or `]`
            closed = _close(prompt, frame, character, position + 1) if frame is not None else None
            if closed is not None:
                stack.pop()
                items().append(closed)
            else:
                problem = give_up_frames()
                if problem:
                    return _unreadable(prompt, problem)
                top.append(Literal(position, position + 1))
        position += 1
    flush(length)
    problem = give_up_frames()
    if problem:
        return _unreadable(prompt, problem)
    return ScheduleParse(prompt, tuple(_choose_top_level_readings(prompt, top)), None)


def _choose_top_level_readings(prompt: str, items: list[ScheduleItem]) -> list[ScheduleItem]:
    """Which top-level constructs the web UI's parser keeps, where it has a choice.

    Outside every construct the grammar also accepts brackets and colons one by one, so a construct
    directly left of a run of such stray characters can be read either way: as the construct, or
    as its characters (its brackets then join the run, and so may those of a construct ending at
    the same place inside it). lark's Earley parser settles this by the order in which it built its
    alternatives; the rule here, found against it: a construct with no stray character after it is
    kept. Otherwise let M be the run's length with every construct of the chain read as characters:
    M odd, all of them are; M even, the run is taken from its end two characters at a time, then one,
    and ends at the first place where a construct (or the text before the chain) can stand as the
    prompt before it: the constructs ending inside the taken run are read as characters. Decided
    right to left, so each run is final when read. It agrees with the web UI's parser on all but
    about 1 in 4,000 generated prompts full of stray brackets (docs/prompt-language.md).
    """

    def is_stray(item: ScheduleItem) -> bool:
        return isinstance(item, Literal) and item.end - item.start == 1 and prompt[item.start] in "[]():"

    pending = list(items)
    kept_reversed: list[ScheduleItem] = []
    run = 0  # stray characters directly right of the current position
    forced_shreds = 0  # constructs still to be read as characters, chosen with the run
    while pending:
        item = pending.pop()
        if isinstance(item, Literal):
            run = run + 1 if is_stray(item) else 0
            kept_reversed.append(item)
            continue
        if isinstance(item, Group | Edit) and run > 0:
            if forced_shreds == 0:
                forced_shreds = _shreds_chosen(item, pending, run, is_stray)
            if forced_shreds > 0:
                forced_shreds -= 1
                pending.extend(item.parts)
                continue
        kept_reversed.append(item)
        run = 0
    kept_reversed.reverse()
    return kept_reversed


def _shreds_chosen(
    edge: Group | Edit, pending: list[ScheduleItem], run: int, is_stray: Callable[[ScheduleItem], bool]
) -> int:
    """How many constructs, `edge` first, to read as characters (see `_choose_top_level_readings`)."""
    run_lengths = [run]  # run_lengths[n]: the run's length when n constructs are read as characters
    sources: list[Iterator[ScheduleItem]] = [reversed(pending)]
    while True:
        sources.append(reversed(edge.parts))
        stop: ScheduleItem | None = None
        while sources:
            following = next(sources[-1], None)
            if following is None:
                sources.pop()
            elif is_stray(following):
                run += 1
            else:
                stop = following
                break
        run_lengths.append(run)
        if not isinstance(stop, Group | Edit):
            break
        edge = stop
    longest = run_lengths[-1]
    if longest % 2 == 1:
        return len(run_lengths) - 1
    # Even: the run is taken from its end two characters at a time, then one, until it ends where a
    # construct (or the text before the chain) can stand as the prompt before it.
    ends = {length: count for count, length in reversed(list(enumerate(run_lengths)))}
    for taken in [*range(2, longest - 1, 2), longest - 1, longest]:
        if taken in ends:
            return ends[taken]
    return len(run_lengths) - 1


def _unreadable(prompt: str, problem: ScheduleProblem) -> ScheduleParse:
    return ScheduleParse(prompt, (Literal(0, len(prompt)),) if prompt else (), problem)


def _close(prompt: str, frame: _Frame, closer: str, end: int) -> ScheduleItem | None:
    """The construct `frame` makes when `closer` ends it at `end`, or None if it makes none."""
    if frame.opener == "(":
        if closer != ")":
            return None
        return Group(_group_parts(frame, end), frame.start, end)
    if closer != "]":
        return None
    if not frame.separators:
        return Group(_group_parts(frame, end), frame.start, end)
    if frame.bars:
        return Alternation(tuple(tuple(segment) for segment in frame.segments), frame.start, end)
    when_items = frame.segments[-1]
    if len(when_items) != 1 or not isinstance(when_items[0], Literal):
        return None
    when = _WHEN.fullmatch(prompt, when_items[0].start, when_items[0].end)
    if when is None:
        return None
    before = tuple(frame.segments[0]) if len(frame.segments) == 3 else None
    return Edit(before, tuple(frame.segments[-2]), when.group(1), frame.start, end, _group_parts(frame, end))


def _group_parts(frame: _Frame, end: int) -> tuple[ScheduleItem, ...]:
    parts: list[ScheduleItem] = [Literal(frame.start, frame.start + 1)]
    for index, segment in enumerate(frame.segments):
        if index:
            separator = frame.separators[index - 1]
            parts.append(Literal(separator, separator + 1))
        parts.extend(segment)
    parts.append(Literal(end - 1, end))
    return tuple(parts)


# ----------------------------------------------------------------------------------------------
# Steps.


class ScheduleError(PromptSyntaxError):
    """An editing step the web UI cannot turn into a step number (`[a:b:1e999]`): it stops there."""


def edit_end_step(
    edit: Edit, steps: int, *, hires_steps: int | None = None, use_old_scheduling: bool = False
) -> int:
    """The last step of `edit`'s first text, as the web UI computes it (may be < 1: never)."""
    base = steps
    integer_offset, fraction_offset = 0, 0.0
    if hires_steps is not None and not use_old_scheduling:
        integer_offset, fraction_offset, steps = base, 1.0, hires_steps
    value = float(edit.when_source)
    if use_old_scheduling:
        value = value * steps if value < 1 else value
    elif "." in edit.when_source:
        value = (value - fraction_offset) * steps
    else:
        value = value - integer_offset
    try:
        return min(steps, int(value))
    except OverflowError:
        raise ScheduleError(
            f"prompt position {edit.start}: step {edit.when_source!r} is too large; "
            "the web UI stops with an error on this prompt",
            start=edit.start,
            end=edit.end,
        ) from None


def _end_steps(
    parsed: ScheduleParse, steps: int, *, hires_steps: int | None, use_old_scheduling: bool
) -> tuple[dict[int, int], set[int]]:
    """Each edit's end step (by id) and the schedule's step boundaries."""
    total = hires_steps if hires_steps is not None and not use_old_scheduling else steps
    when_by_edit: dict[int, int] = {}
    boundaries = {total}
    has_alternation = False
    for item in walk_items(parsed.items):
        if isinstance(item, Edit):
            when = edit_end_step(item, steps, hires_steps=hires_steps, use_old_scheduling=use_old_scheduling)
            when_by_edit[id(item)] = when
            if when >= 1:
                boundaries.add(when)
        elif isinstance(item, Alternation):
            has_alternation = True
    if has_alternation:
        boundaries.update(range(1, total + 1))
    return when_by_edit, boundaries


def schedule_of(
    parsed: ScheduleParse, steps: int, *, hires_steps: int | None = None, use_old_scheduling: bool = False
) -> list[tuple[int, str]]:
    """`prompt_schedule` of an already parsed prompt."""
    if parsed.problem is not None:
        return [(hires_steps if hires_steps is not None and not use_old_scheduling else steps, parsed.prompt)]
    when_by_edit, boundaries = _end_steps(
        parsed, steps, hires_steps=hires_steps, use_old_scheduling=use_old_scheduling
    )
    return [(step, _render_at(parsed, step, when_by_edit)[0]) for step in sorted(boundaries)]


def text_origins_at(parsed: ScheduleParse, steps: int, step: int) -> tuple[str, list[int]]:
    """The text of schedule step `step` (an end step of `schedule_of(parsed, steps)`) and, for each of
    its characters, its index in the parsed prompt."""
    if parsed.problem is not None:
        return parsed.prompt, list(range(len(parsed.prompt)))
    when_by_edit, _ = _end_steps(parsed, steps, hires_steps=None, use_old_scheduling=False)
    return _render_at(parsed, step, when_by_edit, with_origins=True)


def _render_at(
    parsed: ScheduleParse, step: int, when_by_edit: dict[int, int], *, with_origins: bool = False
) -> tuple[str, list[int]]:
    prompt = parsed.prompt
    parts: list[str] = []
    origins: list[int] = []
    pending: list[Iterator[ScheduleItem]] = [iter(parsed.items)]
    while pending:
        item = next(pending[-1], None)
        if item is None:
            pending.pop()
        elif isinstance(item, Literal):
            parts.append(prompt[item.start : item.end])
            if with_origins:
                origins.extend(range(item.start, item.end))
        elif isinstance(item, Group):
            pending.append(iter(item.parts))
        elif isinstance(item, Edit):
            chosen = (item.before or ()) if step <= when_by_edit[id(item)] else item.after
            pending.append(iter(chosen))
        else:
            pending.append(iter(item.options[(step - 1) % len(item.options)]))
    return "".join(parts), origins


def prompt_schedule(
    prompt: str, steps: int, *, hires_steps: int | None = None, use_old_scheduling: bool = False
) -> list[tuple[int, str]]:
    """The web UI's `get_learned_conditioning_prompt_schedules` for one prompt: `[(end_step, text)]`.

    >>> prompt_schedule("a [b:3]", 10)
    [(3, 'a '), (10, 'a b')]
    >>> prompt_schedule("a [unbalanced", 10)
    [(10, 'a [unbalanced')]

    Raises ScheduleError where the web UI raises (a step too large for an int).
    """
    return schedule_of(
        parse_schedule(prompt), steps, hires_steps=hires_steps, use_old_scheduling=use_old_scheduling
    )


def text_at_step(schedule: list[tuple[int, str]], step: int) -> str:
    """The text the sampler reads at its 0-based step `step` (`reconstruct_cond_batch`): the first
    entry whose end step is `>= step`, else the first entry."""
    for end_step, text in schedule:
        if step <= end_step:
            return text
    return schedule[0][1]


@dataclass(frozen=True)
class Reading:
    """What the web UI's attention parser reads at some steps of one `AND` part of a prompt."""

    part: int  # the `AND` part, 0-based
    part_weight: float  # its `:w` weight (1.0 without)
    steps: tuple[int, ...]  # the 1-based sampling steps at which the part reads `segments`
    segments: list[tuple[str, float]]


def prompt_readings(prompt: str, steps: int) -> tuple[list[Reading], list[ExtraNetworkCall]]:
    """The web UI's reading of a prompt, as generation does it: extra networks taken out, `AND`
    parts split, each part's schedule (prompt editing, alternation) resolved over `steps`, and the
    text of each step read by the attention parser; steps that read the same are one `Reading`."""
    from kb.prompt.attention import parse_prompt_attention

    text, networks = strip_extra_networks(prompt)
    readings: list[Reading] = []
    for part, (part_text, weight) in enumerate(split_and(text)):
        schedule = prompt_schedule(part_text, steps)
        steps_of: dict[str, list[int]] = {}
        for step in range(steps):
            steps_of.setdefault(text_at_step(schedule, step), []).append(step + 1)
        for step_text, at in steps_of.items():
            readings.append(Reading(part, weight, tuple(at), parse_prompt_attention(step_text)))
    return readings, networks
