"""The catalog's content check (kb.catalog_digest): a catalog overwritten in the middle or cut short is
never "up to date"; `aidxl ingest` rebuilds it, every other command says so in one sentence.

Small catalogs are built by the test from a tiny tagger file; the corruption cases that need DuckDB's
own block checksums (no digest record) use the real catalog, as the reproduction did."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import duckdb
import pytest
from catalog_fixture import build_real_catalog

from kb.catalog import open_catalog
from kb.catalog_digest import DIGEST_FORMAT, check_catalog_content, digest_path, file_sha256, read_digest
from kb.errors import DamagedCatalogError
from tui.cli import main

TAGGER = b"tag_id,name,category,count\n1,long_hair,0,500\n2,short_hair,0,400\n3,red_eyes,0,300\n"


def _build(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> tuple[Path, list[str]]:
    source = tmp_path / "tags.csv"
    source.write_bytes(TAGGER)
    catalog = tmp_path / "catalog.duckdb"
    args = ["ingest", "--catalog", str(catalog), "--tagger", str(source), "--no-search-index"]
    assert main(args) == 0
    capsys.readouterr()
    return catalog, args


def _overwrite_middle(path: Path, *, keep_mtime: bool = False) -> None:
    """4 KB of other bytes in the middle of the file, as the reproduction did."""
    status = path.stat()
    with open(path, "r+b") as handle:
        handle.seek(status.st_size // 2)
        old = handle.read(4096)
        handle.seek(status.st_size // 2)
        handle.write(bytes((byte ^ 0xA5) for byte in old))
    if keep_mtime:
        os.utime(path, ns=(status.st_atime_ns, status.st_mtime_ns))


def _cut_tail(path: Path) -> None:
    size = path.stat().st_size
    with open(path, "r+b") as handle:
        handle.truncate(size - size // 3)


def test_ingest_records_the_catalog_digest(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    catalog, _ = _build(tmp_path, capsys)
    recorded = read_digest(catalog)
    assert recorded is not None
    assert recorded.sha256 == file_sha256(catalog)
    assert recorded.size == catalog.stat().st_size
    assert recorded.mtime_ns == catalog.stat().st_mtime_ns
    assert DIGEST_FORMAT in digest_path(catalog).read_text(encoding="utf-8")
    assert check_catalog_content(catalog, full=True).damaged is None


@pytest.mark.parametrize("damage", [_overwrite_middle, _cut_tail], ids=["middle-overwritten", "tail-cut"])
def test_a_damaged_catalog_is_rebuilt_not_up_to_date(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], damage: object
) -> None:
    catalog, args = _build(tmp_path, capsys)
    good = catalog.read_bytes()
    damage(catalog)  # type: ignore[operator]
    assert main(args) == 0
    captured = capsys.readouterr()
    assert "up to date" not in captured.out
    assert "built in" in captured.out
    assert f"{catalog}: the catalog there was damaged (" in captured.err
    assert "rebuilt it" in captured.err
    assert catalog.stat().st_size == len(good)
    assert check_catalog_content(catalog, full=True).damaged is None
    # and now it is up to date again
    assert main(args) == 0
    assert "up to date (sources unchanged), nothing rebuilt" in capsys.readouterr().out


def test_damage_that_keeps_the_modification_time_is_still_found_by_ingest(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Ingest hashes the whole file before "up to date", whatever the file's times say."""
    catalog, args = _build(tmp_path, capsys)
    _overwrite_middle(catalog, keep_mtime=True)
    assert main(args) == 0
    captured = capsys.readouterr()
    assert "its sha256 differs from the one `aidxl ingest` recorded" in captured.err
    assert "built in" in captured.out


@pytest.mark.parametrize("damage", [_overwrite_middle, _cut_tail], ids=["middle-overwritten", "tail-cut"])
def test_readers_name_the_file_and_the_repair(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], damage: object
) -> None:
    catalog, _ = _build(tmp_path, capsys)
    damage(catalog)  # type: ignore[operator]
    with pytest.raises(DamagedCatalogError) as raised:
        open_catalog(catalog).close()
    message = str(raised.value)
    assert message.startswith(f"{catalog}: the catalog file is damaged (")
    assert message.endswith("rebuild it with `aidxl ingest`")
    assert "\n" not in message
    for command in (["search", "hair"], ["stats"], ["char", "rem"]):
        assert main([*command, "--catalog", str(catalog)]) == 2
        err = capsys.readouterr().err
        assert err == f"aidxl: {message}\n", command


@pytest.mark.slow
def test_an_unrecorded_damaged_catalog_is_found_by_a_full_read(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Without a digest record (a catalog from `dvc pull`, or from before the record), ingest reads
    every block so DuckDB checks its checksums; the reproduction's catalog and damage."""
    catalog = build_real_catalog(tmp_path / "catalog.duckdb")
    digest_path(catalog).unlink(missing_ok=True)
    _overwrite_middle(catalog)
    from catalog_fixture import real_source_specs

    from ingest.build import ingest_catalog

    result = ingest_catalog(real_source_specs(), catalog)  # type: ignore[arg-type]
    assert result.rebuilt
    assert result.repaired is not None and "Corrupt database file" in result.repaired
    assert read_digest(catalog) is not None


def test_a_reader_meeting_a_damaged_block_says_one_sentence(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """No record and the times kept: the open succeeds and the damage shows mid-query; the CLI turns
    DuckDB's checksum error into the same sentence (with the caches cleared, as reported)."""
    catalog = build_real_catalog(tmp_path / "catalog.duckdb")
    digest_path(catalog).unlink(missing_ok=True)
    _overwrite_middle(catalog, keep_mtime=True)
    cache = tmp_path / "cache"
    monkeypatch.setenv("AIDXL_CACHE_DIR", str(cache))
    codes = {}
    # `search` first builds its index from every trigger (~10 s on the real catalog): `char` and
    # `stats` read the damaged block too, in a fraction of that; `search` is covered above.
    for command in (["char", "rem"], ["stats"]):
        shutil.rmtree(cache, ignore_errors=True)
        codes[command[0]] = main([*command, "--catalog", str(catalog)])
        err = capsys.readouterr().err
        assert "Traceback" not in err
        if codes[command[0]] == 2:
            assert err.startswith(f"aidxl: {catalog}: the catalog file is damaged (Corrupt database file")
            assert err.endswith("rebuild it with `aidxl ingest`\n")
            assert err.count("\n") == 1
    assert 2 in codes.values()  # the damaged block is read by at least one of them


def test_a_catalog_without_record_gets_one_at_the_next_no_op(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    catalog, args = _build(tmp_path, capsys)
    digest_path(catalog).unlink()
    assert main(args) == 0
    assert "up to date (sources unchanged), nothing rebuilt" in capsys.readouterr().out
    assert read_digest(catalog) is not None


def test_full_read_raises_on_a_damaged_block(tmp_path: Path) -> None:
    from kb.catalog_digest import read_every_block

    catalog = build_real_catalog(tmp_path / "catalog.duckdb")
    _overwrite_middle(catalog)
    with (
        duckdb.connect(str(catalog), read_only=True) as connection,
        pytest.raises(duckdb.Error, match="Corrupt database file"),
    ):
        read_every_block(connection)


def test_add_to_a_damaged_catalog_keeps_its_sources_and_repairs_it(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """`ingest --add` reads the current sources from the catalog: a damaged one (its blocks still
    readable) keeps them, and the rebuild repairs the file."""
    catalog, _ = _build(tmp_path, capsys)
    _overwrite_middle(catalog)
    more = tmp_path / "more.csv"
    more.write_bytes(b"tag_id,name,category,count\n9,blue_eyes,0,50\n")
    args = ["ingest", "--catalog", str(catalog), "--add", "--tagger", str(more), "--no-search-index"]
    code = main(args)
    captured = capsys.readouterr()
    if code == 2:  # pragma: no cover - the damage hit the sources table itself: one sentence
        assert "its list of sources cannot be read; give the sources again" in captured.err
        return
    assert code == 0
    assert "the catalog there was damaged" in captured.err
    with open_catalog(catalog) as connection:
        names = {row[0] for row in connection.execute("SELECT name FROM tags").fetchall()}
    assert {"long_hair", "blue_eyes"} <= names


def test_a_touched_but_intact_catalog_is_recorded_again(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Same bytes, a new modification time (a copy back from DVC's cache): readers accept it after
    hashing, and the next no-op records the new time so they stop hashing."""
    catalog, args = _build(tmp_path, capsys)
    os.utime(catalog, ns=(1_000_000_000, 1_000_000_000))
    assert check_catalog_content(catalog, full=False).damaged is None
    open_catalog(catalog).close()
    assert main(args) == 0
    assert "up to date" in capsys.readouterr().out
    recorded = read_digest(catalog)
    assert recorded is not None and recorded.mtime_ns == 1_000_000_000
