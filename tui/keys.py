"""Every action of the explorer, once: its keys, where it acts, what the help and the palette say.

`ACTIONS` is the one list. From it come the `BINDINGS` of the app, of the two views and of the
widgets that bind keys (`bindings_of`), the help screen's keys table and the README's and
docs/explorer.md's (`help_rows`, `markdown_table`), and the command palette (`palette_entries`).
`tests/test_tui_keys.py` checks that every class binds exactly what this list gives it, that each
action exists where it runs, and that the docs carry the table.

An entry names the class whose BINDINGS hold its keys (`bound_on`) and where its `action_…`
method lives (`runs`): the app, a view (tui/screens/search.py, tui/screens/builder.py) or the
widget itself. A widget key that runs a view's action is bound as `view('…')`
(tui/widgets/view_actions.py). Keys of Textual's own (`ctrl+p`, typing) are listed for the help
with `bound_on=""`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal

from tui.state.searching import KIND_FILTERS

if TYPE_CHECKING:
    from textual.binding import BindingType

Where = Literal[
    "anywhere", "search", "forms", "builder", "findings", "preview panel", "sheet pages", "dialogs"
]
Runs = Literal["app", "search", "builder", "widget", "textual"]

APP = "ExplorerApp"
SEARCH_VIEW = "SearchView"
BUILDER_VIEW = "BuilderView"
VIEW_CLASSES: dict[Runs, str] = {"app": APP, "search": SEARCH_VIEW, "builder": BUILDER_VIEW}
PLACES: tuple[Where, ...] = (
    "anywhere",
    "search",
    "forms",
    "builder",
    "findings",
    "preview panel",
    "sheet pages",
    "dialogs",
)

# alt+KEY copies the highlighted result's form LABEL (the detail pane's forms).
FORM_COPY_KEYS: dict[str, str] = {"A1111": "a", "plain": "p", "sentence": "s", "1 prefix": "o"}


@dataclass(frozen=True)
class ExplorerAction:
    action: str  # as bound: the name and its arguments, `kind_filter(1)`
    keys: tuple[str, ...]  # Textual key names; () for the palette alone
    where: Where  # the help's "where": the view (or pane) the keys act in
    bound_on: str  # the class whose BINDINGS hold the keys ("" for Textual's own keys)
    runs: Runs  # where `action_<name>` lives (a widget's or dialog's own: "widget")
    help: str = ""  # the help's "what"; consecutive actions with the same text share a row
    label: str = ""  # the binding's description (the footer shows it when `footer`)
    title: str = ""  # the palette's title ("" = not in the palette)
    explains: str = ""  # the palette's line under the title
    footer: bool = False  # shown in the footer
    priority: bool = False  # handled before the focused widget sees the key

    @property
    def name(self) -> str:
        return self.action.split("(")[0]

    @property
    def bound_action(self) -> str:
        """The action string of the binding: a widget's key for a view's action runs it there."""
        if self.runs in ("search", "builder") and self.bound_on != VIEW_CLASSES[self.runs]:
            return f"view({self.action!r})"
        if self.runs == "app" and self.bound_on != APP:
            return f"app.{self.action}"
        return self.action


def _keys(keys: str) -> tuple[str, ...]:
    return tuple(key.strip() for key in keys.split(",") if key.strip())


def _on(
    bound_on: str,
    where: Where,
    runs: Runs,
    action: str,
    keys: str,
    help: str = "",
    label: str = "",
    *,
    title: str = "",
    explains: str = "",
    footer: bool = False,
    priority: bool = False,
) -> ExplorerAction:
    """An entry whose keys `bound_on` binds (`keys`: comma-separated Textual key names)."""
    return ExplorerAction(
        action, _keys(keys), where, bound_on, runs, help, label, title, explains, footer, priority
    )


def _app(action: str, keys: str, help: str = "", label: str = "", **options: Any) -> ExplorerAction:
    return _on(APP, "anywhere", "app", action, keys, help, label, **options)


def _search(action: str, keys: str, help: str = "", label: str = "", **options: Any) -> ExplorerAction:
    return _on(SEARCH_VIEW, "search", "search", action, keys, help, label, **options)


def _builder(action: str, keys: str, help: str = "", label: str = "", **options: Any) -> ExplorerAction:
    return _on(BUILDER_VIEW, "builder", "builder", action, keys, help, label, **options)


def _textual(where: Where, keys: str, help: str) -> ExplorerAction:
    """A key of Textual's own (or typing itself): listed in the help, bound by no class of ours."""
    return ExplorerAction("", (keys,), where, "", "textual", help)


SHOWN: dict[str, Any] = {"footer": True}
KIND_HELP = (
    "kind filter: all, style, painting, quality, aesthetic, character, copyright, general (chips are "
    "clickable); with an empty box, that kind's entries (best tier, the curated order, then posts), "
    "page after page, `N of M`"
)
KIND_PALETTE = (
    ("Filter: all kinds", "Show every kind of result"),
    ("Filter: artist styles", "Only `by artist` style triggers"),
    ("Filter: painting styles", "Only AIDXL painting styles"),
    ("Filter: quality", "Only quality tags"),
    ("Filter: aesthetic", "Only aesthetic tags"),
    ("Filter: characters", "Only character tags"),
    ("Filter: copyrights", "Only copyright (series) tags"),
    ("Filter: general tags", "Only general Danbooru tags"),
)
FORM_PALETTE = {
    "A1111": ("Copy the A1111 form", "Of the highlighted result (alt+a)"),
    "plain": ("Copy the plain form", "Of the highlighted result (alt+p)"),
    "sentence": ("Copy the sentence form", "`a girl named …` of the character (alt+s)"),
    "1 prefix": ("Copy the 1-prefixed form", "`1 …` of the highlighted character (alt+o)"),
}
CURSOR_HELP = "move in the results (a long list loads more as you go)"
PAGE_HELP = "scroll the detail pane a page up / down (the mouse wheel too)"
LINES_HELP = "scroll the detail pane three lines up / down"
LIST_HELP = "move in the results (when the list has the focus)"
FEATURES_HELP = (
    "add the highlighted character's appearance / outfit to the builder, after the character; none "
    "twice, none the prompt (or another added feature) implies"
)
FORM_HELP = "copy the highlighted result's A1111 / plain / sentence / `1 `-prefixed form"
TOGGLES_HELP = "toggle auto-order, quality tags, aesthetic tags, styles first/appended"
PATH_HELP = "scroll the path line through the whole path (it is never wrapped)"
PAGES_HELP = "next / previous page"
UNDO_HELP = "undo / redo any builder edit (also ctrl+shift+z where the terminal sends it)"


ACTIONS: tuple[ExplorerAction, ...] = (
    # ------------------------------------------------------------ anywhere
    _textual("anywhere", "ctrl+p", "command palette: every action by name"),
    _textual("anywhere", "ctrl+q", "quit"),
    _app(
        "help",
        "f1",
        "this help (every key)",
        "Help",
        title="Help: keys",
        explains="List every key of the explorer",
        **SHOWN,
    ),
    _app("help", "question_mark", "this help (every key)", "Help"),
    # priority: handled before the keys typed after it are handed to a widget, so they go to the
    # view it shows (tui/widgets/focus_keys.py explains the queueing).
    _app(
        "switch_view",
        "ctrl+b",
        "switch between search and builder",
        "Builder/Search",
        title="Switch search / builder",
        explains="Show the other view",
        footer=True,
        priority=True,
    ),
    _app(
        "copy('positive')",
        "ctrl+y",
        "copy the positive prompt (OSC 52, plus a file fallback)",
        "Copy",
        title="Copy positive prompt",
        explains="Clipboard (OSC 52) and a file fallback",
        **SHOWN,
    ),
    _app(
        "preview",
        "ctrl+g",
        "preview the selected trigger (search) or the built prompt (builder)",
        "Preview",
        title="Preview",
        explains="Generate a preview of the trigger or the built prompt",
        **SHOWN,
    ),
    _app(
        "escape",
        "escape",
        "cancel a running preview or sheet; else leave a copyright's listing; else hide the "
        "missing-sources banner; close a dialog",
        "Cancel / leave / hide",
    ),
    _app(
        "toggle_theme",
        "ctrl+t",
        "dark / light theme",
        "Theme",
        title="Toggle dark / light theme",
        explains="Switch between the dark and light theme",
    ),
    _app(
        "reload_catalog",
        "ctrl+r",
        "reload the catalog after `aidxl ingest` replaced it",
        "Reload catalog",
        title="Reload catalog",
        explains="Open the catalog again after an ingest",
    ),
    # priority: the search box would otherwise type the `v` of alt+v
    _app(
        "focus_preview_panel",
        "alt+v",
        "the last preview or sheet's panel: its picture, real size, model and path (c copies the path)",
        "Last image",
        title="Preview panel",
        explains="Focus the last preview: c copies its path, x closes it",
        priority=True,
    ),
    _app(
        "view_sheet",
        "",
        title="View sheet",
        explains="The last style sheet's pages in the terminal, with row and column labels",
    ),
    _app(
        "missing_sources",
        "f12",
        "missing sources: each registry source the catalog lacks and the command that adds it "
        "(a click on the banner too; `d` there hides the banner)",
        "Missing sources",
        title="Missing sources",
        explains="The registry sources this catalog lacks and how to add each",
    ),
    # --------------------------------------------------------------- search
    _textual("search", "type", "search as you type (typos, aliases, first names)"),
    _search("results_cursor(1)", "down", CURSOR_HELP),
    _search("results_cursor(-1)", "up", CURSOR_HELP),
    _search("results_cursor(10)", "pagedown", CURSOR_HELP),
    _search("results_cursor(-10)", "pageup", CURSOR_HELP),
    _search("scroll_detail(-1, True)", "shift+pageup", PAGE_HELP, "Detail page up"),
    _search("scroll_detail(1, True)", "shift+pagedown", PAGE_HELP, "Detail page down"),
    _search("scroll_detail(-1, False)", "alt+up", LINES_HELP, "Detail up"),
    _search("scroll_detail(1, False)", "alt+down", LINES_HELP, "Detail down"),
    _textual(
        "search",
        "enter",
        "add the highlighted result to the builder and clear the box (`aidxl explore --keep-search` "
        "keeps it); on a copyright, list its characters",
    ),
    *(
        _search(f"kind_filter({index})", key, KIND_HELP, label, title=title, explains=explains)
        for index, ((label, key, _), (title, explains)) in enumerate(
            zip(KIND_FILTERS, KIND_PALETTE, strict=True)
        )
    ),
    _search(
        "toggle_likely",
        "ctrl+l",
        "tier filter, in steps: AIDXL-likely (✓ verified and ○ author-vocabulary triggers), verified "
        "only, every tier; combines with a kind (F3 + ctrl+l: the model's probable style triggers)",
        "AIDXL-likely",
        title="Filter: AIDXL-likely",
        explains="Only verified (✓) and author-vocabulary (○) triggers; combines with the kind filter",
    ),
    _search(
        "add_features('appearance')",
        "ctrl+n",
        FEATURES_HELP,
        "Add looks",
        title="Add the character's appearance",
        explains="The highlighted character's looks, after it",
    ),
    _search(
        "add_features('outfit')",
        "ctrl+o",
        FEATURES_HELP,
        "Add outfit",
        title="Add the character's outfit",
        explains="The highlighted character's outfit, after it",
    ),
    _search(
        "copyright_characters",
        "ctrl+s",
        "list the highlighted copyright's characters (a character's: its series'), most posted first; "
        "type to search among them",
        "Copyright's characters",
        title="Copyright's characters",
        explains="List the highlighted copyright's (or character's series') characters by posts",
    ),
    _on(
        "SearchInput",
        "search",
        "widget",
        "clear_or_leave",
        "ctrl+u",
        "clear the box; on an empty box, leave a copyright's listing",
        "Clear",
    ),
    _search(
        "favourite",
        "ctrl+f",
        "favourite / unfavourite (favourites show when the search is empty)",
        "Favourite",
        title="Favourite the highlighted result",
        explains="Favourites show when the search is empty",
    ),
    # priority: the search box would otherwise type the letter of alt+letter (Textual's Input
    # inserts any key with a printable character).
    *(
        _search(
            f"copy_form({label!r})",
            f"alt+{key}",
            FORM_HELP,
            f"Copy {label}",
            title=FORM_PALETTE[label][0],
            explains=FORM_PALETTE[label][1],
            priority=True,
        )
        for label, key in FORM_COPY_KEYS.items()
    ),
    _search(
        "toggle_sentence_noun",
        "alt+g",
        "the sentence form's noun: girl ↔ boy",
        "Sentence girl/boy",
        title="Sentence: girl / boy",
        explains="The sentence form's noun (alt+g)",
        priority=True,
    ),
    _search(
        "tab_focus",
        "tab",
        "focus the detail pane's forms; in the forms, back to the search box (in the builder: next list)",
        "Forms / search",
        priority=True,
    ),
    _on("ResultsTable", "search", "widget", "cursor(-1)", "up", LIST_HELP, "Up"),
    _on("ResultsTable", "search", "widget", "cursor(1)", "down", LIST_HELP, "Down"),
    _on("ResultsTable", "search", "widget", "cursor(-10)", "pageup", LIST_HELP, "Page up"),
    _on("ResultsTable", "search", "widget", "cursor(10)", "pagedown", LIST_HELP, "Page down"),
    _on("ResultsTable", "search", "widget", "cursor(-1000000)", "home", LIST_HELP, "First"),
    _on("ResultsTable", "search", "widget", "cursor(1000000)", "end", LIST_HELP, "Last"),
    _on(
        "ResultsTable",
        "search",
        "widget",
        "select",
        "enter",
        "as enter in the search box (when the list has the focus)",
        "Add",
    ),
    _search(
        "leave_copyright",
        "",
        title="Leave the copyright listing",
        explains="Back to searching the whole catalog",
    ),
    _search(
        "hide_sources_banner",
        "",
        title="Hide the missing-sources banner",
        explains="Until the catalog is reloaded",
    ),
    _search(
        "toggle_keep_search",
        "",
        title="Keep the search after Enter",
        explains="On / off: Enter clears the box, or not",
    ),
    _search("focus_forms", "", title="Choose a form", explains="Focus the detail pane's forms (tab)"),
    # ---------------------------------------------------------------- forms
    _on(
        "DetailPane",
        "forms",
        "widget",
        "choose_form(-1)",
        "up",
        "choose a form; the chosen one shows whole",
        "Previous form",
    ),
    _on(
        "DetailPane",
        "forms",
        "widget",
        "choose_form(1)",
        "down",
        "choose a form; the chosen one shows whole",
        "Next form",
    ),
    # Letters and digits typed in the forms are search text (they go back to the search box):
    # the forms' own keys are keys no one types as text.
    _on(
        "DetailPane",
        "forms",
        "widget",
        "use_form('insert')",
        "enter",
        "insert the chosen form into the builder",
        "Insert form",
        **SHOWN,
    ),
    _on(
        "DetailPane",
        "forms",
        "widget",
        "use_form('copy')",
        "ctrl+c",
        "copy the chosen form",
        "Copy form",
        **SHOWN,
    ),
    _on(
        "DetailPane",
        "forms",
        "search",
        "leave_forms",
        "escape",
        "back to the search box",
        "Back to search",
        **SHOWN,
    ),
    _textual("forms", "letters / digits", "search text: typed into the search box, which takes the focus"),
    # -------------------------------------------------------------- builder
    _textual("builder", "↑ / ↓", "move to an entry (the lists' own keys)"),
    _textual("builder", "tab", "move between entries and lint findings"),
    _on("EntriesTable", "builder", "widget", "first_entry", "home", "the first / the last entry", "First"),
    _on("EntriesTable", "builder", "widget", "last_entry", "end", "the first / the last entry", "Last"),
    _on(
        "EntriesTable",
        "builder",
        "builder",
        "builder_remove",
        "delete,backspace,x",
        "remove the entry",
        "Remove",
        title="Remove the selected entry",
        explains="Builder: remove the highlighted entry",
        **SHOWN,
    ),
    _on(
        "EntriesTable",
        "builder",
        "builder",
        "builder_move(-1)",
        "shift+up,K",
        "move the entry up / down",
        "Move up",
        title="Move entry up",
        explains="Builder: move the highlighted entry earlier",
    ),
    _on(
        "EntriesTable",
        "builder",
        "builder",
        "builder_move(1)",
        "shift+down,J",
        "move the entry up / down",
        "Move down",
        title="Move entry down",
        explains="Builder: move the highlighted entry later",
    ),
    _on(
        "EntriesTable",
        "builder",
        "builder",
        "builder_weight(1)",
        "plus,equals_sign",
        "weight ±0.05",
        "+0.05",
        title="Weight +0.05",
        explains="Builder: raise the highlighted entry's weight",
        **SHOWN,
    ),
    _on(
        "EntriesTable",
        "builder",
        "builder",
        "builder_weight(-1)",
        "minus",
        "weight ±0.05",
        "-0.05",
        title="Weight -0.05",
        explains="Builder: lower the highlighted entry's weight",
        **SHOWN,
    ),
    _on(
        "EntriesTable",
        "builder",
        "builder",
        "builder_type_weight",
        "w",
        "type a weight",
        "Weight",
        title="Type a weight",
        explains="Builder: set the highlighted entry's weight",
        **SHOWN,
    ),
    _on(
        "EntriesTable",
        "builder",
        "builder",
        "builder_edit_entry",
        "i,f2",
        "edit the entry's text (prompt syntax, read like a paste)",
        "Edit text",
        title="Edit entry text",
        explains="Builder: edit the highlighted entry as prompt text (i)",
    ),
    _builder(
        "toggle_option('auto_order')",
        "o",
        TOGGLES_HELP,
        "Auto-order",
        title="Toggle auto-order",
        explains="Place tags in the model card's slot order",
    ),
    _builder(
        "toggle_option('include_quality')",
        "q",
        TOGGLES_HELP,
        "Quality",
        title="Toggle quality tags",
        explains="Add the quality tags at their default weight",
    ),
    _builder(
        "toggle_option('include_aesthetic')",
        "a",
        TOGGLES_HELP,
        "Aesthetic",
        title="Toggle aesthetic tags",
        explains="Add beautiful color, detailed",
    ),
    _builder(
        "toggle_option('styles_appended')",
        "t",
        TOGGLES_HELP,
        "Styles first/appended",
        title="Toggle styles first / appended",
        explains="Appended styles are gentler",
    ),
    _builder(
        "edit_negative",
        "n",
        "edit the negative prompt (empty restores the model page's default)",
        "Negative",
        title="Edit the negative prompt",
        explains="Empty restores the model page's default",
    ),
    _builder(
        "settings",
        "s",
        "generation settings: aspect preset, size, sampler, steps, CFG, seed",
        "Settings",
        title="Generation settings",
        explains="Size preset, sampler, steps, CFG, seed",
    ),
    _builder(
        "paste_prompt",
        "p",
        "paste a prompt, infotext or PNG path as written; asks append / replace",
        "Paste",
        title="Paste a prompt",
        explains="A prompt, infotext or PNG path into the builder as written (append or replace)",
    ),
    _builder(
        "builder_undo",
        "ctrl+z",
        UNDO_HELP,
        "Undo",
        title="Undo",
        explains="Builder: undo the last edit (ctrl+z)",
    ),
    # ctrl+shift+z reaches the app only where the terminal reports shift with ctrl (the kitty
    # keyboard protocol: kitty, foot, WezTerm, Ghostty); others send plain ctrl+z for it, so Z
    # (shift+z) redoes everywhere (ctrl+y is copy).
    _builder(
        "builder_redo",
        "ctrl+shift+z,ctrl+shift+Z,Z",
        UNDO_HELP,
        "Redo",
        title="Redo",
        explains="Builder: redo what undo took back (Z, ctrl+shift+z)",
    ),
    _builder(
        "save_blend",
        "b",
        "save the style entries as a named blend / load a blend",
        "Save blend",
        title="Save style blend",
        explains="Save the style entries as a named blend",
    ),
    _builder(
        "load_blend",
        "l",
        "save the style entries as a named blend / load a blend",
        "Load blend",
        title="Load style blend",
        explains="Replace the style entries by a saved blend",
    ),
    _builder(
        "save_prompt",
        "S",
        "save the prompt by name / load a saved prompt",
        "Save prompt",
        title="Save prompt",
        explains="Save the builder under a name",
    ),
    _builder(
        "load_prompt",
        "L",
        "save the prompt by name / load a saved prompt",
        "Load prompt",
        title="Load prompt",
        explains="Load a saved prompt into the builder",
    ),
    _builder(
        "view_prompt",
        "v",
        "read the whole positive and negative prompt (the boxes cut a long one with …)",
        "Whole prompt",
        title="Read the whole prompt",
        explains="Positive and negative, uncut, in a scrollable view",
    ),
    _builder("copy('positive')", "y", "copy positive / negative / both", "Copy +"),
    _builder(
        "copy('negative')",
        "Y",
        "copy positive / negative / both",
        "Copy -",
        title="Copy negative prompt",
        explains="Clipboard (OSC 52) and a file fallback",
    ),
    _builder(
        "copy('both')",
        "c",
        "copy positive / negative / both",
        "Copy both",
        title="Copy both prompts",
        explains="Positive, then a `Negative prompt:` line",
    ),
    _builder(
        "export('text')",
        "e",
        "export prompt + settings as text (A1111 parameters) / JSON",
        "Export",
        title="Export as text",
        explains="Prompt and settings, A1111 parameters style",
    ),
    _builder(
        "export('json')",
        "E",
        "export prompt + settings as text (A1111 parameters) / JSON",
        "Export JSON",
        title="Export as JSON",
        explains="Prompt, entries and settings",
    ),
    _builder("focus_search", "slash", "back to the search box", "Search"),
    _builder(
        "sheet", "", title="Style sheet", explains="Run a style sheet of the prompt's styles and their blend"
    ),
    _builder("cancel_preview", "", title="Cancel preview", explains="Stop the running preview"),
    # ------------------------------------------------------------- findings
    _on(
        "FindingsTable",
        "findings",
        "builder",
        "finding_jump",
        "enter",
        "jump to the finding's tag",
        "Jump to tag",
        title="Jump to finding's tag",
        explains="Select the tag the highlighted finding is about",
        **SHOWN,
    ),
    _on(
        "FindingsTable",
        "findings",
        "builder",
        "finding_fix",
        "f",
        "apply the finding's fix",
        "Apply fix",
        title="Apply lint fix",
        explains="Apply the highlighted finding's fix",
        **SHOWN,
    ),
    # -------------------------------------------------------- preview panel
    _on(
        "PreviewPanel",
        "preview panel",
        "widget",
        "copy_path",
        "c",
        "copy the last image's whole path (OSC 52 and the clipboard file); alt+v, a click or "
        '"Preview panel" in the palette focus the panel',
        "Copy path",
        **SHOWN,
    ),
    _on(
        "PreviewPanel",
        "preview panel",
        "widget",
        "view_sheet",
        "v",
        "a sheet's pages in the terminal, with row labels",
        "View sheet pages",
        **SHOWN,
    ),
    _on(
        "PreviewPanel",
        "preview panel",
        "widget",
        "close",
        "x",
        "close the panel (the next preview opens it again)",
        "Close panel",
        **SHOWN,
    ),
    *(
        _on("PathLine", "preview panel", "widget", action, key, PATH_HELP, label)
        for action, key, label in (
            ("scroll_path(-1)", "left", "Path left"),
            ("scroll_path(1)", "right", "Path right"),
            ("scroll_path_to(0)", "home", "Path start"),
            ("scroll_path_to(-1)", "end", "Path end"),
        )
    ),
    # ---------------------------------------------------------- sheet pages
    _on(
        "SheetViewerScreen",
        "sheet pages",
        "widget",
        "page(1)",
        "right,n,pagedown",
        PAGES_HELP,
        "Next page",
        **SHOWN,
    ),
    _on(
        "SheetViewerScreen",
        "sheet pages",
        "widget",
        "page(-1)",
        "left,p,pageup",
        PAGES_HELP,
        "Previous page",
        **SHOWN,
    ),
    _on(
        "SheetViewerScreen", "sheet pages", "widget", "page_to(0)", "home", "first / last page", "First page"
    ),
    _on("SheetViewerScreen", "sheet pages", "widget", "page_to(-1)", "end", "first / last page", "Last page"),
    _on(
        "SheetViewerScreen", "sheet pages", "widget", "close", "escape,q", "close the pages", "Close", **SHOWN
    ),
    # -------------------------------------------------------------- dialogs
    *(
        _on(
            dialog,
            "dialogs",
            "widget",
            "cancel",
            "escape",
            "cancel the dialog (a text, a choice, the settings; closes the whole prompt)",
            "Cancel",
        )
        for dialog in (
            "TextEntryScreen",
            "MultilineEntryScreen",
            "ChoiceScreen",
            "SettingsScreen",
            "WholePromptScreen",
        )
    ),
    *(
        _on(
            dialog,
            "dialogs",
            "widget",
            "accept",
            "ctrl+s",
            "accept a text of several lines (a paste, the negative prompt) or the settings",
            "Accept",
            priority=True,
        )
        for dialog in ("MultilineEntryScreen", "SettingsScreen")
    ),
    _on(
        "HelpScreen",
        "dialogs",
        "widget",
        "dismiss",
        "escape,q,question_mark,f1",
        "close this help",
        "Close",
        **SHOWN,
    ),
    _on(
        "MissingSourcesScreen",
        "dialogs",
        "widget",
        "close",
        "escape,q,f12",
        "close the missing sources",
        "Close",
        **SHOWN,
    ),
    _on(
        "MissingSourcesScreen",
        "dialogs",
        "widget",
        "hide_banner",
        "d",
        "hide the missing-sources banner until the catalog is reloaded",
        "Hide the banner",
        **SHOWN,
    ),
    _on(
        "MissingCatalogScreen",
        "dialogs",
        "widget",
        "run_ingest",
        "i",
        "no catalog yet: build it now",
        "Run the ingest now",
        **SHOWN,
    ),
    _on(
        "MissingCatalogScreen", "dialogs", "app", "quit", "ctrl+q,q", "no catalog yet: quit", "Quit", **SHOWN
    ),
)


def bindings_of(owner: str) -> list[BindingType]:
    """The BINDINGS of the class named `owner`: one binding per action, its keys joined."""
    from textual.binding import Binding

    return [
        Binding(
            ",".join(entry.keys),
            entry.bound_action,
            entry.label,
            show=entry.footer,
            priority=entry.priority,
        )
        for entry in ACTIONS
        if entry.bound_on == owner and entry.keys
    ]


def binding_owners() -> tuple[str, ...]:
    """The classes that bind keys of the registry, in its order."""
    return tuple(dict.fromkeys(entry.bound_on for entry in ACTIONS if entry.bound_on and entry.keys))


def palette_entries() -> tuple[ExplorerAction, ...]:
    """The command palette: every action with a title, in the registry's order."""
    return tuple(entry for entry in ACTIONS if entry.title)


# How the help writes a key.
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
}


def key_name(key: str) -> str:
    """`f1` → F1, `pagedown` → pgdn, `shift+up` → shift+↑."""
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


def help_rows() -> tuple[tuple[str, str, str], ...]:
    """(where, keys, what) of every key: actions of one place with the same text share a row."""
    grouped: dict[tuple[str, str], list[str]] = {}
    for entry in ACTIONS:
        if entry.keys and entry.help:
            grouped.setdefault((entry.where, entry.help), []).extend(key_name(key) for key in entry.keys)
    rows = [(where, keys_text(keys), what) for (where, what), keys in grouped.items()]
    return tuple(sorted(rows, key=lambda row: PLACES.index(row[0])))  # stable: by place


def markdown_table() -> str:
    """The keys table of docs/explorer.md and the README, as they must read."""
    lines = ["| where | keys | what |", "|---|---|---|"]
    lines += [f"| {where} | {keys} | {what} |" for where, keys, what in help_rows()]
    return "\n".join(lines)
