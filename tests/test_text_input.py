"""Text that is not UTF-8, on stdin or in an argument: one line naming where, exit 2, no traceback.

The CLI runs as a real process fed real bytes: stdin through a pipe, arguments as bytes in argv
(Python hands those to us as surrogates, as it does for a user's shell).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from kb.errors import NotUtf8Error
from kb.utf8 import decode_utf8
from tui.commands.text_input import checked_argument, read_text_argument

REPO_ROOT = Path(__file__).resolve().parents[1]
# A prompt with one byte that starts no UTF-8 character (0xc6 then "("), at offset 18.
NOT_UTF8 = b"long hair, smile, \xc6\x28 blush"


def run_aidxl(
    *args: str | bytes, stdin: bytes = b"", cwd: Path = REPO_ROOT
) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run(
        [sys.executable, "-m", "tui.cli", *args],
        input=stdin,
        capture_output=True,
        check=False,
        cwd=cwd,
        env={**os.environ, "PYTHONPATH": str(REPO_ROOT), "LANG": "C.UTF-8", "LC_ALL": "C.UTF-8"},
    )


def test_decoding_names_the_place_and_the_first_bad_byte() -> None:
    assert decode_utf8("初音ミク".encode(), "stdin") == "初音ミク"
    with pytest.raises(NotUtf8Error, match=r"^stdin: not UTF-8 at byte 18 \(0xc6\)$"):
        decode_utf8(NOT_UTF8, "stdin")
    with pytest.raises(NotUtf8Error, match=r"^x: not UTF-8 at byte 3 \(0xe3\)$"):
        decode_utf8(b"abc\xe3\x81", "x")  # cut off inside a character


def test_an_argument_with_undecodable_bytes_is_refused() -> None:
    assert checked_argument("初音ミク", "argument TEXT") == "初音ミク"
    as_python_gives_it = os.fsdecode(b"ab\xff")  # "ab\udcff"
    with pytest.raises(NotUtf8Error, match=r"^argument TEXT: not UTF-8 at byte 2 \(0xff\)$"):
        read_text_argument(as_python_gives_it)
    # A surrogate no byte stands for (a program calling `main` with its own strings): one line too.
    with pytest.raises(
        NotUtf8Error, match=r"^argument TEXT: not text at character 2 \(U\+D800, a lone surrogate\)$"
    ):
        read_text_argument("ab\ud800")


@pytest.mark.parametrize(
    "command",
    [
        ["prompt", "lint", "-"],
        ["prompt", "lint"],
        ["prompt", "tokens", "-"],
        ["prompt", "assemble", "-"],
        ["prompt", "parse", "-"],
        ["prompt", "render"],
        ["prompt", "tokens", "--json"],
        ["char", "-"],
        ["char"],
    ],
    ids=" ".join,
)
def test_stdin_that_is_not_utf8_is_one_line(command: list[str], tmp_path: Path) -> None:
    result = run_aidxl("--catalog", str(tmp_path / "absent.duckdb"), *command, stdin=NOT_UTF8)
    assert (result.returncode, result.stdout) == (2, b"")
    assert result.stderr == b"aidxl: stdin: not UTF-8 at byte 18 (0xc6)\n"


@pytest.mark.parametrize(
    ("command", "where"),
    [
        (["prompt", "lint", b"ab\xff"], "argument TEXT"),
        (["prompt", "tokens", b"ab\xff"], "argument TEXT"),
        (["prompt", "parse", b"ab\xff"], "argument TEXT"),
        (["prompt", "render", b"ab\xff"], "argument TEXT"),
        (["prompt", "assemble", b"ab\xff"], "argument TEXT"),
        (["prompt", "lint", "--json", b"ab\xff"], "argument TEXT"),
        (["char", b"ab\xff"], "argument NAME"),
        (["search", b"ab\xff"], "argument QUERY"),
        (["prompt", "assemble", "long hair", "--blend", b"ab\xff"], "argument --blend"),
        (["sheet", "--style", b"ab\xff", "--dry-run"], "argument --style"),
        (["sheet", "--query", b"ab\xff", "--model", "tiny-random", "--dry-run"], "argument --query"),
        (["preview", b"ab\xff", "--model", "tiny-random"], "argument TRIGGER"),
    ],
    ids=lambda value: value if isinstance(value, str) else None,
)
def test_an_argument_that_is_not_utf8_is_one_line(command: list[str | bytes], where: str) -> None:
    result = run_aidxl(*command)
    assert (result.returncode, result.stdout) == (2, b"")
    assert result.stderr == f"aidxl: {where}: not UTF-8 at byte 2 (0xff)\n".encode()


def test_utf8_stdin_is_read_whatever_the_locale(tmp_path: Path) -> None:
    """The bytes are decoded as UTF-8 even under the C locale, and the final newline is dropped."""
    result = subprocess.run(
        [sys.executable, "-X", "utf8=0", "-m", "tui.cli", "prompt", "parse", "--json"],
        input="(初音ミク:1.2)\n".encode(),
        capture_output=True,
        check=False,
        cwd=REPO_ROOT,
        env={**os.environ, "PYTHONPATH": str(REPO_ROOT), "LC_ALL": "C", "PYTHONIOENCODING": "utf-8"},
    )
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout) == [["初音ミク", 1.2]]


def test_a_styles_file_that_is_not_utf8_names_the_file(tmp_path: Path) -> None:
    styles = tmp_path / "styles.txt"
    styles.write_bytes(b"by chi4\nby \xff\n")
    result = run_aidxl("sheet", "--styles-file", str(styles), "--model", "tiny-random", "--dry-run")
    assert (result.returncode, result.stdout) == (2, b"")
    assert result.stderr == f"aidxl: {styles}: not UTF-8 at byte 11 (0xff)\n".encode()
