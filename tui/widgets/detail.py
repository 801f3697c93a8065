"""The detail pane: every syntax form of the selected entry and what the catalog knows about it:
its tier and source, a character's gender, appearance and outfit (ctrl+n / ctrl+o add them), a
copyright's characters (ctrl+s lists them), the author's implications.

The forms are one line each, never wrapped mid-tag: a form wider than the pane ends with `…`.
alt+a / alt+p / alt+s / alt+o copy the A1111, plain, sentence and `1 `-prefixed form from the search
box (alt+digits are not keys: terminals send them as characters such as `£`); tab focuses them
(↑ ↓ choose one, which then shows whole; enter inserts the chosen one into the builder, ctrl+c
copies it; escape or tab goes back to the search box). Letters and digits typed there are search
text: they go to the search box, which takes the focus back (never a command).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

from rich.style import Style
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import BindingType
from textual.containers import VerticalScroll
from textual.content import Content
from textual.geometry import Size
from textual.message import Message
from textual.widgets import Static

from kb.display_text import visible_controls
from kb.knowledge.tagforms import to_prompt_form
from tui.keys import bindings_of
from tui.state.catalog_view import EntryDetail, SyntaxForm, forms_with_noun, other_noun
from tui.state.character_features import CHANTS_HINT
from tui.widgets.focus_keys import TypesIntoSearch
from tui.widgets.marks import (
    KIND_LABELS,
    TIER_SHORT_LABELS,
    format_count,
    kind_colour,
    kind_mark,
    tier_colour,
    tier_mark,
)
from tui.widgets.view_actions import RunsViewActions, view_action

if TYPE_CHECKING:
    from kb.catalog import SourceRef
    from kb.knowledge.author_tables import TagImplications
    from kb.knowledge.character_info import CharacterInfo

SOURCE_NAME_WIDTH = 22
FORM_LABEL_WIDTH = 9  # `sentence ` / `1 prefix `: the forms' texts start in one column
# The alt+letter that copies each form from the search box (the app's bindings are built from it).
FORM_KEYS_HINT = "alt+a/p/s/o copy · tab: choose, enter insert"
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


@dataclass(frozen=True)
class DetailText:
    """The pane's text and which of its lines are forms (line number → the column its text starts
    at): those are cut with `…`, never wrapped, except the chosen one, shown whole."""

    text: Text
    form_lines: dict[int, int] = field(default_factory=dict)
    chosen_line: int | None = None


def detail_text(detail: EntryDetail, *, dark: bool) -> Text:
    """The pane's text (tests and the plain view read it)."""
    return detail_layout(detail, dark=dark).text


def detail_layout(
    detail: EntryDetail, *, dark: bool, chosen_form: int | None = None, noun: str | None = None
) -> DetailText:
    """The pane's text with its form lines marked; `chosen_form` is highlighted and shown whole,
    `noun` (girl / boy) overrides the sentence's."""
    colour = kind_colour(detail.kind, detail.category, dark=dark)
    form_lines: dict[int, int] = {}
    chosen_line: int | None = None
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
    for position, form in enumerate(forms_with_noun(detail, noun)):
        line = text.plain.count("\n")
        form_lines[line] = FORM_LABEL_WIDTH + 3
        chosen = position == chosen_form
        if chosen:
            chosen_line = line
        label_style = "bold reverse" if chosen else "dim"
        text.append(f"{position + 1} ", style=label_style)
        text.append(f"{form.label:<{FORM_LABEL_WIDTH}}", style=label_style)
        text.append(f" {visible_controls(form.text)}\n", style="reverse" if chosen else "")
        if form.label == "sentence" and character is not None:
            text.append(f"  {gender_note(character, noun)}\n", style="dim")
    text.append(f"  {FORM_KEYS_HINT}\n", style="dim")
    if detail.forms_missing:
        text.append(f" {detail.forms_missing}\n", style="dim italic")
    if detail.copyright:
        text.append("\ncopyright ", style="bold")
        text.append(f"{visible_controls(detail.copyright)}\n")
    if detail.copyright_tag and detail.copyright_characters:
        noun = "character" if detail.copyright_characters == 1 else "characters"
        text.append(
            f"^s lists its {detail.copyright_characters:,} {noun}",
            style=action_link(view_action("copyright_characters")),
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
    hints = ["Enter lists its characters" if detail.kind == "copyright" else "Enter add", "^f favourite"]
    hints.append("^g preview")
    if detail.features_known:
        hints[1:1] = ["^n looks", "^o outfit"]
    if detail.copyright_tag and detail.copyright_characters:
        hints.append("^s characters")
    text.append("\n" + " · ".join(hints), style="dim")
    return DetailText(text, form_lines, chosen_line)


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


def gender_note(character: CharacterInfo, noun: str | None = None) -> str:
    """Which noun the sentence uses and who says so: `girl: character-chants · alt+g: boy`."""
    switch = f" · alt+g: {other_noun(noun or character.noun)}"
    if noun is not None and noun != character.noun:
        return f"{noun}: chosen (the sources say {character.noun})" + switch
    if character.gender_source is None:
        return f"{character.noun}: the card's default" + switch
    return f"{character.noun}: {source_name(character.gender_source)}" + switch


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
        ("appearance", features.appearance, "^n", view_action("add_features('appearance')")),
        ("outfit", features.outfit, "^o", view_action("add_features('outfit')")),
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


def hanging_lines(
    text: Text, width: int, form_lines: dict[int, int] | None = None, chosen_line: int | None = None
) -> list[Content]:
    """`text` wrapped to `width`, each wrapped line indented under its first: as deep as the first
    line's own indent (`  a girl named 2b from` / `  nier:automata series`), else HANGING_INDENT
    (`aliases ganyu, kan'u` / `  (genshin impact)`). `form_lines` (line → column of its text) are
    cut to the width with `…` instead, but for `chosen_line`, wrapped under its text's column."""
    pieces = list(text.split("\n", allow_blank=True))
    if text.plain.endswith("\n"):
        pieces.pop()  # the newline ends the last line; no empty line after it
    form_lines = form_lines or {}
    lines: list[Content] = []
    for number, piece in enumerate(pieces):
        plain = piece.plain
        if number in form_lines and number != chosen_line and len(plain) > width:
            cut = piece.copy()
            cut.truncate(max(1, width), overflow="ellipsis")
            lines.append(Content.from_rich_text(cut))
            continue
        lead = len(plain) - len(plain.lstrip(" "))
        hang = max(lead, HANGING_INDENT)
        if number in form_lines:
            # The chosen form, whole: its text wrapped in its own column, the label beside it.
            column = min(form_lines[number], max(HANGING_INDENT, width // 2))
            content = Content.from_rich_text(piece)
            text_lines = content[column:].wrap(max(1, width - column))
            lines += [
                (content[:column] if index == 0 else Content(" " * column)) + line
                for index, line in enumerate(text_lines)
            ]
            continue
        body = Content.from_rich_text(piece)[lead:]
        wrapped = body.wrap(max(1, width - hang)) if body.plain else [body]
        lines += [Content(" " * (lead if index == 0 else hang)) + line for index, line in enumerate(wrapped)]
    return lines


class DetailBody(RunsViewActions, Static):
    """The detail text with hanging indents (Textual's wrapping starts every line at column 0)."""

    def __init__(self, text: str, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.text = Text(text)
        self.layout_of_text = DetailText(self.text)
        self._laid_out: tuple[DetailText, int, list[Content]] | None = None  # see lines_at
        self.update(self.text)

    @property
    def plain(self) -> str:
        """The text before wrapping (tests read it)."""
        return self.text.plain

    def show_text(self, text: Text | DetailText) -> None:
        self.layout_of_text = text if isinstance(text, DetailText) else DetailText(text)
        self.text = self.layout_of_text.text
        self.update(self.text)

    def lines_at(self, width: int) -> list[Content]:
        # Kept for the text and width last laid out: a frame asks for them two or three times
        # (the height, then the render), and a new detail is painted with its results (bench/tui.py).
        shown = self.layout_of_text
        laid_out = self._laid_out
        if laid_out is not None and laid_out[0] is shown and laid_out[1] == width:
            return laid_out[2]
        lines = hanging_lines(shown.text, width, shown.form_lines, shown.chosen_line)
        self._laid_out = (shown, width, lines)
        return lines

    def get_content_height(self, container: Size, viewport: Size, width: int) -> int:
        return len(self.lines_at(width)) if width > 0 else 0

    def render(self) -> Content:
        width = self.content_size.width
        if width <= 0:
            return Content.from_rich_text(self.text)
        return Content("\n").join(self.lines_at(width))


class DetailPane(RunsViewActions, TypesIntoSearch, VerticalScroll):
    """Right of the results: the selected entry, its forms, and its cached preview. Scrolls with
    the mouse, or shift+pgup / shift+pgdn and alt+↑ / alt+↓ while the search box has the focus.
    Focused (tab from the search box), its keys act on the forms (see the module docstring)."""

    DETAIL_LINES_PER_STEP = 3
    BINDINGS: ClassVar[list[BindingType]] = bindings_of("DetailPane")

    class FormChosen(Message):
        """A form is to be copied or inserted (`use`: copy | insert)."""

        def __init__(self, form: SyntaxForm, use: str) -> None:
            super().__init__()
            self.form = form
            self.use = use

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.detail: EntryDetail | None = None
        self.dark = True
        self.chosen_form = 0
        self.nouns: dict[str, str] = {}  # character tag -> the sentence's noun chosen with alt+g

    def compose(self) -> ComposeResult:
        yield DetailBody("Type to search the catalog.", id="detail-body")
        yield Static("", id="detail-preview")
        yield Static("", id="detail-sheet").set_styles("display: none;")

    def show(self, detail: EntryDetail | None, *, dark: bool, message: str = "") -> None:
        body = self.query_one("#detail-body", DetailBody)
        for old in self.query(".preview-image"):
            old.remove()
        self.detail, self.dark = detail, dark
        self.chosen_form = 0
        if detail is None:
            body.show_text(Text(message))  # kb's hints and errors: paths, TOML, never markup
        else:
            self.redraw()
        self.scroll_home(animate=False)

    @property
    def noun(self) -> str | None:
        """The sentence's noun chosen for the character shown (None: the sources' own)."""
        detail = self.detail
        return self.nouns.get(detail.tag or "") if detail is not None and detail.character else None

    def forms(self) -> tuple[SyntaxForm, ...]:
        """The forms shown, the sentence with the chosen noun."""
        return forms_with_noun(self.detail, self.noun) if self.detail is not None else ()

    def redraw(self) -> None:
        if self.detail is None:
            return
        chosen = self.chosen_form if self.has_focus else None
        layout = detail_layout(self.detail, dark=self.dark, chosen_form=chosen, noun=self.noun)
        self.query_one("#detail-body", DetailBody).show_text(layout)
        if layout.chosen_line is not None:
            line = layout.chosen_line
            # After the refresh that lays out the new text (its height may have changed).
            self.call_after_refresh(lambda: self.scroll_to(y=max(0, line - 2), animate=False))

    def toggle_noun(self) -> str | None:
        """girl ↔ boy for the shown character's sentence; the noun now used, None without one."""
        detail = self.detail
        if detail is None or detail.character is None or detail.tag is None:
            return None
        noun = other_noun(self.noun or detail.character.noun)
        self.nouns[detail.tag] = noun
        self.redraw()
        return noun

    def on_focus(self) -> None:
        self.call_after_refresh(self.redraw)  # once focused: the chosen form is highlighted

    def on_blur(self) -> None:
        self.redraw()

    def action_choose_form(self, step: int) -> None:
        count = len(self.forms())
        if count:
            self.chosen_form = (self.chosen_form + step) % count
            self.redraw()

    def action_use_form(self, use: str) -> None:
        forms = self.forms()
        if forms:
            self.post_message(self.FormChosen(forms[min(self.chosen_form, len(forms) - 1)], use))

    def scroll_by_keys(self, direction: int, *, page: bool) -> None:
        """A page (less a line, for context) or a few lines down (1) or up (-1)."""
        step = max(1, self.scrollable_content_region.height - 1) if page else self.DETAIL_LINES_PER_STEP
        self.scroll_relative(y=direction * step, animate=False)

    def show_preview(self, image_path: Path) -> None:
        """Replace the preview slot by the image (cached or just generated); a random-weight image
        gets its RANDOM WEIGHTS caption under it (its pixels carry the label too)."""
        from kb.generate.cache import random_weights_of
        from tui.state.generation_view import RANDOM_WEIGHTS_CAPTION

        for old in self.query(".preview-image"):
            old.remove()
        self.mount(preview_widget(image_path))
        if random_weights_of(image_path):  # gen (issue 12 item 6)
            caption = Text(RANDOM_WEIGHTS_CAPTION, style="bold black on yellow")
            self.mount(Static(caption, classes="preview-image").set_styles("height: auto; margin-top: 0;"))

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
