"""A draft → positive and negative prompt, lint findings and token counts (what the builder shows).

With auto-order on, style entries become a `kb.prompt.assemble.StyleBlend` and the rest goes through
`kb.prompt.assemble.assemble_prompt` (syntax entries travel verbatim with the tag before them); with
auto-order off the entries are joined in the user's order, each as `DraftEntry.prompt_text`, and
`RenderedPrompt.entry_spans` says where each entry is in the positive prompt.
"""

from __future__ import annotations

from bisect import bisect_left
from dataclasses import dataclass

from kb.display_text import shortened
from kb.errors import AidxlError, ClipVocabularyError
from kb.knowledge.curated import load_quality_ladder
from kb.prompt.assemble import StyleBlend, assemble_prompt
from kb.prompt.lint import Finding
from kb.prompt.render import TAG_SEPARATOR, render_tag
from kb.prompt.segments import join_segment_texts
from kb.prompt.tagview import DictMatcher, split_tags
from kb.prompt.tokens import count_prompt_tokens
from kb.schema import KIND_OF_CATEGORY
from kb.workbench.draft import PromptDraft
from kb.workbench.linting import LintContext, lint_text

# Kind -> Danbooru category for entries that are tags; kinds that are triggers of their own.
KIND_CATEGORY: dict[str, int] = {str(kind): int(category) for category, kind in KIND_OF_CATEGORY.items()}
TRIGGER_KINDS = frozenset({"artist_style", "painting_style", "quality", "aesthetic"})


@dataclass(frozen=True)
class TokenSummary:
    count: int
    target: int  # the M of N/M: 75 per chunk
    borders: tuple[str, ...]  # where each chunk after the first starts, e.g. "chunk 2 at token 75 inside `x`"

    @property
    def label(self) -> str:
        return f"{self.count}/{self.target}"


@dataclass(frozen=True)
class RenderedPrompt:
    positive: str
    negative: str
    findings: tuple[Finding, ...]
    tokens: TokenSummary | None
    negative_tokens: TokenSummary | None
    unavailable: tuple[str, ...]
    linted: bool = False
    # (entry index, the text a finding's fix gives it) for entries the catalog lacks: their "did you mean"
    entry_fixes: tuple[tuple[int, str], ...] = ()
    # (entry index, start, end) of each entry in `positive`; empty with auto-order (entries are merged there)
    entry_spans: tuple[tuple[int, int, int], ...] = ()
    # (entry index, the weight the web UI applies) where it is not the entry's own: brackets left open
    # before it (`((a, blue eyes`) multiply its weight; the builder's weight column shows this one
    entry_weights: tuple[tuple[int, float], ...] = ()


def render_draft(draft: PromptDraft, context: LintContext | None = None) -> RenderedPrompt:
    """Never raises: a failing part becomes a line in `unavailable` (the builder shows it)."""
    try:
        return _render_draft(draft, context)
    except Exception as error:  # a bug in one kb part must not take the builder down
        return RenderedPrompt("", draft.negative, (), None, None, (f"rendering failed: {error}",))


def _render_draft(draft: PromptDraft, context: LintContext | None) -> RenderedPrompt:
    if not draft.entries:
        return RenderedPrompt("", draft.negative, (), None, None, ())
    unavailable: list[str] = []
    try:
        positive, negative, spans = assemble_draft(draft)
    except AidxlError as error:  # a broken curated file
        return RenderedPrompt("", draft.negative, (), None, None, (str(error),))
    findings = tuple(lint_text(positive, context))
    tokens = negative_tokens = None
    try:
        tokens = count_tokens(positive)
        negative_tokens = count_tokens(negative)
    except ClipVocabularyError as missing:  # the builder shows why there is no N/75, and the fix
        unavailable.append(f"tokens: {missing}")
    return RenderedPrompt(
        positive,
        negative,
        findings,
        tokens,
        negative_tokens,
        tuple(unavailable),
        True,
        entry_spans=spans,
        entry_weights=applied_weights(draft, positive, spans),
    )


def applied_weights(
    draft: PromptDraft, positive: str, spans: tuple[tuple[int, int, int], ...]
) -> tuple[tuple[int, float], ...]:
    """(entry index, weight the web UI applies to it) for the tag entries whose weight in `positive`
    differs from their own (`kb.prompt.tagview.split_tags`: a tag's weight counts the brackets left
    open before it). One split of the prompt for all entries."""
    syntax_texts = (entry.text for entry in draft.entries if entry.is_syntax)
    if not any("(" in text or "[" in text for text in syntax_texts):
        return ()  # no syntax entry can leave a bracket open: every weight is the entry's own
    tags = split_tags(positive)
    starts = [tag.outer_start for tag in tags]
    applied: list[tuple[int, float]] = []
    for index, start, end in spans:
        entry = draft.entries[index]
        at = bisect_left(starts, start)
        if entry.is_syntax or at >= len(tags) or tags[at].outer_start >= end:
            continue
        if round(tags[at].weight, 2) != round(entry.weight, 2):
            applied.append((index, tags[at].weight))
    return tuple(applied)


def entries_matcher(draft: PromptDraft) -> DictMatcher:
    """A matcher that knows each entry's kind, so assembly slots it without the catalog."""
    tags: dict[str, int] = {}
    triggers: dict[str, tuple[str, str | None, bool]] = {}
    for entry in draft.entries:
        category = KIND_CATEGORY.get(entry.kind)
        if entry.tag is not None and category is not None:
            tags[entry.tag] = category
        if entry.kind in TRIGGER_KINDS:
            triggers[entry.text.lower()] = (entry.kind, entry.tag, True)
    for text, kind in draft.extra_texts():
        triggers[text] = (kind, None, True)
    return DictMatcher(tags, None, triggers)


def assemble_draft(draft: PromptDraft) -> tuple[str, str, tuple[tuple[int, int, int], ...]]:
    """(positive, negative, entry spans): `kb.prompt.assemble` with auto-order, else the entries in order."""
    if draft.auto_order:
        styles = tuple((entry.text, entry.weight) for entry in draft.entries if entry.kind == "artist_style")
        others = [entry.prompt_text() for entry in draft.entries if entry.kind != "artist_style"]
        others += [text for text, kind in draft.extra_texts() if kind != "quality"]
        quality = [text for text, kind in draft.extra_texts() if kind == "quality"]
        result = assemble_prompt(
            TAG_SEPARATOR.join(part for part in others if part),
            blend=StyleBlend("builder", styles) if styles else None,
            append_blend=draft.styles_appended,
            add_quality=quality,
            negative=draft.negative,
            matcher=entries_matcher(draft),
        )
        return result.positive, result.negative, ()
    parts: list[str] = []
    spans: list[tuple[int, int, int]] = []
    position = 0
    for index, entry in enumerate(draft.entries):
        text = entry.prompt_text()
        if not text:
            continue
        if parts:  # the separator `join_segment_texts` puts there (a space beside a BREAK)
            position = len(join_segment_texts([parts[-1], text])) - len(text) - len(parts[-1]) + position
        spans.append((index, position, position + len(text)))
        parts.append(text)
        position += len(text)
    extras = draft.extra_texts()
    if extras:
        quality_weight = load_quality_ladder().default_weight
        parts += [render_tag(text, quality_weight if kind == "quality" else 1.0) for text, kind in extras]
    return join_segment_texts(parts), draft.negative, tuple(spans)


def count_tokens(prompt: str) -> TokenSummary:
    report = count_prompt_tokens(prompt)
    borders = []
    for chunk in report.chunks[1:]:
        where = f" inside `{shortened(chunk.split_tag.text)}`" if chunk.split_tag is not None else ""
        borders.append(f"chunk {chunk.index + 1} at token {chunk.start}{where}")
    return TokenSummary(int(report.count), int(report.target), tuple(borders))
