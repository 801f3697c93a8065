"""Shown instead of the explorer when there is no usable catalog: says why and offers the ingest."""

from __future__ import annotations

from typing import ClassVar

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.screen import Screen
from textual.widgets import Footer, Static


class MissingCatalogScreen(Screen[None]):
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("i", "app.run_ingest", "Run the ingest now"),
        Binding("ctrl+q,q", "app.quit", "Quit"),
    ]

    def __init__(self, reason: str, ingest_command: str) -> None:
        super().__init__()
        self.reason = reason
        self.ingest_command = ingest_command

    def compose(self) -> ComposeResult:
        with Vertical(id="missing-catalog") as box:
            box.border_title = "no catalog yet"
            yield Static(Text(self.reason), id="missing-reason")
            how = (
                "(the public sources of `aidxl sources`: downloaded when online; offline, the curated "
                "lists shipped with aidxl-kb alone, and the explorer then names what is missing)"
                if "--fetch" in self.ingest_command
                else "(the demo data beside this checkout)"
            )
            build = f"Build it with:\n\n  {self.ingest_command}\n\n{how}\n\nPress i to run it now, q to quit."
            yield Static(Text(build), id="missing-help")
            yield Static("", id="ingest-output")
        yield Footer()
