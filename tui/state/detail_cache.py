"""Details of result rows, read with the results and ahead of the highlight, so that the detail
pane is painted in the same frame as the results and follows the cursor at once.

`DetailReader` reads a row's detail from `kb.knowledge.catalog_lookup` (the catalog's parts read
once per catalog load, then every question answered from memory: about 0.1 ms a row where the SQL
took 5-25 ms) and its preview thumbnail from a map of the previews folder rebuilt only when the folder
changes (`PreviewThumbnails`). The search worker reads the first rows' details before it posts the
results (`read_ahead_of_results`), so results and the first row's detail arrive in one message and
are painted together; the explorer keeps them (`DetailCache`, newest kept) and reads ahead around the
cursor in one worker (`prefetch_order`). bench/tui.py measures keystroke → results and detail painted.

No Textual: the cache is used from the app's handlers (one thread), the reader from workers.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from tui.state.catalog_view import EntryDetail, load_detail

if TYPE_CHECKING:
    import duckdb

    from kb.knowledge.author_tables import AuthorTables
    from kb.knowledge.catalog_lookup import CatalogLookup
    from tui.state.searching import ResultRow

DETAIL_CACHE_SIZE = 1000  # entries; a detail is a few kB
PREFETCH_AHEAD = 12  # rows below the cursor read ahead (a page is 10 rows)
PREFETCH_BEHIND = 3
# Rows whose details the search worker reads before it posts the results: the first (shown with
# them) and those ↓ reaches next. About 0.1 ms each once the catalog's lookup is read.
READ_WITH_RESULTS = 1 + PREFETCH_AHEAD


@dataclass(frozen=True)
class CachedDetail:
    detail: EntryDetail
    thumbnail: Path | None  # the newest cached preview of the trigger, when there is one
    tables: Any = None  # a character's: the author's tables (ctrl+n / ctrl+o), else None
    generation: int = -1  # the catalog (re)load it was read from (DetailReader.generation)


class DetailCache:
    """Details by row key (`ResultRow.key`) of one catalog load; the least recently used go first."""

    def __init__(self, capacity: int = DETAIL_CACHE_SIZE) -> None:
        self.capacity = capacity
        self.generation = 0  # the catalog (re)load the details were read from
        self._details: OrderedDict[str, CachedDetail] = OrderedDict()

    def __len__(self) -> int:
        return len(self._details)

    def __contains__(self, key: object) -> bool:
        return key in self._details

    def get(self, key: str) -> CachedDetail | None:
        found = self._details.get(key)
        if found is not None:
            self._details.move_to_end(key)
        return found

    def put(self, key: str, cached: CachedDetail, generation: int) -> None:
        """Keep a detail read from catalog load `generation` (an older load's is dropped)."""
        if generation != self.generation:
            return
        self._details[key] = cached
        self._details.move_to_end(key)
        while len(self._details) > self.capacity:
            self._details.popitem(last=False)

    def reset(self, generation: int) -> None:
        """A catalog was (re)loaded: every detail read before is stale."""
        self.generation = generation
        self._details.clear()


def prefetch_order(row_count: int, cursor: int) -> list[int]:
    """Row positions to read, best first: the cursor's, then the next rows down (where ↓ and pgdn
    go), then a few above."""
    if not 0 <= cursor < row_count:
        return []
    below = range(cursor + 1, min(row_count, cursor + 1 + PREFETCH_AHEAD))
    above = range(cursor - 1, max(-1, cursor - 1 - PREFETCH_BEHIND), -1)
    return [cursor, *below, *above]


def missing_keys(keys: Sequence[str], cache: DetailCache) -> list[str]:
    """The keys whose details are not cached, in the order given."""
    return [key for key in keys if key not in cache]


class PreviewThumbnails:
    """The newest cached preview thumbnail of every trigger, read from the previews folder in one
    pass and again only when the folder changed (`refresh`: a few hundred stats, no file read), so
    a row's thumbnail costs a dictionary look-up instead of reading every sidecar."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._signature: tuple[tuple[str, int], ...] | None = None
        self._by_trigger: dict[str, Path] = {}

    def refresh(self) -> None:
        from kb.generate.cache import newest_preview_thumbnails, previews_signature

        with self._lock:
            signature = previews_signature()
            if signature != self._signature:
                self._by_trigger = newest_preview_thumbnails()
                self._signature = signature

    def thumbnail(self, trigger: str) -> Path | None:
        return self._by_trigger.get(trigger)


class DetailReader:
    """Reads the details of result rows from one catalog load (any worker thread).

    The lookup is made on first use (its parts are read as the questions need them; `warm` reads
    them all, in a worker, once the search is ready, so no keystroke waits for them).
    """

    def __init__(self, connection: duckdb.DuckDBPyConnection, generation: int) -> None:
        self.connection = connection
        self.generation = generation  # the catalog (re)load it reads from
        self.previews = PreviewThumbnails()
        self.warmed = threading.Event()
        self._lock = threading.Lock()
        self._lookup: CatalogLookup | None = None
        self._tables: AuthorTables | None = None

    def lookup(self) -> CatalogLookup:
        from kb.knowledge.catalog_lookup import shared_catalog_lookup

        with self._lock:
            if self._lookup is None:
                self._lookup = shared_catalog_lookup(self.connection)
            return self._lookup

    def author_tables(self) -> AuthorTables:
        """The author's tables (a character's ctrl+n / ctrl+o), read once per catalog load."""
        from kb.knowledge.author_tables import shared_author_tables

        with self._lock:
            if self._tables is None:
                cursor = self.connection.cursor()
                try:
                    self._tables = shared_author_tables(cursor)
                finally:
                    cursor.close()
            return self._tables

    def warm(self) -> None:
        """Read every part of the catalog a detail asks about, and the previews folder."""
        self.lookup().warm()
        self.author_tables()
        self.previews.refresh()
        self.warmed.set()

    def read(self, row: ResultRow) -> CachedDetail:
        """The row's detail, its thumbnail (as of the last `previews.refresh`) and, for a character,
        the author's tables. Raises what the catalog raises (duckdb.Error)."""
        if not self.warmed.is_set():
            self.previews.refresh()  # a read before `warm` (the first second) sees the previews too
        detail: EntryDetail = load_detail(self.lookup(), row.prompt, row.kind, row.tag)
        tables = self.author_tables() if detail.character is not None else None
        return CachedDetail(detail, self.previews.thumbnail(row.prompt), tables, self.generation)


def read_ahead_of_results(
    reader: DetailReader, rows: Sequence[ResultRow], cache: DetailCache
) -> dict[str, CachedDetail]:
    """The details the search worker posts with its results: the first rows' that are not cached
    (the first one's always), once the reader is warm; none before (the results then go out at once
    and the detail follows, rather than wait for the catalog's parts to be read)."""
    if not rows or not reader.warmed.is_set():
        return {}
    reader.previews.refresh()
    wanted = [row for row in rows[:READ_WITH_RESULTS] if row is rows[0] or row.key not in cache]
    return {row.key: reader.read(row) for row in wanted}
