"""`aidxl preview` end to end with the tiny-random model, in real subprocesses."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from kb.generate import cache
from kb.generate.pngmeta import read_png_parameters
from kb.prompt.infotext import parse_infotext
from tui.cli import main

REPO_ROOT = Path(__file__).resolve().parents[1]
TINY_ARGS = ["preview", "by chi4", "--model", "tiny-random", "--size", "64x64", "--seed", "7", "--steps", "2"]
# Runs the CLI, then reports whether torch was imported, on the last line of stdout.
CLI_PROBE = (
    "import sys\n"
    "from tui.cli import main\n"
    "code = main(sys.argv[1:])\n"
    "print('torch imported:', 'torch' in sys.modules)\n"
    "sys.exit(code)\n"
)


def run_cli(args: list[str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", CLI_PROBE, *args], cwd=REPO_ROOT, capture_output=True, text=True, check=False
    )


def cache_files() -> list[Path]:
    root = cache.previews_dir()
    return sorted(path for path in root.rglob("*") if path.is_file()) if root.is_dir() else []


@pytest.mark.slow  # two `aidxl preview` subprocesses, the first imports torch and loads the tiny model
def test_second_run_is_served_from_the_cache_without_torch(tmp_path: Path) -> None:
    first = run_cli([*TINY_ARGS, "--json"])
    assert first.returncode == 0, first.stderr
    first_result = json.loads(first.stdout.splitlines()[0])
    assert first_result["cached"] is False
    assert "RANDOM WEIGHTS" in first.stderr
    # Progress from kb.generate.progress, the explorer's estimator: counter, rate, ETA.
    steps = [line for line in first.stderr.splitlines() if line.startswith("step ")]
    assert [line.split(" · ")[0] for line in steps] == ["step 1/2", "step 2/2"]
    assert re.fullmatch(r"step 1/2 · [0-9.]+ (s|min)/step · ETA \d+:\d\d", steps[0]), steps
    assert steps[-1].endswith(" · ETA 0:00")
    first_png = Path(first_result["path"]).read_bytes()

    second = run_cli([*TINY_ARGS, "--json", "--out", str(tmp_path / "chi4.png")])
    assert second.returncode == 0, second.stderr
    second_result = json.loads(second.stdout.splitlines()[0])
    assert second.stdout.splitlines()[-1] == "torch imported: False"
    assert second_result["cached"] is True
    assert second_result["path"] == str(tmp_path / "chi4.png")
    assert (tmp_path / "chi4.png").read_bytes() == first_png
    assert second_result["parameters"] == first_result["parameters"]

    parameters = read_png_parameters(tmp_path / "chi4.png")
    assert parameters == first_result["parameters"]
    settings = dict(parse_infotext(parameters).settings)
    assert {key: settings[key] for key in ("Steps", "Sampler", "Seed", "Size", "CFG scale")} == {
        "Steps": "2",
        "Sampler": "Euler a",
        "Seed": "7",
        "Size": "64x64",
        "CFG scale": "7",
    }
    assert parse_infotext(parameters).prompt.startswith("by chi4, 1girl, solo")
    assert settings["Model"] == "tiny-random (RANDOM WEIGHTS, not AIDXL)"


@pytest.mark.slow  # a subprocess that imports torch and loads the tiny model
def test_killed_run_leaves_no_partial_file() -> None:
    process = subprocess.Popen(
        [sys.executable, "-c", CLI_PROBE, *TINY_ARGS[:-1], "150", "--seed", "99"],
        cwd=REPO_ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert process.stderr is not None
    for line in process.stderr:  # the marker: the first finished denoising step
        if line.startswith("step 1/150"):
            break
    os.kill(process.pid, signal.SIGKILL)
    process.wait()
    assert process.returncode == -signal.SIGKILL
    assert cache_files() == []


def test_plain_output_is_path_then_parameters(capsys: pytest.CaptureFixture[str]) -> None:
    pytest.importorskip("torch")
    assert main([*TINY_ARGS, "--sampler", "DPM++ 2M Karras", "--emphasis", "no_norm"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert Path(lines[0]).is_file()
    # kb.prompt.assemble puts the trigger in the art-style slot and weights the quality tag from its ladder.
    assert lines[1].startswith(
        "by chi4, 1girl, solo, upper body, looking at viewer, beautiful color, detailed, (best quality:"
    )
    assert lines[2].startswith("Negative prompt: (worst quality:1.3), low quality, lowres")
    assert "Sampler: DPM++ 2M, Schedule type: Karras" in lines[3] and "Emphasis: No norm" in lines[3]


def test_missing_model_is_one_clear_line(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    missing = tmp_path / "nowhere.safetensors"
    assert main(["preview", "by chi4", "--model", str(missing)]) == 2
    error = capsys.readouterr().err
    assert error.startswith(f"aidxl: Model file {missing} (from --model) does not exist; pass --model PATH")
    assert len(error.splitlines()) == 1


def test_no_gpu_is_refused_without_allow_cpu(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    torch = pytest.importorskip("torch")
    if torch.cuda.is_available():
        pytest.skip("this machine has a GPU")
    (tmp_path / "model_index.json").write_text("{}", encoding="utf-8")
    assert main(["preview", "by chi4", "--model", str(tmp_path), "--size", "1024x1024"]) == 2
    assert capsys.readouterr().err == (
        "aidxl: No CUDA GPU is available to torch, and a full-size SDXL preview needs one; "
        "pass --allow-cpu to generate on the CPU anyway (several minutes per image).\n"
    )


@pytest.mark.parametrize(
    ("option", "message"),
    [
        (["--size", "64x"], "aidxl: size '64x' is not WIDTHxHEIGHT, e.g. 832x1216\n"),
        (["--size", "70x64"], "aidxl: size 70x64: width 70 is not a positive multiple of 16\n"),
        (["--steps", "0"], "aidxl: steps 0: must be at least 1\n"),
    ],
)
def test_bad_settings_are_refused_before_loading(
    capsys: pytest.CaptureFixture[str], option: list[str], message: str
) -> None:
    assert main(["preview", "by chi4", "--model", "tiny-random", *option]) == 2
    assert capsys.readouterr().err == message
