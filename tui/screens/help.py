"""The help screen (`?` / F1): every key of the explorer, from one table the README also quotes."""

from __future__ import annotations

from typing import ClassVar

from rich.table import Table
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Static

# (where, keys, what) — the single list of keys; README's table is printed from it.
KEYS: tuple[tuple[str, str, str], ...] = (
    ("anywhere", "F1 / ?", "this help"),
    ("anywhere", "ctrl+p", "command palette: every action by name"),
    ("anywhere", "ctrl+b", "switch between search and builder"),
    ("anywhere", "ctrl+y", "copy the positive prompt (OSC 52, plus a file fallback)"),
    ("anywhere", "ctrl+g", "preview the selected trigger (search) or the built prompt (builder)"),
    ("anywhere", "escape", "cancel a running preview or sheet; close a dialog"),
    ("anywhere", "ctrl+t", "dark / light theme"),
    ("anywhere", "ctrl+r", "reload the catalog (after `aidxl ingest` replaced it)"),
    ("anywhere", "ctrl+q", "quit"),
    ("search", "type", "search as you type (typos, aliases, first names)"),
    ("search", "↑ ↓ pgup pgdn", "move in the results"),
    ("search", "enter", "add the highlighted result to the builder"),
    (
        "search",
        "F2 … F9",
        "kind filter: all, style, painting, quality, aesthetic, character, copyright, general",
    ),
    ("search", "ctrl+f", "favourite / unfavourite the highlighted result"),
    ("builder", "delete / x", "remove the entry"),
    ("builder", "shift+↑/↓, K/J", "move the entry up / down"),
    ("builder", "+ / -", "weight ±0.05"),
    ("builder", "w", "type a weight"),
    ("builder", "o / q / a / t", "toggle auto-order, quality tags, aesthetic tags, styles first/appended"),
    ("builder", "n", "edit the negative prompt"),
    ("builder", "s", "generation settings (size preset, sampler, steps, CFG, seed)"),
    ("builder", "p", "paste an A1111 prompt into the builder"),
    ("builder", "b / l", "save the style entries as a named blend / load a blend"),
    ("builder", "S / L", "save the prompt by name / load a saved prompt"),
    ("builder", "y / Y / c", "copy positive / negative / both"),
    ("builder", "e / E", "export prompt + settings as text / JSON"),
    ("builder", "tab", "move between entries and lint findings"),
    ("findings", "enter", "jump to the tag the finding is about"),
    ("findings", "f", "apply the finding's fix"),
)


def keys_table() -> Table:
    table = Table(box=None, show_header=True, header_style="bold", expand=True, pad_edge=False)
    table.add_column("where", style="dim", no_wrap=True)
    table.add_column("keys", style="bold", no_wrap=True)
    table.add_column("what")
    for where, keys, what in KEYS:
        table.add_row(where, keys, what)
    return table


class HelpScreen(ModalScreen[None]):
    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape,q,question_mark,f1", "dismiss", "Close")]

    def compose(self) -> ComposeResult:
        with VerticalScroll(id="help-body") as body:
            body.border_title = "aidxl explorer — keys (escape closes)"
            yield Static(keys_table())
