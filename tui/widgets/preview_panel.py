"""The persistent preview panel: the last image made, its file's path, the model and the real size.

It stays until the next preview or sheet replaces it or `x` closes it. The path is one line, cut in
the middle with `…` when the panel is narrower (never wrapped); focused (tab or a click), the line
shows the path's end and ←/→/home/end scroll through all of it, and `c` copies it (the explorer's
clipboard and its file fallback). A random-weight image says RANDOM WEIGHTS in its caption (and
in its pixels: `kb.generate.random_label`). A sheet's panel opens its pages with `v`.
"""

from __future__ import annotations

from typing import Any, ClassVar

from rich.text import Text
from textual.binding import BindingType
from textual.containers import Horizontal, Vertical
from textual.message import Message
from textual.reactive import reactive
from textual.widget import Widget
from textual.widgets import Static

from kb.display_text import visible_controls
from tui.keys import bindings_of
from tui.state.generation_view import RANDOM_WEIGHTS_CAPTION, ShownImage, elided_middle

PATH_SCROLL_STEP = 8


def panel_picture(path: object) -> Widget:
    """The image in terminal graphics (textual-image: Kitty, Sixel or half-blocks); its path as text
    where the library is missing."""
    try:
        from textual_image.widget import Image as ImageWidget
    except ImportError:
        return Static(Text(f"image: {path}"), classes="panel-picture")
    widget: Widget = ImageWidget(str(path), classes="panel-picture")
    return widget


class PathLine(Widget, can_focus=True):
    """A path on one line: middle-elided, or (focused) a window scrolled over the whole of it."""

    BINDINGS: ClassVar[list[BindingType]] = bindings_of("PathLine")
    DEFAULT_CSS = """
    PathLine { height: 1; width: 1fr; }
    PathLine:focus { background: $accent 30%; }
    """
    path_text: reactive[str] = reactive("", layout=False)
    start = 0  # first character shown while focused

    def show_path(self, text: str) -> None:
        self.path_text = visible_controls(text)
        self.start = 0
        self.tooltip = self.path_text  # the whole path on hover, too

    def shown_text(self, width: int) -> str:
        """What the line shows at `width` columns (tests read it)."""
        if width <= 0:
            return ""
        if not self.has_focus or len(self.path_text) <= width:
            return elided_middle(self.path_text, width)
        window = self.path_text[self.start : self.start + width]
        if self.start > 0:
            window = "…" + window[1:]
        if self.start + width < len(self.path_text):
            window = window[:-1] + "…"
        return window

    def render(self) -> Text:
        return Text(self.shown_text(self.content_size.width), no_wrap=True, overflow="crop")

    def on_focus(self) -> None:
        self.start = self.last_start()  # the file name first
        self.refresh()

    def on_blur(self) -> None:
        self.refresh()

    def last_start(self) -> int:
        return max(0, len(self.path_text) - max(1, self.content_size.width))

    def action_scroll_path(self, direction: int) -> None:
        self.start = min(self.last_start(), max(0, self.start + direction * PATH_SCROLL_STEP))
        self.refresh()

    def action_scroll_path_to(self, where: int) -> None:
        self.start = 0 if where == 0 else self.last_start()
        self.refresh()


class PreviewPanel(Vertical):
    """Below the views: picture left, caption, details, path and keys right."""

    class CopyPath(Message):
        def __init__(self, path: str) -> None:
            super().__init__()
            self.path = path

    class ViewSheet(Message):
        def __init__(self, shown: ShownImage) -> None:
            super().__init__()
            self.shown = shown

    BINDINGS: ClassVar[list[BindingType]] = bindings_of("PreviewPanel")

    # Its own styles: the panel is one piece wherever a screen mounts it. 80x24 leaves the views 14 rows.
    DEFAULT_CSS = """
    PreviewPanel { height: 7; border-top: solid $primary-muted; display: none; }
    PreviewPanel #preview-panel-body { height: 6; }
    PreviewPanel .panel-picture { width: 12; height: 6; margin-right: 1; }
    PreviewPanel #preview-panel-text { width: 1fr; height: 6; }
    PreviewPanel #preview-panel-caption, PreviewPanel #preview-panel-info { height: 1; }
    PreviewPanel #preview-panel-keys { height: auto; }
    """

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.shown: ShownImage | None = None

    def compose(self) -> Any:
        with Horizontal(id="preview-panel-body"), Vertical(id="preview-panel-text"):
            yield Static("", id="preview-panel-caption")
            yield Static("", id="preview-panel-info")
            yield PathLine(id="preview-panel-path")
            yield Static("", id="preview-panel-keys")

    def show_image(self, shown: ShownImage) -> None:
        """Replace what the panel shows (and show the panel)."""
        self.shown = shown
        for old in self.query(".panel-picture"):
            old.remove()
        body = self.query_one("#preview-panel-body", Horizontal)
        body.mount(panel_picture(shown.picture), before=self.query_one("#preview-panel-text"))
        caption = self.query_one("#preview-panel-caption", Static)
        if shown.random_weights:
            caption.update(Text(RANDOM_WEIGHTS_CAPTION, style="bold black on yellow"))
        else:
            caption.update(Text(f"last {shown.kind}", style="bold"))
        self.query_one("#preview-panel-info", Static).update(Text(visible_controls(shown.info_line)))
        self.query_one(PathLine).show_path(str(shown.path))
        sheet_key = " · v pages" if shown.kind == "sheet" and shown.sidecar is not None else ""
        self.query_one("#preview-panel-keys", Static).update(
            Text(f"c copy path{sheet_key} · x close · click the path, ←/→ scroll it", style="dim")
        )
        self.show_panel(True)
        self.refresh_bindings()  # `v` comes and goes with a sheet

    def show_panel(self, shown: bool) -> None:
        """Show or close the panel; the screen's `-panel-open` class lets a short terminal's builder
        give up its tokens line (the status line counts the tokens too: app.tcss)."""
        self.display = shown
        self.screen.set_class(shown, "-panel-open")

    def picture(self) -> Widget | None:
        found = list(self.query(".panel-picture"))
        return found[0] if found else None

    def action_copy_path(self) -> None:
        if self.shown is not None:
            self.post_message(self.CopyPath(str(self.shown.path)))

    def action_close(self) -> None:
        self.show_panel(False)

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """`v` (a sheet's pages) is offered, in the footer and as a key, only for a sheet."""
        if action == "view_sheet":
            return self.holds_sheet()
        return True

    def holds_sheet(self) -> bool:
        return self.shown is not None and self.shown.kind == "sheet" and self.shown.sidecar is not None

    def action_view_sheet(self) -> None:
        if self.shown is not None and self.holds_sheet():
            self.post_message(self.ViewSheet(self.shown))
