"""The help screen (`?` / F1): every key of the explorer, read from the bindings themselves.

The keys come from the `BINDINGS` of the app and of its widgets (`BINDING_OWNERS`); this module
only says what each action does (`ACTION_HELP`), so a key rebound or added shows up here by
itself. `tests/test_tui_keys.py` checks that every binding has its help row (and no row is left
without a binding), and that docs/explorer.md and the README carry `markdown_table()`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar

from rich.table import Table
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Static

if TYPE_CHECKING:
    from textual.dom import DOMNode


@dataclass(frozen=True)
class ActionHelp:
    """What the keys bound to `actions` (in `owner`'s BINDINGS) do, and where they act."""

    where: str  # anywhere | search | forms | builder | findings
    owner: str  # the class whose BINDINGS bind them (see binding_owners)
    actions: tuple[str, ...]  # action strings as bound (without `app.`); a name alone matches any arguments
    text: str
    keys: tuple[str, ...] = ()  # only these keys (when one action is bound in two places)


# Keys that no BINDINGS list holds: Textual's own and typing itself.
EXTRA_ROWS: tuple[tuple[str, str, str], ...] = (
    ("anywhere", "ctrl+p", "command palette: every action by name"),
    ("anywhere", "ctrl+q", "quit"),
    ("search", "type", "search as you type (typos, aliases, first names)"),
    ("builder", "↑ / ↓", "move to an entry (the lists' own keys)"),
    ("builder", "tab", "move between entries and lint findings"),
)

APP = "ExplorerApp"
SEARCH = "SearchView"
BUILDER = "BuilderView"
SEARCH_BOX = "SearchInput"
RESULTS = "ResultsTable"
FORMS = "DetailPane"
ENTRIES = "EntriesTable"
FINDINGS = "FindingsTable"
PANEL = "PreviewPanel"
PATH_LINE = "PathLine"
SHEET_PAGES = "SheetViewerScreen"

ACTION_HELP: tuple[ActionHelp, ...] = (
    ActionHelp("anywhere", APP, ("help",), "this help (every key)"),
    ActionHelp("anywhere", APP, ("switch_view",), "switch between search and builder"),
    ActionHelp(
        "anywhere",
        APP,
        ("copy('positive')",),
        "copy the positive prompt (OSC 52, plus a file fallback)",
        keys=("ctrl+y",),
    ),
    ActionHelp(
        "anywhere", APP, ("preview",), "preview the selected trigger (search) or the built prompt (builder)"
    ),
    ActionHelp(
        "anywhere",
        APP,
        ("escape",),
        "cancel a running preview or sheet; else leave a copyright's listing; else hide the "
        "missing-sources banner; close a dialog",
    ),
    ActionHelp("anywhere", APP, ("toggle_theme",), "dark / light theme"),
    ActionHelp("anywhere", APP, ("reload_catalog",), "reload the catalog after `aidxl ingest` replaced it"),
    ActionHelp(
        "anywhere",
        APP,
        ("focus_preview_panel",),
        "the last preview or sheet's panel: its picture, real size, model and path (c copies the path)",
    ),
    ActionHelp(
        "anywhere",
        APP,
        ("missing_sources",),
        "missing sources: each registry source the catalog lacks and the command that adds it "
        "(a click on the banner too; `d` there hides the banner)",
    ),
    ActionHelp(
        "search", SEARCH, ("results_cursor",), "move in the results (a long list loads more as you go)"
    ),
    ActionHelp(
        "search",
        SEARCH,
        ("scroll_detail(-1, True)", "scroll_detail(1, True)"),
        "scroll the detail pane a page up / down (the mouse wheel too)",
    ),
    ActionHelp(
        "search",
        SEARCH,
        ("scroll_detail(-1, False)", "scroll_detail(1, False)"),
        "scroll the detail pane three lines up / down",
    ),
    ActionHelp(
        "search",
        SEARCH_BOX,
        ("submit",),
        "add the highlighted result to the builder and clear the box (`aidxl explore --keep-search` "
        "keeps it); on a copyright, list its characters",
    ),
    ActionHelp(
        "search",
        SEARCH,
        ("kind_filter",),
        "kind filter: all, style, painting, quality, aesthetic, character, copyright, general (chips are "
        "clickable); with an empty box, that kind's entries (best tier, the curated order, then posts), "
        "page after page, `N of M`",
    ),
    ActionHelp(
        "search",
        SEARCH,
        ("toggle_likely",),
        "tier filter, in steps: AIDXL-likely (✓ verified and ○ author-vocabulary triggers), verified "
        "only, every tier; combines with a kind (F3 + ctrl+l: the model's probable style triggers)",
    ),
    ActionHelp(
        "search",
        SEARCH,
        ("add_features",),
        "add the highlighted character's appearance / outfit to the builder, after the character; none "
        "twice, none the prompt (or another added feature) implies",
    ),
    ActionHelp(
        "search",
        SEARCH,
        ("copyright_characters",),
        "list the highlighted copyright's characters (a character's: its series'), most posted first; "
        "type to search among them",
    ),
    ActionHelp(
        "search",
        SEARCH_BOX,
        ("clear_or_leave",),
        "clear the box; on an empty box, leave a copyright's listing",
    ),
    ActionHelp(
        "search", SEARCH, ("favourite",), "favourite / unfavourite (favourites show when the search is empty)"
    ),
    ActionHelp(
        "search",
        SEARCH,
        ("copy_form('A1111')", "copy_form('plain')", "copy_form('sentence')", "copy_form('1 prefix')"),
        "copy the highlighted result's A1111 / plain / sentence / `1 `-prefixed form",
    ),
    ActionHelp("search", SEARCH, ("toggle_sentence_noun",), "the sentence form's noun: girl ↔ boy"),
    ActionHelp(
        "search",
        SEARCH,
        ("tab_focus",),
        "focus the detail pane's forms; in the forms, back to the search box (in the builder: next list)",
    ),
    ActionHelp("search", RESULTS, ("cursor",), "move in the results (when the list has the focus)"),
    ActionHelp("search", RESULTS, ("select",), "as enter in the search box (when the list has the focus)"),
    ActionHelp("forms", FORMS, ("choose_form",), "choose a form; the chosen one shows whole"),
    ActionHelp("forms", FORMS, ("use_form('copy')",), "copy the chosen form"),
    ActionHelp("forms", FORMS, ("copy_numbered_form",), "copy form 1 … 4 (A1111, plain, sentence, 1 prefix)"),
    ActionHelp("forms", FORMS, ("use_form('insert')",), "insert the chosen form into the builder"),
    ActionHelp("forms", FORMS, ("toggle_sentence_noun",), "the sentence's noun: girl ↔ boy"),
    ActionHelp("forms", FORMS, ("leave_forms",), "back to the search box"),
    ActionHelp("builder", ENTRIES, ("first_entry", "last_entry"), "the first / the last entry"),
    ActionHelp("builder", ENTRIES, ("builder_remove",), "remove the entry"),
    ActionHelp("builder", ENTRIES, ("builder_move",), "move the entry up / down"),
    ActionHelp("builder", ENTRIES, ("builder_weight",), "weight ±0.05"),
    ActionHelp("builder", ENTRIES, ("builder_type_weight",), "type a weight"),
    ActionHelp(
        "builder",
        ENTRIES,
        ("builder_edit_entry",),
        "edit the entry's text (prompt syntax, read like a paste)",
    ),
    ActionHelp(
        "builder",
        BUILDER,
        ("toggle_option",),
        "toggle auto-order, quality tags, aesthetic tags, styles first/appended",
    ),
    ActionHelp(
        "builder",
        BUILDER,
        ("edit_negative",),
        "edit the negative prompt (empty restores the model page's default)",
    ),
    ActionHelp(
        "builder",
        BUILDER,
        ("settings",),
        "generation settings: aspect preset, size, sampler, steps, CFG, seed",
    ),
    ActionHelp(
        "builder",
        BUILDER,
        ("paste_prompt",),
        "paste a prompt, infotext or PNG path as written; asks append / replace",
    ),
    ActionHelp(
        "builder",
        BUILDER,
        ("builder_undo", "builder_redo"),
        "undo / redo any builder edit (also ctrl+shift+z where the terminal sends it)",
    ),
    ActionHelp(
        "builder",
        BUILDER,
        ("save_blend", "load_blend"),
        "save the style entries as a named blend / load a blend",
    ),
    ActionHelp(
        "builder", BUILDER, ("save_prompt", "load_prompt"), "save the prompt by name / load a saved prompt"
    ),
    ActionHelp(
        "builder",
        BUILDER,
        ("copy('positive')", "copy('negative')", "copy('both')"),
        "copy positive / negative / both",
    ),
    ActionHelp(
        "builder",
        BUILDER,
        ("export('text')", "export('json')"),
        "export prompt + settings as text (A1111 parameters) / JSON",
    ),
    ActionHelp("builder", BUILDER, ("focus_search",), "back to the search box"),
    ActionHelp("findings", FINDINGS, ("finding_jump",), "jump to the finding's tag"),
    ActionHelp("findings", FINDINGS, ("finding_fix",), "apply the finding's fix"),
    ActionHelp(
        "preview panel",
        PANEL,
        ("copy_path",),
        "copy the last image's whole path (OSC 52 and the clipboard file); alt+v, a click or "
        '"Preview panel" in the palette focus the panel',
    ),
    ActionHelp("preview panel", PANEL, ("view_sheet",), "a sheet's pages in the terminal, with row labels"),
    ActionHelp("preview panel", PANEL, ("close",), "close the panel (the next preview opens it again)"),
    ActionHelp(
        "preview panel",
        PATH_LINE,
        ("scroll_path(-1)", "scroll_path(1)", "scroll_path_to(0)", "scroll_path_to(-1)"),
        "scroll the path line through the whole path (it is never wrapped)",
    ),
    ActionHelp("sheet pages", SHEET_PAGES, ("page(1)", "page(-1)"), "next / previous page"),
    ActionHelp("sheet pages", SHEET_PAGES, ("page_to",), "first / last page"),
    ActionHelp("sheet pages", SHEET_PAGES, ("close",), "close the pages"),
)

KEY_NAMES = {
    "question_mark": "?",
    "up": "↑",
    "down": "↓",
    "left": "←",
    "right": "→",
    "pageup": "pgup",
    "pagedown": "pgdn",
    "plus": "+",
    "minus": "-",
    "equals_sign": "=",
    "slash": "/",
    "escape": "escape",
}


def binding_owners() -> dict[str, type[DOMNode]]:
    """The classes whose own BINDINGS the explorer's keys come from (imported on first use: the
    app imports this module)."""
    from tui.explorer import ExplorerApp
    from tui.screens.builder import BuilderView
    from tui.screens.search import SearchView
    from tui.screens.sheet_viewer import SheetViewerScreen
    from tui.widgets.builder_pane import EntriesTable, FindingsTable
    from tui.widgets.detail import DetailPane
    from tui.widgets.preview_panel import PathLine, PreviewPanel
    from tui.widgets.results import ResultsTable
    from tui.widgets.search_input import SearchInput

    owners: list[type[DOMNode]] = [
        ExplorerApp,
        SearchView,
        BuilderView,
        SearchInput,
        ResultsTable,
        DetailPane,
        EntriesTable,
        FindingsTable,
        PreviewPanel,
        PathLine,
        SheetViewerScreen,
    ]
    return {owner.__name__: owner for owner in owners}


def own_bindings(owner: type[DOMNode]) -> list[Binding]:
    """The bindings `owner` declares itself (not those it inherits), one per key."""
    declared: list[BindingType] = list(owner.__dict__.get("BINDINGS", []))
    bindings: list[Binding] = []
    for item in declared:
        binding = item if isinstance(item, Binding) else Binding(*item)
        bindings += [
            Binding(key.strip(), binding.action, binding.description, show=binding.show)
            for key in binding.key.split(",")
        ]
    if owner.__name__ == SEARCH_BOX:  # the Input's own enter submits: the search's main key
        bindings.append(Binding("enter", "submit", "Add"))
    return bindings


def key_name(key: str) -> str:
    """How the help writes a key: `f1` → F1, `pagedown` → pgdn, `shift+up` → shift+↑."""
    parts = key.split("+")
    last = parts[-1]
    last = last.upper() if re.fullmatch(r"f\d+", last) else KEY_NAMES.get(last, last)
    return "+".join([*parts[:-1], last])


def keys_text(keys: list[str]) -> str:
    """`F2 … F9` for a run of function keys, else the keys joined by ` / `."""
    numbers = [int(key[1:]) for key in keys if re.fullmatch(r"F\d+", key)]
    if len(numbers) == len(keys) > 2 and numbers == list(range(numbers[0], numbers[0] + len(numbers))):
        return f"{keys[0]} … {keys[-1]}"
    return " / ".join(dict.fromkeys(keys))


def _matches(pattern: str, action: str) -> bool:
    return action == pattern or ("(" not in pattern and action.split("(")[0] == pattern)


def help_of(owner: str, action: str, key: str) -> ActionHelp | None:
    """The help row of a binding's action, None when no row covers it."""
    return next(
        (
            entry
            for entry in ACTION_HELP
            if entry.owner == owner
            and (not entry.keys or key in entry.keys)
            and any(_matches(pattern, action) for pattern in entry.actions)
        ),
        None,
    )


def bound_action(owner: str, action: str) -> str:
    """A binding's action as ACTION_HELP names it: an app binding's without `app.`, a widget's
    `view('x')` (an action of its view, tui/widgets/view_actions.py) as `x`."""
    if owner == APP:
        return action.removeprefix("app.")
    of_view = re.fullmatch(r"""view\((['"])(.*)\1\)""", action)
    return of_view.group(2) if of_view else action


def key_rows() -> tuple[tuple[str, str, str], ...]:
    """(where, keys, what) for every bound key, in ACTION_HELP order, then the EXTRA_ROWS."""
    keys_of: dict[ActionHelp, list[tuple[int, str]]] = {}
    for owner_name, owner in binding_owners().items():
        for binding in own_bindings(owner):
            action = bound_action(owner_name, binding.action)
            entry = help_of(owner_name, action, binding.key)
            if entry is None:
                continue  # tests/test_tui_keys.py fails on it: every binding needs its row
            rank = next(index for index, pattern in enumerate(entry.actions) if _matches(pattern, action))
            keys_of.setdefault(entry, []).append((rank, key_name(binding.key)))
    rows: list[tuple[str, str, str]] = list(EXTRA_ROWS)
    for entry in ACTION_HELP:
        found = keys_of.get(entry)
        if found:
            ordered = [key for _, key in sorted(found, key=lambda item: item[0])]
            rows.append((entry.where, keys_text(ordered), entry.text))
    place_order = {
        "anywhere": 0,
        "search": 1,
        "forms": 2,
        "builder": 3,
        "findings": 4,
        "preview panel": 5,
        "sheet pages": 6,
    }
    return tuple(sorted(rows, key=lambda row: place_order.get(row[0], 9)))  # stable: by place


def unhelped_bindings() -> list[str]:
    """Bindings no ACTION_HELP row covers (`Owner: key → action`): must stay empty."""
    missing: list[str] = []
    for owner_name, owner in binding_owners().items():
        for binding in own_bindings(owner):
            if help_of(owner_name, bound_action(owner_name, binding.action), binding.key) is None:
                missing.append(f"{owner_name}: {binding.key} → {binding.action}")
    return missing


def markdown_table() -> str:
    """The keys table of docs/explorer.md and the README, as they must read."""
    lines = ["| where | keys | what |", "|---|---|---|"]
    lines += [f"| {where} | {keys} | {what} |" for where, keys, what in key_rows()]
    return "\n".join(lines)


def __getattr__(name: str) -> Any:
    if name == "KEYS":  # (where, keys, what) rows, read from the bindings when asked for
        return key_rows()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


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
    for where, keys, what in key_rows():
        table.add_row(where, keys, what)
    return table


class HelpScreen(ModalScreen[None]):
    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape,q,question_mark,f1", "dismiss", "Close")]

    def compose(self) -> ComposeResult:
        with VerticalScroll(id="help-body") as body:
            body.border_title = "aidxl explorer — keys (escape closes)"
            yield Static(keys_table())
            yield Static(marks_table(), id="help-marks")
