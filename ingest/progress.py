"""Progress on stderr for ingests that take more than a second; silent when stderr is not a terminal."""

from __future__ import annotations

import sys
import time
from typing import TextIO

SHOW_AFTER_SECONDS = 1.0


class Progress:
    """`step("reading danbooru.csv")` rewrites one status line once the ingest has run a second."""

    def __init__(self, stream: TextIO | None = None, show_after_seconds: float = SHOW_AFTER_SECONDS) -> None:
        self._stream = stream if stream is not None else sys.stderr
        self._enabled = self._stream.isatty()
        self._show_after = show_after_seconds
        self._started = time.monotonic()
        self._shown = False

    def step(self, label: str) -> None:
        if not self._enabled or time.monotonic() - self._started < self._show_after:
            return
        elapsed = time.monotonic() - self._started
        self._stream.write(f"\r\x1b[2Kaidxl ingest: {label} ({elapsed:.1f} s)")
        self._stream.flush()
        self._shown = True

    def done(self) -> None:
        if self._shown:
            self._stream.write("\r\x1b[2K")
            self._stream.flush()
