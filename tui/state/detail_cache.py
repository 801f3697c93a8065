"""Details of result rows, read ahead of the highlight so the detail pane follows it at once.

The detail of a row costs 10-50 ms of catalog reads (forms, sources, implications, a character's
features), too slow to wait for on every keystroke or cursor move. The explorer keeps the details
it has read (`DetailCache`, newest kept) and reads ahead in one worker: the highlighted row first,
then the rows a cursor reaches next (`prefetch_order`). A highlight whose detail is cached is shown
in the same frame as the results or the cursor; the others arrive one read later.

Pure Python, no Textual: the app calls it from its handlers only (one thread).
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from tui.state.catalog_view import EntryDetail

DETAIL_CACHE_SIZE = 1000  # entries; a detail is a few kB
PREFETCH_AHEAD = 12  # rows below the cursor read ahead (a page is 10 rows)
PREFETCH_BEHIND = 3


@dataclass(frozen=True)
class CachedDetail:
    detail: EntryDetail
    thumbnail: Path | None  # the newest cached preview of the trigger, when there is one
    tables: Any = None  # a character's: the author's tables (ctrl+n / ctrl+o), else None


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
