"""Recognition: the mad64 measure, verdict thresholds, the SQLite store and read_verdicts."""

from __future__ import annotations

import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import pytest
from PIL import Image

from kb.recognition import (
    Recognition,
    read_recognitions,
    read_verdicts,
    recognition_store_path,
    record_recognitions,
)
from kb.sheets.plan import plan_sheet
from kb.sheets.recognize import image_distance, score_rows, trigger_of_style, verdict_for
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


def test_verdict_thresholds() -> None:
    assert [verdict_for(score, 3) for score in (0.0, 0.0399, 0.04, 0.0999, 0.10, 0.5)] == [
        "no",
        "no",
        "unsure",
        "unsure",
        "yes",
        "yes",
    ]
    assert verdict_for(0.5, 1) == "unsure"


def test_trigger_of_style_unweights_single_triggers_and_keeps_blends() -> None:
    assert trigger_of_style("(by yoneyama mai:0.9)") == ("by yoneyama mai", 0.9)
    assert trigger_of_style("by chi4") == ("by chi4", 1.0)
    assert trigger_of_style(r"lucy \(cyberpunk\)") == ("lucy (cyberpunk)", 1.0)
    assert trigger_of_style("(by a:0.9), by b") == ("(by a:0.9), by b", 1.0)


def test_rows_scored_against_the_baseline_of_the_same_column(tmp_path: Path) -> None:
    spec = spec_from_values(
        rows=(SheetRow("by known"), SheetRow("(by unknown:1.2)")),
        seeds=(1, 2),
        bases=["1girl"],
        negative="",
        model="tiny-random",
    )
    plan = plan_sheet(spec)
    grey = (100, 100, 100)
    colours = {
        "r00c00": grey,
        "r00c01": (0, 0, 0),  # baseline per seed
        "r01c00": (151, 100, 100),
        "r01c01": (0, 0, 51),  # far from its baseline: 51/255/3 each
        "r02c00": grey,
        "r02c01": (0, 0, 0),  # identical to the baseline
    }
    files: dict[str, Path | None] = {
        cell_id: solid(tmp_path / f"{cell_id}.png", colour) for cell_id, colour in colours.items()
    }
    when = datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)
    records = score_rows(plan, files, model_hash="tinyrand", model_name="tiny", measured_at=when)
    assert [(r.trigger, r.weight, round(r.score, 4), r.verdict, r.samples) for r in records] == [
        ("by known", 1.0, 0.0667, "unsure", 2),
        ("by unknown", 1.2, 0.0, "no", 2),
    ]
    assert records[0].measured_at == "2026-01-02T03:04:05+00:00"


def record(trigger: str, weight: float, model_hash: str, verdict: str, when: str) -> Recognition:
    return Recognition(trigger, weight, model_hash, "model", "mad64/1", 0.2, verdict, 3, "abc", when)


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
