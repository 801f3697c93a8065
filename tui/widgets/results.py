"""The results table and the kind filter chips of the search view."""

from __future__ import annotations

import functools
from typing import ClassVar

from rich.console import Console
from rich.segment import Segment
from rich.style import Style
from rich.text import Text
from textual import events
from textual.app import ComposeResult
from textual.binding import BindingType
from textual.containers import Horizontal
from textual.geometry import Size
from textual.message import Message
from textual.reactive import reactive
from textual.scroll_view import ScrollView
from textual.strip import Strip
from textual.widgets import Static

from kb.display_text import visible_controls
from tui.keys import bindings_of
from tui.state.searching import KIND_FILTERS, ResultRow
from tui.widgets.focus_keys import TypesIntoSearch
from tui.widgets.marks import (
    ALIAS_ARROW,
    KIND_SHORT_LABELS,
    VERIFIED_MARK,
    format_count,
    kind_colour,
    kind_mark,
    tier_colour,
    tier_mark,
)

CONSOLE = Console(width=400, color_system="truecolor", legacy_windows=False)
DIM = Style(dim=True)
KIND_WIDTH = 5
COUNT_WIDTH = 5
VERDICT_WIDTH = 6


@functools.cache
def tier_style(tier: str, dark: bool) -> Style:
    """The tier mark's style (built once per tier and theme: rows are drawn on every keystroke)."""
    return Style(bold=True, color=tier_colour(tier, dark=dark))


class ResultsTable(TypesIntoSearch, ScrollView, can_focus=True):
    """Search hits, one line each: mark, the prompt to paste (`alias → prompt` for alias hits),
    kind, post count, tier mark (✓ verified, ○ the author's vocabulary), and the recognition
    verdict when one is known.

    A Line API widget: each keystroke replaces up to 100 rows and only the visible lines are
    drawn, from segments built once per row (a DataTable re-measured every cell, ~70 ms a key).

    Lists come in pages: when more rows exist (`more_available`) and the cursor or the scroll
    comes within `MORE_MARGIN` rows of the end, the table posts `NeedMore` once per length; the
    app appends the next page (`append_rows`), keeping the cursor and the scroll where they are.
    """

    MORE_MARGIN = 20
    PAGE_AHEAD = 100  # how far past the rows shown a move may carry on once the next page is in

    BINDINGS: ClassVar[list[BindingType]] = bindings_of("ResultsTable")
    COMPONENT_CLASSES: ClassVar[set[str]] = {"results--cursor", "results--header"}
    DEFAULT_CSS = """
    ResultsTable > .results--cursor { background: $block-cursor-background; color: $block-cursor-foreground; }
    ResultsTable > .results--header { color: $text-muted; text-style: bold; }
    """

    cursor_row: reactive[int] = reactive(0)

    class RowHighlighted(Message):
        def __init__(self, table: ResultsTable, row: ResultRow | None) -> None:
            super().__init__()
            self.table = table
            self.row = row

        @property
        def control(self) -> ResultsTable:
            return self.table

    class NeedMore(Message):
        """The cursor or the scroll nears the end of the rows shown and more exist: `shown` rows so far."""

        def __init__(self, table: ResultsTable, shown: int) -> None:
            super().__init__()
            self.table = table
            self.shown = shown

        @property
        def control(self) -> ResultsTable:
            return self.table

    class RowSelected(Message):
        def __init__(self, table: ResultsTable, row: ResultRow) -> None:
            super().__init__()
            self.table = table
            self.row = row

        @property
        def control(self) -> ResultsTable:
            return self.table

    def __init__(self, **kwargs: object) -> None:
        super().__init__(**kwargs)  # type: ignore[arg-type]
        self.rows_shown: list[ResultRow] = []
        self._row_segments: dict[int, list[Segment]] = {}
        self._dark = True
        self._with_verdicts = False
        self.more_available = False  # the list has rows past those shown (the app pages them in)
        self._asked_more_at = -1  # the row count NeedMore was last posted for
        self._wanted_row: int | None = None  # a move past the end while the next page loads

    @property
    def row_count(self) -> int:
        return len(self.rows_shown)

    def show_rows(self, rows: list[ResultRow], *, dark: bool, more: bool = False) -> None:
        self.rows_shown = list(rows)
        self._dark = dark
        self._with_verdicts = any(row.verdict for row in rows)
        self._row_segments = {}  # built on first draw: only visible rows cost anything
        self.more_available = more
        self._asked_more_at = -1
        self._wanted_row = None
        self._set_virtual_height(len(rows) + 1)
        self.set_reactive(ResultsTable.cursor_row, 0)
        self.scroll_to(y=0, animate=False, immediate=True)
        self.refresh()
        self.post_message(self.RowHighlighted(self, self.highlighted_row()))
        self._ask_for_more()  # a list shorter than the view asks for its next page at once

    def append_rows(self, rows: list[ResultRow], *, more: bool) -> None:
        """The next page: added below, the cursor and the scroll left where they are."""
        known = {row.key for row in self.rows_shown}
        self.rows_shown += [row for row in rows if row.key not in known]
        self._with_verdicts = self._with_verdicts or any(row.verdict for row in rows)
        if self._with_verdicts:
            self._row_segments = {}  # the verdict column changes every row's width
        self.more_available = more
        self._set_virtual_height(len(self.rows_shown) + 1)
        self.refresh()
        wanted, self._wanted_row = self._wanted_row, None
        if wanted is not None:
            self.move_cursor(row=wanted)  # the keys pressed while the page loaded go on into it
        self._ask_for_more()

    def _ask_for_more(self) -> None:
        """Post NeedMore once per length when the cursor or the bottom of the view nears the end."""
        shown = len(self.rows_shown)
        if not self.more_available or self._asked_more_at == shown:
            return
        bottom = int(self.scroll_offset.y) + max(1, self.scrollable_content_region.height - 1)
        if max(self.cursor_row, bottom) >= shown - self.MORE_MARGIN:
            self._asked_more_at = shown
            self.post_message(self.NeedMore(self, shown))

    def watch_scroll_y(self, old_value: float, new_value: float) -> None:
        super().watch_scroll_y(old_value, new_value)
        self._ask_for_more()

    def _set_virtual_height(self, height: int) -> None:
        """Resize the scrollable area; a whole-screen layout pass only when the scrollbar appears or goes.

        `virtual_size` is a layout reactive: assigning it re-arranges every widget (~5-10 ms a key on
        the full catalog). While the scrollbar stays as it is, the table's own region is unchanged,
        so the size is set without the watcher and only the scrollbar is updated and repainted.
        """
        new_size = Size(self.size.width, height)
        if new_size == self.virtual_size:
            return
        visible = self.scrollable_content_region.height
        scrollbar_stays = self.styles.overflow_y == "auto" and (
            (height > visible) == (self.virtual_size.height > visible)
        )
        if not scrollbar_stays or not self.size.height:
            self.virtual_size = new_size
            return
        self.set_reactive(ResultsTable.virtual_size, new_size)
        self._scroll_update(new_size)  # Textual's own scrollbar sizing, as after a layout

    def _columns(self) -> tuple[int, ...]:
        """(prompt width, then the fixed columns) for the current width; one space between columns."""
        fixed = [1, KIND_WIDTH, COUNT_WIDTH, 1] + ([VERDICT_WIDTH] if self._with_verdicts else [])
        prompt_width = max(10, self.scrollable_content_region.width - sum(fixed) - len(fixed) - 1)
        return (prompt_width, *fixed)

    def _segments(self, row: ResultRow) -> list[Segment]:
        colour = Style(color=kind_colour(row.kind, row.category, dark=self._dark))
        prompt_width = self._columns()[0]
        prompt = Text(no_wrap=True, overflow="ellipsis")
        if row.alias:
            prompt.append(f"{visible_controls(row.alias)} {ALIAS_ARROW} ", style="dim")
        # An ESC in a name must not reach the terminal: control characters show as `\u001b`.
        prompt.append(visible_controls(row.prompt), style=colour)
        if row.description:
            prompt.append(f"  {visible_controls(row.description)}", style="dim italic")
        prompt.truncate(prompt_width, overflow="ellipsis", pad=True)
        parts: list[Segment] = [Segment(" "), Segment(kind_mark(row.kind), colour), Segment(" ")]
        parts += list(prompt.render(CONSOLE, end=""))
        parts += [
            Segment(" "),
            Segment(f"{KIND_SHORT_LABELS.get(row.kind, row.kind[:KIND_WIDTH]):<{KIND_WIDTH}}", DIM),
            Segment(f" {format_count(row.count):>{COUNT_WIDTH}} "),
            Segment(tier_mark(row.tier), tier_style(row.tier, self._dark)),
        ]
        if self._with_verdicts:
            parts.append(Segment(f" {(row.verdict or ''):<{VERDICT_WIDTH}}"))
        return parts

    def _header(self) -> list[Segment]:
        widths = self._columns()
        header = f"   {'prompt':<{widths[0]}} {'kind':<{KIND_WIDTH}} {'posts':>{COUNT_WIDTH}} {VERIFIED_MARK}"
        if self._with_verdicts:
            header += f" {'known':<{VERDICT_WIDTH}}"
        return [Segment(header)]

    def render_line(self, y: int) -> Strip:
        width = self.scrollable_content_region.width
        if y == 0:
            header_style = self.get_component_rich_style("results--header")
            return Strip(self._header()).crop_extend(0, width, None).apply_style(header_style)
        index = y - 1 + int(self.scroll_offset.y)
        if not 0 <= index < len(self.rows_shown):
            return Strip.blank(width, self.rich_style)
        segments = self._row_segments.get(index)
        if segments is None:
            segments = self._row_segments[index] = self._segments(self.rows_shown[index])
        strip = Strip(segments).crop_extend(0, width, None)
        if index == self.cursor_row:
            strip = strip.apply_style(self.get_component_rich_style("results--cursor"))
        return strip.apply_style(self.rich_style)

    def on_resize(self) -> None:
        if self.rows_shown:
            cursor = self.cursor_row
            self.show_rows(self.rows_shown, dark=self._dark)
            self.move_cursor(row=cursor)

    def watch_cursor_row(self, old_row: int, new_row: int) -> None:
        self.refresh()
        self.post_message(self.RowHighlighted(self, self.highlighted_row()))
        self._ask_for_more()

    def move_cursor(self, *, row: int, scroll: bool = True) -> None:
        if not self.rows_shown:
            return
        last = len(self.rows_shown) - 1
        # Past the end of a list with more: go on there (at most a page on) once the page is in.
        going_on = row > last and self.more_available
        self._wanted_row = min(row, last + self.PAGE_AHEAD) if going_on else None
        self.cursor_row = max(0, min(len(self.rows_shown) - 1, row))
        if scroll:
            # Line 0 is the header: rows i are visible when scroll_y <= i <= scroll_y + height - 2.
            visible_rows = max(1, self.scrollable_content_region.height - 1)
            top = int(self.scroll_offset.y)
            if self.cursor_row < top:
                self.scroll_to(y=self.cursor_row, animate=False, immediate=True)
            elif self.cursor_row >= top + visible_rows:
                self.scroll_to(y=self.cursor_row - visible_rows + 1, animate=False, immediate=True)

    def action_cursor(self, rows: int) -> None:
        self.move_cursor(row=self.cursor_position + rows)

    @property
    def cursor_position(self) -> int:
        """Where the cursor is going: its row, or the row past the end it waits to reach."""
        return self._wanted_row if self._wanted_row is not None else self.cursor_row

    def action_select(self) -> None:
        row = self.highlighted_row()
        if row is not None:
            self.post_message(self.RowSelected(self, row))

    def on_click(self, event: events.Click) -> None:
        index = event.y - 1 + int(self.scroll_offset.y)
        if 0 <= index < len(self.rows_shown):
            if index == self.cursor_row and event.chain >= 2:
                self.action_select()
            self.move_cursor(row=index, scroll=False)

    def highlighted_row(self) -> ResultRow | None:
        if not self.rows_shown or not 0 <= self.cursor_row < len(self.rows_shown):
            return None
        return self.rows_shown[self.cursor_row]


class KindChips(Horizontal):
    """Clickable kind filters (F2–F9 select them from the keyboard) and the AIDXL-likely filter
    (ctrl+l), which combines with any kind: F3 + ctrl+l = the model's probable style triggers."""

    # The tier chip's three states read differently in text, not only in colour (a terminal may
    # show the colours alike): every tier, AIDXL-likely, verified only.
    ALL_TIERS_LABEL = "^L all tiers"
    LIKELY_LABEL = "^L likely"
    VERIFIED_LABEL = "^L verified"

    class Chosen(Message):
        def __init__(self, kind: str | None) -> None:
            super().__init__()
            self.kind = kind

    class LikelyToggled(Message):
        """The likely chip was clicked."""

    def compose(self) -> ComposeResult:
        for label, key, kind in KIND_FILTERS:
            chip = Static(f"{key.upper()} {label}", classes="chip", id=f"chip-{label}")
            chip.kind_filter = kind  # type: ignore[attr-defined]
            yield chip
        likely = Static(self.ALL_TIERS_LABEL, classes="chip tier-chip", id="chip-likely")
        likely.tooltip = (
            "AIDXL-likely: verified (✓) and the model author's vocabulary (○) only; "
            "again: verified only; again: every tier"
        )
        yield likely

    def on_mount(self) -> None:
        self.mark(None)

    def mark(self, kind: str | None, likely: bool | None = None, *, verified: bool = False) -> None:
        for chip in self.query(".chip"):
            if chip.id == "chip-likely":
                if likely is not None:
                    chip.set_class(likely or verified, "-active")
                    assert isinstance(chip, Static)
                    chip.update(self.tier_label(bool(likely), verified))
                continue
            chip.set_class(getattr(chip, "kind_filter", None) == kind, "-active")

    @classmethod
    def tier_label(cls, likely: bool, verified: bool) -> str:
        if verified:
            return cls.VERIFIED_LABEL
        return cls.LIKELY_LABEL if likely else cls.ALL_TIERS_LABEL

    def on_click(self, event: object) -> None:
        widget = getattr(event, "widget", None)
        if widget is None or not widget.has_class("chip"):
            return
        if widget.id == "chip-likely":
            self.post_message(self.LikelyToggled())
        else:
            self.post_message(self.Chosen(getattr(widget, "kind_filter", None)))
