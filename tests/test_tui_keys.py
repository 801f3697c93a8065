"""One action registry (tui/keys.py) for every key of the explorer.

These tests fail when a class binds a key the registry does not give it (or misses one it does),
when an action does not exist where the registry says it runs, when a single letter could be
taken as a command while text is typed, and when docs/explorer.md or the README carries another
keys table than the registry's.
"""

from __future__ import annotations

from pathlib import Path
from typing import ClassVar

import pytest
from rich.console import Console
from textual.binding import Binding, BindingType
from textual.dom import DOMNode

from tui.keys import (
    ACTIONS,
    APP,
    BUILDER_VIEW,
    SEARCH_VIEW,
    VIEW_CLASSES,
    binding_owners,
    bindings_of,
    help_rows,
    markdown_table,
    palette_entries,
)
from tui.screens.help import keys_table

REPO = Path(__file__).resolve().parents[1]


def owner_classes() -> dict[str, type[DOMNode]]:
    from tui.explorer import ExplorerApp
    from tui.screens.builder import BuilderView
    from tui.screens.dialogs import ChoiceScreen, MultilineEntryScreen, TextEntryScreen, WholePromptScreen
    from tui.screens.help import HelpScreen
    from tui.screens.missing_catalog import MissingCatalogScreen
    from tui.screens.missing_sources import MissingSourcesScreen
    from tui.screens.search import SearchView
    from tui.screens.settings import SettingsScreen
    from tui.screens.sheet_viewer import SheetViewerScreen
    from tui.widgets.builder_pane import EntriesTable, FindingsTable
    from tui.widgets.detail import DetailPane
    from tui.widgets.preview_panel import PathLine, PreviewPanel
    from tui.widgets.results import ResultsTable
    from tui.widgets.search_input import SearchInput

    classes: list[type[DOMNode]] = [
        ExplorerApp,
        SearchView,
        BuilderView,
        SearchInput,
        ResultsTable,
        DetailPane,
        EntriesTable,
        FindingsTable,
        TextEntryScreen,
        MultilineEntryScreen,
        ChoiceScreen,
        SettingsScreen,
        HelpScreen,
        MissingSourcesScreen,
        MissingCatalogScreen,
        PreviewPanel,
        PathLine,
        SheetViewerScreen,
        WholePromptScreen,
    ]
    return {cls.__name__: cls for cls in classes}


def declared(items: list[BindingType]) -> list[tuple[str, str, str, bool, bool]]:
    """(key, action, description, show, priority) of each key of a BINDINGS list."""
    found: list[tuple[str, str, str, bool, bool]] = []
    for item in items:
        binding = item if isinstance(item, Binding) else Binding(*item)
        for key in binding.key.split(","):
            found.append((key.strip(), binding.action, binding.description, binding.show, binding.priority))
    return found


def unregistered_bindings(cls: type[DOMNode], owner: str) -> list[str]:
    """Bindings of `cls` that the registry does not give `owner`, and the registry's it lacks."""
    wanted = declared(bindings_of(owner))
    have = declared(cls.__dict__.get("BINDINGS", []))  # its own, not inherited
    return [f"{owner} binds {item}" for item in have if item not in wanted] + [
        f"{owner} lacks {item}" for item in wanted if item not in have
    ]


def test_every_class_binds_exactly_the_registrys_keys() -> None:
    classes = owner_classes()
    assert set(binding_owners()) == set(classes)
    problems = [problem for owner, cls in classes.items() for problem in unregistered_bindings(cls, owner)]
    assert problems == []


def test_a_binding_added_by_hand_is_caught() -> None:
    from tui.screens.builder import BuilderView

    class HandBound(BuilderView):
        BINDINGS: ClassVar[list[BindingType]] = [*bindings_of(BUILDER_VIEW), Binding("u", "builder_undo")]

    assert unregistered_bindings(HandBound, BUILDER_VIEW) == [
        f"{BUILDER_VIEW} binds ('u', 'builder_undo', '', True, False)"
    ]


def test_every_action_exists_where_it_runs() -> None:
    classes = owner_classes()
    missing: list[str] = []
    for entry in ACTIONS:
        if entry.runs == "textual":
            assert not entry.bound_on and not entry.title, entry  # Textual's own: help only
            continue
        where = entry.bound_on if entry.runs == "widget" else VIEW_CLASSES[entry.runs]
        if not callable(getattr(classes[where], f"action_{entry.name}", None)):
            missing.append(f"{where}.action_{entry.name} ({entry.action})")
    assert missing == []


def test_a_widgets_key_for_a_views_action_runs_it_on_the_view() -> None:
    remove = next(entry for entry in ACTIONS if entry.action == "builder_remove")
    assert remove.bound_on == "EntriesTable" and remove.bound_action == "view('builder_remove')"
    cursor = next(entry for entry in ACTIONS if entry.action == "results_cursor(1)")
    assert cursor.bound_on == SEARCH_VIEW and cursor.bound_action == "results_cursor(1)"


# Keys that type a character: as commands they would eat text typed into the search box.
TYPED_NAMES = {"question_mark", "slash", "plus", "minus", "equals_sign"}
# Where such keys may act: the builder (its own view), panes that take the focus from the box, and
# screens without a text box of their own. Not the detail pane's forms: letters and digits typed
# there are search text (issue 12's trial: tab, `kiki` inserted a form at each `i`).
LETTER_OWNERS = {
    BUILDER_VIEW,
    "EntriesTable",
    "FindingsTable",
    "ResultsTable",
    "HelpScreen",
    "MissingSourcesScreen",
    "MissingCatalogScreen",
    "PreviewPanel",
    "SheetViewerScreen",
}


def test_letters_are_commands_only_where_no_text_is_typed() -> None:
    """Item 8: a typed letter is never a command of the search view or the app; `?` (help) is the
    app's only one, and the search box types it (its text keys come first)."""
    from tui.widgets.search_input import SearchInput

    assert SearchInput.TYPES_TEXT
    for entry in ACTIONS:
        for key in entry.keys:
            if len(key) == 1 or key in TYPED_NAMES:
                allowed = entry.bound_on in LETTER_OWNERS or (
                    entry.bound_on == APP and key == "question_mark"
                )
                assert allowed, f"{key!r} → {entry.action} on {entry.bound_on}"


def test_no_key_is_bound_twice_in_one_class() -> None:
    for owner in binding_owners():
        keys = [key for entry in ACTIONS if entry.bound_on == owner for key in entry.keys]
        assert len(keys) == len(set(keys)), owner


def test_palette_entries_are_complete_and_unique() -> None:
    entries = palette_entries()
    titles = [entry.title for entry in entries]
    assert len(titles) == len(set(titles))
    assert all(entry.explains for entry in entries)
    assert all(entry.runs in ("app", "search", "builder") for entry in entries)
    shown = [entry for entry in ACTIONS if entry.footer]
    assert all(entry.label and entry.keys for entry in shown)


def test_every_keyed_action_has_its_help_row() -> None:
    rows = help_rows()
    texts = {(where, what) for where, _, what in rows}
    keyed = [entry for entry in ACTIONS if entry.keys]
    assert [entry.action for entry in keyed if (entry.where, entry.help) not in texts] == []
    assert len(rows) == len({(entry.where, entry.help) for entry in keyed})


@pytest.mark.parametrize(
    ("where", "keys", "what"),
    [
        (
            "builder",
            "o / q / a / t",
            "toggle auto-order, quality tags, aesthetic tags, styles first/appended",
        ),
        ("search", "F2 … F9", None),
        ("anywhere", "F1 / ?", "this help (every key)"),
        ("builder", "ctrl+z / ctrl+shift+z / ctrl+shift+Z / Z", None),
    ],
)
def test_actions_of_one_text_share_a_row(where: str, keys: str, what: str | None) -> None:
    row = next(row for row in help_rows() if row[0] == where and row[1] == keys)
    assert what is None or row[2] == what


def test_the_keys_issue_12_names_are_listed() -> None:
    keys = {keys for _, keys, _ in help_rows()}
    assert {"ctrl+u", "alt+a / alt+p / alt+s / alt+o", "alt+g", "tab", "ctrl+l", "F2 … F9"} <= keys
    assert ("forms", "enter", "insert the chosen form into the builder") in help_rows()


def test_the_help_screen_prints_every_row() -> None:
    console = Console(width=200, record=True)
    console.print(keys_table())
    printed = console.export_text()
    for _, keys, what in help_rows():
        for key in keys.split(" / "):  # a long list of keys wraps between them
            assert key in printed, key
        assert what.split()[0] in printed


def test_docs_and_readme_carry_the_registrys_table() -> None:
    table = markdown_table()
    for document in ("docs/explorer.md", "README.md"):
        text = (REPO / document).read_text(encoding="utf-8")
        assert table in text, f"{document}: paste tui.keys.markdown_table() as its keys table"
