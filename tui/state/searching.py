"""The search the explorer runs on each keystroke: `kb.search` hits as rows for the results table."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb

from tui.state.features import optional_module

RESULT_LIMIT = 200

# Filter chips: (label, key, kb kind or None for all).
KIND_FILTERS: tuple[tuple[str, str, str | None], ...] = (
    ("all", "f2", None),
    ("style", "f3", "artist_style"),
    ("paint", "f4", "painting_style"),
    ("quality", "f5", "quality"),
    ("aesth", "f6", "aesthetic"),
    ("char", "f7", "character"),
    ("copy", "f8", "copyright"),
    ("general", "f9", "general"),
)


@dataclass(frozen=True)
class ResultRow:
    """One line of the results table."""

    prompt: str  # the text to paste (A1111 form)
    tag: str | None
    kind: str
    category: int | None
    count: int | None
    verified: bool
    match: str  # exact, prefix, word-start, substring, alias, fuzzy
    alias: str | None  # the alias that matched, shown as `alias → prompt`
    verdict: str | None  # recognition verdict (Yes / Unsure / No) when known

    @property
    def key(self) -> str:
        return f"{self.kind}\x1f{self.prompt}"


def load_index(connection: duckdb.DuckDBPyConnection, catalog_path: Path) -> Any:
    search = optional_module("kb.search", "search", needs="load_index")
    return search.load_index(connection, catalog_path)


def run_search(index: Any, query: str, kind: str | None, *, limit: int = RESULT_LIMIT) -> list[ResultRow]:
    kinds = (kind,) if kind is not None else None
    hits = index.search(query, limit=limit, kinds=kinds)
    return [row_from_hit(hit) for hit in hits]


def row_from_hit(hit: Any) -> ResultRow:
    return ResultRow(
        prompt=str(hit.prompt),
        tag=hit.tag,
        kind=str(hit.kind),
        category=getattr(hit, "category", None),
        count=getattr(hit, "count", None),
        verified=bool(getattr(hit, "verified", False)),
        match=str(getattr(hit, "match", "")),
        alias=getattr(hit, "alias", None),
        verdict=getattr(hit, "verdict", None),
    )
