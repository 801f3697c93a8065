"""A progress bar on stderr (rich.progress) for work that runs more than a second: the ingest's
stages, the search index build. Silent when the stream is not a terminal; the bar is erased when
the work ends, so a log or the terminal keeps only the command's own lines."""

from __future__ import annotations

import sys
import time
from typing import TYPE_CHECKING, TextIO

if TYPE_CHECKING:
    import rich.progress

SHOW_AFTER_SECONDS = 1.0
REFRESHES_PER_SECOND = 4  # the elapsed time ticks while a long stage runs


class Progress:
    """`begin(3)`, then `step("reading danbooru.csv")` as each stage starts, then `done()` (or use
    it as a context manager, which calls `done()` however the work ends).

    Nothing is drawn until the work has run `show_after_seconds` (a no-op ingest shows nothing);
    then the bar starts with the stages already done: `aidxl ingest ━━━━╺━━━ 2/6 reading x.csv 1.2 s`.
    rich is imported only then.
    """

    def __init__(
        self,
        stream: TextIO | None = None,
        show_after_seconds: float = SHOW_AFTER_SECONDS,
        *,
        title: str = "aidxl ingest",
    ) -> None:
        self._stream = stream if stream is not None else sys.stderr
        self._enabled = self._stream.isatty()
        self._show_after = show_after_seconds
        self._title = title
        self._started = time.monotonic()
        self._total: int | None = None
        self._stages_started = 0
        self._label = ""
        self._bar: rich.progress.Progress | None = None
        self._task: rich.progress.TaskID | None = None

    def begin(self, total_stages: int) -> None:
        self._total = total_stages
        self._draw()

    def step(self, label: str) -> None:
        """Stage `label` starts: the stages before it are complete."""
        self._stages_started += 1
        self._label = label
        self._draw()

    def done(self) -> None:
        """Erase the bar (if it showed)."""
        if self._bar is not None:
            self._bar.stop()
            self._bar = None

    def __enter__(self) -> Progress:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.done()

    def _draw(self) -> None:
        if not self._enabled or not self._label:
            return
        if self._bar is None:
            if time.monotonic() - self._started < self._show_after:
                return
            self._bar, self._task = self._start_bar()
        assert self._task is not None
        self._bar.update(
            self._task, description=self._label, completed=self._stages_started - 1, total=self._total
        )
        self._bar.refresh()

    def _start_bar(self) -> tuple[rich.progress.Progress, rich.progress.TaskID]:
        from rich.console import Console
        from rich.progress import BarColumn, MofNCompleteColumn, ProgressColumn, TextColumn
        from rich.progress import Progress as RichProgress
        from rich.text import Text

        started = self._started

        class SinceStart(ProgressColumn):
            """Seconds since the work began (not since the bar appeared)."""

            def render(self, task: rich.progress.Task) -> Text:
                return Text(f"{time.monotonic() - started:.1f} s", style="progress.elapsed")

        bar = RichProgress(
            TextColumn(self._title),
            BarColumn(),
            MofNCompleteColumn(),
            TextColumn("{task.description}"),
            SinceStart(),
            console=Console(file=self._stream),
            transient=True,
            refresh_per_second=REFRESHES_PER_SECOND,
        )
        task = bar.add_task(self._label, total=self._total, completed=self._stages_started - 1)
        bar.start()
        return bar, task
