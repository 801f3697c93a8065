"""The search box: an Input whose typing never asks for a whole-screen layout pass."""

from __future__ import annotations

from textual.geometry import Size
from textual.reactive import Reactive
from textual.widgets import Input


class SearchInput(Input):
    """Textual's Input sets its virtual size to the text's width on every keystroke, and
    `virtual_size` is a layout reactive: each key then re-arranges the whole screen (~10 ms here).
    The box has a fixed size and no scrollbars, so the virtual size only needs a repaint.
    """

    virtual_size: Reactive[Size] = Reactive(Size(0, 0), layout=False)
