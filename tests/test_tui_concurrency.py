"""The explorer keeps working while a real `aidxl ingest` replaces its catalog (atomic swap)."""

from __future__ import annotations

import asyncio
import contextlib
import json
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
from textual.widgets import Input

from tui.app import ExplorerApp

TAGGER_HEADER = "tag_id,name,category,count\n"
FIRST_TAGS = "1,long_hair,0,5000\n2,ganyu_(genshin_impact),4,1800\n3,smile,0,4000\n"
SECOND_TAGS = FIRST_TAGS + "4,frieren,4,800\n"


async def wait_until(
    app: ExplorerApp, pilot: object, condition: Callable[[], bool], *, workers: bool = True
) -> None:
    """Process messages and finish workers until `condition` holds (workers may start workers).

    `workers=False` only processes messages: for waiting while a long worker (a preview) runs.
    """
    for _ in range(200):
        if condition():
            return
        if workers:
            await app.workers.wait_for_complete()
        await pilot.pause()  # type: ignore[attr-defined]
    raise AssertionError("the explorer never reached the expected state")


def ingest_argv(tagger: Path, catalog: Path) -> list[str]:
    return [sys.executable, "-m", "tui.cli", "ingest", "--tagger", str(tagger), "--catalog", str(catalog)]


async def run_ingest(tagger: Path, catalog: Path) -> asyncio.subprocess.Process:
    return await asyncio.create_subprocess_exec(
        *ingest_argv(tagger, catalog),
        cwd=Path(__file__).resolve().parents[1],
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )


def test_explorer_survives_a_real_ingest_swapping_the_catalog(tmp_path: Path) -> None:
    async def scenario() -> None:
        tagger = tmp_path / "selected_tags.csv"
        tagger.write_text(TAGGER_HEADER + FIRST_TAGS, encoding="utf-8")
        catalog = tmp_path / "catalog.duckdb"
        first = await run_ingest(tagger, catalog)
        _, first_errors = await first.communicate()
        assert first.returncode == 0, first_errors.decode()

        app = ExplorerApp(catalog, watch_catalog=False)
        notices: list[str] = []
        async with app.run_test(size=(80, 24)) as pilot:
            original_notify = app.notify

            def capture(message: str, **options: object) -> None:
                notices.append(message)
                original_notify(message, **options)  # type: ignore[arg-type]

            app.notify = capture  # type: ignore[method-assign]
            await app.workers.wait_for_complete()
            search = app.query_one("#search", Input)
            tagger.write_text(TAGGER_HEADER + SECOND_TAGS, encoding="utf-8")
            second = await run_ingest(tagger, catalog)
            searches_during_ingest = 0
            while second.returncode is None:
                query = "ganyu" if searches_during_ingest % 2 else "smile"
                search.value = query
                await wait_until(app, pilot, lambda query=query: app.search_view.results_query == query)
                searches_during_ingest += 1
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(second.wait(), timeout=0.05)
            _, second_errors = await second.communicate()
            assert second.returncode == 0, second_errors.decode()
            assert searches_during_ingest >= 1

            app.check_catalog_file()
            await pilot.pause()
            assert app.session.catalog_replaced
            search.value = "frieren"
            await wait_until(app, pilot, lambda: app.search_view.results_query == "frieren")
            assert [row.prompt for row in app.query_one("#results").rows_shown[:1]] != ["frieren"]

            app.search_view.results_query = None
            await pilot.press("ctrl+r")
            await wait_until(app, pilot, lambda: app.search_view.results_query == "frieren")
            assert [row.prompt for row in app.query_one("#results").rows_shown[:1]] == ["frieren"]
        assert not [notice for notice in notices if "lock" in notice.lower()], notices
        assert app.session.search_problem is None

    asyncio.run(scenario())


async def first_cell_line(stderr: asyncio.StreamReader) -> bytes:
    """The sheet's first finished-cell progress line (other stderr lines are library warnings)."""
    while line := await stderr.readline():
        if line.startswith(b"cell "):
            return line
    return b""


@pytest.mark.slow  # two tiny-model loads (the sheet subprocess and the explorer's preview): ~30 s on 2 cores
def test_explorer_searches_and_previews_while_a_real_sheet_writes_the_cache(tmp_path: Path) -> None:
    from prompt_fixture import build_tiny_catalog

    async def scenario() -> None:
        catalog = build_tiny_catalog(tmp_path / "catalog.duckdb")
        app = ExplorerApp(catalog, watch_catalog=False, detail_delay=0, preview_model="tiny-random")
        notices: list[str] = []
        async with app.run_test(size=(80, 24)) as pilot:
            original_notify = app.notify

            def capture(message: str, **options: object) -> None:
                notices.append(message)
                original_notify(message, **options)  # type: ignore[arg-type]

            app.notify = capture  # type: ignore[method-assign]
            await app.workers.wait_for_complete()
            # The sheet reads its rows from the same catalog file the explorer holds open.
            sheet = await asyncio.create_subprocess_exec(
                *[sys.executable, "-m", "tui.cli", "sheet", "--catalog", str(catalog)],
                *["--kind", "artist_style", "--verified", "--limit", "1", "--seeds", "1"],
                *[
                    "--model",
                    "tiny-random",
                    "--size",
                    "64x64",
                    "--steps",
                    "2",
                    "--out",
                    str(tmp_path / "out"),
                ],
                *["--controls", "0", "--no-record", "--json"],
                cwd=Path(__file__).resolve().parents[1],
                stdout=asyncio.subprocess.PIPE,
                stderr=asyncio.subprocess.PIPE,
            )
            assert sheet.stderr is not None
            search = app.query_one("#search", Input)
            # The explorer previews a trigger (writing the same cache) while the sheet runs.
            search.value = "by chi4"
            await wait_until(app, pilot, lambda: app.search_view.results_query == "by chi4")
            await pilot.press("ctrl+g")
            assert (
                app.builder_view.preview_running or app.builder_view.last_preview is not None
            )  # started (may be done already)
            searches = 0
            first_cell = asyncio.ensure_future(first_cell_line(sheet.stderr))
            while not first_cell.done() or app.builder_view.preview_running:  # the app answers all the while
                query = "by chi4" if searches % 2 else "smile"
                search.value = query
                await wait_until(
                    app, pilot, lambda query=query: app.search_view.results_query == query, workers=False
                )
                searches += 1
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(asyncio.shield(first_cell), timeout=0.05)
            assert first_cell.result().startswith(b"cell 1/2 "), first_cell.result()
            assert app.builder_view.last_preview is not None and app.builder_view.last_preview.image_path, (
                app.builder_view.last_preview
            )

            search.value = "smile"
            await wait_until(app, pilot, lambda: app.search_view.results_query == "smile")
            app.query_one("#detail").show(None, dark=True)  # drop the thumbnail the preview put there
            search.value = "by chi4"
            await wait_until(app, pilot, lambda: bool(app.query_one("#detail").query(".preview-image")))

            output, rest = await sheet.communicate()
            assert sheet.returncode == 0, rest.decode()
            report = json.loads(output)
            assert (report["cells"], report["missing"]) == (2, [])
        assert searches >= 1
        assert not [notice for notice in notices if "lock" in notice.lower()], notices
        assert app.session.search_problem is None

    asyncio.run(scenario())
