"""The search the explorer runs on each keystroke: `kb.search` hits as rows for the results table."""

from __future__ import annotations

import importlib.util
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb

from tui.state.features import optional_module

RESULT_LIMIT = 100

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
    """The catalog's search index (saved beside the catalog's build) with the user's usage bias."""
    search = optional_module("kb.search", "search", needs="SearchIndex")
    return search.SearchIndex.load(connection)


def run_search(index: Any, query: str, kind: str | None, *, limit: int = RESULT_LIMIT) -> list[ResultRow]:
    kinds = (kind,) if kind is not None else None
    hits = index.search(query, limit=limit, kinds=kinds)
    verdicts = read_verdicts([str(hit.text) for hit in hits])
    return [row_from_hit(hit, verdicts.get(str(hit.text))) for hit in hits]


def read_verdicts(texts: list[str]) -> dict[str, str]:
    """Recognition verdicts (Yes / Unsure / No) from style sheets, when any were measured."""
    if importlib.util.find_spec("kb.recognition") is None:
        return {}
    from kb.recognition import read_verdicts as read_recognition_verdicts

    return {text: record.verdict for text, record in read_recognition_verdicts(texts).items()}


def row_from_hit(hit: Any, verdict: str | None = None) -> ResultRow:
    return ResultRow(
        prompt=str(hit.prompt),
        tag=hit.tag,
        kind=str(hit.kind),
        category=hit.category,
        count=hit.count or None,
        verified=bool(hit.verified),
        match=str(hit.match),
        alias=str(hit.matched) if str(hit.via) == "alias" else None,
        verdict=verdict,
    )
