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
    (
        "anywhere",
        "escape",
        "cancel a running preview or sheet; else leave a copyright's listing; else hide the "
        "missing-sources banner; close a dialog",
    ),
    ("anywhere", "ctrl+t", "dark / light theme"),
    ("anywhere", "ctrl+r", "reload the catalog (after `aidxl ingest` replaced it)"),
    (
        "anywhere",
        "F12",
        "missing sources: each registry source the catalog lacks and the command that adds it "
        "(a click on the banner too; `d` there hides the banner)",
    ),
    ("anywhere", "ctrl+q", "quit"),
    ("search", "type", "search as you type (typos, aliases, first names)"),
    ("search", "↑ ↓ pgup pgdn", "move in the results"),
    ("search", "shift+pgup/pgdn", "scroll the detail pane a page up / down (the mouse wheel too)"),
    ("search", "alt+↑ / alt+↓", "scroll the detail pane three lines up / down"),
    ("search", "enter", "add the highlighted result to the builder"),
    (
        "search",
        "F2 … F9",
        "kind filter: all, style, painting, quality, aesthetic, character, copyright, general; "
        "with an empty box, that kind's entries, best tier first",
    ),
    (
        "search",
        "ctrl+l",
        "AIDXL-likely filter: only ✓ verified and ○ author-vocabulary triggers; combines with a kind "
        "(F3 + ctrl+l: the model's probable style triggers)",
    ),
    (
        "search",
        "ctrl+n / ctrl+o",
        "add the highlighted character's appearance / outfit to the builder, after the character; none "
        "twice, none the prompt (or another added feature) implies",
    ),
    (
        "search",
        "ctrl+s",
        "list the highlighted copyright's characters (a character's: its series'), most posted first; "
        "type to search among them",
    ),
    ("search", "ctrl+u", "clear the box; on an empty box, leave a copyright's listing"),
    ("search", "ctrl+f", "favourite / unfavourite the highlighted result"),
    ("builder", "↑ ↓ home end", "move to an entry; the first / the last"),
    ("builder", "delete / x", "remove the entry"),
    ("builder", "shift+↑/↓, K/J", "move the entry up / down"),
    ("builder", "+ / -", "weight ±0.05"),
    ("builder", "w", "type a weight"),
    ("builder", "i / f2", "edit the entry's text (prompt syntax, read like a paste)"),
    ("builder", "o / q / a / t", "toggle auto-order, quality tags, aesthetic tags, styles first/appended"),
    ("builder", "n", "edit the negative prompt"),
    ("builder", "s", "generation settings (size preset, sampler, steps, CFG, seed)"),
    ("builder", "p", "paste a prompt, infotext or PNG path as written; asks append / replace"),
    ("builder", "ctrl+z / Z", "undo / redo any builder edit (also ctrl+shift+z where the terminal sends it)"),
    ("builder", "b / l", "save the style entries as a named blend / load a blend"),
    ("builder", "S / L", "save the prompt by name / load a saved prompt"),
    ("builder", "y / Y / c", "copy positive / negative / both"),
    ("builder", "e / E", "export prompt + settings as text / JSON"),
    ("builder", "tab", "move between entries and lint findings"),
    ("findings", "enter", "jump to the tag the finding is about"),
    ("findings", "f", "apply the finding's fix"),
)


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
            yield Static(marks_table(), id="help-marks")
