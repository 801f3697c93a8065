"""The explorer keeps working while a real `aidxl ingest` replaces its catalog (atomic swap)."""

from __future__ import annotations

import asyncio
import contextlib
import sys
from collections.abc import Callable
from pathlib import Path

from textual.widgets import Input

from tui.app import ExplorerApp

TAGGER_HEADER = "tag_id,name,category,count\n"
FIRST_TAGS = "1,long_hair,0,5000\n2,ganyu_(genshin_impact),4,1800\n3,smile,0,4000\n"
SECOND_TAGS = FIRST_TAGS + "4,frieren,4,800\n"


async def wait_until(app: ExplorerApp, pilot: object, condition: Callable[[], bool]) -> None:
    """Process messages and finish workers until `condition` holds (workers may start workers)."""
    for _ in range(200):
        if condition():
            return
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
                await wait_until(app, pilot, lambda query=query: app.results_query == query)
                searches_during_ingest += 1
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(second.wait(), timeout=0.05)
            _, second_errors = await second.communicate()
            assert second.returncode == 0, second_errors.decode()
            assert searches_during_ingest >= 1

            app.check_catalog_file()
            await pilot.pause()
            assert app.catalog_replaced
            search.value = "frieren"
            await wait_until(app, pilot, lambda: app.results_query == "frieren")
            assert [row.prompt for row in app.query_one("#results").rows_shown[:1]] != ["frieren"]

            app.results_query = None
            await pilot.press("ctrl+r")
            await wait_until(app, pilot, lambda: app.results_query == "frieren")
            assert [row.prompt for row in app.query_one("#results").rows_shown[:1]] == ["frieren"]
        assert not [notice for notice in notices if "lock" in notice.lower()], notices
        assert app.search_problem is None

    asyncio.run(scenario())
