"""Keys act in the order typed, where the focus is when each is handled.

Textual hands a key to the widget focused when the key is read, into that widget's message queue,
and checks the key's bindings only after the event has bubbled up to the app (through each
parent's queue). Keys typed quickly are thus handled out of order: `ctrl+u ganyu` typed the
letters first and then cleared them all; the `y` typed after a key that switches to the builder
went into the search box. A widget with `KeysFollowFocus`:

- runs the bindings of a key as soon as the key reaches it (the focused widget's, then its
  parents', then the app's: Textual's own chain and `check_action`), before the next key;
- passes a key that reaches it after it lost the focus on to the widget focused now.

Keys that switch views are also app-level priority bindings (tui/explorer.py), handled
before any later key is handed to a widget.

A paste (one `events.Paste`, whatever it holds: tui/terminal.py keeps ESC inside it from becoming
keys) is text wherever the focus is, never keys: the search box types it, the results and the detail
pane hand it to the search box, the builder imports it as a pasted prompt. Like a key, a paste that
reaches a widget after it lost the focus goes on to the widget focused now.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from textual import events
from textual.message import Message
from textual.widget import Widget

from kb.display_text import visible_controls

if TYPE_CHECKING:
    _Base = Widget
else:
    _Base = object


class KeysFollowFocus(_Base):
    """Mix in before the widget class: `class SearchInput(KeysFollowFocus, Input)`."""

    TYPES_TEXT = False  # True for a text box: its printable keys are text, whatever is bound to them

    def focused_now(self) -> bool:
        """Whether this widget has the focus at this moment (see `_on_key`)."""
        return self.is_attached and self.screen.focused is self

    async def _on_key(self, event: events.Key) -> None:
        # Textual calls the `_on_key` of every class in the MRO (no super() here); prevent_default
        # keeps the widget's own handlers (the Input typing the key) from running. The screen's
        # `focused`, not `has_focus`: that one changes only when the Blur message (queued after
        # the keys already here) is handled.
        if not self.is_attached:
            return
        focused = self.screen.focused
        if focused is not None and focused is not self:
            event.stop()
            event.prevent_default()
            focused._forward_event(events.Key(event.key, event.character))
            return
        if self.TYPES_TEXT and event.is_printable:
            return  # a text box types it (`?` is text there, not help)
        # Textual's own binding check (App._on_key does the same once the event has bubbled up).
        if focused is self and await self.app._check_bindings(event.key):
            event.stop()
            event.prevent_default()

    def _on_paste(self, event: events.Paste) -> None:
        # Runs before the widget's own `_on_paste` (Input's types only the first line, raw).
        if not self.is_attached:
            return
        event.stop()
        event.prevent_default()
        focused = self.screen.focused
        if focused is not None and focused is not self:
            focused._forward_event(events.Paste(event.text))
            return
        self.take_paste(event.text)

    def take_paste(self, text: str) -> None:
        """What this widget does with pasted text: by default, the builder imports it."""
        self.post_message(PromptPasted(text))


def search_text_of_paste(text: str) -> str:
    """Pasted text as the one-line search box takes it: its lines joined by a space (a paste of
    several lines loses none), tabs as spaces, other control characters shown as `\\u001b`."""
    lines = [line.strip() for line in text.replace("\t", " ").splitlines()]
    return visible_controls(" ".join(line for line in lines if line))


class PromptPasted(Message):
    """Text pasted while the builder has the focus: the app imports it as a pasted prompt."""

    def __init__(self, text: str) -> None:
        super().__init__()
        self.text = text


class SearchTypedText(Message):
    """A printable key a widget has no use for: the app types it into the search box."""

    def __init__(self, text: str) -> None:
        super().__init__()
        self.text = text


class TypesIntoSearch(KeysFollowFocus):
    """`KeysFollowFocus` for a list or pane beside the search box: typed text is never lost nor
    taken for a command, the printable keys it does not bind go to the search box."""

    def on_key(self, event: events.Key) -> None:
        own_keys = {key.strip() for binding in self._bindings.key_to_bindings for key in binding.split(",")}
        if self.focused_now() and event.is_printable and event.character and event.key not in own_keys:
            event.stop()
            event.prevent_default()
            self.post_message(SearchTypedText(event.character))

    def take_paste(self, text: str) -> None:
        self.post_message(SearchTypedText(search_text_of_paste(text)))
