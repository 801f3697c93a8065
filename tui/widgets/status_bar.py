"""The explorer's top bar (which view is shown) and status bar (the view's status line and the
progress of a preview or sheet)."""

from __future__ import annotations

from collections.abc import Iterable

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Horizontal
from textual.widgets import ProgressBar, Static

VIEW_NAMES = ("search", "builder")


class TopBar(Static):
    def show_view(self, view: str) -> None:
        tabs = " ".join(f"[reverse] {name} [/]" if name == view else f" {name} " for name in VIEW_NAMES)
        self.update(f"[b]aidxl[/b] {tabs} [dim]ctrl+b switch · F1 help · ctrl+p commands[/dim]")


class StatusBar(Horizontal):
    def __init__(self, *, id: str) -> None:
        super().__init__(id=id)
        self.status_text = ""  # the line shown, as plain text

    def compose(self) -> ComposeResult:
        yield Static(id="status")
        yield ProgressBar(id="preview-progress", show_eta=False)

    def on_mount(self) -> None:
        self.hide_progress()

    def show_status(self, parts: Iterable[str], *, catalog_replaced: bool, extra: str = "") -> None:
        """`parts` joined by ` · `; plain text (errors and names carry brackets, never markup), the
        rebuilt-catalog notice styled."""
        texts = [Text(part) for part in parts]
        if catalog_replaced:
            texts.append(Text("catalog rebuilt: ctrl+r reloads", style="bold yellow"))
        if extra:
            texts.append(Text(extra))
        status = Text(" · ").join(texts)
        if status.plain != self.status_text:
            self.status_text = status.plain
            # One line of fixed height: no layout pass needed (it costs a whole-screen reflow).
            self.query_one("#status", Static).update(status, layout=False)

    def show_progress(self, total: int | None, progress: int) -> None:
        bar = self.query_one("#preview-progress", ProgressBar)
        bar.update(total=total, progress=progress)
        bar.display = True

    def hide_progress(self) -> None:
        self.query_one("#preview-progress", ProgressBar).display = False
