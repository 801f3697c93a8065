"""The help screen (`?` / F1): every key of the explorer and the marks of the results.

The keys table is the action registry's (tui/keys.py `help_rows`): a key rebound or added there
shows up here, in the footer, the palette and (checked by tests/test_tui_keys.py) the docs.
"""

from __future__ import annotations

from typing import ClassVar

from rich.table import Table
from textual.app import ComposeResult
from textual.binding import BindingType
from textual.containers import VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Static

from tui.keys import bindings_of, help_rows

KEYS = help_rows()  # (where, keys, what) of every key

# (mark, meaning) — the results' and detail pane's marks (tui/widgets/marks.py).
MARKS: tuple[tuple[str, str], ...] = (
    ("✓", "verified AIDXL trigger: curated with a source, or the model's own trigger list"),
    ("○", "in the model author's caption vocabulary: AIDXL likely knows it"),
    ("(none)", "a Danbooru tag, not known to be an AIDXL trigger"),
    ("◆ ★ ✿", "painting style, quality, aesthetic (kinds AIDXL was trained on)"),
    ("a → b", "the alias a found the tag b"),
    ("?", "a pasted tag the catalog lacks"),
)


def marks_table() -> Table:
    table = Table(box=None, show_header=True, header_style="bold", expand=True, pad_edge=False)
    table.add_column("mark", style="bold", no_wrap=True)
    table.add_column("meaning")
    for mark, meaning in MARKS:
        table.add_row(mark, meaning)
    return table


def keys_table() -> Table:
    table = Table(box=None, show_header=True, header_style="bold", expand=True, pad_edge=False)
    table.add_column("where", style="dim", no_wrap=True)
    table.add_column("keys", style="bold", max_width=22)  # long lists wrap between keys (at ` / `)
    table.add_column("what")
    for where, keys, what in help_rows():
        table.add_row(where, keys, what)
    return table


class HelpScreen(ModalScreen[None]):
    BINDINGS: ClassVar[list[BindingType]] = bindings_of("HelpScreen")

    def compose(self) -> ComposeResult:
        with VerticalScroll(id="help-body") as body:
            body.border_title = "aidxl explorer — keys (escape closes)"
            yield Static(keys_table())
            yield Static(marks_table(), id="help-marks")
