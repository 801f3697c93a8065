"""The tier chip (ctrl+l) reads differently in each of its three states, not only in colour."""

from __future__ import annotations

from pathlib import Path

import pytest
from pilot_helpers import settle, sync
from prompt_fixture import build_tiny_catalog


@pytest.fixture(scope="module")
def tiny_catalog_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_tiny_catalog(tmp_path_factory.mktemp("catalog") / "catalog.duckdb")


@sync
async def test_each_tier_filter_state_has_its_own_chip_text(tiny_catalog_file: Path) -> None:
    from textual.widgets import Static

    from tui.app import ExplorerApp

    app = ExplorerApp(tiny_catalog_file, watch_catalog=False, detail_delay=0)
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        chip = app.query_one("#chip-likely", Static)
        seen = [str(chip.render())]
        for _ in range(3):
            await pilot.press("ctrl+l")
            await settle(pilot)
            seen.append(str(chip.render()))
        assert len(set(seen[:3])) == 3, seen  # every tier, likely, verified: three texts
        assert seen[3] == seen[0]  # the fourth press is back to every tier
        assert seen[1:3] == ["^L likely", "^L verified"]
