"""`aidxl search` says why nothing matched when it knows more than "nothing matches", and `aidxl
sheet` refuses a sheet without style rows in one sentence instead of building the baseline alone."""

from __future__ import annotations

from pathlib import Path

import pytest
from prompt_fixture import build_tiny_catalog

from kb.recognition import record_recognitions
from tui.cli import main


@pytest.fixture(scope="module")
def small_catalog(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A catalog of several sources (tagger, tagcomplete, vocab, ...), not the curated lists alone."""
    return build_tiny_catalog(tmp_path_factory.mktemp("hints") / "catalog.duckdb", knowledge=True)


def test_a_verdict_filter_without_any_verdict_recorded_says_how_to_get_them(
    small_catalog: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["search", "by", "--verdict", "no", "--catalog", str(small_catalog)]) == 1
    said = capsys.readouterr().err
    assert said.startswith("aidxl: no recognition verdicts are recorded:")
    assert "`aidxl sheet`" in said and "nothing matches" not in said
    # Once a sheet recorded verdicts, a filter that finds none is a plain "nothing matches".
    from test_search_verdicts import YONEYAMA

    record_recognitions([YONEYAMA])
    assert main(["search", "by", "--verdict", "no", "--catalog", str(small_catalog)]) == 1
    assert capsys.readouterr().err == "aidxl: nothing matches 'by'\n"


def test_nothing_found_in_a_curated_only_catalog_says_how_to_add_sources(
    tmp_path: Path, small_catalog: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from ingest.build import ingest_catalog

    curated = tmp_path / "curated.duckdb"
    ingest_catalog([], curated, allow_curated_only=True)
    assert main(["search", "ganyu", "--catalog", str(curated)]) == 1
    said = capsys.readouterr().err
    assert said.startswith("aidxl: nothing matches 'ganyu'; this catalog holds only the ")
    assert "`aidxl ingest --fetch`" in said
    # A catalog with sources says only that nothing matches.
    assert main(["search", "zzqqxxzz", "--catalog", str(small_catalog)]) == 1
    assert capsys.readouterr().err == "aidxl: nothing matches 'zzqqxxzz'\n"


@pytest.mark.parametrize(
    ("arguments", "expected"),
    [
        (["--styles", ""], "aidxl: --styles '' names no trigger: give them comma-separated"),
        (["--styles", " , "], "aidxl: --styles ' , ' names no trigger: give them comma-separated"),
        ([], "aidxl: no style rows: give --styles, --style, --styles-file, --query or a --spec"),
    ],
)
def test_a_sheet_without_style_rows_is_refused_in_one_line(
    arguments: list[str], expected: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["sheet", *arguments, "--model", "tiny-random", "--dry-run"]) == 2
    captured = capsys.readouterr()
    assert captured.err.startswith(expected) and captured.err.count("\n") == 1
    assert captured.out == ""
