"""The results table and the kind filter chips of the search view."""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Horizontal
from textual.message import Message
from textual.widgets import DataTable, Static

from tui.state.searching import KIND_FILTERS, ResultRow
from tui.widgets.marks import (
    ALIAS_ARROW,
    KIND_SHORT_LABELS,
    VERIFIED_MARK,
    format_count,
    kind_colour,
    kind_mark,
)

KIND_WIDTH = 5
COUNT_WIDTH = 5
VERDICT_WIDTH = 6


class ResultsTable(DataTable[Text]):
    """Search hits: the prompt to paste, kind, post count, verified mark, verdict when known."""

    def __init__(self, **kwargs: object) -> None:
        super().__init__(cursor_type="row", zebra_stripes=False, **kwargs)  # type: ignore[arg-type]
        self.rows_shown: list[ResultRow] = []

    def show_rows(self, rows: list[ResultRow], *, dark: bool) -> None:
        self.rows_shown = list(rows)
        self.clear(columns=True)
        with_verdicts = any(row.verdict for row in rows)
        fixed = [1, KIND_WIDTH, COUNT_WIDTH, 1] + ([VERDICT_WIDTH] if with_verdicts else [])
        # Every column has one cell of padding on each side; the prompt takes what is left.
        prompt_width = max(12, self.size.width - sum(fixed) - 2 * (len(fixed) + 1) - 1)
        self.add_column(" ", key="mark", width=1)
        self.add_column("prompt", key="prompt", width=prompt_width)
        self.add_column("kind", key="kind", width=KIND_WIDTH)
        self.add_column("posts", key="count", width=COUNT_WIDTH)
        self.add_column(VERIFIED_MARK, key="verified", width=1)
        if with_verdicts:
            self.add_column("known", key="verdict", width=VERDICT_WIDTH)
        for row in rows:
            colour = kind_colour(row.kind, row.category, dark=dark)
            prompt_cell = Text()
            if row.alias:
                prompt_cell.append(f"{row.alias} {ALIAS_ARROW} ", style="dim")
            prompt_cell.append(row.prompt, style=colour)
            cells = [
                Text(kind_mark(row.kind), style=colour),
                prompt_cell,
                Text(KIND_SHORT_LABELS.get(row.kind, row.kind[:KIND_WIDTH]), style="dim"),
                Text(format_count(row.count), justify="right"),
                Text(VERIFIED_MARK if row.verified else "", style="bold green"),
            ]
            if with_verdicts:
                cells.append(Text(row.verdict or ""))
            self.add_row(*cells, key=row.key)
        if rows:
            self.move_cursor(row=0, scroll=True)

    def on_resize(self) -> None:
        if self.rows_shown:
            cursor = self.cursor_row
            self.show_rows(self.rows_shown, dark=self.app.current_theme.dark)
            self.move_cursor(row=cursor)

    def highlighted_row(self) -> ResultRow | None:
        if not self.rows_shown or not 0 <= self.cursor_row < len(self.rows_shown):
            return None
        return self.rows_shown[self.cursor_row]


class KindChips(Horizontal):
    """Clickable kind filters; F2–F9 select them from the keyboard."""

    class Chosen(Message):
        def __init__(self, kind: str | None) -> None:
            super().__init__()
            self.kind = kind

    def compose(self) -> ComposeResult:
        for label, key, kind in KIND_FILTERS:
            chip = Static(f"{key.upper()} {label}", classes="chip", id=f"chip-{label}")
            chip.kind_filter = kind  # type: ignore[attr-defined]
            yield chip

    def on_mount(self) -> None:
        self.mark(None)

    def mark(self, kind: str | None) -> None:
        for chip in self.query(".chip"):
            chip.set_class(getattr(chip, "kind_filter", None) == kind, "-active")

    def on_click(self, event: object) -> None:
        widget = getattr(event, "widget", None)
        if widget is not None and widget.has_class("chip"):
            self.post_message(self.Chosen(getattr(widget, "kind_filter", None)))
