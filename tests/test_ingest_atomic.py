"""An interrupted build (kill -9, Ctrl-C, an error) leaves the previous catalog byte-identical;
temp files of a killed build are removed by the next ingest, and an ingest that ends (built, up to
date, failed or interrupted) leaves nothing beside the catalog: no temp file, no lock file. The child
process stops itself right before the rename (AIDXL_INGEST_PAUSE_BEFORE_COMMIT) and says so: the test
waits on that line."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest
from child_signals import default_sigint

from ingest.build import PAUSE_BEFORE_COMMIT_ENV
from kb.catalog_digest import digest_path
from kb.schema import SCHEMA_VERSION
from tui.cli import main

REPO_ROOT = Path(__file__).resolve().parents[1]
FIRST = b"tag_id,name,category,count\n1,long_hair,0,500\n"
SECOND = b"tag_id,name,category,count\n1,long_hair,0,500\n2,short_hair,0,400\n"


@pytest.fixture()
def previous(tmp_path: Path) -> Path:
    first = tmp_path / "first.csv"
    first.write_bytes(FIRST)
    catalog = tmp_path / "catalog.duckdb"
    assert main(["ingest", "--catalog", str(catalog), "--tagger", str(first)]) == 0
    (tmp_path / "second.csv").write_bytes(SECOND)
    return catalog


def start_paused_ingest(catalog: Path) -> tuple[subprocess.Popen[str], Path]:
    """Start `aidxl ingest` of the second file and wait until it has written its temp catalog."""
    child = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "tui.cli",
            "ingest",
            "--catalog",
            str(catalog),
            "--tagger",
            str(catalog.parent / "second.csv"),
        ],
        cwd=REPO_ROOT,
        env={**os.environ, PAUSE_BEFORE_COMMIT_ENV: "1"},
        preexec_fn=default_sigint,
        stderr=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert child.stderr is not None
    line = child.stderr.readline()  # blocks until the child reaches the pause
    assert "paused before commit, temp catalog " in line, line
    temp = Path(line.rsplit(" ", 1)[1].strip())
    assert temp.is_file()
    return child, temp


def beside(catalog: Path) -> list[str]:
    """Files next to the catalog that belong to a build (temp catalogs, WAL, lock): the catalog and
    its digest record (kb.catalog_digest, written with it) aside."""
    kept = {catalog, digest_path(catalog)}
    return sorted(path.name for path in catalog.parent.glob(f"{catalog.name}*") if path not in kept)


def tag_names(catalog: Path) -> list[str]:
    import duckdb

    with duckdb.connect(str(catalog), read_only=True) as connection:
        return [row[0] for row in connection.execute("SELECT name FROM tags ORDER BY name").fetchall()]


def test_kill_9_mid_build_keeps_the_previous_catalog(
    previous: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    before = previous.read_bytes()
    child, temp = start_paused_ingest(previous)
    child.kill()  # SIGKILL: no cleanup runs
    child.wait()
    assert previous.read_bytes() == before
    assert tag_names(previous) == ["long_hair"]
    assert temp.exists()  # left behind by the killed build ...
    assert beside(previous) == sorted([temp.name, "catalog.duckdb.tmp-lock"])
    capsys.readouterr()
    assert main(["ingest", "--catalog", str(previous), "--tagger", str(previous.parent / "second.csv")]) == 0
    assert f"removed {temp} left by an interrupted build" in capsys.readouterr().err
    assert not temp.exists()  # ... and removed by the next one, with the lock file
    assert beside(previous) == []
    assert tag_names(previous) == ["long_hair", "short_hair"]


def test_ctrl_c_mid_build_keeps_the_previous_catalog_and_removes_the_temp_file(previous: Path) -> None:
    before = previous.read_bytes()
    child, temp = start_paused_ingest(previous)
    child.send_signal(signal.SIGINT)
    _, stderr = child.communicate(timeout=60)
    assert child.returncode == 130
    assert "aidxl: interrupted" in stderr
    assert previous.read_bytes() == before
    assert not temp.exists()
    assert beside(previous) == []


def test_a_reader_keeps_reading_the_old_catalog_while_it_is_replaced(previous: Path) -> None:
    from kb.catalog import open_catalog

    reader = open_catalog(previous)
    try:
        assert (
            main(["ingest", "--catalog", str(previous), "--tagger", str(previous.parent / "second.csv")]) == 0
        )
        assert reader.execute("SELECT count(*) FROM tags").fetchone() == (1,)
    finally:
        reader.close()
    assert tag_names(previous) == ["long_hair", "short_hair"]


def test_another_schema_version_asks_for_a_rebuild(
    previous: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    import duckdb

    with duckdb.connect(str(previous)) as connection:
        connection.execute("UPDATE meta SET value = '0' WHERE key = 'schema_version'")
    assert main(["stats", "--catalog", str(previous)]) == 2
    assert capsys.readouterr().err == (
        f"aidxl: {previous}: catalog schema version 0, this aidxl-kb needs {SCHEMA_VERSION}; "
        "rebuild with `aidxl ingest`\n"
    )
    # ingest rebuilds it even though the sources are unchanged.
    assert main(["ingest", "--catalog", str(previous), "--tagger", str(previous.parent / "first.csv")]) == 0
    assert "built in" in capsys.readouterr().out
    assert main(["stats", "--catalog", str(previous)]) == 0


def test_a_second_concurrent_ingest_is_refused(previous: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from ingest.atomic import build_lock

    before = previous.read_bytes()
    with build_lock(previous):  # as if another `aidxl ingest` were building right now
        assert beside(previous) == ["catalog.duckdb.tmp-lock"]
        assert (
            main(["ingest", "--catalog", str(previous), "--tagger", str(previous.parent / "second.csv")]) == 2
        )
        assert beside(previous) == ["catalog.duckdb.tmp-lock"]  # the refused ingest keeps the holder's lock
    assert capsys.readouterr().err.endswith(
        f"aidxl: {previous}: another `aidxl ingest` is building this catalog right now\n"
    )
    assert previous.read_bytes() == before
    assert beside(previous) == []
    # Released, the catalog can be built again (a new lock file, removed in its turn).
    assert main(["ingest", "--catalog", str(previous), "--tagger", str(previous.parent / "second.csv")]) == 0
    assert tag_names(previous) == ["long_hair", "short_hair"]
    assert beside(previous) == []


def test_nothing_is_left_beside_the_catalog_after_a_build_a_no_op_or_a_failure(previous: Path) -> None:
    assert beside(previous) == []  # the first build (the fixture's)
    second = str(previous.parent / "second.csv")
    assert main(["ingest", "--catalog", str(previous), "--tagger", second]) == 0
    assert beside(previous) == []
    assert main(["ingest", "--catalog", str(previous), "--tagger", second]) == 0  # up to date
    assert beside(previous) == []
    bad = previous.parent / "bad.csv"
    bad.write_bytes(b"tag_id,name,category,count\n1,long_hair,zero,500\n")
    assert main(["ingest", "--catalog", str(previous), "--tagger", str(bad)]) == 2
    assert beside(previous) == []
    assert main(["ingest", "--catalog", str(previous), "--tagger", str(previous.parent / "missing.csv")]) == 2
    assert beside(previous) == []
    assert tag_names(previous) == ["long_hair", "short_hair"]


def test_a_first_build_that_fails_leaves_the_folder_empty(tmp_path: Path) -> None:
    bad = tmp_path / "sources" / "bad.csv"
    bad.parent.mkdir()
    bad.write_bytes(b"tag_id,name,category,count\n1,long_hair,zero,500\n")
    catalog = tmp_path / "out" / "catalog.duckdb"
    assert main(["ingest", "--catalog", str(catalog), "--tagger", str(bad)]) == 2
    assert list(catalog.parent.iterdir()) == []


def test_a_build_in_another_process_refuses_a_second_one(
    previous: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    child, temp = start_paused_ingest(previous)  # holds the lock, paused before its rename
    first = str(previous.parent / "first.csv")
    try:
        assert main(["ingest", "--catalog", str(previous), "--tagger", first]) == 2
        assert "another `aidxl ingest` is building this catalog right now" in capsys.readouterr().err
        assert beside(previous) == sorted([temp.name, "catalog.duckdb.tmp-lock"])
    finally:
        child.send_signal(signal.SIGINT)
        child.communicate()
    assert beside(previous) == []
    assert tag_names(previous) == ["long_hair"]
