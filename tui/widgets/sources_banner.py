"""The one-line banner over the results that names the registry sources the catalog lacks."""

from __future__ import annotations

from rich.text import Text
from textual import events
from textual.message import Message
from textual.widgets import Static

from tui.state.sources import CatalogSources, banner_line


class SourcesBanner(Static):
    """Hidden while nothing is missing or after escape; a click opens the details (F12)."""

    class Clicked(Message):
        """The user wants the details."""

    def show_sources(self, sources: CatalogSources | None) -> None:
        if sources is None or not sources.missing:
            self.display = False
            return
        self.update(Text(banner_line(sources)))
        self.display = True

    def on_click(self, event: events.Click) -> None:
        event.stop()
        self.post_message(self.Clicked())
