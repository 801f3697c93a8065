"""The wheel works on its own: built from the checkout, installed into a fresh venv without extras
(dependencies from the package index or pip's cache), it runs search, char, every prompt command
and the explorer's builder, with the CLIP vocabulary from a declared dependency and no torch."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[1]

# A small tag-autocomplete file (name,category,count,"aliases") the installed `aidxl ingest` reads.
TAGCOMPLETE_ROWS = """\
1girl,0,6008644,"1girls,sole_female"
solo,0,5000954,"female_solo,solo_female"
long_hair,0,4350743,"/lh,longhair"
genshin_impact,3,219147,genshin
hatsune_miku,4,106634,/hm
ganyu_(genshin_impact),4,18317,"ganyu,kan'u_(genshin_impact)"
chi4,1,32,
"""

# The explorer from the installed package: search, add to the builder, read its token count.
EXPLORER_SCRIPT = textwrap.dedent(
    """
    import asyncio, sys
    from pathlib import Path
    from tui.app import ExplorerApp

    async def main() -> None:
        app = ExplorerApp(Path(sys.argv[1]), watch_catalog=False, detail_delay=0)
        async with app.run_test(size=(80, 24)) as pilot:
            await app.workers.wait_for_complete()
            await pilot.press("ctrl+u", *"by chi4")
            await app.workers.wait_for_complete()
            await pilot.pause()
            await pilot.press("enter", "ctrl+b")
            await app.workers.wait_for_complete()
            await pilot.pause()
            print(app.builder_view.rendered.positive)
            print(app.builder_view.rendered.tokens.label)

    asyncio.run(main())
    """
)


def run(command: list[str | Path], cwd: Path, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(part) for part in command], cwd=cwd, env=env, capture_output=True, text=True, check=False
    )


def checked(completed: subprocess.CompletedProcess[str]) -> subprocess.CompletedProcess[str]:
    assert completed.returncode == 0, f"{completed.args}: {completed.stdout}{completed.stderr}"
    return completed


def copy_source_tree(target: Path) -> Path:
    """The files git knows (tracked, or new and not ignored): no .venv, build/ or egg-info."""
    listed = subprocess.run(
        ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
        cwd=REPO_ROOT, capture_output=True, check=True,
    ).stdout.decode().split("\0")
    for name in filter(None, listed):
        source = REPO_ROOT / name
        if source.is_file():
            (target / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, target / name)
    return target


@pytest.mark.slow
def test_wheel_without_extras_runs_every_torch_free_command(tmp_path: Path) -> None:
    if shutil.which("git") is None:
        pytest.skip("git is needed to list the source files")
    environment = {
        name: value for name, value in os.environ.items()
        if name not in ("PYTHONPATH", "AIDXL_CLIP_VOCAB", "VIRTUAL_ENV", "PIP_REQUIRE_VIRTUALENV")
    }
    source = copy_source_tree(tmp_path / "source")
    checked(run([sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", source, "-w", tmp_path / "dist"],
                tmp_path, environment))
    (wheel,) = (tmp_path / "dist").glob("aidxl_kb-*.whl")

    venv = tmp_path / "venv"
    checked(run([sys.executable, "-m", "venv", venv], tmp_path, environment))
    bin_dir = venv / ("Scripts" if os.name == "nt" else "bin")
    python, aidxl = bin_dir / "python", bin_dir / "aidxl"
    installed = checked(run([python, "-m", "pip", "install", "-q", wheel], tmp_path, environment))
    assert "ERROR" not in installed.stdout + installed.stderr  # no resolver complaints
    assert checked(run([python, "-m", "pip", "check"], tmp_path, environment)).stdout.startswith(
        "No broken requirements"
    )
    probe = "import importlib.util as u; print([m for m in ('torch', 'open_clip') if u.find_spec(m)])"
    assert checked(run([python, "-c", probe], tmp_path, environment)).stdout.strip() == "[]"

    def aidxl_ok(*arguments: str | Path) -> str:
        return checked(run([aidxl, *arguments], tmp_path, environment)).stdout

    # The done-when commands: tokens and lint, no catalog needed.
    assert aidxl_ok("prompt", "tokens", "1girl, solo").splitlines()[0] == "4/75"
    no_catalog = tmp_path / "none.duckdb"
    lint = aidxl_ok("prompt", "lint", "--catalog", no_catalog, "ganyu (genshin impact), long_hair")
    assert "unescaped-qualifier" in lint and "underscore" in lint
    parsed = json.loads(aidxl_ok("prompt", "parse", "--json", "(by chi4:0.8), 1girl"))
    assert parsed == [["by chi4", 0.8], [", 1girl", 1.0]]
    assert aidxl_ok("prompt", "render", '[["long hair", 1.2], ["solo", 1]]') == "(long hair:1.2), solo\n"

    (tmp_path / "danbooru.csv").write_text(TAGCOMPLETE_ROWS, encoding="utf-8")
    catalog = tmp_path / "catalog.duckdb"
    aidxl_ok("ingest", "--catalog", catalog, "--tagcomplete", tmp_path / "danbooru.csv")
    assert aidxl_ok("search", "--catalog", catalog, "hatsne miku", "--limit", "1").startswith("hatsune miku")
    assert "a1111:     ganyu \\(genshin impact\\)" in aidxl_ok("char", "--catalog", catalog, "ganyu")
    assembled = aidxl_ok("prompt", "assemble", "--catalog", catalog, "--blend", "by chi4:0.8", "solo, 1girl")
    assert assembled.startswith("positive: (by chi4:0.8), solo, 1girl\nnegative: (worst quality:1.3)")
    assert "warning" in aidxl_ok("prompt", "lint", "--catalog", catalog, "long_hair, by chi4")

    assert "usage: aidxl explore" in aidxl_ok("explore", "--help")
    explorer = checked(run([python, "-c", EXPLORER_SCRIPT, catalog], tmp_path, environment))
    positive, token_label = explorer.stdout.splitlines()[-2:]
    assert positive.startswith("by chi4")
    assert token_label.endswith("/75")
