"""The explorer takes its size from the terminal it draws on, even when stdout is piped
(`./dev.sh | tee log`): real pseudo-terminals of a known size, a real pipe, Textual's real driver."""

from __future__ import annotations

import fcntl
import json
import os
import struct
import subprocess
import sys
import termios
from collections.abc import Iterator
from pathlib import Path

import pytest

from tui.terminal import terminal_size

REPO_ROOT = Path(__file__).resolve().parents[1]
COLUMNS, LINES = 132, 43

DRIVER_PROBE = """
import asyncio, json, traceback
from textual.app import App
from textual.drivers.linux_driver import LinuxDriver
from tui.terminal import use_real_terminal_size

async def probe():
    app = App()
    assert app.driver_class is LinuxDriver
    use_real_terminal_size(app)
    return {
        "driver": app.driver_class.__name__,
        "real": app.driver_class(app)._get_terminal_size(),
        "textual": LinuxDriver(app)._get_terminal_size(),
    }

try:  # stderr is the terminal: report on stdout
    print(json.dumps(asyncio.run(probe())))
except BaseException:
    print(json.dumps({"error": traceback.format_exc()}))
"""


@pytest.fixture()
def terminal() -> Iterator[int]:
    """The follower end of a pseudo-terminal sized COLUMNS x LINES."""
    leader, follower = os.openpty()
    fcntl.ioctl(follower, termios.TIOCSWINSZ, struct.pack("HHHH", LINES, COLUMNS, 0, 0))
    try:
        yield follower
    finally:
        os.close(follower)
        os.close(leader)


def test_the_first_terminal_among_the_descriptors_gives_the_size(terminal: int) -> None:
    read_end, write_end = os.pipe()
    try:
        assert terminal_size([write_end, terminal]) == (COLUMNS, LINES)
        assert terminal_size([write_end, read_end]) is None
    finally:
        os.close(read_end)
        os.close(write_end)


def run_driver_probe(terminal: int, **environment: str) -> dict[str, object]:
    env = {name: value for name, value in os.environ.items() if name not in ("COLUMNS", "LINES")}
    result = subprocess.run(
        [sys.executable, "-c", DRIVER_PROBE],
        cwd=REPO_ROOT,
        stdin=terminal,
        stderr=terminal,
        stdout=subprocess.PIPE,  # as in `./dev.sh | tee log`
        env={**env, **environment},
        text=True,
        check=True,
    )
    probe: dict[str, object] = json.loads(result.stdout)
    assert "error" not in probe, probe["error"]
    return probe


def test_piped_stdout_the_driver_measures_the_terminal_it_draws_on(terminal: int) -> None:
    probe = run_driver_probe(terminal)
    assert probe["driver"] == "RealSizeDriver"
    assert probe["real"] == [COLUMNS, LINES]
    assert probe["textual"] == [80, 24]  # why: Textual's own driver asks stdout, a pipe here


def test_columns_and_lines_from_the_environment_still_win(terminal: int) -> None:
    assert run_driver_probe(terminal, COLUMNS="100", LINES="30")["real"] == [100, 30]


def test_another_driver_is_left_alone() -> None:
    from textual.app import App
    from textual.drivers.headless_driver import HeadlessDriver

    from tui.terminal import use_real_terminal_size

    app: App[object] = App(driver_class=HeadlessDriver)
    use_real_terminal_size(app)
    assert app.driver_class is HeadlessDriver
