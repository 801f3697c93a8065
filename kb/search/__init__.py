"""Typo-tolerant, popularity-aware search over the whole catalog (see docs/search.md).

index = SearchIndex.load(connection)          # once; reuse it for every keystroke
hits = index.search("hatsne miku", limit=20, kinds={"character"}, tiers={"verified", "author"})
hits[0].prompt, hits[0].tier                  # 'hatsune miku', 'author'
"""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING

from kb.schema import TriggerKind
from kb.search.filters import parse_kind, parse_kinds, parse_tier, parse_tiers
from kb.search.hits import MatchedVia, MatchReason, SearchHit
from kb.search.index import SearchIndex

if TYPE_CHECKING:
    import duckdb

__all__ = [
    "MatchReason",
    "MatchedVia",
    "SearchHit",
    "SearchIndex",
    "lookup_character",
    "parse_kind",
    "parse_kinds",
    "parse_tier",
    "parse_tiers",
    "shared_index",
]

_shared_lock = threading.Lock()
_shared: dict[str, SearchIndex] = {}


def shared_index(connection: duckdb.DuckDBPyConnection) -> SearchIndex:
    """The process's loaded index for this catalog build, loading it on first use.

    Keeps one index (the latest catalog asked for), so a long-running explorer and the commands it
    calls share one copy; a rebuilt catalog (new meta fingerprint) loads a new one.
    """
    from kb.search.persist import catalog_identity

    identity = catalog_identity(connection)
    with _shared_lock:
        index = _shared.get(identity)
        if index is None:
            index = SearchIndex.load(connection)
            _shared.clear()
            _shared[identity] = index
        return index


def lookup_character(source: SearchIndex | duckdb.DuckDBPyConnection, query: str) -> SearchHit | None:
    """The character a half-remembered or misspelt name most likely means, or None.

    Exact names, aliases and bare first names win (`ganyu`, `lucyna`, `frieren`), then word starts
    (`lucy cyberpunk`), then typos (`hatsne miku`), each tier by popularity.
    """
    index = source if isinstance(source, SearchIndex) else shared_index(source)
    hits = index.search(query, limit=1, kinds={str(TriggerKind.CHARACTER)})
    return hits[0] if hits else None
