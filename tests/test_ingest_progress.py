"""Progress bars (rich) go to a terminal only, once the work has run for a while, and are erased
at the end: the ingest's stages and the search index build's stages."""

from __future__ import annotations

import io
import re
from pathlib import Path

import pytest
from prompt_fixture import build_tiny_catalog

from ingest.build import ingest_catalog
from ingest.problems import SourceFileError
from ingest.progress import Progress
from ingest.specs import SourceSpec
from kb.catalog import open_catalog
from kb.search import SearchIndex
from kb.search.persist import INDEX_BUILD_STAGES

ANSI_CONTROL = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")


class TerminalStream(io.StringIO):
    def isatty(self) -> bool:
        return True


@pytest.fixture(autouse=True)
def plain_terminal(monkeypatch: pytest.MonkeyPatch) -> None:
    """rich draws live bars on any terminal but a dumb one; make the test's terminal a plain xterm."""
    monkeypatch.setenv("TERM", "xterm")
    for name in ("TTY_COMPATIBLE", "TTY_INTERACTIVE", "NO_COLOR", "FORCE_COLOR", "COLUMNS"):
        monkeypatch.delenv(name, raising=False)


def build_with(progress: Progress, tmp_path: Path) -> None:
    tmp_path.mkdir(exist_ok=True)
    tags = tmp_path / "tags.csv"
    tags.write_text("tag_id,name,category,count\n1,long_hair,0,5\n")
    ingest_catalog([SourceSpec("tagger", path=tags)], tmp_path / "catalog.duckdb", progress=progress)


def test_a_terminal_sees_a_bar_through_each_stage_then_it_is_erased(tmp_path: Path) -> None:
    terminal = TerminalStream()
    build_with(Progress(terminal, show_after_seconds=0), tmp_path)
    shown = terminal.getvalue()
    text = ANSI_CONTROL.sub("", shown)
    # One source: hashing, reading it, writing, checking.
    for done, stage in enumerate(
        ["hashing sources", "reading tags.csv", "writing the catalog", "checking the catalog"]
    ):
        assert f"{done}/4 {stage}" in text
    assert "aidxl ingest ━" in text
    assert shown.endswith("\x1b[2K")  # the bar's line is erased


def test_quiet_when_not_a_terminal_or_fast(tmp_path: Path) -> None:
    pipe = io.StringIO()
    build_with(Progress(pipe, show_after_seconds=0), tmp_path / "a")
    fast = TerminalStream()
    build_with(Progress(fast, show_after_seconds=3600), tmp_path / "b")
    assert pipe.getvalue() == ""
    assert fast.getvalue() == ""


def test_a_failed_ingest_erases_its_bar(tmp_path: Path) -> None:
    terminal = TerminalStream()
    with pytest.raises(SourceFileError, match=r"missing\.csv"):
        ingest_catalog(
            [SourceSpec("tagger", path=tmp_path / "missing.csv")],
            tmp_path / "catalog.duckdb",
            progress=Progress(terminal, show_after_seconds=0),
        )
    assert "hashing sources" in terminal.getvalue()
    assert terminal.getvalue().endswith("\x1b[2K")


def test_the_search_index_build_reports_its_stages_and_a_saved_index_none(tmp_path: Path) -> None:
    connection = open_catalog(build_tiny_catalog(tmp_path / "catalog.duckdb"))
    try:
        stages: list[str] = []
        SearchIndex.load(connection, usage={}, on_stage=stages.append)
        assert stages == list(INDEX_BUILD_STAGES)
        stages.clear()
        SearchIndex.load(connection, usage={}, on_stage=stages.append)  # mapped from the cache
        assert stages == []
        terminal = TerminalStream()
        with Progress(terminal, show_after_seconds=0, title="search index") as progress:
            progress.begin(len(INDEX_BUILD_STAGES))
            SearchIndex.load(connection, usage={}, use_cache=False, on_stage=progress.step)
    finally:
        connection.close()
    text = ANSI_CONTROL.sub("", terminal.getvalue())
    assert "search index ━" in text
    assert f"0/{len(INDEX_BUILD_STAGES)} reading the catalog" in text
    assert "4/6 packing arrays" in text
