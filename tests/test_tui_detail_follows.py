"""The detail pane follows the highlighted result (issue 12 item 9): the search worker reads the first
rows' details with the results, and the results' handler shows the first one, so one refresh paints
both; the detail shown is the highlighted row's; a reloaded catalog's details are read afresh; a
preview made since shows. On the tiny catalog with its knowledge tables; waits on workers, never sleeps.
(The speed itself is measured by bench/tui.py, not here.)"""

from __future__ import annotations

import io
import os
from pathlib import Path

import duckdb
import pytest
from pilot_helpers import search, settle, sync
from prompt_fixture import build_tiny_catalog
from textual.message import Message

from kb.catalog import open_catalog
from kb.generate import cache
from tui.app import ExplorerApp
from tui.state.catalog_view import load_detail
from tui.state.detail_cache import READ_WITH_RESULTS, PreviewThumbnails
from tui.widgets.detail import DetailBody
from tui.widgets.messages import DetailLoaded, SearchResults
from tui.widgets.results import ResultsTable

WIDE = (140, 42)
QUERIES = ("by", "ganyu", "long hair", "genshin", "2b")


@pytest.fixture()
def catalog(tmp_path: Path) -> Path:
    return build_tiny_catalog(tmp_path / "catalog.duckdb", knowledge=True)


def make_app(catalog: Path) -> ExplorerApp:
    return ExplorerApp(catalog, watch_catalog=False, show_timings=False)


def expected_detail(catalog: Path, prompt: str, kind: str, tag: str | None) -> object:
    connection = open_catalog(catalog)
    try:
        return load_detail(connection, prompt, kind, tag)
    finally:
        connection.close()


@sync
async def test_the_first_rows_detail_comes_with_the_results_and_is_the_highlighted_rows(
    catalog: Path,
) -> None:
    posted: list[Message] = []
    app = make_app(catalog)
    async with app.run_test(size=WIDE, message_hook=posted.append) as pilot:
        await settle(pilot)  # the index, then the catalog's parts that details read
        assert app.search_view.detail_reader is not None and app.search_view.detail_reader.warmed.is_set()
        for query in QUERIES:
            before, shown_with_results = len(posted), app.search_view.details_with_results
            await search(pilot, query)
            rows = app.query_one(ResultsTable).rows_shown
            assert rows, query
            first = rows[0]
            results = [m for m in posted[before:] if isinstance(m, SearchResults) and m.query == query]
            assert results and first.key in results[-1].details
            # The first rows' details travel with the results (those a cursor reaches next too) ...
            assert set(results[-1].details) <= {row.key for row in rows[:READ_WITH_RESULTS]}
            # ... and no second message brings the first one: the results' handler showed it.
            read_again = [
                message
                for message in posted[before:]
                if isinstance(message, DetailLoaded)
                and message.key == first.key
                and not message.thumbnail_only
            ]
            assert not read_again
            assert app.search_view.details_with_results > shown_with_results
            assert app.search_view.detail_shown_key == first.key
            shown_detail = app.search_view.detail_shown
            assert shown_detail == expected_detail(catalog, first.prompt, first.kind, first.tag)
            assert app.query_one(DetailBody).plain.startswith(first.prompt)
        # The cursor's next row was read with the results: shown in the cursor's own handler.
        await search(pilot, "by")
        await pilot.press("down")
        second = app.query_one(ResultsTable).rows_shown[1]
        assert app.search_view.detail_shown_key == second.key
        shown_detail = app.search_view.detail_shown
        assert shown_detail == expected_detail(catalog, second.prompt, second.kind, second.tag)


@sync
async def test_a_reloaded_catalogs_details_are_read_afresh(catalog: Path, tmp_path: Path) -> None:
    app = make_app(catalog)
    async with app.run_test(size=WIDE) as pilot:
        await settle(pilot)
        await search(pilot, "by chi4")
        first = app.query_one(ResultsTable).rows_shown[0]
        assert first.prompt == "by chi4" and first.key in app.search_view.detail_cache
        assert app.search_view.detail_shown is not None
        old_count = app.search_view.detail_shown.count
        assert old_count is not None
        # `aidxl ingest` renames a new build over the catalog: chi4 has more posts there.
        rebuilt = build_tiny_catalog(tmp_path / "next.duckdb", knowledge=True)
        writer = duckdb.connect(str(rebuilt))
        try:
            writer.execute("UPDATE tags SET count = count + 1234 WHERE name = 'chi4'")
            writer.execute(
                "UPDATE tag_sources SET count = count + 1234 WHERE tag_id = "
                "(SELECT tag_id FROM tags WHERE name = 'chi4')"
            )
        finally:
            writer.close()
        os.replace(rebuilt, catalog)
        app.check_catalog_file()
        await pilot.press("ctrl+r")
        await settle(pilot)
        view = app.search_view
        assert view.detail_cache.generation == app.session.index_generation
        # The box still says `by chi4`: its results came again, with details of the new catalog only.
        cached = view.detail_cache.get(first.key)
        assert cached is not None and cached.generation == app.session.index_generation
        assert cached.detail.count == old_count + 1234
        await search(pilot, "by chi4")
        assert view.detail_shown_key == first.key
        assert view.detail_shown is not None and view.detail_shown.count == old_count + 1234
        assert view.detail_shown == expected_detail(catalog, first.prompt, first.kind, first.tag)


def png_bytes(shade: int) -> bytes:
    from PIL import Image

    output = io.BytesIO()
    Image.new("RGB", (4, 4), (shade, shade, shade)).save(output, format="PNG")
    return output.getvalue()


def stored_preview(digest: str, trigger: str) -> cache.CachedPreview:
    shade = int(digest[:2], 16)
    return cache.store(
        digest,
        png_bytes(shade),
        png_bytes(255 - shade),
        {"parameters": "p\nSteps: 1, Seed: 2, Size: 4x4", "triggers": [trigger]},
    )


def test_thumbnails_are_the_newest_preview_of_each_trigger_and_follow_the_folder() -> None:
    """The map read once equals `find_previews` per trigger; a preview stored since is seen after a
    refresh (its folder changed), and none is read again while the folder stays as it was."""
    thumbnails = PreviewThumbnails()
    thumbnails.refresh()
    assert thumbnails.thumbnail("by chi4") is None
    stored_preview("ab" * 32, "by chi4")
    stored_preview("cd" * 32, "by ask")
    thumbnails.refresh()
    for trigger in ("by chi4", "by ask", "by dino"):
        found = cache.find_previews(trigger)
        expected = Path(found[0].thumbnail_path) if found else None
        assert thumbnails.thumbnail(trigger) == expected
    assert cache.newest_preview_thumbnails() == {
        trigger: Path(cache.find_previews(trigger)[0].thumbnail_path) for trigger in ("by chi4", "by ask")
    }
    newer = stored_preview("ef" * 32, "by chi4")
    os.utime(newer.sidecar_path, (2**31, 2**31))  # surely the newest
    thumbnails.refresh()
    assert thumbnails.thumbnail("by chi4") == Path(newer.thumbnail_path)
    signature = cache.previews_signature()
    thumbnails.refresh()
    assert cache.previews_signature() == signature


@sync
async def test_a_preview_made_since_shows_with_the_next_results(catalog: Path) -> None:
    app = make_app(catalog)
    async with app.run_test(size=WIDE) as pilot:
        await settle(pilot)
        await search(pilot, "by chi4")
        first = app.query_one(ResultsTable).rows_shown[0]
        cached = app.search_view.detail_cache.get(first.key)
        assert cached is not None and cached.thumbnail is None
        preview = stored_preview("12" * 32, "by chi4")
        await search(pilot, "by chi")
        await search(pilot, "by chi4")
        cached = app.search_view.detail_cache.get(first.key)
        assert cached is not None and cached.thumbnail == Path(preview.thumbnail_path)


@sync
async def test_what_start_up_built_is_frozen_out_of_full_collections_until_the_app_closes(
    catalog: Path,
) -> None:
    import gc

    gc.unfreeze()  # whatever an earlier test left
    app = make_app(catalog)
    async with app.run_test(size=WIDE) as pilot:
        await settle(pilot)  # the lookup read, then the freeze
        assert gc.get_freeze_count() > 0
    assert gc.get_freeze_count() == 0  # thawed: this app's cycles are collected again


def test_before_the_lookup_is_read_the_results_go_out_alone(catalog: Path) -> None:
    """Until `warm` has read the catalog's parts, the search worker posts its results at once (the
    detail follows); after it, the first rows' details go with them, the first always, the others
    unless cached."""
    from tui.state.detail_cache import DetailCache, DetailReader, read_ahead_of_results
    from tui.state.searching import SearchFilter, list_page, load_index

    connection = open_catalog(catalog)
    try:
        rows = list_page(load_index(connection, catalog), connection, "by", SearchFilter(), None).rows
        assert len(rows) > 2
        reader, cache = DetailReader(connection, generation=1), DetailCache()
        cache.reset(1)
        assert read_ahead_of_results(reader, rows, cache) == {}
        reader.warm()
        first = read_ahead_of_results(reader, rows, cache)
        assert list(first) == [row.key for row in rows[:READ_WITH_RESULTS]]
        assert all(cached.generation == 1 for cached in first.values())
        for key, cached in first.items():
            cache.put(key, cached, cached.generation)
        again = read_ahead_of_results(reader, rows, cache)
        assert list(again) == [rows[0].key]  # the first row's, always: it is shown with them
        row = rows[1]
        assert first[row.key].detail == load_detail(connection, row.prompt, row.kind, row.tag)
    finally:
        connection.close()
