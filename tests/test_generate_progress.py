"""The one step/cell estimator: counter, rate and ETA, measured on an injected clock."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from kb.generate.progress import ProgressClock, ProgressReading, format_clock, format_rate


def clock_of(times: list[float]) -> object:
    ticks: Iterator[float] = iter(times)
    return lambda: next(ticks)


def test_the_first_step_includes_the_warm_up_and_later_ones_do_not() -> None:
    # started at 0; step 1 at 3.0 s (encode + compile); then 0.4 s per step
    clock = ProgressClock("step", clock_of([0.0, 3.0, 3.4, 3.8, 4.2]))  # type: ignore[arg-type]
    first = clock.update(1, 20)
    assert (first.seconds_per_unit, first.eta_s) == (3.0, 57.0)
    clock.update(2, 20)
    clock.update(3, 20)
    seventh_like = clock.update(4, 20)
    assert seventh_like.seconds_per_unit == pytest.approx(0.4)
    assert seventh_like.eta_s == pytest.approx(6.4)
    assert seventh_like.label == "step 4/20 · 0.40 s/step · ETA 0:06"


def test_cached_cells_count_as_done_but_not_as_speed() -> None:
    clock = ProgressClock("cell", clock_of([0.0, 0.01, 0.02, 5.0, 7.0]))  # type: ignore[arg-type]
    assert clock.update(1, 40, timed=False).label == "cell 1/40 · ETA --:--"
    clock.update(2, 40, timed=False)
    assert clock.update(3, 40).seconds_per_unit == 5.0
    fourth = clock.update(4, 40)
    assert fourth.seconds_per_unit == 2.0 and fourth.eta_s == 72.0
    assert fourth.label == "cell 4/40 · 2.0 s/cell · ETA 1:12"


def test_done_means_no_time_left() -> None:
    clock = ProgressClock("step", clock_of([0.0, 1.0, 2.0]))  # type: ignore[arg-type]
    clock.update(1, 2)
    assert clock.update(2, 2).eta_s == 0.0


@pytest.mark.parametrize(
    ("seconds", "shown"), [(0, "0:00"), (4.6, "0:05"), (80, "1:20"), (3723, "1:02:03"), (-3, "0:00")]
)
def test_clock_format(seconds: float, shown: str) -> None:
    assert format_clock(seconds) == shown


@pytest.mark.parametrize(
    ("seconds", "shown"),
    [(0.4, "0.40 s/step"), (2.14, "2.1 s/step"), (12.3, "12 s/step"), (150, "2.5 min/step")],
)
def test_rate_format(seconds: float, shown: str) -> None:
    assert format_rate(seconds, "step") == shown


def test_a_reading_before_any_timing_says_so() -> None:
    assert ProgressReading("step", 0, 28, None, None).label == "step 0/28 · ETA --:--"
