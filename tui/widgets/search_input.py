"""The search box: an Input whose typing never asks for a whole-screen layout pass."""

from __future__ import annotations

from typing import Any, ClassVar

from textual.binding import BindingType
from textual.geometry import Size
from textual.message import Message
from textual.reactive import Reactive
from textual.widgets import Input

from tui.keys import bindings_of
from tui.widgets.focus_keys import KeysFollowFocus, search_text_of_paste


class SearchInput(KeysFollowFocus, Input):
    """Textual's Input sets its virtual size to the text's width on every keystroke, and
    `virtual_size` is a layout reactive: each key then re-arranges the whole screen (~10 ms here).
    The box has a fixed size and no scrollbars, so the virtual size only needs a repaint.
    """

    virtual_size: Reactive[Size] = Reactive(Size(0, 0), layout=False)
    TYPES_TEXT = True

    BINDINGS: ClassVar[list[BindingType]] = bindings_of("SearchInput")

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        # Not selected on focus: text typed while the focus comes back (from the results, the
        # forms, the builder) adds to the query instead of replacing it.
        kwargs.setdefault("select_on_focus", False)
        super().__init__(*args, **kwargs)

    class ClearedEmpty(Message):
        """ctrl+u on an empty box: leave the copyright listing, back to the whole catalog."""

    def take_paste(self, text: str) -> None:
        """Typed at the cursor (over the selection), as one line: see `search_text_of_paste`."""
        line = search_text_of_paste(text)
        if self.selection.is_empty:
            self.insert_text_at_cursor(line)
        else:
            self.replace(line, *self.selection)

    def action_clear_or_leave(self) -> None:
        """ctrl+u clears the box (Input's own ctrl+u only deletes left of the cursor); once empty,
        it asks to leave a copyright's listing."""
        if self.value:
            self.value = ""
        else:
            self.post_message(self.ClearedEmpty())
