"""Control characters in names and prompts never reach the terminal raw: every command's output shows
them as `\\uXXXX`, JSON output still reads back to the exact text, and quoted text is cut short."""

from __future__ import annotations

import json
from pathlib import Path

import duckdb
import pytest
from prompt_fixture import build_tiny_catalog

from kb.display_text import quoted, shortened, visible_controls
from tui.cli import main

# ESC starting "clear screen", BEL, NUL, the C1 CSI, a right-to-left override, a line separator.
HOSTILE = "a\x1bcb\x07c\x00d\x9be\u202ef\u2028g"
SHOWN = "a\\u001bcb\\u0007c\\u0000d\\u009be\\u202ef\\u2028g"
# What a terminal must never receive raw from us (newline and tab are the line structure).
RAW_CONTROLS = [chr(code) for code in (*range(0x20), *range(0x7F, 0xA0)) if chr(code) not in "\n\t"] + [
    "\u202e",
    "\u2028",
]


def assert_no_raw_controls(text: str) -> None:
    assert [character for character in RAW_CONTROLS if character in text] == []


def test_control_characters_are_written_as_escapes() -> None:
    assert visible_controls(HOSTILE) == SHOWN
    assert visible_controls("two\nlines\tand \udcff") == "two\\u000alines\\u0009and \\udcff"
    assert visible_controls("two\nlines", keep="\n") == "two\nlines"
    # Printable text of any script, emoji sequences with their joiner, and backslashes stay as they are.
    kept = "初音ミク, 👩‍🎤, \\(x\\), é"
    assert visible_controls(kept) == kept


def test_long_text_is_cut_short_around_an_ellipsis() -> None:
    assert shortened("short") == "short"
    long_text = "(" * 1000 + "x" + ")" * 1000
    assert shortened(long_text) == "(" * 39 + "…" + ")" * 20
    assert len(shortened(long_text, 30)) == 30
    assert quoted("\x00" * 1000) == repr("\x00" * 39 + "…" + "\x00" * 20)


def test_lint_output_shows_control_characters_visibly(capsys: pytest.CaptureFixture[str]) -> None:
    main(["--catalog", "/nonexistent/catalog.duckdb", "prompt", "lint", f"smile, long_{HOSTILE}"])
    output = capsys.readouterr()
    assert_no_raw_controls(output.out + output.err)
    assert "\\u001b" in output.out


@pytest.mark.parametrize(
    "command",
    [["prompt", "parse", "--json"], ["prompt", "render", "--json"], ["prompt", "tokens", "--json"]],
    ids=" ".join,
)
def test_json_output_is_escaped_and_still_exact(
    command: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    assert main([*command, HOSTILE]) == 0
    output = capsys.readouterr().out
    assert_no_raw_controls(output)
    document = json.loads(output)
    texts = {
        "parse": lambda: document[0][0],
        "render": lambda: document["prompt"],
        "tokens": lambda: document["tags"][0]["text"],
    }
    assert texts[command[1]]() == HOSTILE


def test_text_output_of_render_and_parse_is_escaped(capsys: pytest.CaptureFixture[str]) -> None:
    main(["prompt", "render", HOSTILE])
    main(["prompt", "parse", HOSTILE])
    output = capsys.readouterr().out
    assert_no_raw_controls(output)
    assert output.startswith(SHOWN + "\n")


@pytest.fixture(scope="module")
def catalog_with_hostile_names(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The tiny catalog plus a tag and an alias holding escape sequences, as an old catalog (built
    before ingest refused them) or a hand-edited one may."""
    path = build_tiny_catalog(tmp_path_factory.mktemp("hostile") / "catalog.duckdb")
    connection = duckdb.connect(str(path))
    try:
        tag_id = connection.execute("SELECT max(tag_id) + 1 FROM tags").fetchone()
        assert tag_id is not None
        columns = [row[0] for row in connection.execute("DESCRIBE tags").fetchall()]
        row = connection.execute("SELECT * FROM tags WHERE name = 'smile'").fetchone()
        assert row is not None
        values = dict(zip(columns, row, strict=True))
        values.update(
            tag_id=tag_id[0], name="smiley_\x1b]0;owned\x07face", prompt="smiley \x1b]0;owned\x07face"
        )
        placeholders = ", ".join("?" for _ in columns)
        connection.execute(
            f"INSERT INTO tags VALUES ({placeholders})", [values[column] for column in columns]
        )
    finally:
        connection.close()
    return path


def test_search_results_show_control_characters_visibly(
    catalog_with_hostile_names: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["--catalog", str(catalog_with_hostile_names), "search", "smiley"]) == 0
    output = capsys.readouterr()
    assert_no_raw_controls(output.out + output.err)
    assert "smiley \\u001b\\]0;owned\\u0007face" in output.out


def test_a_hostile_query_is_quoted_short_and_visible(
    catalog_with_hostile_names: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    query = "zzqq\x1b[31m" + "q" * 5000
    main(["--catalog", str(catalog_with_hostile_names), "search", query])
    main(["--catalog", str(catalog_with_hostile_names), "char", query])
    output = capsys.readouterr()
    assert_no_raw_controls(output.out + output.err)
    for line in output.err.splitlines():
        assert len(line) < 300, line


def test_the_explorer_shows_control_characters_in_names_visibly() -> None:
    from tui.state.builder import BuilderEntry
    from tui.state.catalog_view import EntryDetail
    from tui.widgets.builder_pane import entry_label
    from tui.widgets.detail import detail_text

    label = entry_label(BuilderEntry(text=HOSTILE, kind="unknown", known=False), dark=True)
    assert label.plain == SHOWN
    detail = EntryDetail(
        prompt=HOSTILE,
        kind="general",
        tag="bad_\x1b_tag",
        category=0,
        count=1,
        verified=False,
        description="two\nlines\x07",
        note=None,
        forms=(),
        forms_missing=None,
        copyright=None,
        aliases=("alias\x1b",),
        counts_per_source=(),
    )
    shown = detail_text(detail, dark=True).plain
    assert_no_raw_controls(shown)
    assert SHOWN in shown and "bad_\\u001b_tag" in shown and "alias\\u001b" in shown
    assert "two\nlines\\u0007" in shown


def test_progress_bars_still_draw_but_names_in_them_do_not(capsys: pytest.CaptureFixture[str]) -> None:
    """tqdm (Hub downloads) moves the cursor up to redraw nested bars: that write passes on stderr;
    an ESC in a bar's description does not, nor does the same move written by anyone else."""
    import sys

    from tqdm import tqdm

    from tui.commands.visible_output import visible_output

    with visible_output():
        with tqdm(total=2, file=sys.stderr, position=1, desc="x\x1b]0;t\x07", mininterval=0) as bar:
            bar.update(1)
        sys.stderr.write("\x1b[A")
    err = capsys.readouterr().err
    assert err.count("\x1b[A") >= 1 and "\x1b]" not in err and "x\\u001b]0;t\\u0007" in err
    assert err.endswith("\\u001b[A")


def test_rich_progress_bars_draw_and_strip_control_characters_from_their_text(
    capsys: pytest.CaptureFixture[str],
) -> None:
    """The ingest's bar (rich) draws with escape sequences: they pass. rich itself strips control
    characters from the text it is given, so an ESC in a stage name never reaches the terminal."""
    import sys

    from rich.console import Console

    from tui.commands.visible_output import visible_output

    with visible_output():
        console = Console(file=sys.stderr, force_terminal=True, color_system="256")
        console.print("[red]reading[/red] tags\x1b]0;t\x07.csv")
    err = capsys.readouterr().err
    assert "\x1b[31m" in err or "\x1b[38;5;1m" in err  # rich's colour, drawn
    assert "\x1b]" not in err and "\\u001b" not in err  # the ESC in the text: stripped by rich
