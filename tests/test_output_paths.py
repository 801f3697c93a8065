"""Output paths (kb.outpath, ingest.atomic): writes go to the real target of a symlink, anything that
is not a regular file is refused in one sentence, the build lock is taken on the real path, and temp
file cleanup matches this catalog's own names only (no glob on the user's text)."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from ingest.atomic import build_lock, is_temp_name_of, stale_temp_files
from kb.catalog_digest import digest_path
from kb.errors import OutputPathError
from kb.outpath import atomic_write_bytes, resolve_output_file, resolve_output_folder, temp_writer_pid
from tui.cli import main

TAGGER = b"tag_id,name,category,count\n1,long_hair,0,500\n"


@pytest.fixture()
def tagger_file(tmp_path: Path) -> Path:
    path = tmp_path / "tags.csv"
    path.write_bytes(TAGGER)
    return path


def _ingest(catalog: Path | str, tagger_file: Path) -> int:
    return main(["ingest", "--catalog", str(catalog), "--tagger", str(tagger_file), "--no-search-index"])


def _device_node(tmp_path: Path) -> Path:
    """A character device in the test's own folder (the same device as /dev/full), made by mknod."""
    node = tmp_path / "full-device"
    try:
        os.mknod(node, stat.S_IFCHR | 0o666, os.makedev(1, 7))
    except (PermissionError, OSError) as error:
        pytest.skip(f"cannot make a device node here ({error.strerror}): needs root")
    return node


def test_a_write_through_a_symlink_replaces_the_real_file_and_keeps_the_link(tmp_path: Path) -> None:
    real = tmp_path / "real.png"
    real.write_bytes(b"old")
    link = tmp_path / "link.png"
    link.symlink_to(real)
    written = atomic_write_bytes(link, b"new")
    assert written == real.resolve()
    assert link.is_symlink() and os.readlink(link) == str(real)
    assert real.read_bytes() == b"new"
    assert sorted(path.name for path in tmp_path.iterdir()) == ["link.png", "real.png"]


def test_a_dangling_symlink_creates_its_target(tmp_path: Path) -> None:
    link = tmp_path / "link.png"
    link.symlink_to(tmp_path / "sub" / "made.png")
    atomic_write_bytes(link, b"data")
    assert link.is_symlink()
    assert (tmp_path / "sub" / "made.png").read_bytes() == b"data"


def test_a_fifo_is_refused_and_kept(tmp_path: Path) -> None:
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    with pytest.raises(OutputPathError, match=r"pipe: is a FIFO \(named pipe\), not a regular file"):
        atomic_write_bytes(fifo, b"data")
    assert stat.S_ISFIFO(os.lstat(fifo).st_mode)
    assert sorted(path.name for path in tmp_path.iterdir()) == ["pipe"]


def test_a_device_node_is_refused_and_kept(tmp_path: Path) -> None:
    node = _device_node(tmp_path)
    link = tmp_path / "out.png"
    link.symlink_to(node)
    with pytest.raises(OutputPathError, match=r"is a character device, not a regular file"):
        atomic_write_bytes(link, b"data")
    assert stat.S_ISCHR(os.lstat(node).st_mode)


def test_a_directory_is_refused_as_a_file_and_a_file_as_a_folder(tmp_path: Path) -> None:
    with pytest.raises(OutputPathError, match=r"is a directory, not a regular file; give a file path"):
        resolve_output_file(tmp_path)
    a_file = tmp_path / "a-file"
    a_file.write_bytes(b"x")
    with pytest.raises(OutputPathError, match=r"a-file: is a file, not a folder; give a folder for the"):
        resolve_output_folder(a_file)
    with pytest.raises(OutputPathError, match=r"inside.png: cannot use this .*: Not a directory"):
        resolve_output_file(a_file / "inside.png")


def test_a_write_failure_leaves_no_temp_file(tmp_path: Path) -> None:
    """A symlink loop is a path the system cannot use: one sentence, nothing written."""
    loop = tmp_path / "loop"
    loop.symlink_to(loop)
    with pytest.raises(OutputPathError, match="loop"):
        atomic_write_bytes(loop, b"data")
    assert [path.name for path in tmp_path.iterdir()] == ["loop"]


def test_temp_names_carry_the_writers_pid() -> None:
    assert temp_writer_pid(".cell.png.1234.t0a1b2c3d.tmp") == 1234
    assert temp_writer_pid(".cell.png.1234.t12345678.tmp") == 1234  # a token of digits is no pid
    assert temp_writer_pid(".cell.png.1234.tmp") == 1234  # the older form
    assert temp_writer_pid(".cell.png.tmp") is None
    assert temp_writer_pid("cell.png.1234.tab.tmp") is None


# --- the catalog ---------------------------------------------------------------------------------


def test_ingest_through_a_symlink_builds_the_real_file(tmp_path: Path, tagger_file: Path) -> None:
    real = tmp_path / "store" / "real.duckdb"
    real.parent.mkdir()
    link = tmp_path / "catalog.duckdb"
    link.symlink_to(real)
    assert _ingest(link, tagger_file) == 0
    assert link.is_symlink()
    assert real.is_file() and real.stat().st_size > 0
    assert digest_path(real).is_file()  # the record lives beside the real file
    assert not digest_path(link).exists()
    assert _ingest(real, tagger_file) == 0  # the same catalog: up to date


@pytest.mark.parametrize("kind", ["fifo", "device", "directory"])
def test_ingest_refuses_a_catalog_path_that_is_not_a_regular_file(
    tmp_path: Path, tagger_file: Path, capsys: pytest.CaptureFixture[str], kind: str
) -> None:
    if kind == "fifo":
        target = tmp_path / "catalog.duckdb"
        os.mkfifo(target)
        expected = "is a FIFO (named pipe), not a regular file; give a file path for the catalog"
    elif kind == "device":
        target = _device_node(tmp_path)
        expected = "is a character device, not a regular file; give a file path for the catalog"
    else:
        target = tmp_path / "folder"
        target.mkdir()
        expected = "is a directory, not a regular file; give a file path for the catalog"
    mode = os.lstat(target).st_mode
    assert _ingest(target, tagger_file) == 2
    assert capsys.readouterr().err == f"aidxl: {target}: {expected}\n"
    assert os.lstat(target).st_mode == mode


def test_a_directory_as_aidxl_catalog_is_one_sentence(
    tmp_path: Path, tagger_file: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AIDXL_CATALOG", str(tmp_path))
    assert main(["ingest", "--tagger", str(tagger_file), "--no-search-index"]) == 2
    err = capsys.readouterr().err
    assert err == f"aidxl: {tmp_path}: is a directory, not a regular file; give a file path for the catalog\n"
    for command in (["stats"], ["search", "hair"]):
        assert main(command) == 2
        assert capsys.readouterr().err == f"aidxl: {tmp_path}: is a directory, not a catalog file\n"


def test_the_lock_is_taken_on_the_real_path(
    tmp_path: Path, tagger_file: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    real = tmp_path / "real.duckdb"
    link = tmp_path / "link.duckdb"
    link.symlink_to(real)
    with build_lock(real):
        assert _ingest(link, tagger_file) == 2
    assert "another `aidxl ingest` is building this catalog right now" in capsys.readouterr().err
    assert not real.exists()


def test_temp_files_of_a_catalog_named_with_glob_characters_are_cleaned(
    tmp_path: Path, tagger_file: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    catalog = tmp_path / "c[1].duckdb"
    stale = tmp_path / "c[1].duckdb.tmp-build-99999999"
    stale.write_bytes(b"left by a killed build")
    (tmp_path / "c[1].duckdb.tmp-build-99999999.wal").write_bytes(b"")
    assert _ingest(catalog, tagger_file) == 0
    assert f"removed {stale} left by an interrupted build" in capsys.readouterr().err
    assert sorted(path.name for path in tmp_path.iterdir()) == [
        "c[1].duckdb",
        "c[1].duckdb.digest",
        "tags.csv",
    ]


def test_cleanup_never_touches_another_catalogs_temp_files(
    tmp_path: Path, tagger_file: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """`a*.duckdb` is a file name, not a pattern: the temp file of a build of abc.duckdb stays."""
    others = [
        tmp_path / "abc.duckdb.tmp-build-4242",
        tmp_path / "a*.duckdb.tmp-build-12x",  # not a pid: not ours either
        tmp_path / "a*.duckdb.tmp-build-",
    ]
    for other in others:
        other.write_bytes(b"another build")
    assert _ingest(tmp_path / "a*.duckdb", tagger_file) == 0
    assert "removed" not in capsys.readouterr().err
    for other in others:
        assert other.read_bytes() == b"another build"


def test_temp_name_matching_is_exact() -> None:
    target = Path("/x/a*.duckdb")
    assert is_temp_name_of(target, "a*.duckdb.tmp-build-12")
    assert is_temp_name_of(target, "a*.duckdb.tmp-build-12.wal")
    assert not is_temp_name_of(target, "abc.duckdb.tmp-build-12")
    assert not is_temp_name_of(target, "a*.duckdb.tmp-build-12.wal.x")
    assert not is_temp_name_of(target, "a*.duckdb.tmp-build-")
    assert stale_temp_files(Path("/nonexistent-folder/c.duckdb")) == []


# --- preview and sheet --out ----------------------------------------------------------------------


@pytest.mark.parametrize("kind", ["directory", "fifo"])
def test_preview_out_that_is_not_a_file_is_refused_before_generating(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], kind: str
) -> None:
    if kind == "directory":
        out = tmp_path / "folder"
        out.mkdir()
        expected = "is a directory, not a regular file; give a file path for the preview PNG"
    else:
        out = tmp_path / "pipe.png"
        os.mkfifo(out)
        expected = "is a FIFO (named pipe), not a regular file; give a file path for the preview PNG"
    assert main(["preview", "by chi4", "--model", "tiny-random", "--out", str(out)]) == 2
    assert capsys.readouterr().err == f"aidxl: {out}: {expected}\n"


def test_sheet_out_on_a_file_is_refused_before_generating(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "sheets"
    out.write_bytes(b"a file")
    code = main(
        ["sheet", "--styles", "by chi4", "--model", "tiny-random", "--size", "64x64", "--out", str(out)]
    )
    assert code == 2
    assert capsys.readouterr().err == (
        f"aidxl: {out}: is a file, not a folder; give a folder for the sheet pages\n"
    )
    assert out.read_bytes() == b"a file"


def test_preview_export_writes_through_a_symlink_and_refuses_a_device(tmp_path: Path) -> None:
    """`aidxl preview --out` copies the cached PNG with `export_png`: through a link to the real file,
    never over a FIFO (the reproduction replaced /dev/full, as root, with a plain file)."""
    from kb.generate.cache import CachedPreview
    from kb.generate.preview import export_png

    png = tmp_path / "cached.png"
    png.write_bytes(b"\x89PNG fake")
    preview = CachedPreview("d", png, png, png, "", (), random_weights=True)
    real = tmp_path / "real.png"
    real.write_bytes(b"old")
    link = tmp_path / "out.png"
    link.symlink_to(real)
    assert export_png(preview, link) == link
    assert link.is_symlink() and real.read_bytes() == b"\x89PNG fake"
    fifo = tmp_path / "pipe.png"
    os.mkfifo(fifo)
    with pytest.raises(OutputPathError, match="is a FIFO"):
        export_png(preview, fifo)
    assert stat.S_ISFIFO(os.lstat(fifo).st_mode)
