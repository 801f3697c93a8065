"""Every key of the explorer is in its help, and the docs' keys tables are the help's.

The help screen reads the keys from the app's and its widgets' BINDINGS (tui/screens/help.py);
these tests fail when a binding has no help row, when a help row lost its binding, or when
docs/explorer.md or the README carries another table than `markdown_table()`.
"""

from __future__ import annotations

from pathlib import Path

from rich.console import Console

from tui.screens.help import (
    ACTION_HELP,
    EXTRA_ROWS,
    binding_owners,
    bound_action,
    help_of,
    key_rows,
    keys_table,
    markdown_table,
    own_bindings,
    unhelped_bindings,
)

REPO = Path(__file__).resolve().parents[1]


def test_every_binding_has_a_help_row() -> None:
    assert unhelped_bindings() == []


def test_every_help_row_has_a_binding() -> None:
    bound = {
        help_of(owner, bound_action(owner, binding.action), binding.key)
        for owner, cls in binding_owners().items()
        for binding in own_bindings(cls)
    }
    assert [entry.text for entry in ACTION_HELP if entry not in bound] == []
    assert len(key_rows()) == len(ACTION_HELP) + len(EXTRA_ROWS)


def test_the_keys_issue_12_names_are_listed() -> None:
    keys = {keys for _, keys, _ in key_rows()}
    assert {"ctrl+u", "alt+a / alt+p / alt+s / alt+o", "alt+g", "tab", "ctrl+l", "F2 … F9"} <= keys
    assert ("forms", "i", "insert the chosen form into the builder") in key_rows()


def test_the_help_screen_prints_every_row() -> None:
    console = Console(width=200, record=True)
    console.print(keys_table())
    printed = console.export_text()
    for _, keys, _ in key_rows():
        for key in keys.split(" / "):  # a long list of keys wraps between them
            assert key in printed, key


def test_docs_and_readme_carry_the_help_table() -> None:
    table = markdown_table()
    for document in ("docs/explorer.md", "README.md"):
        text = (REPO / document).read_text(encoding="utf-8")
        assert table in text, f"{document}: paste tui.screens.help.markdown_table() as its keys table"
