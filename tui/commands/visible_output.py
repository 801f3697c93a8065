"""Every `aidxl` command's stdout and stderr show control characters as visible `\\uXXXX` escapes.

Names and prompts reach the terminal through many `print`s (search results, lint messages, the
character forms, error lines); rather than trust each one, `visible_output()` wraps both streams
for the length of a command (`tui.cli.main`), so an ESC in a tag name prints as `\\u001b` and never
drives the terminal. The line structure stays: newlines and tabs pass, and on stderr `\\r`,
tqdm's own cursor moves (the progress lines of Hub downloads) and what rich draws (the ingest and
download bars: rich strips control characters from the text it is given, so its own output is
only its drawing). JSON stays valid and exact:
json.dumps escapes C0 controls itself, and the escapes written for the rest (`\\u009b`, `\\u202e`)
are JSON escapes of the same characters.
The explorer draws through Textual and shows names through `kb.display_text.visible_controls`.
"""

from __future__ import annotations

import sys
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from typing import Any, TextIO, cast

from kb.display_text import has_controls, visible_controls

STDOUT_KEEPS = "\n\t"
STDERR_KEEPS = "\n\t\r"


# tqdm (the Hub's download bars) moves the cursor up to redraw nested bars, one write of its own.
PROGRESS_BAR_MOVE_UP = "\x1b[A"


class VisibleControlsStream:
    """A text stream that writes through to `stream` with control characters escaped."""

    def __init__(self, stream: TextIO, keep: str, *, progress_bars: bool = False) -> None:
        self.stream = stream
        self.keep = keep
        self.progress_bars = progress_bars  # let tqdm's cursor moves through (stderr)

    def write(self, text: str) -> int:
        if has_controls(text) and not (self.progress_bars and _is_progress_bar_drawing(text)):
            text_shown = visible_controls(text, keep=self.keep)
        else:
            text_shown = text
        self.stream.write(text_shown)
        return len(text)

    def writelines(self, lines: Iterable[str]) -> None:
        for line in lines:
            self.write(line)

    def __getattr__(self, name: str) -> Any:  # flush, isatty, fileno, encoding, buffer, ...
        return getattr(self.stream, name)


def _is_progress_bar_drawing(text: str) -> bool:
    """Is this write a progress bar drawing itself: rich's console (which strips control characters
    from the text it renders), or tqdm moving the cursor up (a write of that alone, from its code)?"""
    caller = sys._getframe(2)  # _is_progress_bar_drawing <- write <- the writer
    writer = str(caller.f_globals.get("__name__", ""))
    if writer.startswith("rich."):
        return True
    if not text or text.replace(PROGRESS_BAR_MOVE_UP, ""):
        return False
    return writer.startswith("tqdm.")


@contextmanager
def visible_output() -> Iterator[None]:
    """Within the block, sys.stdout and sys.stderr escape control characters (restored after)."""
    stdout, stderr = sys.stdout, sys.stderr
    sys.stdout = cast(TextIO, VisibleControlsStream(stdout, STDOUT_KEEPS))
    sys.stderr = cast(TextIO, VisibleControlsStream(stderr, STDERR_KEEPS, progress_bars=True))
    try:
        yield
    finally:
        sys.stdout, sys.stderr = stdout, stderr
