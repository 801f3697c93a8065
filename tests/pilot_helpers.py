"""Helpers for the explorer's Pilot tests."""

from __future__ import annotations

import asyncio
import functools
from typing import Any


def sync(scenario):  # type: ignore[no-untyped-def]
    """Run an async Pilot scenario as a plain test (no async pytest plugin needed)."""

    @functools.wraps(scenario)
    def run(*args, **kwargs):  # type: ignore[no-untyped-def]
        return asyncio.run(scenario(*args, **kwargs))

    return run


def shown(app: Any) -> list[str]:
    """The prompts of the result rows on screen."""
    from tui.widgets.results import ResultsTable

    return [row.prompt for row in app.query_one(ResultsTable).rows_shown]


async def settle(pilot: Any) -> None:
    """Every worker finished and every message it posted handled (a handler may start another)."""
    app = pilot.app
    for _ in range(30):
        await app.workers.wait_for_complete()
        await pilot.pause()
        if not any(worker.is_running for worker in app.workers):
            return


async def search(pilot: Any, query: str) -> None:
    """Clear the search box, type `query`, and wait for its results and details."""
    await settle(pilot)
    await pilot.press("ctrl+u", *query)
    await settle(pilot)
