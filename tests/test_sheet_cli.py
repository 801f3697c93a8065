"""`aidxl sheet` without generating: --dry-run, --spec with flag overrides, errors as one line."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from tui.cli import main

REPO_ROOT = Path(__file__).resolve().parents[1]
TINY = ["--model", "tiny-random", "--size", "64x64", "--steps", "2", "--controls", "0"]


def test_dry_run_counts_cells_and_cached_cells(capsys: pytest.CaptureFixture[str]) -> None:
    code = main(
        ["sheet", "--styles", "by chi4,by ask,(by yoneyama mai:0.9)", "--style", "(by a:0.9), by b",
         "--seeds", "1,2,3", "--base", "1girl, solo, upper body", *TINY, "--dry-run", "--json"]
    )  # fmt: skip
    assert code == 0
    report = json.loads(capsys.readouterr().out)
    assert (report["cells"], report["cached"], report["missing"], report["device"]) == (15, 0, 15, "cpu")


def test_spec_file_with_flag_overrides(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    spec = tmp_path / "sheet.toml"
    spec.write_text('rows = ["by chi4", "by ask"]\nseeds = [1, 2, 3]\nbase = "1girl"\n', encoding="utf-8")
    assert main(["sheet", "--spec", str(spec), *TINY, "--dry-run", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["cells"] == 9
    assert (
        main(["sheet", "--spec", str(spec), "--seeds", "4", "--no-baseline", *TINY, "--dry-run", "--json"])
        == 0
    )
    assert json.loads(capsys.readouterr().out)["cells"] == 2


def test_errors_are_one_line_with_the_place(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    spec = tmp_path / "bad.toml"
    spec.write_text('rows = ["by chi4"]\nseeds = [1]\nsize = "big"\n', encoding="utf-8")
    assert main(["sheet", "--spec", str(spec), "--model", "tiny-random", "--dry-run"]) == 2
    assert capsys.readouterr().err == (f"aidxl: {spec}:3: size 'big' is not WIDTHxHEIGHT (e.g. 1024x1024)\n")
    assert (
        main(["sheet", "--styles", "by chi4", "--model", "tiny-random", "--size", "65x64", "--dry-run"]) == 2
    )
    assert "size 65x64" in capsys.readouterr().err


def test_dry_run_imports_no_torch() -> None:
    probe = (
        "import sys\nfrom tui.cli import main\n"
        "main(['sheet', '--styles', 'by chi4', '--model', 'tiny-random', '--size', '64x64', '--steps', '2', "
        "'--controls', '0', '--dry-run', '--json'])\n"
        "print('torch' in sys.modules, file=sys.stderr)\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", probe], cwd=REPO_ROOT, capture_output=True, text=True, check=True
    )
    assert json.loads(result.stdout)["cells"] == 6
    assert result.stderr.strip().splitlines()[-1] == "False"


def test_sheets_measure_eight_made_up_controls_unless_told(capsys: pytest.CaptureFixture[str]) -> None:
    args = [
        "sheet",
        "--styles",
        "by chi4,by ask",
        "--seeds",
        "1,2",
        "--model",
        "tiny-random",
        "--size",
        "64x64",
    ]
    assert main([*args, "--steps", "2", "--dry-run", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["cells"] == (1 + 2 + 8) * 2  # baseline, styles, controls
    assert main([*args, "--steps", "2", "--controls", "3", "--dry-run", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["cells"] == (1 + 2 + 3) * 2
    with pytest.raises(SystemExit) as exit_info:
        main([*args, "--controls", "65", "--dry-run"])
    assert exit_info.value.code == 2
    assert "--controls: 65 is not in 0..64" in capsys.readouterr().err


def test_dry_run_estimates_from_the_throughput_measured_here(capsys: pytest.CaptureFixture[str]) -> None:
    from kb.generate.tiny import TINY_MODEL_HASH
    from kb.sheets.throughput import measured_throughput, record_throughput

    args = ["sheet", "--styles", "by chi4", "--seeds", "1,2", *TINY, "--dry-run", "--json"]
    assert main(args) == 0
    assert json.loads(capsys.readouterr().out)["estimate_basis"].startswith("rough guess")
    record_throughput(TINY_MODEL_HASH, "cpu", 64, 64, 2, 0.25, cells=40)
    assert main(args) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["seconds_per_cell"] == 0.25 and report["estimate_s"] == round(0.25 * report["missing"], 1)
    assert report["estimate_basis"].startswith("measured on cpu over 40 cells")
    scaled = measured_throughput(TINY_MODEL_HASH, 128, 128, 4)  # 4x the pixels, 2x the steps
    assert scaled is not None and scaled.seconds_per_cell == pytest.approx(0.25 * 8)
    assert measured_throughput("another model", 64, 64, 2) is None


def test_a_lora_that_is_not_found_stops_the_sheet_in_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AIDXL_LORA_DIR", "")  # restored after the test: --lora-dir sets it
    args = ["sheet", "--styles", "by chi4 <lora:nothere:0.8>", "--seeds", "1", "--lora-dir", str(tmp_path)]
    assert main([*args, *TINY, "--dry-run"]) == 2
    error = capsys.readouterr().err
    assert error == (
        f"aidxl: prompt position 8: <lora:nothere:0.8>: no LoRA file nothere.safetensors under {tmp_path} "
        "(from $AIDXL_LORA_DIR); fix the name or the folder (--lora-dir).\n"
    )


def test_tiny_random_cells_are_64px_unless_a_size_is_given() -> None:
    from tui.cli import build_parser
    from tui.commands.sheet import build_spec

    def spec_of(*extra: str) -> object:
        argv = ["sheet", "--styles", "by chi4", "--model", "tiny-random", *extra]
        return build_spec(build_parser(argv).parse_args(argv))

    tiny = spec_of()
    assert (tiny.width, tiny.height) == (64, 64)  # type: ignore[attr-defined]
    sized = spec_of("--size", "128x96")
    assert (sized.width, sized.height) == (128, 96)  # type: ignore[attr-defined]
