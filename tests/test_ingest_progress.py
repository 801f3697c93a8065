"""Progress lines go to a terminal only, and only once the ingest has run for a while."""

from __future__ import annotations

import io
from pathlib import Path

from ingest.build import ingest_catalog
from ingest.progress import Progress
from ingest.specs import SourceSpec


class TerminalStream(io.StringIO):
    def isatty(self) -> bool:
        return True


def build_with(progress: Progress, tmp_path: Path) -> None:
    tmp_path.mkdir(exist_ok=True)
    tags = tmp_path / "tags.csv"
    tags.write_text("tag_id,name,category,count\n1,long_hair,0,5\n")
    ingest_catalog([SourceSpec("tagger", path=tags)], tmp_path / "catalog.duckdb", progress=progress)


def test_a_terminal_sees_each_step_then_a_cleared_line(tmp_path: Path) -> None:
    terminal = TerminalStream()
    build_with(Progress(terminal, show_after_seconds=0), tmp_path)
    shown = terminal.getvalue()
    assert "aidxl ingest: reading tags.csv" in shown
    assert "aidxl ingest: writing the catalog" in shown
    assert shown.endswith("\r\x1b[2K")


def test_quiet_when_not_a_terminal_or_fast(tmp_path: Path) -> None:
    pipe = io.StringIO()
    build_with(Progress(pipe, show_after_seconds=0), tmp_path / "a")
    fast = TerminalStream()
    build_with(Progress(fast, show_after_seconds=3600), tmp_path / "b")
    assert pipe.getvalue() == ""
    assert fast.getvalue() == ""
