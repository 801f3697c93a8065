"""A sheet of the builder's styles whose cells hold exactly the builder's prompt.

Each cell's positive prompt is what the builder renders (`kb.workbench.rendering.assemble_draft`:
quality and aesthetic toggles, auto-order, weights, syntax entries included) with that cell's
style in place of the builder's styles: a style row renders the draft with that style alone, the
blend row renders the draft as it is (the builder's own prompt), the baseline renders it without
styles. The sheet gets these as one base prompt holding `{style}` where the builder puts its styles
(`kb.sheets.prompts`: a marked base is used as written) and, per row, the style's text exactly as
it appears in that rendering, so `base.replace("{style}", row)` is the rendering itself.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from kb.errors import AidxlError
from kb.sheets.prompts import STYLE_SLOT
from kb.workbench.draft import DraftEntry, PromptDraft
from kb.workbench.rendering import assemble_draft

# Stands in for the builder's styles while the slot is found: plain lowercase letters, so it is
# rendered as written, and no real tag.
STYLE_PLACEHOLDER = "aidxlsheetstyleslot"
BLEND_NAME = "blend"
STYLE_KIND = "artist_style"


class SheetPromptError(AidxlError):
    """The builder's prompt cannot be made into a sheet: why, in one line."""


@dataclass(frozen=True)
class BuilderSheetPrompts:
    base: str  # the builder's rendered positive with `{style}` where its styles go
    rows: tuple[tuple[str, str | None], ...]  # (the style's rendered text, blend name or None)
    expected: tuple[str, ...]  # per row, the builder's rendering with that row's style (for checks)
    baseline: str  # the builder's rendering without styles


def with_styles(draft: PromptDraft, styles: list[DraftEntry]) -> PromptDraft:
    """The draft with its style entries replaced by `styles`, put where its first style entry was."""
    first = next(index for index, entry in enumerate(draft.entries) if entry.kind == STYLE_KIND)
    after = [entry for entry in draft.entries[first:] if entry.kind != STYLE_KIND]
    return replace(draft, entries=[*draft.entries[:first], *styles, *after])


def rendered_positive(draft: PromptDraft) -> str:
    return assemble_draft(draft)[0]


def builder_sheet_prompts(draft: PromptDraft) -> BuilderSheetPrompts:
    """The base and rows of a sheet of the draft's styles (one row each, plus their blend when
    there are several); SheetPromptError when there are none or a rendering cannot be split."""
    styles = draft.style_entries()
    if not styles:
        raise SheetPromptError("add style entries (`by …`) to the prompt first, then run a sheet")
    slotted = rendered_positive(with_styles(draft, [DraftEntry(STYLE_PLACEHOLDER, STYLE_KIND)]))
    if STYLE_SLOT in slotted.replace(STYLE_PLACEHOLDER, ""):
        raise SheetPromptError(
            f"the prompt holds the sheet's own marker {STYLE_SLOT}; remove it to run a sheet"
        )
    if slotted.count(STYLE_PLACEHOLDER) != 1:
        raise SheetPromptError(
            "the builder's styles have no single place in its prompt, so no sheet can vary them"
        )
    prefix, suffix = slotted.split(STYLE_PLACEHOLDER)
    variants: list[tuple[list[DraftEntry], str | None]] = [([style], None) for style in styles]
    if len(styles) > 1:
        variants.append((styles, BLEND_NAME))
    rows: list[tuple[str, str | None]] = []
    expected: list[str] = []
    for chosen, name in variants:
        positive = rendered_positive(with_styles(draft, chosen))
        fits = len(positive) > len(prefix) + len(suffix)
        if not (fits and positive.startswith(prefix) and positive.endswith(suffix)):
            shown = ", ".join(entry.text for entry in chosen)
            raise SheetPromptError(
                f"the prompt with {shown} alone is ordered differently, so no sheet row fits it"
            )
        rows.append((positive[len(prefix) : len(positive) - len(suffix)], name))
        expected.append(positive)
    no_styles = replace(draft, entries=[entry for entry in draft.entries if entry.kind != STYLE_KIND])
    baseline = rendered_positive(no_styles) if no_styles.entries or no_styles.extra_texts() else ""
    return BuilderSheetPrompts(prefix + STYLE_SLOT + suffix, tuple(rows), tuple(expected), baseline)
