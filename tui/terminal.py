"""The explorer draws at the real terminal's size even when stdout is piped (`./dev.sh | tee log`).

Textual's Linux driver draws on stderr but takes the size from `shutil.get_terminal_size()`, which
asks stdout: piped, that is no terminal and Textual falls back to 80x24 whatever the window's size.
`RealSizeDriver` asks the terminal it draws on (stderr), then stdin, then stdout; COLUMNS and LINES
still win, as with shutil. Imports Textual: import this module only to run the explorer.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from textual.drivers.linux_driver import LinuxDriver

if TYPE_CHECKING:
    from textual.app import App


def terminal_size(descriptors: Iterable[int]) -> tuple[int, int] | None:
    """(columns, lines) of the first descriptor that is a terminal with a size, else None."""
    for descriptor in descriptors:
        try:
            size = os.get_terminal_size(descriptor)
        except OSError:
            continue
        if size.columns > 0 and size.lines > 0:
            return size.columns, size.lines
    return None


def _environment_size(name: str) -> int | None:
    try:
        value = int(os.environ.get(name, ""))
    except ValueError:
        return None
    return value if value > 0 else None


def standard_descriptors() -> list[int]:
    """stderr (where Textual draws), stdin, stdout: those that have a descriptor."""
    descriptors = []
    for stream in (sys.__stderr__, sys.__stdin__, sys.__stdout__):
        if stream is None:  # no such stream (pythonw, a daemon)
            continue
        try:
            descriptors.append(stream.fileno())
        except (ValueError, OSError):  # closed, or not backed by a descriptor
            continue
    return descriptors


class RealSizeDriver(LinuxDriver):
    """Textual's Linux driver, sized by the terminal it draws on rather than by stdout."""

    def _get_terminal_size(self) -> tuple[int, int]:
        found = terminal_size(standard_descriptors())
        if found is None:
            return super()._get_terminal_size()
        columns, lines = found
        return _environment_size("COLUMNS") or columns, _environment_size("LINES") or lines


def use_real_terminal_size(app: App[Any]) -> None:
    """Run `app` with RealSizeDriver when it would use Textual's plain Linux driver (not on Windows,
    not with a TEXTUAL_DRIVER of the user's, not headless)."""
    if app.driver_class is LinuxDriver:
        app.driver_class = RealSizeDriver
