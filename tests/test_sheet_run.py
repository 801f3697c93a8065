"""Sheets on the real tiny-random model: generate, compose, read back, resume after kill -9, 2-process split.

One module-scoped sheet (2 styles x 2 seeds + baseline, 64x64, 2 steps) is generated in this
process and shared by the checks; the resume and split tests run `aidxl sheet` in real
subprocesses (the split under `accelerate launch`, two CPU processes joined with gloo).
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from html.parser import HTMLParser
from pathlib import Path

import pytest

pytest.importorskip("torch")
pytest.importorskip("diffusers")

from kb.generate.pngmeta import read_png_parameters
from kb.recognition import read_verdicts
from kb.sheets.infotext import spec_from_parameters
from kb.sheets.run import SheetResult, dry_run, run_sheet
from kb.sheets.sidecar import read_sidecar
from kb.sheets.spec import SheetRow, SheetSpec, spec_from_values

pytestmark = pytest.mark.slow

REPO_ROOT = Path(__file__).resolve().parents[1]
COMPOSED_ON = date(2026, 1, 2)
SOURCE_DATE_EPOCH = "1767312000"  # 2026-01-02T00:00:00Z, the same day as COMPOSED_ON
SHEET_ARGS = [
    "--styles",
    "by chi4,(by yoneyama mai:0.9)",
    "--seeds",
    "1,2",
    "--base",
    "1girl, solo, upper body",
    "--negative",
    "lowres",
    "--model",
    "tiny-random",
    "--size",
    "64x64",
    "--steps",
    "2",
    "--cell-px",
    "64",
    "--controls",
    "3",
]


ROWS = 1 + 2 + 3  # baseline, two styles, three made-up controls
CELLS = ROWS * 2  # two seeds
CELL_IDS = [f"r{row:02d}c{column:02d}" for row in range(ROWS) for column in range(2)]


def sheet_spec() -> SheetSpec:
    return spec_from_values(
        rows=(SheetRow("by chi4"), SheetRow("(by yoneyama mai:0.9)")),
        seeds=(1, 2),
        bases=["1girl, solo, upper body"],
        negative="lowres",
        model="tiny-random",
        width=64,
        height=64,
        steps=2,
        cell_px=64,
        controls=3,
    )


@dataclass(frozen=True)
class OneProcessSheet:
    out_dir: Path
    cache_dir: Path
    state_dir: Path
    first: SheetResult
    again: SheetResult


@pytest.fixture(scope="module")
def one_process_sheet(tmp_path_factory: pytest.TempPathFactory) -> Iterator[OneProcessSheet]:
    import torch

    root = tmp_path_factory.mktemp("sheet")
    threads = torch.get_num_threads()
    # One thread, as each process of the split test has (torchrun sets OMP_NUM_THREADS=1): CPU
    # float sums depend on the thread count, and the split test compares bytes.
    torch.set_num_threads(1)
    try:
        with pytest.MonkeyPatch.context() as patch:
            patch.setenv("AIDXL_CACHE_DIR", str(root / "cache"))
            patch.setenv("AIDXL_STATE_DIR", str(root / "state"))
            first = run_sheet(sheet_spec(), root / "out", composed_on=COMPOSED_ON)
            again = run_sheet(sheet_spec(), root / "out", composed_on=COMPOSED_ON)
    finally:
        torch.set_num_threads(threads)
    yield OneProcessSheet(root / "out", root / "cache", root / "state", first, again)


def test_sheet_generates_every_cell_once_then_serves_them_from_the_cache(
    one_process_sheet: OneProcessSheet,
) -> None:
    first, again = one_process_sheet.first, one_process_sheet.again
    assert (first.cells, first.generated, first.cached, first.missing) == (CELLS, CELLS, 0, ())
    assert (again.cells, again.generated, again.cached, again.missing) == (CELLS, 0, CELLS, ())
    measured = json.loads((one_process_sheet.cache_dir / "sheet-throughput.json").read_text(encoding="utf-8"))
    [(key, entry)] = measured.items()  # the first run measured its cells; the cached second did not
    assert key.endswith("|cpu|64x64|2") and entry["cells"] == CELLS and entry["seconds_per_cell"] > 0
    assert [page.name for page in first.pages] == [f"sheet-{first.spec_hash}-p1.png"]


def test_page_parameters_and_sidecar_parse_back_to_the_spec(one_process_sheet: OneProcessSheet) -> None:
    result = one_process_sheet.first
    parameters = read_png_parameters(result.pages[0])
    assert parameters is not None
    assert spec_from_parameters(parameters) == sheet_spec()
    assert result.sidecar is not None
    spec, document = read_sidecar(result.sidecar)
    assert spec == sheet_spec()
    cells = document["cells"]
    assert [cell["id"] for cell in cells] == CELL_IDS
    assert cells[4]["positive"] == "(by yoneyama mai:0.9), 1girl, solo, upper body"
    assert cells[4]["parameters"].startswith(
        "(by yoneyama mai:0.9), 1girl, solo, upper body\nNegative prompt: lowres\n"
    )
    assert "Seed: 1," in cells[4]["parameters"]
    for cell in cells:
        assert (one_process_sheet.out_dir / cell["file"]).is_file()
    assert document["model"]["random_weights"] is True


def test_recognition_scores_are_stored_per_trigger_and_model(one_process_sheet: OneProcessSheet) -> None:
    result = one_process_sheet.first
    styles = [record for record in result.recognitions if not record.control]
    controls = [record for record in result.recognitions if record.control]
    assert [(record.trigger, record.weight, record.samples) for record in styles] == [
        ("by chi4", 1.0, 2),
        ("by yoneyama mai", 0.9, 2),
    ]
    assert len(controls) == 3 and all(record.trigger.startswith("by ") for record in controls)
    assert all(record.random_weights for record in result.recognitions)
    assert all(record.p_value is not None for record in styles)  # 3 controls: enough for the styles
    assert all(record.p_value is None for record in controls)  # each control has 2 others: too few
    store = one_process_sheet.state_dir / "recognition.sqlite3"
    # Random weights know nothing: stored as such, never read as knowledge; controls never stored.
    assert read_verdicts(["by chi4", "by yoneyama mai"], model_hash="tinyrand", store_path=store) == {}
    stored = read_verdicts(
        [record.trigger for record in result.recognitions],
        model_hash="tinyrand",
        store_path=store,
        include_random_weights=True,
    )
    assert {trigger: record.score for trigger, record in stored.items()} == {
        record.trigger: record.score for record in styles
    }


class IndexCells(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.pages: list[str] = []
        self.cells: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        if tag == "img" and values.get("class") == "page-image":
            self.pages.append(values["src"] or "")
        if tag == "a" and values.get("class") == "cell":
            self.cells.append(values["data-cell"] or "")


def test_html_index_lists_the_page_and_every_cell(one_process_sheet: OneProcessSheet) -> None:
    result = one_process_sheet.first
    assert result.html is not None
    parsed = IndexCells()
    parsed.feed(result.html.read_text(encoding="utf-8"))
    assert parsed.pages == [result.pages[0].name]
    assert parsed.cells == CELL_IDS


def test_html_index_opens_in_headless_chromium(one_process_sheet: OneProcessSheet, tmp_path: Path) -> None:
    browser = shutil.which("chromium") or shutil.which("chromium-browser")
    if browser is None:
        pytest.skip("chromium is not installed")
    result = one_process_sheet.first
    assert result.html is not None
    dom = subprocess.run(
        [
            browser,
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            f"--user-data-dir={tmp_path / 'profile'}",
            "--dump-dom",
            result.html.as_uri(),
        ],
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    ).stdout
    parsed = IndexCells()
    parsed.feed(dom)
    assert parsed.pages == [result.pages[0].name]
    assert len(parsed.cells) == CELLS


def cli(*arguments: str) -> list[str]:
    return [sys.executable, "-m", "tui.cli", "sheet", *arguments]


def test_killed_run_resumes_generating_only_missing_cells(tmp_path: Path) -> None:
    out_dir = tmp_path / "out"
    command = cli(*SHEET_ARGS, "--out", str(out_dir), "--json")
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    process = subprocess.Popen(
        command, cwd=REPO_ROOT, env=env, stderr=subprocess.PIPE, stdout=subprocess.DEVNULL, text=True
    )
    assert process.stderr is not None
    finished_lines = 0
    for line in process.stderr:
        if line.startswith("cell "):
            finished_lines += 1
            if finished_lines == 2:
                process.send_signal(signal.SIGKILL)  # kill -9 right after the 2nd cell was stored
                break
    process.wait(timeout=60)
    assert process.returncode == -signal.SIGKILL
    assert not out_dir.exists() or not any(out_dir.glob("*.png"))  # nothing composed yet

    cached_after_kill = dry_run(sheet_spec()).cached
    assert 2 <= cached_after_kill < CELLS
    resumed = subprocess.run(command, cwd=REPO_ROOT, env=env, capture_output=True, text=True, timeout=300)
    assert resumed.returncode == 0, resumed.stderr
    report = json.loads(resumed.stdout)
    assert (report["cells"], report["generated"], report["cached"]) == (
        CELLS,
        CELLS - cached_after_kill,
        cached_after_kill,
    )
    assert report["missing"] == []


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def test_two_process_split_gives_the_same_sheet_as_one_process(
    one_process_sheet: OneProcessSheet, tmp_path: Path
) -> None:
    accelerate = Path(sys.executable).with_name("accelerate")
    if not accelerate.is_file():
        pytest.skip("accelerate is not installed")
    out_dir = tmp_path / "out"
    (tmp_path / "tmp").mkdir()
    env = {
        **os.environ,
        "TMPDIR": str(tmp_path / "tmp"),  # torch.distributed's run folders, removed with tmp_path
        "AIDXL_CACHE_DIR": str(tmp_path / "cache"),
        "AIDXL_STATE_DIR": str(tmp_path / "state"),
        "SOURCE_DATE_EPOCH": SOURCE_DATE_EPOCH,
        "PYTHONUNBUFFERED": "1",
        "OMP_NUM_THREADS": "1",
    }
    launch = [
        str(accelerate),
        "launch",
        "--multi_gpu",
        "--num_processes",
        "2",
        "--num_machines",
        "1",
        "--mixed_precision",
        "no",
        "--dynamo_backend",
        "no",
        "--main_process_port",
        str(free_port()),
        "-m",
        "tui.cli",
        "sheet",
        *SHEET_ARGS,
        "--out",
        str(out_dir),
        "--json",
    ]
    result = subprocess.run(launch, cwd=REPO_ROOT, env=env, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr[-2000:]
    report = json.loads(result.stdout)  # only the main process prints
    assert (report["cells"], report["generated"], report["cached"]) == (CELLS, CELLS, 0)
    shares = sorted(line.split()[1] for line in result.stderr.splitlines() if line.startswith("cell "))
    half = CELLS // 2
    assert shares == sorted(
        f"{done}/{half}" for done in range(1, half + 1) for _process in (0, 1)
    )  # half each

    reference = one_process_sheet.first
    split_page = out_dir / reference.pages[0].name
    assert split_page.read_bytes() == reference.pages[0].read_bytes()
    for cell in sorted((one_process_sheet.out_dir / f"sheet-{reference.spec_hash}-cells").glob("*.png")):
        assert (out_dir / f"sheet-{reference.spec_hash}-cells" / cell.name).read_bytes() == cell.read_bytes()
