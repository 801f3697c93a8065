"""SVG snapshots of the explorer at 80×24 (pytest-textual-snapshot; `--snapshot-update` to accept)."""

from __future__ import annotations

from pathlib import Path

import pytest
from prompt_fixture import build_tiny_catalog
from textual.pilot import Pilot
from textual.widgets import Input

from tui.app import ExplorerApp
from tui.state.builder import BuilderEntry

SIZE = (80, 24)


@pytest.fixture(scope="module")
def snapshot_catalog(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_tiny_catalog(tmp_path_factory.mktemp("snapshot") / "catalog.duckdb", knowledge=True)


def explorer(catalog: Path) -> ExplorerApp:
    return ExplorerApp(catalog, watch_catalog=False, show_timings=False, detail_delay=0)


async def settle(pilot: Pilot[object]) -> None:
    """Wait for every worker and message, with the input cursor steady and no toasts."""
    app = pilot.app
    for search_input in app.query(Input):
        search_input.cursor_blink = False
    for _ in range(20):
        await app.workers.wait_for_complete()
        await pilot.pause()
        if not any(worker.is_running for worker in app.workers):
            break
    app.clear_notifications()
    await pilot.pause()


async def search_for(pilot: Pilot[object], query: str) -> None:
    await settle(pilot)
    await pilot.press(*query)
    await settle(pilot)


def test_main_screen_style_results(snap_compare: object, snapshot_catalog: Path) -> None:
    async def run_before(pilot: Pilot[object]) -> None:
        await search_for(pilot, "by")

    assert snap_compare(explorer(snapshot_catalog), terminal_size=SIZE, run_before=run_before)  # type: ignore[operator]


def test_character_detail(snap_compare: object, snapshot_catalog: Path) -> None:
    async def run_before(pilot: Pilot[object]) -> None:
        await search_for(pilot, "ganyu")

    assert snap_compare(explorer(snapshot_catalog), terminal_size=SIZE, run_before=run_before)  # type: ignore[operator]


def test_character_detail_with_features(snap_compare: object, snapshot_catalog: Path) -> None:
    """2b: tier, forms with their sources, appearance and outfit with their keys."""

    async def run_before(pilot: Pilot[object]) -> None:
        await search_for(pilot, "2b")

    assert snap_compare(explorer(snapshot_catalog), terminal_size=(100, 40), run_before=run_before)  # type: ignore[operator]


def test_builder_with_lint_findings(snap_compare: object, snapshot_catalog: Path) -> None:
    async def run_before(pilot: Pilot[object]) -> None:
        app = pilot.app
        assert isinstance(app, ExplorerApp)
        await settle(pilot)
        # The builder is shown first: a rendering measured while it is hidden (width 0) can leave the
        # findings' scrollbar stale for a frame, which made this snapshot flaky under load.
        await pilot.press("ctrl+b")
        await settle(pilot)
        app.session.builder.add(BuilderEntry("by chi4", "artist_style", 1.6, "chi4"))
        app.session.builder.add(
            BuilderEntry("ganyu (genshin impact)", "character", 1.0, "ganyu_(genshin_impact)")
        )
        app.session.builder.add(BuilderEntry("blorbo", "unknown", 1.0, None, False, ("long hair",)))
        app.session.builder.add(BuilderEntry("by nobody", "artist_style", 0.8))
        app.builder_view.refresh_builder(cursor=0)
        await settle(pilot)

    assert snap_compare(explorer(snapshot_catalog), terminal_size=SIZE, run_before=run_before)  # type: ignore[operator]


def test_help_screen(snap_compare: object, snapshot_catalog: Path) -> None:
    async def open_help(pilot: Pilot[object]) -> None:
        await settle(pilot)
        await pilot.press("f1")
        await settle(pilot)

    assert snap_compare(explorer(snapshot_catalog), terminal_size=SIZE, run_before=open_help)  # type: ignore[operator]


LARGE = (140, 42)


@pytest.mark.parametrize("size", [SIZE, LARGE], ids=["80x24", "140x42"])
def test_styles_listed_from_an_empty_box(
    snap_compare: object, snapshot_catalog: Path, size: tuple[int, int]
) -> None:
    """F3 on an empty box: every style, verified first, `N of M` in the status line."""

    async def run_before(pilot: Pilot[object]) -> None:
        await settle(pilot)
        await pilot.press("f3")
        await settle(pilot)

    assert snap_compare(explorer(snapshot_catalog), terminal_size=size, run_before=run_before)  # type: ignore[operator]


@pytest.mark.parametrize("size", [SIZE, LARGE], ids=["80x24", "140x42"])
def test_forms_focused_with_the_sentence_whole(
    snap_compare: object, snapshot_catalog: Path, size: tuple[int, int]
) -> None:
    """tab, ↓ ↓: the forms have the keys; the sentence is chosen and shown whole, the others cut."""

    async def run_before(pilot: Pilot[object]) -> None:
        await search_for(pilot, "2b")
        await pilot.press("tab", "down", "down")
        await settle(pilot)

    assert snap_compare(explorer(snapshot_catalog), terminal_size=size, run_before=run_before)  # type: ignore[operator]


def test_a_copyrights_characters_opened_with_enter(snap_compare: object, snapshot_catalog: Path) -> None:
    async def run_before(pilot: Pilot[object]) -> None:
        await pilot.press("f8")
        await search_for(pilot, "genshin")
        await pilot.press("enter")
        await settle(pilot)

    assert snap_compare(explorer(snapshot_catalog), terminal_size=LARGE, run_before=run_before)  # type: ignore[operator]


@pytest.mark.parametrize("size", [SIZE, LARGE], ids=["80x24", "140x42"])
def test_builder_with_21_entries_and_the_preview_panel(
    snap_compare: object, snapshot_catalog: Path, size: tuple[int, int], tmp_path: Path
) -> None:
    """80×24: the panel's short form (caption, path, keys) leaves every builder box its rows; the
    cut positive box says `v: whole prompt`. 140×42: the panel's full form."""
    from PIL import Image

    from tui.state.generation_view import ShownImage
    from tui.widgets.preview_panel import PreviewPanel

    picture = tmp_path / "preview.png"
    Image.new("RGB", (64, 64), "gray").save(picture)
    # The path line shows `path` (fixed here: tmp_path differs run to run); `picture` is drawn.
    shown_path = Path("/cache/aidxl-kb/previews/ab12.png")
    shown = ShownImage("preview", shown_path, picture, "tiny-random", (64, 64), True)

    async def run_before(pilot: Pilot[object]) -> None:
        app = pilot.app
        assert isinstance(app, ExplorerApp)
        await settle(pilot)
        for number in range(21):
            app.session.builder.add(BuilderEntry(f"by artist number {number}", "artist_style"))
        app.builder_view.refresh_builder(cursor=0)
        await pilot.press("ctrl+b")
        app.query_one(PreviewPanel).show_image(shown)
        await settle(pilot)

    assert snap_compare(explorer(snapshot_catalog), terminal_size=size, run_before=run_before)  # type: ignore[operator]
