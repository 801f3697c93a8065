"""A lint finding's fix applied to the draft: exactly the change the fix makes, nothing else.

The fix replaces `positive[start:end]` (`kb.prompt.lint.Finding`). It is applied to the text of the
entry that holds that span (`RenderedPrompt.entry_spans`, or the entry's text found in the assembled
prompt), and the entry is read again like a paste (`importing.prompt_entries`), so a fixed emoticon
`:(` → `:\\(` is the tag `:(`, still a frown, and a fixed piece of syntax stays verbatim. A fix that
deletes whole entries (a duplicate, an implied tag) removes them. With auto-order a tag may be merged
or rewritten by the assembly; then the rendered tag is fixed and read back (`fixed_tag`).
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from collections.abc import Sequence
from dataclasses import replace

from kb.knowledge.tagforms import to_canonical, unescape_a1111
from kb.prompt.lint import Finding
from kb.prompt.tagview import PromptTag, split_tags
from kb.workbench.draft import DraftEntry, PromptDraft
from kb.workbench.importing import prompt_entries
from kb.workbench.linting import LintContext
from kb.workbench.rendering import RenderedPrompt

SEVERITY_RANK = {"error": 0, "warning": 1, "info": 2}


def entry_spans(draft: PromptDraft, rendered: RenderedPrompt) -> list[tuple[int, int, int]]:
    """(entry index, start, end) of the entries found in the positive prompt: exact with auto-order
    off; with auto-order, each entry whose own prompt text appears in the assembled prompt."""
    if rendered.entry_spans:
        return list(rendered.entry_spans)
    spans = []
    for index, entry in enumerate(draft.entries):
        text = entry.prompt_text()
        at = rendered.positive.find(text) if text else -1
        if at >= 0:
            spans.append((index, at, at + len(text)))
    return spans


def apply_fix(
    draft: PromptDraft, rendered: RenderedPrompt, finding: Finding, context: LintContext | None = None
) -> int | None:
    """Apply `finding.fix` to the entry it is about. Returns the index of the entry now there (or
    the one before a removed entry), None when the finding has no fix or is about no entry."""
    if finding.fix is None:
        return None
    spans = entry_spans(draft, rendered)
    holder = [span for span in spans if span[1] <= finding.start and finding.end <= span[2]]
    if holder:
        index, start, _ = min(holder, key=lambda span: span[2] - span[1])
        entry = draft.entries[index]
        text = entry.prompt_text()
        fixed = text[: finding.start - start] + finding.fix + text[finding.end - start :]
        draft.replace_entries(index, _read_again(entry, fixed, context))
        return min(index, len(draft.entries) - 1) if draft.entries else None
    covered = [span for span in spans if finding.start <= span[1] and span[2] <= finding.end]
    if covered and finding.fix == "":
        for index, _, _ in sorted(covered, reverse=True):
            draft.remove(index)
        return max(0, covered[0][0] - 1) if draft.entries else None
    return _apply_to_rendered_tag(draft, rendered, finding)


def _read_again(entry: DraftEntry, fixed: str, context: LintContext | None) -> list[DraftEntry]:
    """The entries a fixed entry text reads as; a tag whose text the fix did not change (only its
    weight or escaping) keeps what the catalog said about it."""
    entries = prompt_entries(fixed, context=context)
    if len(entries) == 1 and not entries[0].is_syntax and not entry.is_syntax:
        again = entries[0]
        if to_canonical(again.text) == to_canonical(entry.text) or context is None:
            return [replace(entry, text=again.text, weight=again.weight, emphasis=again.emphasis)]
    return entries


def tag_at(
    positive: str, start: int, end: int | None = None, tags: Sequence[PromptTag] | None = None
) -> PromptTag | None:
    """The tag of the rendered prompt that the span [start, end) is most about (brackets included);
    `tags`: `split_tags(positive)` when the caller already has it (one split for many findings)."""
    stop = start if end is None else end
    tags = split_tags(positive) if tags is None else tags
    # Tags are in prompt order and do not overlap: only those touching [start, stop] can win.
    first = bisect_left(tags, start, key=lambda tag: tag.outer_end)
    last = bisect_right(tags, stop, key=lambda tag: tag.outer_start)
    best, best_overlap = None, -1
    for tag in tags[first:last]:
        overlap = min(stop, tag.outer_end) - max(start, tag.outer_start)
        if stop == start and tag.outer_start <= start <= tag.outer_end:
            overlap = 0  # an empty span inside the tag
        if overlap > best_overlap and (overlap > 0 or tag.outer_start <= start <= tag.outer_end):
            best, best_overlap = tag, overlap
    return best


class SpanLookup:
    """Entry spans and tags of one rendering, computed once, for finding after finding: with many
    findings (a 10,000-entry paste has thousands) a per-finding scan was quadratic."""

    def __init__(self, draft: PromptDraft, rendered: RenderedPrompt) -> None:
        self.spans = entry_spans(draft, rendered)
        # The builder's own spans (auto-order off) are in prompt order and disjoint: bisect finds the
        # one holder. Spans found by search (auto-order) may overlap: those are scanned in order.
        self.disjoint = bool(rendered.entry_spans) and all(
            left[2] <= right[1] for left, right in zip(self.spans, self.spans[1:], strict=False)
        )
        self.positive = rendered.positive
        self._tags: list[PromptTag] | None = None

    @property
    def tags(self) -> list[PromptTag]:
        if self._tags is None:
            self._tags = split_tags(self.positive)
        return self._tags

    def holder(self, start: int, end: int) -> int | None:
        """The entry whose span holds [start, end), the first in entry order."""
        if self.disjoint:
            at = bisect_right(self.spans, start, key=lambda span: span[1]) - 1
            if at >= 0 and self.spans[at][1] <= start and end <= self.spans[at][2]:
                return self.spans[at][0]
            return None
        for index, span_start, span_end in self.spans:
            if span_start <= start and end <= span_end:
                return index
        return None


def entry_for_span(
    draft: PromptDraft, rendered: RenderedPrompt, start: int, end: int, lookup: SpanLookup | None = None
) -> int | None:
    """The entry a span of the rendered prompt is about: the entry holding it, else the entry
    whose text is the tag there (with auto-order, where the assembly rewrote it)."""
    lookup = lookup or SpanLookup(draft, rendered)
    held = lookup.holder(start, end)
    if held is not None:
        return held
    tag = tag_at(rendered.positive, start, end, lookup.tags)
    if tag is None:
        return None
    key = to_canonical(tag.text)
    for position, entry in enumerate(draft.entries):
        if not entry.is_syntax and to_canonical(entry.text) == key:
            return position
    return None


def fixed_tag(
    positive: str, finding: Finding, tags: Sequence[PromptTag] | None = None
) -> tuple[str, float] | None:
    """(entry text, weight) that the finding's fix gives the tag it is about, read back with the tag
    view; ("", 1.0) when the fix removes the tag; None without a fix or a tag."""
    tag = tag_at(positive, finding.start, finding.end, tags) if finding.fix is not None else None
    if tag is None or finding.fix is None:
        return None
    # Parts of the tag outside the finding's span stay; a span wider than the tag replaces all of it.
    before = positive[tag.outer_start : max(tag.outer_start, finding.start)]
    after = positive[min(tag.outer_end, finding.end) : tag.outer_end]
    fixed_tags = split_tags(before + finding.fix + after)
    if not fixed_tags:
        return "", 1.0
    return unescape_a1111(fixed_tags[0].text), float(fixed_tags[0].weight)


def _apply_to_rendered_tag(draft: PromptDraft, rendered: RenderedPrompt, finding: Finding) -> int | None:
    index = entry_for_span(draft, rendered, finding.start, finding.end)
    fixed = fixed_tag(rendered.positive, finding) if index is not None else None
    if index is None or fixed is None:
        return None
    text, weight = fixed
    if not text:
        draft.remove(index)
        return max(0, index - 1)
    draft.replace_text(index, text)
    if round(weight, 2) != round(draft.entries[index].weight, 2):
        draft.set_weight(index, weight)
    return index


def lint_fixes_of_unknown_entries(
    draft: PromptDraft, rendered: RenderedPrompt
) -> tuple[tuple[int, str], ...]:
    """(entry index, the text the linter's fix gives it; "" when the fix removes it) for the entries
    the catalog lacks that a finding other than `unknown-tag` covers (`masterpiece` → `amazing
    quality`): the builder shows that as its "did you mean", the linter being the one source."""
    fixes: dict[int, str] = {}
    lookup = SpanLookup(draft, rendered)
    findings = sorted(rendered.findings, key=lambda finding: SEVERITY_RANK.get(str(finding.severity), 3))
    for finding in findings:
        if finding.fix is None or finding.code == "unknown-tag":
            continue
        index = entry_for_span(draft, rendered, finding.start, finding.end, lookup)
        if index is None or index in fixes or draft.entries[index].known:
            continue
        fixed = fixed_tag(rendered.positive, finding, lookup.tags)
        if fixed is not None:
            fixes[index] = fixed[0]
    return tuple(sorted(fixes.items()))
