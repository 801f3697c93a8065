"""Every `aidxl` command's stdout and stderr show control characters as visible `\\uXXXX` escapes.

Names and prompts reach the terminal through many `print`s (search results, lint messages, the
character forms, error lines); rather than trust each one, `visible_output()` wraps both streams
for the length of a command (`tui.cli.main`), so an ESC in a tag name prints as `\\u001b` and never
drives the terminal. The line structure stays: newlines and tabs pass, and `\\r` on stderr (the
progress lines). JSON stays valid and exact: json.dumps escapes C0 controls itself, and the
escapes written for the rest (`\\u009b`, `\\u202e`) are JSON escapes of the same characters.
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


class VisibleControlsStream:
    """A text stream that writes through to `stream` with control characters escaped."""

    def __init__(self, stream: TextIO, keep: str) -> None:
        self.stream = stream
        self.keep = keep

    def write(self, text: str) -> int:
        self.stream.write(visible_controls(text, keep=self.keep) if has_controls(text) else text)
        return len(text)

    def writelines(self, lines: Iterable[str]) -> None:
        for line in lines:
            self.write(line)

    def __getattr__(self, name: str) -> Any:  # flush, isatty, fileno, encoding, buffer, ...
        return getattr(self.stream, name)


@contextmanager
def visible_output() -> Iterator[None]:
    """Within the block, sys.stdout and sys.stderr escape control characters (restored after)."""
    stdout, stderr = sys.stdout, sys.stderr
    sys.stdout = cast(TextIO, VisibleControlsStream(stdout, STDOUT_KEEPS))
    sys.stderr = cast(TextIO, VisibleControlsStream(stderr, STDERR_KEEPS))
    try:
        yield
    finally:
        sys.stdout, sys.stderr = stdout, stderr
