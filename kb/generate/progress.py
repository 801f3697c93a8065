"""Step and cell counters with a rate and an ETA: one estimator for the CLI and the explorer.

`ProgressClock` is told each time a unit (a denoising step, a sheet cell) finishes and answers a
`ProgressReading`: `step 7/20 · 0.40 s/step · ETA 0:05`, or `cell 5/40 · 2.1 s/cell · ETA 1:13`.
The rate is measured from the first timed unit on, so the first one's extra cost (loading the
model, encoding the prompt, compiling) does not inflate the ETA once a second unit is timed;
until then it is the first unit's own time. Units served from a cache (`timed=False`) count as
done but say nothing about speed, and the ETA counts only the units left.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

SEPARATOR = " · "


def format_clock(seconds: float) -> str:
    """`0:05`, `1:20`, `1:02:03` (rounded to whole seconds)."""
    whole = max(0, round(seconds))
    hours, rest = divmod(whole, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"


def format_rate(seconds_per_unit: float, unit: str) -> str:
    """`0.40 s/step`, `12 s/cell`, `2.5 min/cell`."""
    if seconds_per_unit >= 120:
        return f"{seconds_per_unit / 60:.1f} min/{unit}"
    if seconds_per_unit >= 10:
        return f"{seconds_per_unit:.0f} s/{unit}"
    if seconds_per_unit >= 1:
        return f"{seconds_per_unit:.1f} s/{unit}"
    return f"{seconds_per_unit:.2f} s/{unit}"


@dataclass(frozen=True)
class ProgressReading:
    unit: str  # "step" or "cell"
    done: int
    total: int
    seconds_per_unit: float | None  # None until a unit has been timed
    eta_s: float | None  # None until a unit has been timed; 0 when done

    @property
    def label(self) -> str:
        """`step 7/20 · 0.40 s/step · ETA 0:05` (`ETA --:--` before the first timed unit)."""
        return f"{self.unit} {self.done}/{self.total}{SEPARATOR}{self.timing}"

    @property
    def timing(self) -> str:
        """The label without the counter: `0.40 s/step · ETA 0:05`."""
        parts = [] if self.seconds_per_unit is None else [format_rate(self.seconds_per_unit, self.unit)]
        parts.append("ETA --:--" if self.eta_s is None else f"ETA {format_clock(self.eta_s)}")
        return SEPARATOR.join(parts)


class ProgressClock:
    """Measures units as they finish. `clock` is injectable (tests pass a list's values)."""

    def __init__(self, unit: str, clock: Callable[[], float] = time.monotonic) -> None:
        self.unit = unit
        self.clock = clock
        self.started = clock()
        self.first_timed: tuple[float, int] | None = None  # (when, timed units so far) at the first one
        self.timed = 0
        self.last: ProgressReading | None = None

    def update(self, done: int, total: int, *, timed: bool = True) -> ProgressReading:
        """Unit `done` of `total` has finished; `timed=False` for one served from a cache."""
        now = self.clock()
        if timed:
            self.timed += 1
            if self.first_timed is None:
                self.first_timed = (now, self.timed)
        rate: float | None = None
        if self.first_timed is not None:
            first_at, first_count = self.first_timed
            if self.timed > first_count:
                rate = (now - first_at) / (self.timed - first_count)
            else:
                rate = now - self.started
        left = max(0, total - done)
        eta = None if rate is None else rate * left
        if left == 0:
            eta = 0.0
        self.last = ProgressReading(self.unit, done, total, rate, eta)
        return self.last
