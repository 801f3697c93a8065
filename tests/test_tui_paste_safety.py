"""A bracketed paste is text wherever the focus is, never keys: the real bytes a terminal sends,
through the parser the explorer's driver reads with (tui/terminal.py), into the explorer (Pilot)
and through the real driver on a pseudo-terminal."""

from __future__ import annotations

import fcntl
import os
import select
import struct
import subprocess
import sys
import termios
from collections.abc import Iterable
from pathlib import Path

import pytest
from pilot_helpers import search, settle, sync
from prompt_fixture import build_tiny_catalog
from textual import events
from textual.message import Message

from tui.terminal import PasteSafeParser

REPO_ROOT = Path(__file__).resolve().parents[1]
START, END = "\x1b[200~", "\x1b[201~"
# Text copied from a terminal with its colours: ESC in the middle, letters after it that are keys
# in the builder (n: negative dialog, e: export, s: settings, o/q/a/t toggles).
COLOURED = "1girl, \x1b[31mnegative\x1b[0m, solo, absurdres"


def parsed(chunks: Iterable[str]) -> list[Message]:
    parser = PasteSafeParser()
    return [event for chunk in chunks for event in parser.feed(chunk)]


def keys_and_pastes(events_seen: list[Message]) -> list[tuple[str, str]]:
    shown: list[tuple[str, str]] = []
    for event in events_seen:
        if isinstance(event, events.Paste):
            shown.append(("paste", event.text))
        elif isinstance(event, events.Key):
            shown.append(("key", event.key))
    return shown


@pytest.mark.parametrize(
    "text",
    [
        "ab\x1bcd",
        COLOURED,
        "ganyu\x1b[1;2Amore",  # a real key's sequence inside the paste stays text
        "a\x1b" + "e" * 40,  # longer than Textual's escape-sequence search
        "\x1b\x1b[20",  # ESCs and a start of the end marker that is not one
        "ends with ESC\x1b",
        "\x1b[200~nested start",
    ],
)
def test_a_paste_holding_esc_is_one_paste_event_with_every_character(text: str) -> None:
    data = f"x{START}{text}{END}y"
    expected = [("key", "x"), ("paste", text), ("key", "y")]
    assert keys_and_pastes(parsed([data])) == expected
    # The same bytes read in two pieces, split anywhere (a marker or an ESC across two reads).
    for cut in range(1, len(data)):
        assert keys_and_pastes(parsed([data[:cut], data[cut:]])) == expected, cut


def test_keys_and_escape_still_work_around_pastes() -> None:
    seen = keys_and_pastes(parsed([f"{START}a\x1bb{END}\x1b\x1b[A", f"{START}plain{END}\x1b[B"]))
    assert seen == [
        ("paste", "a\x1bb"),
        ("key", "escape"),
        ("key", "up"),
        ("paste", "plain"),
        ("key", "down"),
    ]


SIZE = (100, 30)


@pytest.fixture(scope="module")
def tiny_catalog_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_tiny_catalog(tmp_path_factory.mktemp("catalog") / "catalog.duckdb")


def terminal_sends(app: object, data: str) -> None:
    """What the explorer's driver does with bytes from the terminal: parse, hand each event over."""
    driver = app._driver  # type: ignore[attr-defined]
    for event in PasteSafeParser().feed(data):
        driver.process_message(event)


@sync
async def test_a_paste_in_the_search_box_is_typed_in_order(tiny_catalog_file: Path) -> None:
    from textual.widgets import Input

    from tui.app import ExplorerApp

    app = ExplorerApp(tiny_catalog_file, watch_catalog=False, detail_delay=0)
    async with app.run_test(size=SIZE) as pilot:
        await search(pilot, "by ")
        terminal_sends(app, f"{START}ab\x1bcd\nsecond line{END}")
        await settle(pilot)
        assert app.query_one("#search", Input).value == "by ab\\u001bcd second line"


@sync
async def test_a_paste_on_the_results_goes_to_the_search_box(tiny_catalog_file: Path) -> None:
    from textual.widgets import Input

    from tui.app import ExplorerApp
    from tui.widgets.results import ResultsTable

    app = ExplorerApp(tiny_catalog_file, watch_catalog=False, detail_delay=0)
    async with app.run_test(size=SIZE) as pilot:
        await search(pilot, "by ")
        app.screen.set_focus(app.query_one(ResultsTable))
        await pilot.pause()
        terminal_sends(app, f"{START}chi\x1b4{END}")
        await settle(pilot)
        search_box = app.query_one("#search", Input)
        assert search_box.value == "by chi\\u001b4"
        assert app.screen.focused is search_box


@sync
async def test_a_paste_in_the_builder_is_imported_and_runs_no_key(tiny_catalog_file: Path) -> None:
    from tui.app import ExplorerApp

    app = ExplorerApp(tiny_catalog_file, watch_catalog=False, detail_delay=0)
    async with app.run_test(size=SIZE) as pilot:
        notices: list[str] = []
        app.notify = lambda message, **options: notices.append(message)  # type: ignore[method-assign,assignment]
        await pilot.press("ctrl+b")
        await settle(pilot)
        assert app.in_builder
        terminal_sends(app, f"{START}{COLOURED}{END}")
        await settle(pilot)
        assert len(app.screen_stack) == 1  # no negative dialog, settings or choice opened
        assert not any(notice.startswith("exported") for notice in notices)
        assert (app.session.builder.include_quality, app.session.builder.include_aesthetic) == (False, False)
        texts = [entry.text for entry in app.session.builder.entries]
        assert texts[0] == "1girl" and texts[-2:] == ["solo", "absurdres"], texts
        assert any("negative" in text for text in texts), texts


APP_ON_A_TERMINAL = """
import sys
from textual.app import App
from textual.widgets import Input
from tui.terminal import use_real_terminal_size

class Box(App[str]):
    def compose(self):
        yield Input(id="box")
    def on_mount(self):
        print("ready", file=sys.__stdout__, flush=True)  # print() alone goes to the app's log
    def on_input_changed(self, event):
        if event.value.endswith("END"):
            self.exit(event.value)

app = Box()
use_real_terminal_size(app)
print(repr(app.run()), flush=True)
"""


def test_the_real_driver_reads_a_paste_with_esc_as_text(tmp_path: Path) -> None:
    """Textual's own driver loop on a pseudo-terminal, as `aidxl explore` runs it."""
    leader, follower = os.openpty()
    fcntl.ioctl(follower, termios.TIOCSWINSZ, struct.pack("HHHH", 24, 80, 0, 0))
    child = subprocess.Popen(
        [sys.executable, "-c", APP_ON_A_TERMINAL],
        cwd=REPO_ROOT,
        stdin=follower,
        stderr=follower,
        stdout=subprocess.PIPE,
        env={**os.environ, "TERM": "xterm-256color"},
    )
    os.close(follower)
    try:
        assert child.stdout is not None
        output = b""
        while b"\n" not in output:  # the app draws on the terminal: keep reading it
            readable, _, _ = select.select([leader, child.stdout], [], [], 30)
            assert readable, "the app did not start"
            if leader in readable:
                os.read(leader, 65536)
            if child.stdout in readable:
                output += os.read(child.stdout.fileno(), 4096)
        assert output.startswith(b"ready")
        os.write(leader, f"{START}ab\x1bcd{END}END".encode())
        while child.poll() is None:
            readable, _, _ = select.select([leader, child.stdout], [], [], 30)
            assert readable, "the app did not take the paste"
            if leader in readable:
                try:
                    os.read(leader, 65536)
                except OSError:  # the app ended and closed the terminal
                    break
            if child.stdout in readable:
                output += os.read(child.stdout.fileno(), 4096)
        output += child.stdout.read()
        child.wait(30)
    finally:
        if child.poll() is None:
            child.kill()
            child.wait()
        os.close(leader)
    # Textual's Input types a paste's first line as it is: the ESC is in its place, nothing reordered.
    assert output.decode().splitlines()[-1] == repr("ab\x1bcdEND")
