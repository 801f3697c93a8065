"""The explorer's terminal driver: the real terminal's size, and pastes that always arrive as text.

Size: Textual's Linux driver draws on stderr but takes the size from `shutil.get_terminal_size()`,
which asks stdout: piped (`./dev.sh | tee log`), that is no terminal and Textual falls back to 80x24
whatever the window's size. `RealSizeDriver` asks the terminal it draws on (stderr), then stdin,
then stdout; COLUMNS and LINES still win, as with shutil.

Pastes: a terminal wraps pasted text in ESC[200~ … ESC[201~. Textual's XTermParser (8.x) keeps only
the characters it reads at its top level in the paste: after an ESC inside the paste it reads an
escape sequence, and when that is no known key (or the next ESC comes) it sends what it read as KEYS,
before the paste's text. Pasting `ab<ESC>cd` gave the keys `^ c d` and then the paste `ab`: text out of
order in the search box, and letters that ran as commands in the builder. `PasteSafeParser` hides each
ESC inside a paste from Textual's parser (a stand-in character the UTF-8 decoder never yields) and puts
it back in the Paste event, so a paste is one Paste event with every character it held.

Imports Textual: import this module only to run the explorer.
"""

from __future__ import annotations

import os
import selectors
import sys
from codecs import getincrementaldecoder
from collections.abc import Iterable, Iterator
from typing import TYPE_CHECKING, Any, Final

from textual import events
from textual._parser import ParseError
from textual._xterm_parser import BRACKETED_PASTE_END, BRACKETED_PASTE_START, XTermParser
from textual.drivers.linux_driver import LinuxDriver
from textual.message import Message

if TYPE_CHECKING:
    from textual.app import App


def terminal_size(descriptors: Iterable[int]) -> tuple[int, int] | None:
    """(columns, lines) of the first descriptor that is a terminal with a size, else None."""
    for descriptor in descriptors:
        try:
            size = os.get_terminal_size(descriptor)
        except OSError:
            continue
        if size.columns > 0 and size.lines > 0:
            return size.columns, size.lines
    return None


def _environment_size(name: str) -> int | None:
    try:
        value = int(os.environ.get(name, ""))
    except ValueError:
        return None
    return value if value > 0 else None


def standard_descriptors() -> list[int]:
    """stderr (where Textual draws), stdin, stdout: those that have a descriptor."""
    descriptors = []
    for stream in (sys.__stderr__, sys.__stdin__, sys.__stdout__):
        if stream is None:  # no such stream (pythonw, a daemon)
            continue
        try:
            descriptors.append(stream.fileno())
        except (ValueError, OSError):  # closed, or not backed by a descriptor
            continue
    return descriptors


ESC: Final = "\x1b"
# What an ESC inside a paste travels as through Textual's parser: a lone surrogate, which a UTF-8
# decoder never produces (the driver decodes the terminal's bytes strictly), so it cannot be text.
PASTED_ESC_STAND_IN: Final = "\udc1b"


class PasteSafeParser(XTermParser):
    """Textual's XTermParser, with every ESC inside a bracketed paste delivered in the Paste event's
    text instead of read as the start of a key (see the module docstring). One pass over the input,
    state kept between `feed` calls: a marker or an ESC split across two reads is still recognised."""

    def __init__(self, debug: bool = False) -> None:
        super().__init__(debug)
        self._in_paste = False
        self._start_matched = 0  # outside a paste: how much of BRACKETED_PASTE_START was just read
        self._held = ""  # inside a paste: an ESC and what followed it, while it may be the end marker

    def feed(self, data: str) -> Iterable[Message]:
        if not data:  # the end of input: an ESC still held was pasted text
            shielded = self._release_held()
            tokens = [*super().feed(shielded)] if shielded else []
            return self._restored([*tokens, *super().feed("")])
        shielded = self._shield(data)
        # An empty feed means end of input to Textual's parser: feed nothing while we hold it all back.
        return self._restored(super().feed(shielded)) if shielded else ()

    def tick(self) -> Iterable[Message]:
        return self._restored(super().tick())

    def _release_held(self) -> str:
        held, self._held = self._held, ""
        return PASTED_ESC_STAND_IN + held[1:] if held else ""

    def _shield(self, data: str) -> str:
        """`data` with each ESC inside a paste (not the one that ends it) replaced by the stand-in."""
        kept: list[str] = []
        for character in data:
            if not self._in_paste:
                kept.append(character)
                self._track_paste_start(character)
            elif self._held:
                candidate = self._held + character
                if candidate == BRACKETED_PASTE_END:
                    kept.append(candidate)
                    self._held = ""
                    self._in_paste = False
                elif BRACKETED_PASTE_END.startswith(candidate):
                    self._held = candidate
                else:  # not the end marker: the held ESC was text, and this character starts afresh
                    kept.append(self._release_held())
                    if character == ESC:
                        self._held = ESC
                    else:
                        kept.append(character)
            elif character == ESC:
                self._held = ESC
            else:
                kept.append(character)
        return "".join(kept)

    def _track_paste_start(self, character: str) -> None:
        if character == BRACKETED_PASTE_START[self._start_matched]:
            self._start_matched += 1
        else:  # the marker has no repeated prefix: only an ESC can start it again
            self._start_matched = 1 if character == ESC else 0
        if self._start_matched == len(BRACKETED_PASTE_START):
            self._in_paste = True
            self._start_matched = 0

    @staticmethod
    def _restored(tokens: Iterable[Message]) -> Iterator[Message]:
        for token in tokens:
            if isinstance(token, events.Paste) and PASTED_ESC_STAND_IN in token.text:
                yield events.Paste(token.text.replace(PASTED_ESC_STAND_IN, ESC))
            else:
                yield token


class RealSizeDriver(LinuxDriver):
    """Textual's Linux driver, sized by the terminal it draws on rather than by stdout, reading
    its input with `PasteSafeParser`."""

    def run_input_thread(self) -> None:
        """Wait for input and hand each event to the app: Textual's own loop (select, read, decode
        incrementally, parse, check the parser's escape-key timeout), with PasteSafeParser."""
        parser = PasteSafeParser(self._debug)
        decode = getincrementaldecoder("utf-8")().decode
        selector = selectors.SelectSelector()
        selector.register(self.fileno, selectors.EVENT_READ)

        def read_ready(ready: list[tuple[selectors.SelectorKey, int]], final: bool = False) -> None:
            for position, (_key, mask) in enumerate(ready):
                if mask & selectors.EVENT_READ:
                    last = position == len(ready) - 1
                    text = decode(os.read(self.fileno, 4096), final=final and last)
                    if not text:  # a piped stdin at its end
                        break
                    for event in parser.feed(text):
                        self.process_message(event)
            for event in parser.tick():
                self.process_message(event)

        try:
            while not self.exit_event.is_set():
                read_ready(selector.select(0.1))
            selector.unregister(self.fileno)
            read_ready(selector.select(0.1), final=True)
        finally:
            selector.close()
            try:
                for _event in parser.feed(""):
                    pass
            except (EOFError, ParseError):
                pass

    def _get_terminal_size(self) -> tuple[int, int]:
        found = terminal_size(standard_descriptors())
        if found is None:
            return super()._get_terminal_size()
        columns, lines = found
        return _environment_size("COLUMNS") or columns, _environment_size("LINES") or lines


def use_real_terminal_size(app: App[Any]) -> None:
    """Run `app` with RealSizeDriver when it would use Textual's plain Linux driver (not on Windows,
    not with a TEXTUAL_DRIVER of the user's, not headless)."""
    if app.driver_class is LinuxDriver:
        app.driver_class = RealSizeDriver
