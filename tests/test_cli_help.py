"""Every `--help` of `aidxl`: a description, wrapped to the terminal, no formatting left-overs."""

from __future__ import annotations

import re

import pytest

from tui.cli import main

COLUMNS = 100
COMMANDS: tuple[tuple[str, ...], ...] = (
    (),
    ("explore",),
    ("ingest",),
    ("stats",),
    ("sources",),
    ("search",),
    ("prompt",),
    ("prompt", "parse"),
    ("prompt", "render"),
    ("prompt", "assemble"),
    ("prompt", "lint"),
    ("prompt", "tokens"),
    ("char",),
    ("size",),
    ("preview",),
    ("sheet",),
    ("discover",),
    ("export",),
    ("export", "tagcomplete"),
    ("export", "styles"),
    ("export", "wildcards"),
    ("import",),
    ("import", "styles"),
)


def help_text(command: tuple[str, ...], capsys: pytest.CaptureFixture[str]) -> str:
    with pytest.raises(SystemExit) as exit_info:
        main([*command, "--help"])
    assert exit_info.value.code == 0
    captured = capsys.readouterr()
    assert captured.err == ""
    return captured.out


def description_of(text: str) -> str:
    """The paragraphs between the usage and the first argument section."""
    after_usage = text.split("\n\n", 1)[1]
    return re.split(r"^(?:positional arguments|options):$", after_usage, maxsplit=1, flags=re.M)[0].strip()


@pytest.mark.parametrize("command", COMMANDS, ids=lambda command: " ".join(("aidxl", *command)))
def test_help_is_described_and_fits_the_terminal(
    command: tuple[str, ...], capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("COLUMNS", str(COLUMNS))
    text = help_text(command, capsys)
    assert len(description_of(text)) > 40, "a description says what the command does"
    too_long = [line for line in text.splitlines() if len(line) > COLUMNS]
    assert too_long == []
    assert "%%" not in text  # argparse %-formats help strings, never descriptions


def test_size_help_says_ten_percent(capsys: pytest.CaptureFixture[str]) -> None:
    assert "within 10% of 1024x1024" in " ".join(help_text(("size",), capsys).split())


def test_explore_help_names_the_first_keys_and_the_catalog(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("COLUMNS", str(COLUMNS))
    description = description_of(help_text(("explore",), capsys))
    for needed in ("F1", "ctrl+p", "--catalog", "ctrl+q"):
        assert needed in description


def test_sheet_help_wraps_prose_and_keeps_examples(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("COLUMNS", "60")
    text = help_text(("sheet",), capsys)
    assert max(len(line) for line in description_of(text).splitlines()) <= 60
    # The examples are kept line for line (a continuation line stays under its command).
    assert '  aidxl sheet --styles "by chi4,by ask,(by yoneyama mai:0.9)" --seeds 1,2,3 \\\n' in text
    assert "  aidxl sheet --spec sheet.toml --dry-run\n" in text
