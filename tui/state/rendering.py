"""The builder state through `kb`: assembled and rendered prompt, lint findings, token count.

All prompt text comes from `kb.assemble` / `kb.render`; this module only maps the builder's
state onto their inputs and collects what the builder pane shows. A `kb` part that is missing
leaves its field empty and adds a "not available yet" line to `unavailable`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from tui.state.builder import BuilderState
from tui.state.features import FeatureUnavailable, optional_module


@dataclass(frozen=True)
class TokenSummary:
    count: int
    target: int  # the M of N/M: 75 per chunk
    borders: tuple[str, ...]  # where each chunk after the first starts, e.g. "chunk 2 starts in `long hair`"

    @property
    def label(self) -> str:
        return f"{self.count}/{self.target}"


@dataclass(frozen=True)
class RenderedPrompt:
    positive: str
    negative: str
    findings: tuple[Any, ...]  # kb.lint findings: code, message, start, end, fix, severity
    tokens: TokenSummary | None
    negative_tokens: TokenSummary | None
    unavailable: tuple[str, ...]
    linted: bool = False  # False when the linter is not available


def render_builder(state: BuilderState) -> RenderedPrompt:
    """Never raises: a failing part becomes a line in `unavailable` (the pane shows it)."""
    try:
        return _render_builder(state)
    except Exception as error:  # a bug in one kb part must not take the builder down
        return RenderedPrompt("", state.negative, (), None, None, (f"rendering failed: {error}",))


def _render_builder(state: BuilderState) -> RenderedPrompt:
    unavailable: list[str] = []
    if not state.entries:
        return RenderedPrompt("", state.negative, (), None, None, (), linted=False)
    try:
        positive, negative, order_note = assemble_state(state)
    except FeatureUnavailable as missing:
        return RenderedPrompt("", state.negative, (), None, None, (str(missing),))
    if order_note:
        unavailable.append(order_note)
    findings: tuple[Any, ...] = ()
    linted = False
    try:
        findings = tuple(lint_text(positive))
        linted = True
    except FeatureUnavailable as missing:
        unavailable.append(str(missing))
    tokens = negative_tokens = None
    try:
        tokens = count_tokens(positive)
        negative_tokens = count_tokens(negative)
    except FeatureUnavailable as missing:
        unavailable.append(str(missing))
    return RenderedPrompt(positive, negative, findings, tokens, negative_tokens, tuple(unavailable), linted)


def quality_default_weight() -> float:
    """The weight the card's advice gives quality tags (kb/data/quality.toml)."""
    from kb.curated import load_quality_ladder

    return load_quality_ladder().default_weight


def weighted_tags(state: BuilderState) -> list[tuple[str, float, str]]:
    """(text, weight, kind) of the entries, then the quick-toggle tags at their default weights."""
    tags = [(entry.text, entry.weight, entry.kind) for entry in state.entries]
    extras = state.extra_texts()
    if extras:
        quality_weight = quality_default_weight()
        tags += [(text, quality_weight if kind == "quality" else 1.0, kind) for text, kind in extras]
    return tags


def assemble_state(state: BuilderState) -> tuple[str, str, str | None]:
    """(positive, negative, note): by `kb.assemble` with auto-order, else `kb.render` in the user's order."""
    tags = weighted_tags(state)
    note = None
    if state.auto_order:
        try:
            assemble = optional_module("kb.assemble", "auto-order", needs="assemble_builder")
        except FeatureUnavailable as missing:
            note = f"{missing}; kept your order"
        else:
            result = assemble.assemble_builder(
                tags, styles_appended=state.styles_appended, negative=state.negative
            )
            return str(result.positive), str(result.negative), None
    render = optional_module("kb.render", "prompt rendering")
    positive = render.render_tags([(text, weight) for text, weight, _ in tags])
    return str(positive), state.negative, note


def lint_text(prompt: str) -> list[Any]:
    lint = optional_module("kb.lint", "the prompt linter", needs="lint_prompt")
    return list(lint.lint_prompt(prompt))


def count_tokens(prompt: str) -> TokenSummary:
    tokens = optional_module("kb.tokens", "the token counter", needs="count_prompt_tokens")
    report = tokens.count_prompt_tokens(prompt)
    borders = []
    for chunk in report.chunks[1:]:
        where = f" inside `{chunk.split_tag.text}`" if chunk.split_tag is not None else ""
        borders.append(f"chunk {chunk.index + 1} at token {chunk.start}{where}")
    return TokenSummary(int(report.count), int(report.target), tuple(borders))
