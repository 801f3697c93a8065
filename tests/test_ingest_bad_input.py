"""Every bad-input case of a source file: non-zero exit, `path:line: reason` for each problem, the
previous catalog byte-identical; `--skip-bad` ingests the good rows and says what it skipped."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from tui.cli import main

GOOD_TAGGER = b"tag_id,name,category,count\n1,long_hair,0,500\n2,hatsune_miku,4,90\n3,general,9,1000\n"


@pytest.fixture(scope="module")
def built_catalog(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("previous")
    good = folder / "good_tags.csv"
    good.write_bytes(GOOD_TAGGER)
    catalog_path = folder / "catalog.duckdb"
    assert main(["ingest", "--catalog", str(catalog_path), "--tagger", str(good)]) == 0
    return catalog_path


@pytest.fixture()
def catalog(built_catalog: Path, tmp_path: Path) -> Path:
    """A previous catalog (built from a good tagger file) that a bad ingest must leave untouched."""
    catalog_path = tmp_path / "catalog.duckdb"
    shutil.copyfile(built_catalog, catalog_path)
    return catalog_path


def run_ingest(catalog: Path, *flags: str) -> int:
    return main(["ingest", "--catalog", str(catalog), *flags])


# (case, flag, file content, expected problem lines with {path} for the file)
TAGGER_CASES = [
    (
        "wrong header",
        b"id,name,category,count\n1,a,0,1\n",
        ["{path}:1: wrong header 'id,name,category,count' (expected 'tag_id,name,category,count')"],
    ),
    (
        "wrong column count",
        b"tag_id,name,category,count\n1,a,0\n2,b,0,5,6\n3,c,0,7\n",
        [
            "{path}:2: expected 4 fields (tag_id,name,category,count), found 3",
            "{path}:3: expected 4 fields (tag_id,name,category,count), found 5",
        ],
    ),
    (
        "non-integer id",
        b"tag_id,name,category,count\n1.0,a,0,1\nx,b,0,1\n3,c,0,1\n",
        ["{path}:2: non-integer tag_id '1.0'", "{path}:3: non-integer tag_id 'x'"],
    ),
    (
        "non-integer count",
        b"tag_id,name,category,count\n1,a,0,12.0\n2,b,0,-3\n3,c,0,7\n",
        ["{path}:2: non-integer count '12.0'", "{path}:3: non-integer count '-3'"],
    ),
    (
        "unknown category",
        b"tag_id,name,category,count\n1,a,1,5\n2,b,0,5\n",
        ["{path}:2: unknown category 1 for a tagger file (expected 0, 3, 4, 9)"],
    ),
    ("empty name", b"tag_id,name,category,count\n1,,0,5\n2,b,0,5\n", ["{path}:2: empty name"]),
    (
        "duplicate names, conflicting categories",
        b"tag_id,name,category,count\n1,a,0,5\n2,b,0,5\n3,a,4,6\n",
        [
            "{path}:2: name 'a' occurs again later in the file",
            "{path}:4: duplicate name 'a' (first on line 2) with a conflicting category (4 here, 0 there)",
        ],
    ),
    (
        "non-UTF-8 bytes",
        b"tag_id,name,category,count\n1,caf\xe9,0,5\n2,b,0,5\n",
        ["{path}:2: not UTF-8 (byte 6 of the line: e9)"],
    ),
    (
        "BOM",
        b"\xef\xbb\xbftag_id,name,category,count\n1,a,0,5\n",
        ["{path}:1: starts with a UTF-8 byte-order mark (BOM); save the file as UTF-8 without BOM"],
    ),
    (
        "CRLF",
        b"tag_id,name,category,count\r\n1,a,0,5\r\n",
        [
            "{path}:1: carriage return (CRLF line ending); convert the file to LF line endings",
            "{path}:2: carriage return (CRLF line ending); convert the file to LF line endings",
        ],
    ),
    ("empty file", b"", ["{path}: file is empty"]),
    ("header only", b"tag_id,name,category,count\n", ["{path}: no rows after the header"]),
    ("empty line", b"tag_id,name,category,count\n1,a,0,5\n\n2,b,0,5\n", ["{path}:3: empty line"]),
]


@pytest.mark.parametrize(
    ("case", "content", "expected"), TAGGER_CASES, ids=[case[0] for case in TAGGER_CASES]
)
def test_bad_tagger_file_is_refused_and_catalog_kept(
    catalog: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    case: str,
    content: bytes,
    expected: list[str],
) -> None:
    before = catalog.read_bytes()
    bad = tmp_path / "bad.csv"
    bad.write_bytes(content)
    capsys.readouterr()
    assert run_ingest(catalog, "--tagger", str(bad)) == 2
    stderr = capsys.readouterr().err
    for line in expected:
        assert line.format(path=bad) in stderr
    assert catalog.read_bytes() == before
    assert not list(tmp_path.glob("catalog.duckdb.tmp-build-*"))


TAGCOMPLETE_CASES = [
    (
        "wrong column count",
        b"a,0,5,\nb,0,6\n",
        ['{path}:2: expected 4 fields (name,category,count,"aliases"), found 3'],
    ),
    (
        "unknown category",
        b"a,9,5,\nb,2,5,\n",
        [
            "{path}:1: unknown category 9 for a tag-autocomplete file (expected 0, 1, 3, 4, 5)",
            "{path}:2: unknown category 2 for a tag-autocomplete file (expected 0, 1, 3, 4, 5)",
        ],
    ),
    ("bad quoting", b'"a,0,5,\nb"c,0,5,\n', ["{path}:1: unterminated quote"]),
    ("empty alias", b'a,0,5,"x,,y"\n', ["{path}:1: empty alias"]),
    (
        "several reasons on one line",
        b"a b,7,five,\n",
        [
            "{path}:1: name 'a b' contains whitespace (Danbooru names use underscores); "
            "unknown category 7 for "
            "a tag-autocomplete file (expected 0, 1, 3, 4, 5); non-integer count 'five'"
        ],
    ),
]


@pytest.mark.parametrize(
    ("case", "content", "expected"), TAGCOMPLETE_CASES, ids=[case[0] for case in TAGCOMPLETE_CASES]
)
def test_bad_tagcomplete_file_is_refused(
    catalog: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    case: str,
    content: bytes,
    expected: list[str],
) -> None:
    before = catalog.read_bytes()
    bad = tmp_path / "bad_tags.csv"
    bad.write_bytes(content)
    capsys.readouterr()
    assert run_ingest(catalog, "--tagcomplete", str(bad)) == 2
    stderr = capsys.readouterr().err
    for line in expected:
        assert line.format(path=bad) in stderr
    assert catalog.read_bytes() == before


def test_missing_file_and_directory(
    catalog: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    before = catalog.read_bytes()
    missing = tmp_path / "nope.csv"
    folder = tmp_path / "folder.csv"
    folder.mkdir()
    capsys.readouterr()
    assert run_ingest(catalog, "--tagger", str(missing), "--tagcomplete", str(folder)) == 2
    stderr = capsys.readouterr().err
    assert f"{missing}: no such file" in stderr
    assert f"{folder}: is a directory, not a file" in stderr
    assert catalog.read_bytes() == before


def test_problems_are_capped_with_a_count_of_the_rest(
    catalog: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bad = tmp_path / "many.csv"
    bad.write_text("tag_id,name,category,count\n" + "".join(f"{n},t{n},0,x\n" for n in range(1, 31)))
    capsys.readouterr()
    assert run_ingest(catalog, "--tagger", str(bad)) == 2
    stderr = capsys.readouterr().err
    assert f"{bad}:21: non-integer count 'x'" in stderr
    assert f"{bad}:22:" not in stderr
    assert "... and 10 more" in stderr
    assert "pass --skip-bad to ingest the good rows" in stderr


def test_skip_bad_ingests_the_good_rows_and_reports_the_rest(
    catalog: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bad = tmp_path / "mixed.csv"
    bad.write_bytes(b"tag_id,name,category,count\n1,a,0,5\n2,b,7,5\n3,c,4,x\n4,d,4,9\n")
    capsys.readouterr()
    assert run_ingest(catalog, "--tagger", str(bad), "--skip-bad") == 0
    captured = capsys.readouterr()
    assert f"{bad}: skipped 2 bad row(s):" in captured.err
    assert f"{bad}:3: unknown category 7 for a tagger file (expected 0, 3, 4, 9)" in captured.err
    assert f"{bad}:4: non-integer count 'x'" in captured.err
    assert "2 bad row(s) skipped (--skip-bad)" in captured.out
    import duckdb

    with duckdb.connect(str(catalog), read_only=True) as connection:
        names = connection.execute("SELECT name FROM tags ORDER BY name").fetchall()
        skipped = connection.execute("SELECT rows, skipped FROM sources WHERE kind = 'tagger'").fetchall()
    assert names == [("a",), ("d",)]
    assert skipped == [(2, 2)]


def test_skip_bad_does_not_skip_whole_file_problems(
    catalog: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bom = tmp_path / "bom.csv"
    bom.write_bytes(b"\xef\xbb\xbftag_id,name,category,count\n1,a,0,5\n")
    before = catalog.read_bytes()
    assert run_ingest(catalog, "--tagger", str(bom), "--skip-bad") == 2
    assert "byte-order mark" in capsys.readouterr().err
    assert catalog.read_bytes() == before


LIST_CASES = [
    (
        "plain list without kind",
        "list.txt",
        b"by someone\n",
        [],
        ["{path}:1: no kind: add a `kind` column or pass --kind"],
    ),
    (
        "unknown kind column",
        "list.csv",
        b"by someone,styles\n",
        [],
        [
            "{path}:1: unknown kind 'styles' (expected one of artist_style, painting_style, quality, "
            "aesthetic, "
            "character, copyright, general, rating, meta)"
        ],
    ),
    (
        "escaped and underscored text",
        "list.txt",
        b"lucy \\(cyberpunk\\)\nlong_hair\n",
        ["--kind", "general"],
        [
            "{path}:1: trigger 'lucy \\\\(cyberpunk\\\\)' contains a backslash or tab "
            "(write the text unescaped)",
            "{path}:2: trigger 'long_hair' contains underscores (AIDXL triggers use spaces)",
        ],
    ),
    (
        "duplicate trigger",
        "list.csv",
        b"trigger,kind\nby a,artist_style\nby a,artist_style\n",
        [],
        ["{path}:3: duplicate trigger 'by a' (artist_style; first on line 2)"],
    ),
]


@pytest.mark.parametrize(
    ("case", "file_name", "content", "extra", "expected"), LIST_CASES, ids=[case[0] for case in LIST_CASES]
)
def test_bad_list_file_is_refused(
    catalog: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    case: str,
    file_name: str,
    content: bytes,
    extra: list[str],
    expected: list[str],
) -> None:
    bad = tmp_path / file_name
    bad.write_bytes(content)
    capsys.readouterr()
    assert run_ingest(catalog, "--list", str(bad), *extra) == 2
    stderr = capsys.readouterr().err
    for line in expected:
        assert line.format(path=bad) in stderr


def test_bad_vocab_file_names_key_and_line(
    catalog: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bad = tmp_path / "vocab.json"
    bad.write_text('{\n  "quality": [\n    "best_quality",\n    "bad name",\n    7\n  ]\n}\n')
    capsys.readouterr()
    assert run_ingest(catalog, "--vocab", str(bad)) == 2
    stderr = capsys.readouterr().err
    assert (
        f"{bad}:4: quality[2]: name 'bad name' contains whitespace (Danbooru names use underscores)" in stderr
    )
    assert f"{bad}:5: quality[3]: expected a string, found 7" in stderr
    broken = tmp_path / "broken.json"
    broken.write_text('{\n  "quality": [\n    "a",\n  ]\n}\n')
    assert run_ingest(catalog, "--vocab", str(broken)) == 2
    assert f"{broken}:4: not valid JSON: Expecting value" in capsys.readouterr().err
