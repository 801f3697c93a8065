"""kb.catalog.open_catalog on files that are not catalogs: one line saying so, never DuckDB's own."""

from __future__ import annotations

from pathlib import Path

import pytest
from prompt_fixture import build_tiny_catalog

from kb.catalog import open_catalog
from kb.errors import CatalogError
from tui.cli import main

ADVICE = "check the path, or build a catalog with `aidxl ingest`"


@pytest.mark.parametrize(
    ("content", "reason"),
    [
        (b"hello\n", "it holds text: 'hello'"),
        (b"", "the file is empty"),
        (b"\n \n", "it holds blank text"),
        (bytes(range(256)) * 4, "no DuckDB header at its start"),
        ("名前,カテゴリ\n".encode() * 20, "it holds text: '名前,カテゴリ'"),  # a character cut at byte 64
    ],
    ids=["text", "empty", "blank", "binary", "utf8-text"],
)
def test_a_file_that_is_not_a_catalog_says_so(content: bytes, reason: str, tmp_path: Path) -> None:
    path = tmp_path / "catalog.duckdb"
    path.write_bytes(content)
    with pytest.raises(CatalogError) as error:
        open_catalog(path)
    assert str(error.value) == f"{path}: not a DuckDB catalog file ({reason}); {ADVICE}"


def test_a_name_duckdb_reads_as_its_own_is_a_file_here(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`:memory:` beside you is a file, not DuckDB's in-memory database ("cannot launch read-only")."""
    monkeypatch.chdir(tmp_path)
    build_tiny_catalog(tmp_path / ":memory:")
    connection = open_catalog(Path(":memory:"))
    try:
        assert connection.execute("SELECT count(*) FROM tags").fetchone() is not None
    finally:
        connection.close()


def test_the_cli_prints_one_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    text_file = tmp_path / "notes.txt"
    text_file.write_text("hello\n", encoding="utf-8")
    assert main(["stats", "--catalog", str(text_file)]) == 2
    captured = capsys.readouterr()
    assert (
        captured.err == f"aidxl: {text_file}: not a DuckDB catalog file (it holds text: 'hello'); {ADVICE}\n"
    )
    assert captured.out == ""
