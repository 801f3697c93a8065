"""Inputs that used to end in tracebacks or pass silently: numbers out of range, deep JSON, long
numbers, a NUL in a config path, control characters in names, duplicate tagger ids and JSON keys.
Each ends in `path:line: reason` (or `path: reason`) and exit 2, and leaves the catalog as it was."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from kb.catalog_digest import digest_path
from tui.cli import main

HEADER = "tag_id,name,category,count\n"
BIG_51 = 2**51
BIG_63 = 2**63


@pytest.fixture(scope="module")
def built_catalog(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("built")
    good = folder / "good.csv"
    good.write_text(HEADER + "1,long_hair,0,500\n", encoding="utf-8")
    path = folder / "catalog.duckdb"
    assert main(["ingest", "--catalog", str(path), "--tagger", str(good), "--no-search-index"]) == 0
    return path


@pytest.fixture()
def catalog(tmp_path: Path, built_catalog: Path) -> Path:
    """A catalog built from a good file (a copy per test), to prove a bad one leaves it byte-identical."""
    path = tmp_path / "catalog.duckdb"
    shutil.copyfile(built_catalog, path)
    shutil.copyfile(digest_path(built_catalog), digest_path(path))
    return path


def _refused(catalog: Path, flag: str, path: Path, capsys: pytest.CaptureFixture[str], *extra: str) -> str:
    """Ingest `path` as `flag`; assert exit 2, no traceback, the catalog untouched; return stderr."""
    capsys.readouterr()
    before = catalog.read_bytes()
    assert main(["ingest", "--catalog", str(catalog), flag, str(path), *extra, "--no-search-index"]) == 2
    err = capsys.readouterr().err
    assert "Traceback" not in err
    assert catalog.read_bytes() == before
    return err


def _write(tmp_path: Path, name: str, text: str | bytes) -> Path:
    path = tmp_path / name
    if isinstance(text, str):
        path.write_text(text, encoding="utf-8")
    else:
        path.write_bytes(text)
    return path


# --- numbers out of range -------------------------------------------------------------------------


@pytest.mark.parametrize("count", [BIG_51, BIG_63, 10**20])
def test_tagger_count_out_of_range(
    tmp_path: Path, catalog: Path, capsys: pytest.CaptureFixture[str], count: int
) -> None:
    path = _write(tmp_path, "tags.csv", HEADER + f"1,a,0,{count}\n2,b,0,5\n")
    err = _refused(catalog, "--tagger", path, capsys)
    assert f"{path}:2: count {count} out of range (at most {BIG_51 - 1})" in err


def test_the_largest_count_is_accepted(tmp_path: Path, catalog: Path) -> None:
    path = _write(tmp_path, "tags.csv", HEADER + f"1,a,0,{BIG_51 - 1}\n")
    assert main(["ingest", "--catalog", str(catalog), "--tagger", str(path), "--no-search-index"]) == 0


@pytest.mark.parametrize("count", [BIG_51, BIG_63])
def test_tagcomplete_count_out_of_range(
    tmp_path: Path, catalog: Path, capsys: pytest.CaptureFixture[str], count: int
) -> None:
    path = _write(tmp_path, "danbooru.csv", f'a,0,{count},""\nb,0,5,""\n')
    err = _refused(catalog, "--tagcomplete", path, capsys)
    assert f"{path}:1: count {count} out of range (at most {BIG_51 - 1})" in err


def test_a_count_of_thousands_of_digits(
    tmp_path: Path, catalog: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Python refuses to convert numbers of 4,300 digits: the reader never tries."""
    path = _write(tmp_path, "tags.csv", HEADER + f"1,a,0,{'9' * 5000}\n")
    err = _refused(catalog, "--tagger", path, capsys)
    assert f"{path}:2: count of 5,000 digits out of range" in err


def test_tagger_tag_id_out_of_range(
    tmp_path: Path, catalog: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = _write(tmp_path, "tags.csv", HEADER + f"{BIG_63},a,0,7\n2,b,0,5\n")
    err = _refused(catalog, "--tagger", path, capsys)
    assert f"{path}:2: tag_id {BIG_63} out of range (at most {BIG_63 - 1})" in err


def test_trigger_list_count_out_of_range(
    tmp_path: Path, catalog: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = _write(tmp_path, "artist.csv", f"artist,count\nyoneyama mai,{BIG_63}\n")
    err = _refused(catalog, "--triggers", path, capsys)
    assert f"{path}:2: count {BIG_63} out of range" in err


def test_caption_group_index_out_of_range(
    tmp_path: Path, catalog: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = _write(tmp_path, "priorities.json", '{"long_hair": 20, "a": 4294967296}\n')
    err = _refused(catalog, "--priorities", path, capsys)
    assert f"{path}:1: tag 'a': group index 4294967296 out of range (at most 2147483647)" in err


def test_a_json_number_of_thousands_of_digits(
    tmp_path: Path, catalog: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = _write(tmp_path, "priorities.json", '{\n"a": ' + "9" * 5000 + "\n}\n")
    err = _refused(catalog, "--priorities", path, capsys)
    assert f"{path}:2: number of 5,000 digits out of range" in err


# --- deep JSON ------------------------------------------------------------------------------------


@pytest.mark.parametrize("flag", ["--implications", "--priorities", "--aliases", "--chants", "--vocab"])
def test_deep_json_is_one_sentence(
    tmp_path: Path, catalog: Path, capsys: pytest.CaptureFixture[str], flag: str
) -> None:
    depth = 100_000
    path = _write(tmp_path, "deep.json", '{"a": ' + "[" * depth + "]" * depth + "}\n")
    err = _refused(catalog, flag, path, capsys)
    assert f"aidxl: {path}: nested too deep (more than 100 levels)\n" in err


def test_nesting_just_under_the_recursion_limit_is_refused_too(
    tmp_path: Path, catalog: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Deep enough for json to parse but not for the readers' walks: refused by the depth scan."""
    depth = 500
    path = _write(tmp_path, "deep.json", '{"a": ' + "[" * depth + "]" * depth + "}\n")
    err = _refused(catalog, "--implications", path, capsys)
    assert f"{path}: nested too deep" in err


# --- a NUL in a config path -----------------------------------------------------------------------


def test_a_nul_in_a_config_path(tmp_path: Path, catalog: Path, capsys: pytest.CaptureFixture[str]) -> None:
    config = _write(tmp_path, "sources.toml", '[[tagger]]\npath = "x\\u0000y.csv"\n')
    err = _refused(catalog, "--config", config, capsys)
    assert err == (
        f"aidxl: {config}: [[tagger]] #1: `path` 'x\\x00y.csv' contains the control character U+0000 (NUL)\n"
    )


# --- control characters in names ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("character", "named"),
    [
        ("\x00", "U+0000 (NUL)"),
        ("\x1b", "U+001B (ESC)"),
        ("\x07", "U+0007 (BEL)"),
        ("\x7f", "U+007F (DEL)"),
        ("\x9b", "U+009B"),
        ("\x01", "U+0001"),
    ],
)
def test_control_characters_in_tag_names(
    tmp_path: Path, catalog: Path, capsys: pytest.CaptureFixture[str], character: str, named: str
) -> None:
    path = _write(tmp_path, "tags.csv", HEADER + f"1,a{character}b,0,7\n2,ok,0,5\n")
    err = _refused(catalog, "--tagger", path, capsys)
    assert f"{path}:2: control character {named} at character 4 of the line" in err
    assert character not in err  # nothing raw reaches the terminal


def test_control_characters_with_skip_bad_skip_the_row(
    tmp_path: Path, catalog: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = _write(tmp_path, "tags.csv", HEADER + "1,a\x1b[31mb,0,7\n2,ok,0,5\n")
    args = ["ingest", "--catalog", str(catalog), "--tagger", str(path), "--skip-bad", "--no-search-index"]
    assert main(args) == 0
    assert "1 bad row(s) skipped" in capsys.readouterr().out
    assert main(["search", "--catalog", str(catalog), "--json", "a"]) == 0
    assert "\x1b" not in capsys.readouterr().out


@pytest.mark.parametrize(
    ("flag", "name", "text"),
    [
        ("--tagcomplete", "danbooru.csv", 'a\x07b,0,5,""\n'),
        ("--tagcomplete", "danbooru.csv", 'ok,0,5,"al\x1bias"\n'),
        ("--triggers", "artist.csv", "artist\nyoneyama\x1b[2Jmai\n"),
        ("--list", "list.txt", "by yoneyama mai\x00\n"),
    ],
)
def test_control_characters_in_other_line_files(
    tmp_path: Path, catalog: Path, capsys: pytest.CaptureFixture[str], flag: str, name: str, text: str
) -> None:
    path = _write(tmp_path, name, text)
    extra = ("--kind", "artist_style") if flag == "--list" else ()
    err = _refused(catalog, flag, path, capsys, *extra)
    line = 2 if flag == "--triggers" else 1
    assert f"{path}:{line}: control character U+00" in err


@pytest.mark.parametrize(
    ("flag", "text", "found"),
    [
        (
            "--implications",
            '{"a\\u001b[31m": ["b"]}\n',
            "key 'a\\x1b[31m' contains the control character U+001B (ESC)",
        ),
        (
            "--implications",
            '{"a": ["b\\u0007"]}\n',
            "string 'b\\x07' contains the control character U+0007 (BEL)",
        ),
        ("--aliases", '{"a": "b\\u0000"}\n', "string 'b\\x00' contains the control character U+0000 (NUL)"),
        ("--priorities", '{"a\\u0085": 3}\n', "key 'a\\x85' contains the control character U+0085"),
        (
            "--chants",
            '[{"name": "x", "terms": "Character", "content": "x,1girl,red\\u0007hair", "color": 1}]\n',
            "string 'x,1girl,red\\x07hair' contains the control character U+0007 (BEL)",
        ),
        (
            "--vocab",
            '{"quality": ["best\\u001bquality"]}\n',
            "string 'best\\x1bquality' contains the control character U+001B (ESC)",
        ),
    ],
)
def test_control_characters_in_json_strings(
    tmp_path: Path, catalog: Path, capsys: pytest.CaptureFixture[str], flag: str, text: str, found: str
) -> None:
    path = _write(tmp_path, "file.json", text)
    err = _refused(catalog, flag, path, capsys)
    assert f"{path}:1: {found}" in err


def test_newlines_and_tabs_in_free_json_text_are_not_control_problems(
    tmp_path: Path, catalog: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A prompt preset's content may hold `\\n` (the upstream chants file does): not a name."""
    path = _write(
        tmp_path,
        "chants.json",
        '[{"name": "p", "terms": "Preset", "content": "a,\\n\\nb,\\tc", "color": 1}]\n',
    )
    assert main(["ingest", "--catalog", str(catalog), "--chants", str(path), "--no-search-index"]) == 0


# --- duplicates -----------------------------------------------------------------------------------


def test_duplicate_tagger_ids_are_reported(
    tmp_path: Path, catalog: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = _write(tmp_path, "tags.csv", HEADER + "1,a,0,7\n2,b,0,6\n1,c,0,5\n")
    err = _refused(catalog, "--tagger", path, capsys)
    assert f"{path}:2: tag_id 1 is given to 2 names (lines 2, 4)" in err
    assert f"{path}:4: tag_id 1 is given to 2 names (lines 2, 4)" in err
    assert f"{path}:3:" not in err


@pytest.mark.parametrize(
    ("flag", "text", "found"),
    [
        ("--implications", '{"a": ["b"],\n"a": ["c"]}\n', "tag 'a' occurs 2 times (lines 1, 2)"),
        ("--aliases", '{"a": "b",\n"a": "c"}\n', "alias 'a' occurs 2 times (lines 1, 2)"),
        ("--priorities", '{"a": 1,\n"a": 2}\n', "tag 'a' occurs 2 times (lines 1, 2)"),
        ("--vocab", '{"quality": ["best_quality"],\n"quality": ["low_quality"]}\n', "given twice: quality"),
        (
            "--chants",
            '[{"name": "x", "name": "y", "terms": "Character", "content": "x,1girl", "color": 1}]\n',
            "chant 1: key 'name' given twice",
        ),
    ],
)
def test_duplicate_json_keys_are_reported(
    tmp_path: Path, catalog: Path, capsys: pytest.CaptureFixture[str], flag: str, text: str, found: str
) -> None:
    path = _write(tmp_path, "file.json", text)
    err = _refused(catalog, flag, path, capsys)
    assert found in err
