"""Tags with weights → A1111 prompt text, the inverse of the tag view.

A tag is its plain text (what the web UI should read, e.g. `bishop (chess)`); rendering escapes
it and writes it bare at weight 1 or as `(tag:w)` otherwise, `w` with at most two decimals.
Round trip: for tags without commas, outer blanks or the word `BREAK`, and weights with at
most two decimals, `parse_tags(render_tags(tags)) == tags`; and `render_tags(parse_tags(x))` is
a fixed point for any prompt x.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from kb.knowledge.tagforms import escape_a1111, to_plain_form
from kb.prompt.attention import ROUND_BRACKET_MULTIPLIER, SQUARE_BRACKET_MULTIPLIER
from kb.prompt.tagview import TagMatcher, split_tags

TAG_SEPARATOR = ", "


def format_weight(weight: float) -> str:
    """`1.2`, `0.85`, `2`: at most two decimals, no trailing zeros, never `-0`."""
    text = f"{weight:.2f}".rstrip("0").rstrip(".")
    return "0" if text == "-0" else text


def render_tag(text: str, weight: float = 1.0) -> str:
    """One tag: `long hair`, `(bishop \\(chess\\):1.2)`. Blanks around the text are dropped."""
    escaped = escape_a1111(text.strip())
    shown_weight = format_weight(weight)
    if shown_weight == "1":
        return escaped
    return f"({escaped}:{shown_weight})"


def render_tags(tags: Sequence[tuple[str, float]]) -> str:
    """Tags and weights → prompt text joined by `, `; empty tags are skipped."""
    return TAG_SEPARATOR.join(render_tag(text, weight) for text, weight in tags if text.strip())


def render_canonical_tags(tags: Iterable[tuple[str, float]]) -> str:
    """Like `render_tags`, from canonical Danbooru names (`long_hair`) instead of plain text."""
    return render_tags([(to_plain_form(name), weight) for name, weight in tags])


def parse_tags(prompt: str, matcher: TagMatcher | None = None) -> list[tuple[str, float]]:
    """Prompt text → (plain text as the web UI reads it, effective weight) per tag."""
    return [(tag.read_text, tag.weight) for tag in split_tags(prompt, matcher)]


def emphasis_weight(emphasis: Sequence[str]) -> float:
    """The weight the web UI gives text inside `emphasis` (innermost first: `(`, `[` or a weight
    text), multiplied in the web UI's order (each bracket as it closes), so the same float."""
    weight = 1.0
    for step in emphasis:
        if step == "(":
            weight *= ROUND_BRACKET_MULTIPLIER
        elif step == "[":
            weight *= SQUARE_BRACKET_MULTIPLIER
        else:
            weight *= float(step)
    return weight


def render_emphasised(escaped_text: str, emphasis: Sequence[str]) -> str:
    """Escaped text inside its brackets, innermost first: `render_emphasised("x", ("(", "1.2"))`
    is `((x):1.2)`; `("[",)` gives `[x]` (exactly ×1/1.1, which `(x:0.91)` is not)."""
    text = escaped_text
    for step in emphasis:
        if step == "(":
            text = f"({text})"
        elif step == "[":
            text = f"[{text}]"
        else:
            text = f"({text}:{step})"
    return text
