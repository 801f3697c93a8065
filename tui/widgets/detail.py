"""The detail pane: every syntax form of the selected entry and what the catalog knows about it."""

from __future__ import annotations

from pathlib import Path

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import VerticalScroll
from textual.widgets import Static

from tui.state.catalog_view import EntryDetail
from tui.widgets.marks import KIND_LABELS, VERIFIED_MARK, format_count, kind_colour, kind_mark

SOURCE_NAME_WIDTH = 22
CATEGORY_NAMES = {0: "general", 1: "artist", 3: "copyright", 4: "character", 5: "meta", 9: "rating"}


def detail_text(detail: EntryDetail, *, dark: bool) -> Text:
    colour = kind_colour(detail.kind, detail.category, dark=dark)
    text = Text()
    text.append(f"{kind_mark(detail.kind)} ".lstrip(), style=colour)
    text.append(detail.prompt, style=f"bold {colour}")
    text.append("\n")
    facts = [KIND_LABELS.get(detail.kind, detail.kind)]
    if detail.category is not None:
        facts.append(f"danbooru {CATEGORY_NAMES.get(detail.category, detail.category)}")
    if detail.count is not None:
        facts.append(f"{format_count(detail.count)} posts")
    text.append(" · ".join(facts), style="dim")
    if detail.verified:
        text.append(f"  {VERIFIED_MARK} AIDXL trigger", style="bold green")
    text.append("\n")
    if detail.description:
        text.append(f"\n{detail.description}\n", style="italic")
    text.append("\nforms\n", style="bold underline")
    for form in detail.forms:
        text.append(f"{form.label}\n", style="dim")
        text.append(f"  {form.text}\n")
    if detail.forms_missing:
        text.append(f" {detail.forms_missing}\n", style="dim italic")
    if detail.copyright:
        text.append("\ncopyright ", style="bold")
        text.append(f"{detail.copyright}\n")
    if detail.tag:
        text.append("tag ", style="bold")
        text.append(f"{detail.tag}\n")
    if detail.aliases:
        text.append("aliases ", style="bold")
        text.append(", ".join(detail.aliases) + "\n")
    if detail.counts_per_source:
        text.append("\nposts per source\n", style="bold underline")
        for file_name, count in detail.counts_per_source:
            shown_name = (
                file_name if len(file_name) <= SOURCE_NAME_WIDTH else file_name[: SOURCE_NAME_WIDTH - 1] + "…"
            )
            text.append(f" {format_count(count):>6} {shown_name}\n")
    if detail.note:
        text.append(f"\nsource: {detail.note}\n", style="dim")
    if detail.related:
        text.append(f"\n{detail.related_label}\n", style="bold underline")
        text.append(", ".join(detail.related) + "\n")
    text.append("\nEnter add · ^f favourite · ^g preview", style="dim")
    return text


class DetailPane(VerticalScroll):
    """Right of the results: the selected entry, its forms, and its cached preview."""

    def compose(self) -> ComposeResult:
        yield Static("Type to search the catalog.", id="detail-body")
        yield Static("", id="detail-preview")
        yield Static("", id="detail-sheet").set_styles("display: none;")

    def show(self, detail: EntryDetail | None, *, dark: bool, message: str = "") -> None:
        body = self.query_one("#detail-body", Static)
        for old in self.query(".preview-image"):
            old.remove()
        if detail is None:
            body.update(message)
        else:
            body.update(detail_text(detail, dark=dark))
        self.scroll_home(animate=False)

    def show_preview(self, image_path: Path) -> None:
        """Replace the preview slot by the image (cached or just generated)."""
        for old in self.query(".preview-image"):
            old.remove()
        self.mount(preview_widget(image_path))

    def show_sheet(self, page: Path, html: Path) -> None:
        """The last sheet's files, below the entry (kept while the selection changes)."""
        text = Text()
        text.append("\nlast style sheet\n", style="bold underline")
        text.append(f"page  {page}\nindex {html}\n")
        sheet = self.query_one("#detail-sheet", Static)
        sheet.update(text)
        sheet.display = True


def preview_widget(image_path: object) -> Static:
    """The preview thumbnail: terminal graphics via textual-image, half-blocks where unsupported."""
    try:
        from textual_image.widget import Image as ImageWidget
    except ImportError:
        return Static(f"preview: {image_path}", classes="preview-image")
    return ImageWidget(str(image_path), classes="preview-image")  # type: ignore[return-value]
