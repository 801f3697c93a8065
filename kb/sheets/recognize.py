"""The recognition measure: how far a style moves the picture away from the baseline.

Measure `mad64/1`: both images are converted to RGB, downscaled to 64x64 with LANCZOS (this
drops noise-level detail and compares composition, palette and shading), scaled to 0..1, and
their mean absolute difference over all pixels and channels is the distance (0 identical,
1 white vs black). A row's score is the mean distance over its (seed, base prompt) columns,
each against the baseline cell of the same column. Verdict thresholds (see docs/sheets.md):
score >= 0.10 -> yes, score < 0.04 -> no, else unsure; fewer than 2 columns is always unsure
(one seed is an anecdote). The thresholds are provisional until calibrated on the real
checkpoint against made-up triggers; the measure's name is stored with every score so a
better measure (e.g. a CLIP image-embedding distance) can be added beside it.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
from PIL import Image

from kb.errors import PromptSyntaxError
from kb.prompt.attention import parse_prompt_attention
from kb.recognition import Recognition
from kb.sheets.plan import SheetPlan
from kb.sheets.spec import spec_hash

MEASURE_NAME = "mad64/1"
MEASURE_SIDE = 64
YES_AT_LEAST = 0.10
NO_BELOW = 0.04
MIN_SAMPLES_FOR_VERDICT = 2


def _pixels(path: Path) -> np.ndarray:
    with Image.open(path) as image:
        small = image.convert("RGB").resize((MEASURE_SIDE, MEASURE_SIDE), Image.Resampling.LANCZOS)
    return np.asarray(small, dtype=np.float64) / 255.0


def image_distance(first: Path, second: Path) -> float:
    """`mad64/1` distance between two images, in 0..1."""
    return float(np.mean(np.abs(_pixels(first) - _pixels(second))))


def verdict_for(score: float, samples: int) -> str:
    if samples < MIN_SAMPLES_FOR_VERDICT:
        return "unsure"
    if score >= YES_AT_LEAST:
        return "yes"
    if score < NO_BELOW:
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
    measured_at: datetime | None = None,
) -> list[Recognition]:
    """One record per style row whose baseline and own cells exist for at least one column."""
    baseline = plan.baseline_row
    if baseline is None:
        return []
    when = (measured_at or datetime.now(UTC)).isoformat(timespec="seconds")
    sheet = spec_hash(plan.spec)
    records: list[Recognition] = []
    for row in plan.style_rows:
        distances = []
        for column in plan.columns:
            style_file = cell_files.get(plan.cell_at(row.index, column.index).cell_id)
            baseline_file = cell_files.get(plan.cell_at(baseline.index, column.index).cell_id)
            if style_file is not None and baseline_file is not None:
                distances.append(image_distance(style_file, baseline_file))
        if not distances or row.style is None:
            continue
        score = round(sum(distances) / len(distances), 6)
        trigger, weight = trigger_of_style(row.style)
        records.append(
            Recognition(
                trigger=trigger,
                weight=weight,
                model_hash=model_hash,
                model_name=model_name,
                measure=MEASURE_NAME,
                score=score,
                verdict=verdict_for(score, len(distances)),
                samples=len(distances),
                sheet=sheet,
                measured_at=when,
            )
        )
    return records
