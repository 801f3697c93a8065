"""SVG snapshots of the explorer at 80×24 (pytest-textual-snapshot; `--snapshot-update` to accept)."""

from __future__ import annotations

from pathlib import Path

import pytest
from prompt_fixture import build_tiny_catalog
from textual.pilot import Pilot
from textual.widgets import Input

from tui.app import ExplorerApp

SIZE = (80, 24)


@pytest.fixture(scope="module")
def snapshot_catalog(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_tiny_catalog(tmp_path_factory.mktemp("snapshot") / "catalog.duckdb")


def explorer(catalog: Path) -> ExplorerApp:
    return ExplorerApp(catalog, watch_catalog=False)


async def settle(pilot: Pilot[object]) -> None:
    """Wait for every worker and message, with the input cursor steady and no toasts."""
    for search_input in pilot.app.query(Input):
        search_input.cursor_blink = False
    await pilot.app.workers.wait_for_complete()
    await pilot.pause()
    pilot.app.clear_notifications()
    await pilot.pause()


def test_help_screen(snap_compare: object, snapshot_catalog: Path) -> None:
    async def open_help(pilot: Pilot[object]) -> None:
        await settle(pilot)
        await pilot.press("f1")
        await pilot.pause()

    assert snap_compare(explorer(snapshot_catalog), terminal_size=SIZE, run_before=open_help)  # type: ignore[operator]
