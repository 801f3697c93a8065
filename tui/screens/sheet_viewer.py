"""A style sheet's pages in the terminal: the page image, its rows' and columns' labels, page keys.

The picture is drawn by textual-image (Kitty or Sixel graphics where the terminal has them, else
half-block characters); the labels come from the sheet's sidecar, so each row of the picture can
be read beside it even where the page's own lettering is too small to show.
"""

from __future__ import annotations

from typing import Any, ClassVar

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import BindingType
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widget import Widget
from textual.widgets import Static

from kb.display_text import visible_controls
from tui.keys import bindings_of
from tui.state.generation_view import RANDOM_WEIGHTS_CAPTION, SheetPages, SheetPageView
from tui.widgets.preview_panel import panel_picture


def labels_text(page: SheetPageView) -> Text:
    """`rows (top to bottom)` then each row's label numbered, then the columns."""
    text = Text()
    text.append("rows, top to bottom\n", style="bold")
    for number, label in enumerate(page.rows, start=1):
        text.append(f"{number:>2} ", style="dim")
        text.append(visible_controls(label) + "\n")
    text.append("columns, left to right\n", style="bold")
    for number, label in enumerate(page.columns, start=1):
        text.append(f"{number:>2} ", style="dim")
        text.append(visible_controls(label) + "\n")
    return text


class SheetViewerScreen(ModalScreen[None]):
    BINDINGS: ClassVar[list[BindingType]] = bindings_of("SheetViewerScreen")
    DEFAULT_CSS = """
    SheetViewerScreen { align: center middle; }
    SheetViewerScreen #sheet-viewer { width: 95%; height: 95%; border: round $primary; background: $surface; }
    SheetViewerScreen #sheet-viewer-title { height: auto; }
    SheetViewerScreen #sheet-viewer-body { height: 1fr; }
    SheetViewerScreen .panel-picture { width: auto; height: 1fr; }  /* auto: the page keeps its shape */
    SheetViewerScreen #sheet-viewer-labels { width: 34; height: 1fr; padding: 0 1; overflow-y: auto; }
    SheetViewerScreen #sheet-viewer-keys { height: 1; }
    """

    def __init__(self, pages: SheetPages, start: int = 0) -> None:
        super().__init__()
        self.pages = pages
        self.index = max(0, min(start, len(pages.pages) - 1))

    def compose(self) -> ComposeResult:
        with Vertical(id="sheet-viewer"):
            yield Static("", id="sheet-viewer-title")
            with Horizontal(id="sheet-viewer-body"):
                yield Static("", id="sheet-viewer-labels")
            yield Static(
                Text("→/n next page · ←/p previous · home/end first/last · escape closes", style="dim"),
                id="sheet-viewer-keys",
            )

    def on_mount(self) -> None:
        self.show_page()

    @property
    def page(self) -> SheetPageView:
        return self.pages.pages[self.index]

    def title_text(self) -> Text:
        page = self.page
        text = Text()
        if self.pages.random_weights:
            text.append(RANDOM_WEIGHTS_CAPTION, style="bold black on yellow")
            text.append("  ")
        text.append(visible_controls(self.pages.title), style="bold")
        text.append(f" · page {page.number}/{len(self.pages.pages)} · {page.size[0]}×{page.size[1]} px")
        text.append(f" · {visible_controls(self.pages.model_label)}\n", style="dim")
        text.append(visible_controls(str(page.file)), style="dim")
        return text

    def show_page(self) -> None:
        self.query_one("#sheet-viewer-title", Static).update(self.title_text())
        for old in self.query(".panel-picture"):
            old.remove()
        body = self.query_one("#sheet-viewer-body", Horizontal)
        body.mount(panel_picture(self.page.file), before=self.query_one("#sheet-viewer-labels"))
        self.query_one("#sheet-viewer-labels", Static).update(labels_text(self.page))

    def picture(self) -> Widget | None:
        found = list(self.query(".panel-picture"))
        return found[0] if found else None

    def action_page(self, step: int) -> None:
        target = max(0, min(len(self.pages.pages) - 1, self.index + step))
        if target != self.index:
            self.index = target
            self.show_page()

    def action_page_to(self, where: int) -> None:
        self.index = 0 if where == 0 else len(self.pages.pages) - 1
        self.show_page()

    def action_close(self) -> None:
        self.dismiss(None)


def open_sheet_viewer(app: Any, sidecar: Any) -> str | None:
    """Push the viewer for a sheet's sidecar; returns a one-line reason when it cannot be read."""
    from kb.errors import AidxlError
    from tui.state.generation_view import load_sheet_pages

    try:
        pages = load_sheet_pages(sidecar)
    except (AidxlError, OSError, KeyError, ValueError) as error:
        return f"cannot show the sheet: {error}"
    app.push_screen(SheetViewerScreen(pages))
    return None
