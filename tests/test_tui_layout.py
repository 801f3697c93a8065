"""Pilot tests of the builder's layout at 80×24 with the preview panel open (issue 12's trial):
every box keeps usable rows, and the whole positive prompt can be read however long it is."""

from __future__ import annotations

from pathlib import Path

import pytest
from pilot_helpers import settle, sync
from prompt_fixture import build_tiny_catalog
from textual.widgets import DataTable, TextArea

from tui.app import ExplorerApp
from tui.state.builder import BuilderEntry
from tui.state.generation_view import ShownImage
from tui.widgets.preview_panel import PreviewPanel

SMALL = (80, 24)


@pytest.fixture(scope="module")
def tiny_catalog_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_tiny_catalog(tmp_path_factory.mktemp("catalog") / "catalog.duckdb")


def shown_image(folder: Path) -> ShownImage:
    from PIL import Image

    picture = folder / "preview.png"
    Image.new("RGB", (64, 64), "gray").save(picture)
    return ShownImage("preview", picture, picture, "tiny-random", (64, 64), True)


async def builder_with_entries(app: ExplorerApp, pilot: object, count: int) -> None:
    for number in range(count):
        app.session.builder.add(BuilderEntry(f"by artist number {number}", "artist_style"))
    app.builder_view.refresh_builder(cursor=0)
    await pilot.press("ctrl+b")  # type: ignore[attr-defined]
    await settle(pilot)


@pytest.mark.parametrize("height", [24, 23])  # 23: a banner or a second status row takes one
@sync
async def test_every_builder_box_keeps_rows_with_the_panel_open_at_80_columns(
    tiny_catalog_file: Path, tmp_path: Path, height: int
) -> None:
    app = ExplorerApp(tiny_catalog_file, watch_catalog=False, detail_delay=0)
    async with app.run_test(size=(80, height)) as pilot:
        await builder_with_entries(app, pilot, 21)
        app.query_one(PreviewPanel).show_image(shown_image(tmp_path))
        await settle(pilot)
        entries = app.query_one("#entries", DataTable)
        assert entries.content_size.height - 1 >= 3  # the header and at least three entries
        assert app.query_one("#positive").content_size.height == 3
        for box in ("#positive", "#negative"):
            assert app.query_one(box).content_size.height >= 1, box
        assert app.query_one("#findings").content_size.height >= 1
        panel = app.query_one(PreviewPanel)
        settings_line = app.query_one("#settings-line").region
        assert settings_line.height == 1 and settings_line.bottom <= panel.region.y  # not clipped
        assert panel.display and panel.region.height <= 4  # the panel's short form
        assert "RANDOM WEIGHTS" in str(app.query_one("#preview-panel-caption").render())
        assert "c copy path" in str(app.query_one("#preview-panel-keys").render())


@sync
async def test_v_shows_the_whole_positive_prompt_the_box_cuts(tiny_catalog_file: Path) -> None:
    app = ExplorerApp(tiny_catalog_file, watch_catalog=False, detail_delay=0)
    async with app.run_test(size=SMALL) as pilot:
        await builder_with_entries(app, pilot, 21)
        positive = app.query_one("#positive")
        assert str(positive.render()).endswith("…")
        assert "v: whole prompt" in str(positive.border_subtitle)  # the cut box says how to read it
        await pilot.press("v")
        await settle(pilot)
        shown = app.screen.query_one("#whole-positive", TextArea)
        rendered = app.builder_view.rendered
        assert rendered is not None and shown.text == rendered.positive
        assert "by artist number 20" in shown.text and shown.read_only
        await pilot.press("escape")
        assert app.screen.query_one("#positive") is positive
