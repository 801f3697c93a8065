"""The builder state through `kb`: assembled and rendered prompt, lint findings, token count.

All prompt text comes from `kb.prompt.assemble` / `kb.prompt.render`; this module only maps the builder's
state onto their inputs and collects what the builder pane shows. A `kb` part that is missing
leaves its field empty and adds a "not available yet" line to `unavailable`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from kb.display_text import shortened
from kb.errors import ClipVocabularyError
from kb.schema import KIND_OF_CATEGORY
from tui.state.builder import BuilderState
from tui.state.features import FeatureUnavailable, optional_module

# Kind -> Danbooru category for entries that are tags; kinds that are triggers of their own.
KIND_CATEGORY: dict[str, int] = {str(kind): int(category) for category, kind in KIND_OF_CATEGORY.items()}
TRIGGER_KINDS = frozenset({"artist_style", "painting_style", "quality", "aesthetic"})


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
    findings: tuple[Any, ...]  # kb.prompt.lint findings: code, message, start, end, fix, severity
    tokens: TokenSummary | None
    negative_tokens: TokenSummary | None
    unavailable: tuple[str, ...]
    linted: bool = False  # False when the linter is not available
    # (entry index, the text a finding's fix gives it) for entries the catalog lacks: their "did you
    # mean" (tui.state.actions.lint_fixes_of_unknown_entries)
    entry_fixes: tuple[tuple[int, str], ...] = ()


@dataclass(frozen=True)
class CatalogContext:
    """What linting needs from the open catalog: a tag matcher and a "did you mean" suggester."""

    matcher: Any  # kb.prompt.tagview.TagMatcher
    suggester: Any  # Callable[[str], Sequence[str]]


def render_builder(state: BuilderState, context: CatalogContext | None = None) -> RenderedPrompt:
    """Never raises: a failing part becomes a line in `unavailable` (the pane shows it)."""
    try:
        return _render_builder(state, context)
    except Exception as error:  # a bug in one kb part must not take the builder down
        return RenderedPrompt("", state.negative, (), None, None, (f"rendering failed: {error}",))


def _render_builder(state: BuilderState, context: CatalogContext | None) -> RenderedPrompt:
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
        findings = tuple(lint_text(positive, context))
        linted = True
    except FeatureUnavailable as missing:
        unavailable.append(str(missing))
    tokens = negative_tokens = None
    try:
        tokens = count_tokens(positive)
        negative_tokens = count_tokens(negative)
    except FeatureUnavailable as missing:
        unavailable.append(str(missing))
    except ClipVocabularyError as missing:  # the pane shows why there is no N/75, and the fix
        unavailable.append(f"tokens: {missing}")
    return RenderedPrompt(positive, negative, findings, tokens, negative_tokens, tuple(unavailable), linted)


def entries_matcher(state: BuilderState) -> Any:
    """A kb.prompt.tagview matcher that knows each entry's kind, so assembly slots it without the catalog."""
    tagview = optional_module("kb.prompt.tagview", "prompt assembly", needs="DictMatcher")
    tags: dict[str, int] = {}
    triggers: dict[str, tuple[str, str | None, bool]] = {}
    for entry in state.entries:
        category = KIND_CATEGORY.get(entry.kind)
        if entry.tag is not None and category is not None:
            tags[entry.tag] = category
        if entry.kind in TRIGGER_KINDS:
            triggers[entry.text.lower()] = (entry.kind, entry.tag, True)
    for text, kind in state.extra_texts():
        triggers[text] = (kind, None, True)
    return tagview.DictMatcher(tags, None, triggers)


def assemble_state(state: BuilderState) -> tuple[str, str, str | None]:
    """(positive, negative, note): `kb.prompt.assemble` with auto-order, else `kb.prompt.render`."""
    render = optional_module("kb.prompt.render", "prompt rendering", needs="render_tags")
    if state.auto_order:
        assemble = optional_module("kb.prompt.assemble", "auto-order", needs="assemble_prompt")
        styles = tuple((entry.text, entry.weight) for entry in state.entries if entry.kind == "artist_style")
        others = [(entry.text, entry.weight) for entry in state.entries if entry.kind != "artist_style"]
        others += [(text, 1.0) for text, kind in state.extra_texts() if kind != "quality"]
        quality = [text for text, kind in state.extra_texts() if kind == "quality"]
        result = assemble.assemble_prompt(
            render.render_tags(others),
            blend=assemble.StyleBlend("builder", styles) if styles else None,
            append_blend=state.styles_appended,
            add_quality=quality,
            negative=state.negative,
            matcher=entries_matcher(state),
        )
        return str(result.positive), str(result.negative), None
    tags = [(entry.text, entry.weight) for entry in state.entries]
    extras = state.extra_texts()
    if extras:
        quality_weight = quality_default_weight()
        tags += [(text, quality_weight if kind == "quality" else 1.0) for text, kind in extras]
    return str(render.render_tags(tags)), state.negative, None


def quality_default_weight() -> float:
    """The weight the card's advice gives quality tags (kb/data/quality.toml)."""
    from kb.knowledge.curated import load_quality_ladder

    return load_quality_ladder().default_weight


def lint_text(prompt: str, context: CatalogContext | None = None) -> list[Any]:
    lint = optional_module("kb.prompt.lint", "the prompt linter", needs="lint_prompt")
    if context is None:
        return list(lint.lint_prompt(prompt))
    return list(lint.lint_prompt(prompt, context.matcher, context.suggester))


def count_tokens(prompt: str) -> TokenSummary:
    tokens = optional_module("kb.prompt.tokens", "the token counter", needs="count_prompt_tokens")
    report = tokens.count_prompt_tokens(prompt)
    borders = []
    for chunk in report.chunks[1:]:
        where = f" inside `{shortened(chunk.split_tag.text)}`" if chunk.split_tag is not None else ""
        borders.append(f"chunk {chunk.index + 1} at token {chunk.start}{where}")
    return TokenSummary(int(report.count), int(report.target), tuple(borders))
