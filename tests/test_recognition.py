"""Recognition: the mad64 distance, verdicts against control triggers, the SQLite store and read_verdicts."""

from __future__ import annotations

import math
import sqlite3
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import pytest
from PIL import Image

from kb.prompt.clip_bpe import count_tokens
from kb.recognition import (
    Recognition,
    read_recognitions,
    read_verdicts,
    recognition_store_path,
    record_recognitions,
)
from kb.sheets.controls import control_styles
from kb.sheets.plan import CONTROL_LABEL_PREFIX, plan_sheet
from kb.sheets.recognize import (
    control_p_value,
    image_distance,
    score_rows,
    t_upper_tail,
    trigger_of_style,
    verdict_for,
)
from kb.sheets.spec import SheetRow, spec_from_values

REPO_ROOT = Path(__file__).resolve().parents[1]


def solid(path: Path, colour: tuple[int, int, int]) -> Path:
    Image.new("RGB", (64, 64), colour).save(path)
    return path


def test_distance_is_mean_absolute_pixel_difference(tmp_path: Path) -> None:
    black = solid(tmp_path / "black.png", (0, 0, 0))
    white = solid(tmp_path / "white.png", (255, 255, 255))
    red = solid(tmp_path / "red.png", (255, 0, 0))
    assert image_distance(black, black) == 0.0
    assert image_distance(black, white) == pytest.approx(1.0)
    assert image_distance(black, red) == pytest.approx(1 / 3)


def test_t_tail_matches_tabulated_quantiles() -> None:
    assert t_upper_tail(2.998, 7) == pytest.approx(0.01, abs=2e-5)  # t(0.99, 7)
    assert t_upper_tail(1.415, 7) == pytest.approx(0.10, abs=2e-4)  # t(0.90, 7)
    assert t_upper_tail(1.645, 100_000) == pytest.approx(0.05, abs=2e-4)  # the normal limit
    for t_value in (0.5, 3.0, 63.657, 1e6):  # df 1 is Cauchy: 1/2 - atan(t)/pi
        assert t_upper_tail(t_value, 1) == pytest.approx(0.5 - math.atan(t_value) / math.pi, abs=1e-6)
    assert t_upper_tail(0.0, 5) == pytest.approx(0.5)
    assert t_upper_tail(-1.0, 3) == pytest.approx(1 - t_upper_tail(1.0, 3))


def test_verdicts_follow_the_p_value_against_the_controls() -> None:
    controls = [0.040, 0.050, 0.045, 0.055, 0.048, 0.052, 0.043, 0.047]
    p_far = control_p_value(0.20, controls)
    p_inside = control_p_value(0.047, controls)
    assert p_far is not None and p_far < 0.001
    assert p_inside is not None and 0.4 < p_inside < 0.6
    assert verdict_for(p_far, 2) == "yes"
    assert verdict_for(p_inside, 2) == "no"
    assert verdict_for(0.05, 2) == "unsure"
    assert verdict_for(0.01, 2) == "yes" and verdict_for(0.0101, 2) == "unsure"
    assert verdict_for(p_far, 1) == "unsure"  # one seed is an anecdote
    assert control_p_value(0.2, controls[:2]) is None  # too few controls to say anything
    assert verdict_for(None, 3) == "unsure"


def test_controls_are_made_up_names_as_long_as_the_styles_and_stable_per_seed() -> None:
    styles = ["by chi4", "(by yoneyama mai:0.9)", "by wlop", "by ningen mame, by ask"]
    controls = control_styles(styles, (1, 2, 3), 6)
    assert len(controls) == len(set(controls)) == 6
    assert all(control.startswith("by ") and control not in styles for control in controls)
    assert control_styles(styles, (1, 2, 3), 6) == controls
    assert control_styles(styles, (4, 5), 6) != controls
    wanted = sorted(count_tokens(style) for style in styles)
    lengths = sorted(count_tokens(control) for control in controls)
    assert lengths[0] == wanted[0] and lengths[-1] == wanted[-1]  # the shortest and longest are matched
    assert control_styles([], (1,), 6) == ()


def test_the_plan_draws_the_controls_after_the_styles() -> None:
    spec = spec_from_values(
        rows=(SheetRow("by chi4"), SheetRow("by ask")), seeds=(1, 2), bases=["1girl"], negative="", controls=3
    )
    plan = plan_sheet(spec)
    assert [row.control for row in plan.rows] == [False, False, False, True, True, True]
    assert [row.label.startswith(CONTROL_LABEL_PREFIX) for row in plan.control_rows] == [True] * 3
    assert len(plan.cells) == 6 * 2
    assert (
        plan_sheet(
            spec_from_values(
                rows=(SheetRow("by chi4"),), seeds=(1,), bases=["x"], negative="", controls=3, baseline=False
            )
        ).control_rows
        == ()
    )


def test_trigger_of_style_unweights_single_triggers_and_keeps_blends() -> None:
    assert trigger_of_style("(by yoneyama mai:0.9)") == ("by yoneyama mai", 0.9)
    assert trigger_of_style("by chi4") == ("by chi4", 1.0)
    assert trigger_of_style(r"lucy \(cyberpunk\)") == ("lucy (cyberpunk)", 1.0)
    assert trigger_of_style("(by a:0.9), by b") == ("(by a:0.9), by b", 1.0)


def test_rows_scored_against_the_baseline_and_tested_against_the_controls(tmp_path: Path) -> None:
    spec = spec_from_values(
        rows=(SheetRow("by known"), SheetRow("(by unknown:1.2)")),
        seeds=(1, 2),
        bases=["1girl"],
        negative="",
        model="tiny-random",
        controls=4,
    )
    plan = plan_sheet(spec)
    baseline = {0: (100, 100, 100), 1: (0, 0, 0)}  # per seed (column)
    # Row 1 moves 51/255 in one channel (distance 1/15), row 2 moves like the controls (3..6/255).
    shifts = {1: 51, 2: 4, 3: 3, 4: 5, 5: 6, 6: 4}
    files: dict[str, Path | None] = {}
    for row in range(7):
        for column in (0, 1):
            red, green, blue = baseline[column]
            colour = (min(255, red + shifts.get(row, 0)), green, blue)
            files[f"r{row:02d}c{column:02d}"] = solid(tmp_path / f"r{row}c{column}.png", colour)
    when = datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)
    records = score_rows(
        plan, files, model_hash="m", model_name="model", measured_at=when, random_weights=False
    )
    styles = [record for record in records if not record.control]
    assert [(r.trigger, r.weight, round(r.score, 4), r.verdict, r.samples) for r in styles] == [
        ("by known", 1.0, 0.0667, "yes", 2),
        ("by unknown", 1.2, 0.0052, "no", 2),
    ]
    assert [record.control for record in records] == [False, False, True, True, True, True]
    assert all(record.measure == "mad64/2" and record.p_value is not None for record in records)
    assert records[0].measured_at == "2026-01-02T03:04:05+00:00"


def record(trigger: str, weight: float, model_hash: str, verdict: str, when: str) -> Recognition:
    return Recognition(trigger, weight, model_hash, "model", "mad64/2", 0.2, verdict, 3, "abc", when)


def test_store_keeps_one_record_per_trigger_weight_model_and_measure(tmp_path: Path) -> None:
    store = tmp_path / "recognition.sqlite3"
    record_recognitions([record("by chi4", 1.0, "m1", "no", "2026-01-01T00:00:00+00:00")], store_path=store)
    record_recognitions(
        [
            record("by chi4", 1.0, "m1", "yes", "2026-01-02T00:00:00+00:00"),
            record("by chi4", 0.9, "m1", "unsure", "2026-01-03T00:00:00+00:00"),
            record("by chi4", 1.0, "m2", "no", "2026-01-01T00:00:00+00:00"),
            record("by ask", 1.0, "m1", "unsure", "2026-01-01T00:00:00+00:00"),
        ],
        store_path=store,
    )
    assert len(read_recognitions(store_path=store)) == 4
    verdicts = read_verdicts(["by chi4", "by ask", "by nobody"], model_hash="m1", store_path=store)
    assert {trigger: (found.verdict, found.weight) for trigger, found in verdicts.items()} == {
        "by chi4": ("yes", 1.0),  # weight 1 wins over a newer weighted measurement
        "by ask": ("unsure", 1.0),
    }
    assert read_verdicts(["by chi4"], model_hash="m2", store_path=store)["by chi4"].verdict == "no"
    assert read_verdicts(["by chi4"], store_path=tmp_path / "absent.sqlite3") == {}


def test_store_lives_in_the_state_dir_not_the_catalog(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AIDXL_STATE_DIR", str(tmp_path / "state"))
    assert recognition_store_path() == tmp_path / "state" / "recognition.sqlite3"
    record_recognitions([record("by chi4", 1.0, "m1", "yes", "2026-01-01T00:00:00+00:00")])
    assert read_verdicts(["by chi4"])["by chi4"].verdict == "yes"


def test_reading_verdicts_needs_no_torch(tmp_path: Path) -> None:
    store = tmp_path / "r.sqlite3"
    record_recognitions([record("by chi4", 1.0, "m1", "yes", "2026-01-01T00:00:00+00:00")], store_path=store)
    probe = (
        "import sys\nfrom pathlib import Path\nfrom kb.recognition import read_verdicts\n"
        f"print(read_verdicts(['by chi4'], store_path=Path({str(store)!r}))['by chi4'].verdict)\n"
        "print('torch' in sys.modules)\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", probe], cwd=REPO_ROOT, capture_output=True, text=True, check=True
    )
    assert result.stdout.split() == ["yes", "False"]


def test_random_weight_and_control_records_are_never_read_as_knowledge(tmp_path: Path) -> None:
    store = tmp_path / "r.sqlite3"
    when = "2026-01-01T00:00:00+00:00"
    measured = Recognition(
        "by chi4",
        1.0,
        "tiny",
        "tiny-random",
        "mad64/2",
        0.3,
        "yes",
        2,
        "s",
        when,
        p_value=0.001,
        random_weights=True,
    )
    control = Recognition("by zinkolm", 1.0, "m1", "real", "mad64/2", 0.3, "no", 2, "s", when, control=True)
    record_recognitions([measured, control], store_path=store)
    assert read_verdicts(["by chi4"], store_path=store) == {}
    assert (
        read_verdicts(["by chi4"], store_path=store, include_random_weights=True)["by chi4"].p_value == 0.001
    )
    assert [found.trigger for found in read_recognitions(store_path=store)] == ["by chi4"]


def test_a_store_written_before_p_values_is_read_and_extended(tmp_path: Path) -> None:
    store = tmp_path / "old.sqlite3"
    connection = sqlite3.connect(store)
    connection.execute(
        "CREATE TABLE recognition (trigger TEXT NOT NULL, weight REAL NOT NULL, model_hash TEXT NOT NULL, "
        "model_name TEXT NOT NULL, measure TEXT NOT NULL, score REAL NOT NULL, verdict TEXT NOT NULL, "
        "samples INTEGER NOT NULL, sheet TEXT NOT NULL, measured_at TEXT NOT NULL, "
        "PRIMARY KEY (trigger, weight, model_hash, measure))"
    )
    connection.execute(
        "INSERT INTO recognition VALUES ('by ask', 1, 'm1', 'x', 'mad64/1', 0.2, 'yes', 3, 's', 't')"
    )
    connection.commit()
    connection.close()
    old = read_verdicts(["by ask"], store_path=store)["by ask"]
    assert (old.verdict, old.p_value, old.random_weights) == ("yes", None, False)
    record_recognitions([record("by chi4", 1.0, "m1", "no", "2026-01-01T00:00:00+00:00")], store_path=store)
    assert set(read_verdicts(store_path=store)) == {"by ask", "by chi4"}


def test_a_control_the_model_seems_to_know_is_set_aside(tmp_path: Path) -> None:
    """A made-up control holding a learned token moves the picture like a style: kept in the
    reference it would widen the spread and hide every real style."""
    from kb.sheets.recognize import reference_controls

    spec = spec_from_values(rows=(SheetRow("by x"),), seeds=(1, 2), bases=["1girl"], negative="", controls=6)
    rows = plan_sheet(spec).control_rows
    scores = [0.040, 0.050, 0.045, 0.055, 0.048, 0.30]  # the last: an outlier
    kept = reference_controls(list(zip(rows, scores, strict=True)))
    assert [score for _row, score in kept] == scores[:5]
    assert len(reference_controls(list(zip(rows[:3], [0.04, 0.05, 0.9], strict=True)))) == 3  # 3 stay
    identical = [0.05, 0.05, 0.05, 0.05, 0.9]  # the others do not spread: the outlier's p is 0
    assert [
        score for _row, score in reference_controls(list(zip(rows, identical, strict=False)))
    ] == identical[:4]
