"""Helpers for the explorer's Pilot tests."""

from __future__ import annotations

import asyncio
import functools


def sync(scenario):  # type: ignore[no-untyped-def]
    """Run an async Pilot scenario as a plain test (no async pytest plugin needed)."""

    @functools.wraps(scenario)
    def run(*args, **kwargs):  # type: ignore[no-untyped-def]
        return asyncio.run(scenario(*args, **kwargs))

    return run
