"""Counts in words, as the explorer shows them: `1 result`, `2 results`, `1,204 characters`."""

from __future__ import annotations


def counted(count: int, noun: str, plural: str | None = None) -> str:
    """`count` and the noun in the number it takes (`plural` for irregular ones: entry → entries)."""
    return f"{count:,} {noun if count == 1 else plural or noun + 's'}"
