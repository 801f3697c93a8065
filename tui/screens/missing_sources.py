"""F12 (or a click on the banner): each registry source the catalog lacks and the command that adds it."""

from __future__ import annotations

from typing import ClassVar

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import BindingType
from textual.containers import VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Static

from tui.keys import bindings_of
from tui.state.sources import FETCH_COMMAND, CatalogSources
from tui.state.wording import counted


def missing_sources_text(sources: CatalogSources) -> Text:
    """One entry per missing source: `name — title: aidxl ingest --fetch, or aidxl ingest FLAG`."""
    text = Text()
    if sources.curated_only:
        text.append(
            f"This catalog holds only the {sources.triggers} curated triggers shipped with aidxl-kb.\n\n",
            style="bold",
        )
    if not sources.missing:
        text.append("Every source of the registry (`aidxl sources`) is in this catalog.\n")
        return text
    missing = counted(len(sources.missing), "registry source")
    text.append(f"{missing} {'is' if len(sources.missing) == 1 else 'are'} not in this catalog:\n\n")
    for source in sources.missing:
        text.append(source.name, style="bold")
        text.append(f" — {source.title}: ")
        text.append(", or ".join(source.add_commands), style="bold cyan")
        text.append("\n")
    text.append(
        f"\n`{FETCH_COMMAND}` downloads every one that has a download (when online) and adds them to "
        "the catalog's sources; `--add` with a flag adds a local copy of one. Then ctrl+r reloads the "
        "explorer. "
        "`aidxl sources` shows where each comes from.",
        style="dim",
    )
    return text


class MissingSourcesScreen(ModalScreen[bool]):
    """Dismissed with True when the user hides the banner (`d`), False when just closed."""

    BINDINGS: ClassVar[list[BindingType]] = bindings_of("MissingSourcesScreen")

    def __init__(self, sources: CatalogSources) -> None:
        super().__init__()
        self.sources = sources

    def compose(self) -> ComposeResult:
        with VerticalScroll(classes="dialog", id="missing-sources") as body:
            body.border_title = "missing sources"
            body.border_subtitle = "d hides the banner · escape closes"
            yield Static(missing_sources_text(self.sources), id="missing-sources-text")

    def action_close(self) -> None:
        self.dismiss(False)

    def action_hide_banner(self) -> None:
        self.dismiss(True)
