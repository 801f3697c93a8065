"""Failures of the machine and the user, each one sentence and a non-zero exit: a full disk (a file
size limit in a child process), a folder the ingest cannot write, Ctrl-C while the command loads or
during a DuckDB query (exit 130, no traceback), `--limit` below 1."""

from __future__ import annotations

import os
import resource
import signal
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest
from child_signals import default_sigint

from tui.cli import PAUSE_BEFORE_COMMAND_IMPORT_ENV, main

REPO_ROOT = Path(__file__).resolve().parents[1]
TAGGER = b"tag_id,name,category,count\n1,long_hair,0,500\n2,short_hair,0,400\n"


@pytest.fixture()
def tagger_file(tmp_path: Path) -> Path:
    path = tmp_path / "tags.csv"
    path.write_bytes(TAGGER)
    return path


def _aidxl(
    *args: str, preexec: object = None, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "tui.cli", *args],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        preexec_fn=preexec,  # type: ignore[arg-type]
        env=env,
        timeout=120,
    )


def _file_size_limit(limit: int) -> object:
    """A child whose writes beyond `limit` bytes fail with EFBIG, as on a full disk (SIGXFSZ, which
    would kill it, is ignored, so the write call returns the error)."""

    def apply() -> None:
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))

    return apply


def test_a_full_disk_while_writing_the_catalog(tmp_path: Path, tagger_file: Path) -> None:
    catalog = tmp_path / "catalog.duckdb"
    done = _aidxl(
        "ingest", "--catalog", str(catalog), "--tagger", str(tagger_file), "--no-search-index",
        preexec=_file_size_limit(64 * 1024),
    )  # fmt: skip
    assert done.returncode == 2, done.stderr
    assert done.stderr == (
        f"aidxl: {catalog}: cannot write the catalog: file too large (the file size limit or the disk "
        "is full); the catalog is unchanged\n"
    )
    assert sorted(path.name for path in tmp_path.iterdir()) == ["tags.csv"]  # no temp file left


def test_a_full_disk_keeps_the_previous_catalog(tmp_path: Path, tagger_file: Path) -> None:
    catalog = tmp_path / "catalog.duckdb"
    assert main(["ingest", "--catalog", str(catalog), "--tagger", str(tagger_file), "--no-search-index"]) == 0
    before = catalog.read_bytes()
    tagger_file.write_bytes(TAGGER + b"3,red_eyes,0,300\n")
    done = _aidxl(
        "ingest", "--catalog", str(catalog), "--tagger", str(tagger_file), "--no-search-index",
        preexec=_file_size_limit(64 * 1024),
    )  # fmt: skip
    assert done.returncode == 2
    assert "cannot write the catalog: file too large" in done.stderr
    assert "Traceback" not in done.stderr
    assert catalog.read_bytes() == before


def test_a_full_disk_while_writing_an_output_file(tmp_path: Path) -> None:
    """The one atomic writer (kb.outpath) under the same limit: one sentence, no temp file left."""
    target = tmp_path / "out.png"
    code = (
        "import sys; from pathlib import Path; from kb.outpath import atomic_write_bytes\n"
        "from kb.errors import AidxlError\n"
        "try:\n"
        f"    atomic_write_bytes(Path({str(target)!r}), b'x' * 200_000, what='preview PNG')\n"
        "except AidxlError as error:\n"
        "    print(error, file=sys.stderr); sys.exit(2)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        preexec_fn=_file_size_limit(64 * 1024),  # type: ignore[arg-type]
        timeout=60,
    )
    assert done.returncode == 2
    assert done.stderr == (
        f"{target}: cannot write the preview PNG: file too large (the file size limit or the disk is full)\n"
    )
    assert list(tmp_path.iterdir()) == []


@pytest.mark.skipif(os.geteuid() == 0, reason="root writes into a read-only folder: chmod proves nothing")
def test_a_read_only_catalog_folder(
    tmp_path: Path, tagger_file: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    folder = tmp_path / "read-only"
    folder.mkdir()
    folder.chmod(0o555)
    try:
        catalog = folder / "catalog.duckdb"
        args = ["ingest", "--catalog", str(catalog), "--tagger", str(tagger_file), "--no-search-index"]
        assert main(args) == 2
        assert capsys.readouterr().err == (
            f"aidxl: {catalog}: cannot write beside the catalog in {folder}: Permission denied\n"
        )
    finally:
        folder.chmod(0o755)


@pytest.mark.skipif(not Path("/sys/kernel").is_dir(), reason="no sysfs here")
def test_a_folder_nobody_can_write_even_root(tagger_file: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """sysfs refuses new files to root too: the same sentence where tests run as root."""
    catalog = Path("/sys/kernel/aidxl-catalog.duckdb")
    args = ["ingest", "--catalog", str(catalog), "--tagger", str(tagger_file), "--no-search-index"]
    assert main(args) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"aidxl: {catalog}: cannot write beside the catalog in /sys/kernel: ")
    assert err.count("\n") == 1


def test_ctrl_c_while_the_command_loads(tmp_path: Path, tagger_file: Path) -> None:
    """Ctrl-C early in ingest (while duckdb and numpy load): exit 130 and one line, no traceback."""
    child = subprocess.Popen(
        [sys.executable, "-m", "tui.cli", "ingest", "--catalog", str(tmp_path / "c.duckdb"),
         "--tagger", str(tagger_file)],
        cwd=REPO_ROOT,
        env={**os.environ, PAUSE_BEFORE_COMMAND_IMPORT_ENV: "1"},
        preexec_fn=default_sigint,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )  # fmt: skip
    assert child.stderr is not None
    assert child.stderr.readline() == "aidxl: paused before loading the command\n"
    child.send_signal(signal.SIGINT)
    _, err = child.communicate(timeout=60)
    assert child.returncode == 130
    assert err == "aidxl: interrupted\n"
    assert not (tmp_path / "c.duckdb").exists()


@pytest.mark.parametrize(
    "error", [RuntimeError("Query interrupted"), duckdb.InterruptException("INTERRUPT Error: Interrupted!")]
)
def test_duckdbs_interrupt_errors_are_ctrl_c(
    tmp_path: Path,
    tagger_file: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    error: Exception,
) -> None:
    import ingest.build

    def interrupted(*args: object, **kwargs: object) -> object:
        raise error

    monkeypatch.setattr(ingest.build, "write_catalog", interrupted)
    assert main(["ingest", "--catalog", str(tmp_path / "c.duckdb"), "--tagger", str(tagger_file)]) == 130
    assert capsys.readouterr().err == "aidxl: interrupted\n"


def test_other_runtime_errors_still_show(
    tmp_path: Path, tagger_file: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Only DuckDB's interrupt is Ctrl-C: a bug keeps its traceback."""
    import ingest.build

    def broken(*args: object, **kwargs: object) -> object:
        raise RuntimeError("a bug")

    monkeypatch.setattr(ingest.build, "write_catalog", broken)
    with pytest.raises(RuntimeError, match="a bug"):
        main(["ingest", "--catalog", str(tmp_path / "c.duckdb"), "--tagger", str(tagger_file)])


@pytest.mark.parametrize("value", ["0", "-3"])
def test_limit_below_one_is_refused_by_the_parser(value: str, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as raised:
        main(["search", "--limit", value, "hair"])
    assert raised.value.code == 2
    assert f"argument --limit: must be at least 1, got {int(value)}" in capsys.readouterr().err
