"""The detail pane: every syntax form of the selected entry and what the catalog knows about it:
its tier and source, a character's gender, appearance and outfit (ctrl+n / ctrl+o add them), a
copyright's characters (ctrl+s lists them), the author's implications."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from rich.style import Style
from rich.text import Text
from textual.app import ComposeResult
from textual.containers import VerticalScroll
from textual.content import Content
from textual.geometry import Size
from textual.widgets import Static

from kb.display_text import visible_controls
from kb.knowledge.tagforms import to_prompt_form
from tui.state.catalog_view import EntryDetail
from tui.state.character_features import CHANTS_HINT
from tui.widgets.marks import (
    KIND_LABELS,
    TIER_SHORT_LABELS,
    format_count,
    kind_colour,
    kind_mark,
    tier_colour,
    tier_mark,
)

if TYPE_CHECKING:
    from kb.catalog import SourceRef
    from kb.knowledge.author_tables import TagImplications
    from kb.knowledge.character_info import CharacterInfo

SOURCE_NAME_WIDTH = 22
IMPLICATIONS_SHOWN = 12
CATEGORY_NAMES = {0: "general", 1: "artist", 3: "copyright", 4: "character", 5: "meta", 9: "rating"}


def source_name(source: SourceRef | None) -> str:
    """A source as the detail pane names it: its registry name, else its file."""
    if source is None:
        return "unknown source"
    if source.kind == "curated":
        return f"curated {source.file_name}"
    return source.name or source.file_name


def action_link(action: str) -> Style:
    """A clickable part of the pane (Textual runs `action` on a click)."""
    return Style(bold=True, underline=True, meta={"@click": action})


def detail_text(detail: EntryDetail, *, dark: bool) -> Text:
    colour = kind_colour(detail.kind, detail.category, dark=dark)
    text = Text()
    text.append(f"{kind_mark(detail.kind)} ".lstrip(), style=colour)
    text.append(visible_controls(detail.prompt), style=f"bold {colour}")
    text.append("\n")
    facts = [KIND_LABELS.get(detail.kind, detail.kind)]
    if detail.category is not None:
        facts.append(f"danbooru {CATEGORY_NAMES.get(detail.category, detail.category)}")
    if detail.count is not None:
        facts.append(f"{format_count(detail.count)} posts")
    text.append(" · ".join(facts), style="dim")
    text.append("\n")
    tier_text(text, detail, dark=dark)
    if detail.description:
        text.append(f"\n{visible_controls(detail.description, keep=chr(10))}\n", style="italic")
    character = detail.character
    if character is not None:
        features_text(text, detail)  # first: what ctrl+n / ctrl+o add, above the fold at 80×24
    text.append("\nforms", style="bold underline")
    if character is not None and character.form_source is not None:
        text.append(f"  form: {source_name(character.form_source)}", style="dim")
    text.append("\n")
    for form in detail.forms:
        text.append(form.label, style="dim")
        if form.label == "sentence" and character is not None:
            text.append(f"  {gender_note(character)}", style="dim")
        text.append("\n")
        text.append(f"  {visible_controls(form.text)}\n")
    if detail.forms_missing:
        text.append(f" {detail.forms_missing}\n", style="dim italic")
    if detail.copyright:
        text.append("\ncopyright ", style="bold")
        text.append(f"{visible_controls(detail.copyright)}\n")
    if detail.copyright_tag and detail.copyright_characters:
        noun = "character" if detail.copyright_characters == 1 else "characters"
        text.append(
            f"^s lists its {detail.copyright_characters:,} {noun}",
            style=action_link("app.copyright_characters"),
        )
        text.append("\n")
    if detail.tag:
        text.append("tag ", style="bold")
        text.append(f"{visible_controls(detail.tag)}\n")
    if detail.aliases:
        text.append("aliases ", style="bold")
        text.append(visible_controls(", ".join(detail.aliases)) + "\n")
    if detail.implications is not None:
        implications_text(text, detail.implications)
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
        text.append(visible_controls(", ".join(detail.related)) + "\n")
    hints = ["Enter add", "^f favourite", "^g preview"]
    if detail.features_known:
        hints[1:1] = ["^n looks", "^o outfit"]
    if detail.copyright_tag and detail.copyright_characters:
        hints.append("^s characters")
    text.append("\n" + " · ".join(hints), style="dim")
    return text


def tier_text(text: Text, detail: EntryDetail, *, dark: bool) -> None:
    """`✓ verified AIDXL trigger · from artist_styles.toml`: the tier and where the trigger comes from."""
    if detail.tier is None:
        return
    style = f"bold {tier_colour(detail.tier, dark=dark)}"
    mark = tier_mark(detail.tier).strip()
    text.append(f"{mark} " if mark else "", style=style)
    text.append(TIER_SHORT_LABELS.get(detail.tier, detail.tier), style=style)
    text.append("\n")
    if detail.trigger_source is not None:
        text.append(f"  from {source_name(detail.trigger_source)}\n", style="dim")


def gender_note(character: CharacterInfo) -> str:
    """Which noun the sentence uses and who says so: `girl: character-chants`."""
    if character.gender_source is None:
        return f"{character.noun}: the card's default"
    return f"{character.noun}: {source_name(character.gender_source)}"


def features_text(text: Text, detail: EntryDetail) -> None:
    """The character's appearance and outfit (author's caption order), each with its add key."""
    character = detail.character
    if character is None:
        return
    features = character.features
    if not features.appearance and not features.outfit:
        text.append("\nappearance, outfit", style="bold underline")
        text.append(f"\n  none known; {CHANTS_HINT}\n", style="dim italic")
        return
    for heading, part, key, action in (
        ("appearance", features.appearance, "^n", "app.add_features('appearance')"),
        ("outfit", features.outfit, "^o", "app.add_features('outfit')"),
    ):
        text.append(f"\n{heading}", style="bold underline")
        if part:
            text.append("  ")
            text.append(f"{key} adds", style=action_link(action))
            text.append(f"\n  {', '.join(part)}\n")
        else:
            text.append("\n  none known\n", style="dim italic")
    text.append(f"  from {source_name(features.source)}\n", style="dim")


def implications_text(text: Text, implications: TagImplications) -> None:
    """What the tag implies and what implies it (the author's table: a caption drops implied tags)."""
    text.append("\nimplications", style="bold underline")
    sources = ", ".join(source_name(source) for source in implications.sources)
    if sources:
        text.append(f"  from {sources}", style="dim")
    text.append("\n")
    for label, tags in (("implies", implications.implies), ("implied by", implications.implied_by)):
        if tags:
            text.append(f"{label} ", style="bold")
            shown = [to_prompt_form(tag) for tag in tags[:IMPLICATIONS_SHOWN]]
            more = len(tags) - len(shown)
            text.append(", ".join(shown) + (f" (+{more} more)" if more > 0 else "") + "\n")


HANGING_INDENT = 2  # a wrapped line of an unindented paragraph continues this far in


def hanging_lines(text: Text, width: int) -> list[Content]:
    """`text` wrapped to `width`, each wrapped line indented under its first: as deep as the first
    line's own indent (`  a girl named 2b from` / `  nier:automata series`), else HANGING_INDENT
    (`aliases ganyu, kan'u` / `  (genshin impact)`)."""
    pieces = list(text.split("\n", allow_blank=True))
    if text.plain.endswith("\n"):
        pieces.pop()  # the newline ends the last line; no empty line after it
    lines: list[Content] = []
    for piece in pieces:
        plain = piece.plain
        lead = len(plain) - len(plain.lstrip(" "))
        hang = max(lead, HANGING_INDENT)
        body = Content.from_rich_text(piece)[lead:]
        wrapped = body.wrap(max(1, width - hang)) if body.plain else [body]
        lines += [Content(" " * (lead if index == 0 else hang)) + line for index, line in enumerate(wrapped)]
    return lines


class DetailBody(Static):
    """The detail text with hanging indents (Textual's wrapping starts every line at column 0)."""

    def __init__(self, text: str, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.text = Text(text)
        self.update(self.text)

    @property
    def plain(self) -> str:
        """The text before wrapping (tests read it)."""
        return self.text.plain

    def show_text(self, text: Text) -> None:
        self.text = text
        self.update(text)

    def get_content_height(self, container: Size, viewport: Size, width: int) -> int:
        return len(hanging_lines(self.text, width)) if width > 0 else 0

    def render(self) -> Content:
        width = self.content_size.width
        if width <= 0:
            return Content.from_rich_text(self.text)
        return Content("\n").join(hanging_lines(self.text, width))


class DetailPane(VerticalScroll):
    """Right of the results: the selected entry, its forms, and its cached preview. Scrolls with
    the mouse, or shift+pgup / shift+pgdn and alt+↑ / alt+↓ while the search box has the focus."""

    DETAIL_LINES_PER_STEP = 3

    def compose(self) -> ComposeResult:
        yield DetailBody("Type to search the catalog.", id="detail-body")
        yield Static("", id="detail-preview")
        yield Static("", id="detail-sheet").set_styles("display: none;")

    def show(self, detail: EntryDetail | None, *, dark: bool, message: str = "") -> None:
        body = self.query_one("#detail-body", DetailBody)
        for old in self.query(".preview-image"):
            old.remove()
        if detail is None:
            body.show_text(Text(message))  # kb's hints and errors: paths, TOML, never markup
        else:
            body.show_text(detail_text(detail, dark=dark))
        self.scroll_home(animate=False)

    def scroll_by_keys(self, direction: int, *, page: bool) -> None:
        """A page (less a line, for context) or a few lines down (1) or up (-1)."""
        step = max(1, self.scrollable_content_region.height - 1) if page else self.DETAIL_LINES_PER_STEP
        self.scroll_relative(y=direction * step, animate=False)

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
        return Static(Text(f"preview: {image_path}"), classes="preview-image")
    return ImageWidget(str(image_path), classes="preview-image")  # type: ignore[return-value]
