"""Every `--help` of `aidxl`: a description, wrapped to the terminal, no formatting left-overs."""

from __future__ import annotations

import argparse
import importlib
import re
from pathlib import Path

import pytest

from tui.cli import COMMAND_MODULES, MODULE_OF_COMMAND, build_parser, common_options, main

README = Path(__file__).resolve().parents[1] / "README.md"

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
    ("prompt", "import"),
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


def command_paths(parser: argparse.ArgumentParser, prefix: tuple[str, ...] = ()) -> list[tuple[str, ...]]:
    """Every command and subcommand under `parser`, as the words a user types after `aidxl`."""
    found: list[tuple[str, ...]] = []
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for name, subparser in action.choices.items():
                found += [(*prefix, name), *command_paths(subparser, (*prefix, name))]
    return found


def test_every_command_is_listed_where_the_cli_recipe_says() -> None:
    """CONTRIBUTING's recipe "A CLI command": its module in COMMAND_MODULES, each of its top-level
    commands in MODULE_OF_COMMAND (a run imports only that module), its help checked above, and the
    README showing it in use."""
    registered: dict[str, str] = {}
    for module_name in COMMAND_MODULES:
        subparsers = argparse.ArgumentParser().add_subparsers()
        importlib.import_module(module_name).register(subparsers, common_options())
        registered.update({name: module_name for name in subparsers.choices})
    assert registered == MODULE_OF_COMMAND
    every_command = command_paths(build_parser(None))
    assert set(every_command) == set(COMMANDS) - {()}
    readme = README.read_text(encoding="utf-8")
    groups = {command[:-1] for command in every_command}
    unshown = [
        words for words in every_command if words not in groups and f"aidxl {' '.join(words)}" not in readme
    ]
    assert unshown == []
