"""Without the gpu extra, every way to generate says one line naming the missing library.

Each test runs a fresh interpreter in which torch (or diffusers) is really absent: a meta-path
finder placed first raises ModuleNotFoundError for it, as the import system does for a library that
is not installed. Our code is not patched; the CLI, the explorer's actions and bench/generate.py
run as they are.
"""

from __future__ import annotations

import json
import os
import shlex
import subprocess
import sys
from pathlib import Path

import pytest

from kb.generate import extra
from kb.generate.extra import missing_extra_message

REPO_ROOT = Path(__file__).resolve().parents[1]
# argv[1]: comma-separated libraries to hide; argv[2]: what to run ("cli", "bench", "explorer").
HIDING_RUNNER = """\
import json, runpy, sys
from pathlib import Path

HIDDEN = set(sys.argv[1].split(","))


class NotInstalled:
    def find_spec(self, name, path=None, target=None):
        if name.partition(".")[0] in HIDDEN:
            raise ModuleNotFoundError(f"No module named {name!r}", name=name)
        return None


sys.meta_path.insert(0, NotInstalled())
mode, arguments = sys.argv[2], sys.argv[3:]
if mode == "cli":
    from tui.cli import main

    sys.exit(main(arguments))
if mode == "bench":
    sys.argv = ["bench/generate.py", *arguments]
    runpy.run_path("bench/generate.py", run_name="__main__")
if mode == "explorer":
    from kb.errors import AidxlError
    from tui.state.actions import PreviewSpec, run_preview
    from tui.state.builder import GenerationSettings
    from tui.state.sheets import SheetRequest, run_explorer_sheet

    said = {}
    settings = GenerationSettings(width=64, height=64, steps=2)
    spec = PreviewSpec("", "lowres", "by chi4", settings, "tiny-random")
    try:
        run_preview(spec, lambda step, total: None, lambda: False, {})
    except AidxlError as error:
        said["preview"] = str(error)
    request = SheetRequest(
        (("by chi4", None),), "1girl", "lowres", "first", "Euler a", 2, 7.0, (64, 64), 1, "tiny-random"
    )
    try:
        run_explorer_sheet(request, Path(arguments[0]), lambda done, total: None, lambda: False)
    except AidxlError as error:
        said["sheet"] = str(error)
    said["torch imported"] = "torch" in sys.modules
    print(json.dumps(said))
"""


def run_hiding(hidden: str, mode: str, *arguments: str, tmp_path: Path) -> subprocess.CompletedProcess[str]:
    env_cache = {"AIDXL_CACHE_DIR": str(tmp_path / "cache"), "AIDXL_STATE_DIR": str(tmp_path / "state")}
    return subprocess.run(
        [sys.executable, "-c", HIDING_RUNNER, hidden, mode, *arguments],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        check=False,
        env={**os.environ, **env_cache},
    )


TORCH_MISSING = missing_extra_message("torch")


def test_the_sentence_names_the_library_and_the_install_command(monkeypatch: pytest.MonkeyPatch) -> None:
    # In this checkout: its own extra, into the interpreter running now (a shell can run it as is).
    command = f"{shlex.quote(sys.executable)} -m pip install -e {shlex.quote(f'{REPO_ROOT}[gpu]')}"
    sentence = (
        "previews and sheets need the gpu extra (torch, diffusers, transformers); torch is not installed"
    )
    assert f"{sentence}: {command}" == TORCH_MISSING
    # Installed from a wheel (no checkout around the package): the package from the index.
    monkeypatch.setattr(extra, "_SOURCE_ROOT", Path(sys.prefix) / "lib")
    assert missing_extra_message("torch") == f"{sentence}: pip install 'aidxl-kb[gpu]'"


def test_preview_without_torch_is_one_line(tmp_path: Path) -> None:
    result = run_hiding(
        "torch,diffusers,transformers",
        "cli",
        *("preview", "by chi4", "--model", "tiny-random", "--size", "64x64", "--seed", "7", "--json"),
        tmp_path=tmp_path,
    )
    assert (result.returncode, result.stdout, result.stderr) == (2, "", f"aidxl: {TORCH_MISSING}\n")


def test_sheet_without_torch_is_one_line(tmp_path: Path) -> None:
    result = run_hiding(
        "torch,diffusers,transformers",
        "cli",
        *("sheet", "--styles", "by chi4", "--model", "tiny-random", "--size", "64x64", "--seeds", "1"),
        *("--out", str(tmp_path / "sheets")),
        tmp_path=tmp_path,
    )
    assert (result.returncode, result.stdout, result.stderr) == (2, "", f"aidxl: {TORCH_MISSING}\n")


def test_sheet_dry_run_still_works_without_torch(tmp_path: Path) -> None:
    result = run_hiding(
        "torch,diffusers,transformers",
        "cli",
        *("sheet", "--styles", "by chi4", "--model", "tiny-random", "--size", "64x64", "--seeds", "1"),
        *("--controls", "0", "--dry-run", "--json"),
        tmp_path=tmp_path,
    )
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["missing"] == 2  # the style row and the baseline row


def test_bench_without_torch_is_one_line(tmp_path: Path) -> None:
    result = run_hiding("torch,diffusers,transformers", "bench", "--tiny", tmp_path=tmp_path)
    assert (result.returncode, result.stdout, result.stderr) == (2, "", f"generate.py: {TORCH_MISSING}\n")


def test_explorer_preview_and_sheet_say_the_same_sentence(tmp_path: Path) -> None:
    result = run_hiding(
        "torch,diffusers,transformers", "explorer", str(tmp_path / "sheets"), tmp_path=tmp_path
    )
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout) == {
        "preview": TORCH_MISSING,
        "sheet": TORCH_MISSING,
        "torch imported": False,
    }


@pytest.mark.slow  # imports the real torch, then meets the hidden diffusers
def test_a_missing_diffusers_is_named(tmp_path: Path) -> None:
    result = run_hiding(
        "diffusers",
        "cli",
        *("preview", "by chi4", "--model", "tiny-random", "--size", "64x64", "--seed", "7"),
        tmp_path=tmp_path,
    )
    assert (result.returncode, result.stdout) == (2, "")
    assert result.stderr == f"aidxl: {missing_extra_message('diffusers')}\n"
