"""How many entries a query matches in all: the `M` of a results list that shows `N of M`.

`SearchIndex.search` stops as soon as `limit` entries are found; a list that pages past its first
screenful needs the size of the whole answer without ranking it. `count_matches` counts the
entries `search(query, limit=unlimited)` would list, from the same arrays and tiers, with numpy
masks instead of the ranked, one-by-one collection: the word-start suffix range (exact, whole and
partial words), the words in any order, substrings and abbreviations. The fuzzy tier only runs
when the others find fewer than `FUZZY_ONLY_BELOW` entries, so a count that small is the search's
own length.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING

import numpy as np
import numpy.typing as npt

from kb.search.index import (
    ABBREVIATION_MAX_RANGE,
    ABBREVIATION_MIN_HEAD,
    ABBREVIATION_MIN_TAIL,
    FUZZY_ONLY_BELOW,
    SUBSTRING_MIN_QUERY_LENGTH,
    _ScatteredWords,
)
from kb.search.normalize import loosen, normalize

if TYPE_CHECKING:
    from kb.search.index import SearchIndex

# Past this many the search itself would stop checking candidates one by one (MAX_CHECKS per
# tier); the count says what exists, the list pages until the search runs dry.
_SMALL_ANSWER_LIMIT = 1000


def count_matches(
    index: SearchIndex,
    query: str,
    *,
    kinds: Iterable[str] | None = None,
    tiers: Iterable[str] | None = None,
    min_count: int = 0,
    verified_only: bool = False,
) -> int:
    """Entries matching `query` under the filters (the same keywords as `SearchIndex.search`)."""
    loose = loosen(normalize(query))
    if not loose:
        return 0
    allowed = index._allowed(kinds, min_count, verified_only, tiers)
    entries = len(index.entry_texts)
    found = np.zeros(entries, dtype=np.bool_)
    low, high = index._suffix_range(loose)
    found[index.string_entry[index.suffix_string[low:high]]] = True
    if " " in loose:
        scattered = _ScatteredWords(index, loose)
        _mark_checked(index, found, allowed, scattered.candidates(), scattered.covers)
    if len(loose) >= SUBSTRING_MIN_QUERY_LENGTH:
        _mark_substrings(index, found, allowed, loose)
    if " " not in loose and len(loose) >= ABBREVIATION_MIN_HEAD + ABBREVIATION_MIN_TAIL:
        _mark_abbreviations(index, found, loose)
    if allowed is not None:
        found &= allowed
    total = int(np.count_nonzero(found))
    if total < FUZZY_ONLY_BELOW:
        return len(
            index.search(
                query,
                limit=_SMALL_ANSWER_LIMIT,
                kinds=kinds,
                tiers=tiers,
                min_count=min_count,
                verified_only=verified_only,
            )
        )
    return total


def _mark_checked(
    index: SearchIndex,
    found: npt.NDArray[np.bool_],
    allowed: npt.NDArray[np.bool_] | None,
    string_ids: npt.NDArray[np.int32],
    accept: Callable[[int], bool],
) -> None:
    """Mark the entries of the strings `accept` vouches for; strings of entries already found, or
    filtered out, are not checked (the check is Python, per string)."""
    if not string_ids.size:
        return
    owners = index.string_entry[string_ids]
    open_strings = ~found[owners]
    if allowed is not None:
        open_strings &= allowed[owners]
    for string_id in string_ids[open_strings].tolist():
        entry = int(index.string_entry[string_id])
        if not found[entry] and accept(string_id):
            found[entry] = True


def _mark_substrings(
    index: SearchIndex, found: npt.NDArray[np.bool_], allowed: npt.NDArray[np.bool_] | None, loose: str
) -> None:
    candidates = index._substring_candidates(loose, None)
    if candidates is None:
        return
    looses = index.string_looses
    _mark_checked(index, found, allowed, candidates, lambda string_id: loose in looses[string_id])


def _mark_abbreviations(index: SearchIndex, found: npt.NDArray[np.bool_], loose: str) -> None:
    """`detco` → `detached collar`: the same splits and range limit as the search's tier."""
    for head, tail, low, high in index.abbreviation_heads(loose):
        if high - low > ABBREVIATION_MAX_RANGE:
            continue
        match = re.compile(rf"{re.escape(head)}[^ ]* {re.escape(tail)}").match
        for position, key in enumerate(index.suffix_keys[low:high], start=low):
            if match(key):
                found[int(index.string_entry[int(index.suffix_string[position])])] = True
