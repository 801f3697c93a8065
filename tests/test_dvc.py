"""The DVC round trip of the catalog with the real `dvc` (analytics off), in a temporary git
repository with a local directory remote: build → dvc add → dvc push → delete → dvc pull → same counts."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from kb.catalog import open_catalog
from tui.cli import main

DVC = Path(sys.executable).with_name("dvc")
TAGGER = b"tag_id,name,category,count\n1,long_hair,0,500\n2,hatsune_miku,4,90\n3,general,9,1000\n"
TAGCOMPLETE = b"long_hair,0,600,longhair\nask_(askzy),1,470,asukaziye\nvocaloid,3,100,\n"


def run(command: list[str], cwd: Path) -> str:
    environment = {**os.environ, "DVC_NO_ANALYTICS": "1", "GIT_CONFIG_NOSYSTEM": "1"}
    result = subprocess.run(command, cwd=cwd, env=environment, capture_output=True, text=True, check=False)
    assert result.returncode == 0, f"{command}: {result.stdout}{result.stderr}"
    return result.stdout


def counts(catalog: Path) -> tuple[int, ...]:
    connection = open_catalog(catalog)
    try:
        return tuple(
            int(connection.execute(f"SELECT count(*) FROM {table}").fetchone()[0])  # type: ignore[index]
            for table in ("tags", "aliases", "triggers", "characters", "sources")
        )
    finally:
        connection.close()


@pytest.mark.slow  # the real dvc, in subprocesses
@pytest.mark.skipif(not DVC.exists() or shutil.which("git") is None, reason="needs dvc (dev extra) and git")
def test_catalog_round_trip_through_a_local_dvc_remote(tmp_path: Path) -> None:
    repo = tmp_path / "repo"
    remote = tmp_path / "remote"
    repo.mkdir()
    (tmp_path / "tags.csv").write_bytes(TAGGER)
    (tmp_path / "danbooru.csv").write_bytes(TAGCOMPLETE)
    run(["git", "init", "-q"], repo)
    run([str(DVC), "init", "-q"], repo)
    # What `dvc config core.analytics false` and `dvc remote add -d local REMOTE` write (saves 2 starts).
    with (repo / ".dvc" / "config").open("a") as config:
        config.write(
            f"[core]\n    analytics = false\n    remote = local\n['remote \"local\"']\n    url = {remote}\n"
        )

    catalog = repo / "catalog.duckdb"
    built = main(
        [
            "ingest",
            "--catalog",
            str(catalog),
            "--tagger",
            str(tmp_path / "tags.csv"),
            "--tagcomplete",
            str(tmp_path / "danbooru.csv"),
        ]
    )
    assert built == 0
    expected = counts(catalog)
    assert expected == (5, 2, 44, 1, 6)  # 40 curated triggers + 4 of the tags

    run([str(DVC), "add", "-q", "catalog.duckdb"], repo)
    assert (repo / "catalog.duckdb.dvc").is_file()
    assert "/catalog.duckdb" in (repo / ".gitignore").read_text().splitlines()
    run([str(DVC), "push", "-q"], repo)

    catalog.unlink()
    shutil.rmtree(repo / ".dvc" / "cache")  # only the remote has it now
    run([str(DVC), "pull", "-q"], repo)
    assert counts(catalog) == expected
