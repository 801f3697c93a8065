"""The recognition measure: does a style move the picture further than a made-up trigger would?

Distance `mad64`: both images are converted to RGB, downscaled to 64x64 with LANCZOS (this drops
noise-level detail and compares composition, palette and shading), scaled to 0..1, and their mean
absolute difference over all pixels and channels is the distance (0 identical, 1 white vs black).
A row's score is the mean distance over its (seed, base prompt) columns, each against the baseline
cell of the same column.

Verdict (measure `mad64/2`): any prompt change moves pixels, so a score means something only next
to the scores of triggers the model cannot know. Every sheet measures `controls` made-up triggers
(kb/sheets/controls.py) beside its styles, with the same seeds, base prompts and token lengths.
A style's score s is tested against the k control scores with a one-sided t prediction test on
log distances (distances are right-skewed; their logs are close to normal):
t = (log s - mean) / (sd * sqrt(1 + 1/k)) with k - 1 degrees of freedom, p = P(T >= t).
p <= 0.01 -> yes: the stated false-positive rate is 1 % for a trigger the model does not know. On
the random-weight model, where every trigger is unknown, 1.7 % came out `yes` (3,000 resampled
sheets of 8 controls over 232 scored triggers; raw instead of log distances gave 2.9 %), and
tests/test_recognition_calibration.py checks at most 5 % over 40 triggers. p > 0.10 -> no (the
style moves the picture no more than nine in ten made-up names do); else unsure. Fewer than 2 columns or 3
controls is always unsure. Controls are scored the same way, each against the other controls
(leave one out), so every sheet shows its own false-positive check; a control that comes out
`yes` that way (a made-up name holding a token the model learned) is set aside from the reference
for the styles, one at a time while more than 3 remain (`reference_controls`).
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
from PIL import Image

from kb.errors import PromptSyntaxError
from kb.prompt.attention import parse_prompt_attention
from kb.recognition import Recognition
from kb.sheets.plan import PlannedRow, SheetPlan
from kb.sheets.spec import spec_hash

MEASURE_NAME = "mad64/2"
MEASURE_SIDE = 64
YES_P_AT_MOST = 0.01  # the stated false-positive rate of `yes`
NO_P_ABOVE = 0.10
MIN_SAMPLES_FOR_VERDICT = 2
MIN_CONTROLS_FOR_VERDICT = 3
_SMALLEST_DISTANCE = 1e-6  # log(0) guard: identical images are one grey level apart at most


def _pixels(path: Path) -> np.ndarray:
    with Image.open(path) as image:
        small = image.convert("RGB").resize((MEASURE_SIDE, MEASURE_SIDE), Image.Resampling.LANCZOS)
    return np.asarray(small, dtype=np.float64) / 255.0


def image_distance(first: Path, second: Path) -> float:
    """`mad64/1` distance between two images, in 0..1."""
    return float(np.mean(np.abs(_pixels(first) - _pixels(second))))


def t_upper_tail(t_value: float, degrees_of_freedom: int) -> float:
    """P(T >= t) for Student's t with `degrees_of_freedom` (no scipy: Simpson's rule after x = √df·tan θ,
    which turns the density into cos^(df-1) θ on a bounded interval, smooth for any t)."""
    df = degrees_of_freedom
    scale = math.exp(math.lgamma((df + 1) / 2) - math.lgamma(df / 2) - 0.5 * math.log(math.pi))
    upper = math.atan(abs(t_value) / math.sqrt(df))
    intervals = 2000
    step = upper / intervals
    total = 1.0 + math.cos(upper) ** (df - 1)
    for index in range(1, intervals):
        total += (4 if index % 2 else 2) * math.cos(index * step) ** (df - 1)
    central = scale * total * step / 3  # P(0 <= T <= |t|)
    return max(0.0, 0.5 - central) if t_value >= 0 else min(1.0, 0.5 + central)


def control_p_value(score: float, control_scores: Sequence[float]) -> float | None:
    """One-sided p of `score` against the controls' scores (t prediction test); None below 3 controls."""
    count = len(control_scores)
    if count < MIN_CONTROLS_FOR_VERDICT:
        return None
    logs = [math.log(max(control, _SMALLEST_DISTANCE)) for control in control_scores]
    mean = statistics.fmean(logs)
    spread = max(statistics.stdev(logs), 1e-9)  # identical controls: any excess is significant
    t_value = (math.log(max(score, _SMALLEST_DISTANCE)) - mean) / (spread * math.sqrt(1 + 1 / count))
    return t_upper_tail(t_value, count - 1)


def reference_controls(controls: list[tuple[PlannedRow, float]]) -> list[tuple[PlannedRow, float]]:
    """The controls that act as unknown triggers: one that comes out `yes` against the others (a
    made-up name that happens to hold a token the model learned) is set aside, as long as 3 stay.
    Without this, one such control widens the spread and hides every real style."""
    kept = list(controls)
    while len(kept) > MIN_CONTROLS_FOR_VERDICT:
        p_values = [
            control_p_value(score, [other for other_row, other in kept if other_row is not row])
            for row, score in kept
        ]
        known = [1.0 if value is None else value for value in p_values]  # p may be exactly 0
        worst = min(range(len(kept)), key=known.__getitem__)
        if known[worst] > YES_P_AT_MOST:
            break
        del kept[worst]
    return kept


def verdict_for(p_value: float | None, samples: int) -> str:
    if samples < MIN_SAMPLES_FOR_VERDICT or p_value is None:
        return "unsure"
    if p_value <= YES_P_AT_MOST:
        return "yes"
    if p_value > NO_P_ABOVE:
        return "no"
    return "unsure"


def trigger_of_style(style: str) -> tuple[str, float]:
    """(trigger text, weight): `(by yoneyama mai:0.9)` -> ("by yoneyama mai", 0.9).

    A blend or anything that is not a single weighted trigger is kept whole at weight 1.
    """
    try:
        segments = [(text.strip(), weight) for text, weight in parse_prompt_attention(style) if text.strip()]
    except PromptSyntaxError:
        return style.strip(), 1.0
    if len(segments) == 1 and "," not in segments[0][0]:
        return segments[0][0], segments[0][1]
    return style.strip(), 1.0


def score_rows(
    plan: SheetPlan,
    cell_files: Mapping[str, Path | None],
    *,
    model_hash: str,
    model_name: str,
    random_weights: bool = False,
    measured_at: datetime | None = None,
    distance: Callable[[Path, Path], float] = image_distance,
) -> list[Recognition]:
    """One record per style or control row whose baseline and own cells exist for a column.

    Styles come first, then the controls (`control=True`); each control's p is taken against the
    other controls. Records of a random-weight model say so (`random_weights=True`).
    """
    baseline = plan.baseline_row
    if baseline is None:
        return []
    when = (measured_at or datetime.now(UTC)).isoformat(timespec="seconds")
    sheet = spec_hash(plan.spec)
    scored: list[tuple[PlannedRow, float, int]] = []
    for row in plan.style_rows:
        distances = []
        for column in plan.columns:
            style_file = cell_files.get(plan.cell_at(row.index, column.index).cell_id)
            baseline_file = cell_files.get(plan.cell_at(baseline.index, column.index).cell_id)
            if style_file is not None and baseline_file is not None:
                distances.append(distance(style_file, baseline_file))
        if distances and row.style is not None:
            scored.append((row, sum(distances) / len(distances), len(distances)))
    controls = [(row, score) for row, score, _samples in scored if row.control]
    reference = reference_controls(controls)
    records: list[Recognition] = []
    for row, score, samples in scored:
        others = [other for control_row, other in reference if control_row is not row]
        p_value = control_p_value(score, others)
        trigger, weight = trigger_of_style(row.style or "")
        records.append(
            Recognition(
                trigger=trigger,
                weight=weight,
                model_hash=model_hash,
                model_name=model_name,
                measure=MEASURE_NAME,
                score=round(score, 6),
                verdict=verdict_for(p_value, samples),
                samples=samples,
                sheet=sheet,
                measured_at=when,
                p_value=None if p_value is None else round(p_value, 6),
                control=row.control,
                random_weights=random_weights,
            )
        )
    return records
