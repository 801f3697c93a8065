"""The model's trigger list (`references/artist.csv`, layout unknown offline): every layout it may have,
every bad row and file, and the same rules through `aidxl ingest --triggers`."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest

from ingest.problems import SourceFileError
from ingest.triggerlist import read_trigger_list_file
from kb.schema import TriggerKind
from tui.cli import main

NAMES = ["by yoneyama mai", "by chi4", "by ask (askzy)"]


def read(tmp_path: Path, content: str, name: str = "artist.csv") -> tuple[list[str], list[str | None]]:
    path = tmp_path / name
    path.write_bytes(content.encode())
    rows = read_trigger_list_file(path)
    assert rows.problems == [], rows.problems
    assert {entry.kind for entry in rows.entries} == {TriggerKind.ARTIST_STYLE}
    return [entry.text for entry in rows.entries], [entry.note for entry in rows.entries]


@pytest.mark.parametrize("column", ["artist", "trigger", "name", "tag", "style", "Artist", "STYLE"])
@pytest.mark.parametrize("quoted", [False, True])
def test_a_header_naming_the_column_with_or_without_count(tmp_path: Path, column: str, quoted: bool) -> None:
    def line(*fields: str) -> str:
        return ",".join(f'"{field}"' if quoted else field for field in fields) + "\n"

    with_count = line(column, "count") + line("yoneyama mai", "259") + line("chi4", "90")
    with_count += line("ask (askzy)", "12")
    assert read(tmp_path, with_count) == (
        NAMES,
        ["artist.csv; count=259", "artist.csv; count=90", "artist.csv; count=12"],
    )
    without_count = line(column) + line("by yoneyama mai") + line("by chi4") + line("by ask (askzy)")
    assert read(tmp_path, without_count) == (NAMES, ["artist.csv"] * 3)


def test_count_first_and_names_with_underscores_escapes_and_case(tmp_path: Path) -> None:
    content = 'count,artist\n259,yoneyama_mai\n90,"By Chi4"\n12,ask \\(askzy\\)\n'
    assert read(tmp_path, content)[0] == NAMES


@pytest.mark.parametrize(
    "content",
    [
        "yoneyama mai\nchi4\nask (askzy)\n",
        "by yoneyama mai\nby chi4\nby ask (askzy)\n",
        '"yoneyama mai"\n"by chi4"\nask_(askzy)\n',
        "yoneyama mai,259\nchi4,90\nask (askzy)\n",
    ],
    ids=["plain", "with by", "quoted and underscores", "with counts"],
)
def test_one_name_per_line_without_header(tmp_path: Path, content: str) -> None:
    assert read(tmp_path, content)[0] == NAMES


def test_the_txt_suffix_reads_the_same(tmp_path: Path) -> None:
    assert read(tmp_path, "yoneyama mai\nchi4\nask (askzy)\n", "artists.txt")[0] == NAMES


BAD_ROWS = [
    ("artist,count\nchi4\n", "2: expected 2 field(s) as in the header, found 1"),
    ("artist,count\nchi4,many\n", "2: non-integer count 'many'"),
    ("artist,count\nchi4,-3\n", "2: non-integer count '-3'"),
    ("chi4,90,x\n", "1: expected a name, or a name and a count, found 3 fields"),
    ("chi4\n\nask\n", "2: empty line"),
    ('artist\n""\n', "2: empty name"),
    ("artist\nby \n", "2: name 'by ' has surrounding spaces"),
    ("artist\nby\n", None),  # an artist called `by` is a name like any other
    ('artist\n"by  chi4"\n', "2: name 'by  chi4' contains a tab or a double space"),
    ('artist\n" chi4"\n', "2: name ' chi4' has surrounding spaces"),
    ("artist\nyoneyama\tmai\n", "2: name 'yoneyama\\tmai' contains a tab or a double space"),
    ('artist\n"a, b"\n', "2: name 'a, b' contains a comma (a prompt splits at commas)"),
    ("artist\nyoneyama_mai sensei\n", "2: name 'yoneyama_mai sensei' mixes spaces and underscores"),
    ("artist\nchi4\nby chi4\n", "3: duplicate trigger 'by chi4' (first on line 2)"),
    ('artist\n"chi4\n', "2: unterminated quote"),
    ("artist\ncaf\xe9\n", None),  # UTF-8 é is fine
]


@pytest.mark.parametrize(("content", "expected"), BAD_ROWS, ids=[case[1] or case[0] for case in BAD_ROWS])
def test_bad_rows(tmp_path: Path, content: str, expected: str | None) -> None:
    path = tmp_path / "artist.csv"
    path.write_bytes(content.encode())
    rows = read_trigger_list_file(path)
    assert [str(problem) for problem in rows.problems] == ([f"{path}:{expected}"] if expected else [])


BAD_FILES = [
    (
        b"artist,count\r\nchi4,5\r\n",
        "1: carriage return (CRLF line ending); convert the file to LF line endings",
    ),
    (
        b"\xef\xbb\xbfartist\nchi4\n",
        "1: starts with a UTF-8 byte-order mark (BOM); save the file as UTF-8 without BOM",
    ),
    (b"", " file is empty"),
    (b"artist,count\n", " no rows after the header"),
    (
        b"artist,url\nchi4,x\n",
        "1: unknown column(s) 'url' in the header (expected one of artist, trigger, name, tag, style, "
        "and optionally count)",
    ),
    (
        b"artist,name\nchi4,x\n",
        "1: the header names 2 name columns (expected one of artist, trigger, name, tag, style, and "
        "optionally count)",
    ),
    (b"artist,count,count\nchi4,1,2\n", "1: the header names 2 count columns"),
]


@pytest.mark.parametrize(("content", "expected"), BAD_FILES, ids=[case[1][:30] for case in BAD_FILES])
def test_bad_files(tmp_path: Path, content: bytes, expected: str) -> None:
    path = tmp_path / "artist.csv"
    path.write_bytes(content)
    with pytest.raises(SourceFileError) as error:
        read_trigger_list_file(path)
    assert str(error.value.problems[0]) == f"{path}:{expected}"


def test_ingest_triggers_flag_verifies_and_links(tmp_path: Path) -> None:
    tags = tmp_path / "tags.csv"
    tags.write_text("yoneyama_mai,1,259,\nask_(askzy),1,50,\nmodare,1,40,\n")
    triggers = tmp_path / "artist.csv"
    triggers.write_text('"artist","count"\n"yoneyama mai",259\n"new artist",3\n')
    catalog = tmp_path / "catalog.duckdb"
    assert (
        main(["ingest", "--catalog", str(catalog), "--tagcomplete", str(tags), "--triggers", str(triggers)])
        == 0
    )
    with duckdb.connect(str(catalog), read_only=True) as connection:
        found = connection.execute(
            "SELECT tr.text, tr.verified, t.name, tr.note, s.kind FROM triggers tr "
            "LEFT JOIN tags t USING (tag_id) JOIN sources s USING (source_id) "
            "WHERE tr.text IN ('by yoneyama mai', 'by new artist', 'by modare') ORDER BY tr.text"
        ).fetchall()
    assert found == [
        ("by modare", True, "modare", "AIDXL model card, style merging example", "curated"),
        ("by new artist", True, None, "artist.csv; count=3", "triggers"),
        (
            "by yoneyama mai",
            True,
            "yoneyama_mai",
            "AIDXL model card, style merging example; artist.csv; count=259",
            "curated",
        ),
    ]
