"""`SearchIndex`: typo-tolerant, popularity-aware search over every searchable catalog string.

A query runs through tiers, best first, and stops as soon as `limit` distinct entries are found:

1. exact       the whole (loosened) string: `ganyu`, `lucy cyberpunk`, `^_^`, alias `mossi`;
2. prefix / word-start  a string, or one of its words onwards, starts with the query: bisect in the
               sorted array of word-start suffixes (`detached col`, `miku`, `yoneyama`); a query
               whose words are not adjacent (`miku hatsune`) takes its rarest word's range and
               checks the other words;
3. substring   inside a word (`pasto`), scanning one text of all strings in popularity order;
4. abbreviation  starts of two consecutive words (`detco` → `detached collar`);
5. fuzzy       strings sharing trigrams with the query are scored with rapidfuzz (`hatsne miku`).

Inside a tier, entries rank by `popularity`: verified AIDXL triggers first, then
ln(1 + post count) + k·ln(1 + uses) (usage capped, and never able to lift an entry out of its tier,
so history never hides an exact match). Fuzzy hits rank by similarity plus a popularity term.
"""

from __future__ import annotations

import math
import re
from bisect import bisect_left, bisect_right
from collections.abc import Callable, Iterable, Mapping
from typing import TYPE_CHECKING

import numpy as np
import numpy.typing as npt
from rapidfuzz import fuzz, process

from kb.schema import TriggerKind
from kb.search.arrays import IndexArrays, pad_for_trigrams, split_blob, trigram_codes_of
from kb.search.filters import KIND_CODES, kind_code
from kb.search.hits import MatchedVia, MatchReason, SearchHit
from kb.search.normalize import loosen, normalize
from kb.search.rows import NO_CATEGORY, StringSource
from kb.tagforms import escape_a1111

if TYPE_CHECKING:
    import duckdb

# Verified AIDXL triggers rank above every unverified candidate of the same tier.
VERIFIED_BONUS = 100.0
# Usage bias k·ln(1 + uses), at most USAGE_CAP (about a 150-fold post count).
USAGE_WEIGHT = 1.0
USAGE_CAP = 5.0
# Scores shown to users (0-100) per tier; fuzzy hits get FUZZY_SCALE × similarity.
TIER_SCORES: dict[MatchReason, float] = {
    MatchReason.EXACT: 100.0,
    MatchReason.PREFIX: 90.0,
    MatchReason.WORD_START: 90.0,
    MatchReason.SUBSTRING: 70.0,
    MatchReason.ABBREVIATION: 65.0,
}
FUZZY_SCALE = 0.6
# Fuzzy: typos only in queries of this many characters or more; similarity floor (rapidfuzz WRatio).
FUZZY_MIN_QUERY_LENGTH = 4
FUZZY_MIN_SIMILARITY = 78.0
# How much one unit of ln(post count) is worth against similarity points among fuzzy hits.
FUZZY_POPULARITY_WEIGHT = 1.5
# Strings scored by rapidfuzz per fuzzy query (best trigram overlap first).
FUZZY_POOL = 400
# Abbreviations: the first part at least 3 characters, the second 2; a first part that starts more
# word-start suffixes than this is skipped (each is checked by a regex).
ABBREVIATION_MIN_HEAD = 3
ABBREVIATION_MIN_TAIL = 2
ABBREVIATION_MAX_RANGE = 3000
# Strings checked one by one (scattered words, substrings) per query at most.
MAX_CHECKS = 4000
SUBSTRING_MIN_QUERY_LENGTH = 3

_VIA_OF_SOURCE: dict[int, MatchedVia] = {
    int(StringSource.TRIGGER): MatchedVia.TRIGGER,
    int(StringSource.TAG): MatchedVia.TAG,
    int(StringSource.CHARACTER): MatchedVia.CHARACTER,
    int(StringSource.ALIAS): MatchedVia.ALIAS,
}

# Reason codes stored in small arrays while a tier is ranked.
REASON_ORDER: tuple[MatchReason, ...] = tuple(MatchReason)
_EXACT, _PREFIX, _WORD_START, _SUBSTRING, _ABBREVIATION, _FUZZY = range(len(REASON_ORDER))

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]


class _Collector:
    """The hits of one query: each entry once, at its best tier, until `limit` entries."""

    def __init__(self, limit: int, allowed: npt.NDArray[np.bool_] | None) -> None:
        self.limit = limit
        self.allowed = allowed
        self.found: list[tuple[int, int, MatchReason, float]] = []  # entry, string, reason, score
        self.seen: set[int] = set()

    @property
    def missing(self) -> int:
        return self.limit - len(self.found)

    def offer(self, entry: int, string_id: int, reason: MatchReason, score: float) -> bool:
        if entry in self.seen or (self.allowed is not None and not self.allowed[entry]):
            return False
        self.seen.add(entry)
        self.found.append((entry, string_id, reason, score))
        return True


class SearchIndex:
    """A loaded index; build it once per catalog and call `search` per keystroke (thread-safe reads)."""

    def __init__(self, arrays: IndexArrays, usage: Mapping[str, int] | None = None) -> None:
        self.arrays = arrays
        self.entry_texts = split_blob(arrays.entry_texts)
        self.entry_tags = split_blob(arrays.entry_tags)
        self.string_normals = split_blob(arrays.string_normals)
        self.string_looses = split_blob(arrays.string_looses)
        self.suffix_keys = split_blob(arrays.suffix_keys)
        self.string_entry = arrays.string_entry
        self.suffix_string = arrays.suffix_string
        self.static_popularity: FloatArray = np.log1p(arrays.entry_count.astype(np.float64))
        self.static_popularity += VERIFIED_BONUS * arrays.entry_verified
        self._filter_masks: dict[tuple[frozenset[str] | None, int, bool], npt.NDArray[np.bool_] | None] = {}
        self.uses: IntArray = np.zeros(len(self.entry_texts), dtype=np.int64)
        self.popularity: FloatArray = self.static_popularity
        self.set_usage(usage or {})

    # ----- construction -------------------------------------------------------------------

    @classmethod
    def build(cls, connection: duckdb.DuckDBPyConnection, usage: Mapping[str, int] | None = None) -> SearchIndex:
        """Build from an open catalog without touching any cache (seconds for the full catalog)."""
        from kb.search.arrays import build_arrays
        from kb.search.rows import read_catalog_rows

        return cls(build_arrays(read_catalog_rows(connection)), usage)

    @classmethod
    def load(
        cls,
        connection: duckdb.DuckDBPyConnection,
        *,
        usage: Mapping[str, int] | None = None,
        use_cache: bool = True,
    ) -> SearchIndex:
        """The index of this catalog: the saved one when its catalog is unchanged, else build and save.

        `usage` defaults to the counts in the user's usage store (kb.usage).
        """
        from kb.search.persist import load_or_build_arrays

        if usage is None:
            from kb.usage import read_usage_counts

            usage = read_usage_counts()
        return cls(load_or_build_arrays(connection, use_cache=use_cache), usage)

    def set_usage(self, usage: Mapping[str, int]) -> None:
        """Apply usage counts keyed by any form of the trigger text (see kb.usage); replaces earlier ones."""
        uses = np.zeros(len(self.entry_texts), dtype=np.int64)
        for text, count in usage.items():
            entry = self.entry_of(text)
            if entry is not None:
                uses[entry] += count
        bias = np.minimum(USAGE_WEIGHT * np.log1p(uses.astype(np.float64)), USAGE_CAP)
        self.uses = uses
        self.popularity = self.static_popularity + bias

    def entry_of(self, text: str) -> int | None:
        """The entry whose trigger text or tag is exactly `text` (any pasted form), else None."""
        normal = normalize(text)
        loose = loosen(normal)
        low = bisect_left(self.suffix_keys, loose)
        high = bisect_right(self.suffix_keys, loose, low)
        best: int | None = None
        for position in range(low, high):
            string_id = int(self.suffix_string[position])
            if self.arrays.suffix_offset[position] != 0:
                continue
            if self.arrays.string_source[string_id] in (StringSource.TRIGGER, StringSource.TAG):
                entry = int(self.string_entry[string_id])
                if self.string_normals[string_id] == normal:
                    return entry
                best = entry if best is None else best
        return best

    # ----- search ------------------------------------------------------------------------------

    def search(
        self,
        query: str,
        *,
        limit: int = 20,
        score_cutoff: float = 0.0,
        kinds: Iterable[str] | None = None,
        min_count: int = 0,
        verified_only: bool = False,
    ) -> list[SearchHit]:
        """The best entries for `query`, best first (see the module docstring for the ranking)."""
        normal = normalize(query)
        loose = loosen(normal)
        if not loose or limit <= 0:
            return []
        allowed = self._allowed(kinds, min_count, verified_only)
        collector = _Collector(limit, allowed)
        self._exact_and_word_start(loose, collector)
        if collector.missing > 0 and " " in loose:
            self._scattered_words(loose, collector)
        if collector.missing > 0 and len(loose) >= SUBSTRING_MIN_QUERY_LENGTH:
            self._substrings(loose, collector)
        if collector.missing > 0 and " " not in loose and len(loose) >= ABBREVIATION_MIN_HEAD + ABBREVIATION_MIN_TAIL:
            self._abbreviations(loose, collector)
        if collector.missing > 0 and len(loose) >= FUZZY_MIN_QUERY_LENGTH:
            self._fuzzy(loose, collector)
        hits = [self._hit(entry, string_id, reason, score) for entry, string_id, reason, score in collector.found]
        return [hit for hit in hits if hit.score >= score_cutoff]

    def _allowed(
        self, kinds: Iterable[str] | None, min_count: int, verified_only: bool
    ) -> npt.NDArray[np.bool_] | None:
        kind_set = frozenset(str(kind) for kind in kinds) if kinds is not None else None
        key = (kind_set, min_count, verified_only)
        if key in self._filter_masks:
            return self._filter_masks[key]
        mask: npt.NDArray[np.bool_] | None = None
        arrays = self.arrays
        if kind_set is not None:
            codes = [kind_code(kind) for kind in kind_set if kind in KIND_CODES]
            mask = np.isin(arrays.entry_kind, np.array(codes, dtype=np.int8))
        if min_count > 0:
            over = arrays.entry_count >= min_count
            mask = over if mask is None else mask & over
        if verified_only:
            mask = arrays.entry_verified if mask is None else mask & arrays.entry_verified
        self._filter_masks[key] = mask
        return mask

    def _ranked(self, string_ids: npt.NDArray[np.int32], wanted: int) -> npt.NDArray[np.intp]:
        """Positions into `string_ids`, most popular entry first, enough for `wanted` entries if possible."""
        popularity = self.popularity[self.string_entry[string_ids]]
        # Prefer the entry's own name over its aliases when both match (ties broken by source).
        sort_key = popularity * 8 - self.arrays.string_source[string_ids]
        take = min(string_ids.size, max(4 * wanted + 8, 32))
        if take < string_ids.size:
            top = np.argpartition(-sort_key, take - 1)[:take]
            return top[np.argsort(-sort_key[top], kind="stable")]
        return np.argsort(-sort_key, kind="stable")

    def _offer_ranked(
        self,
        string_ids: npt.NDArray[np.int32],
        reasons: npt.NDArray[np.int8],
        collector: _Collector,
        accept: Callable[[int], bool] | None = None,
    ) -> None:
        """Offer strings (repeats allowed) best first until the collector is full.

        `reasons` holds an index into REASON_ORDER per string; `accept` checks a string that the
        arrays alone cannot vouch for (scattered words, substrings) and is called lazily.
        """
        if collector.allowed is not None and string_ids.size:
            keep = collector.allowed[self.string_entry[string_ids]]
            string_ids, reasons = string_ids[keep], reasons[keep]
        checked = 0
        while collector.missing > 0 and string_ids.size and checked < MAX_CHECKS:
            order = self._ranked(string_ids, collector.missing)
            for position in order.tolist():
                string_id = int(string_ids[position])
                entry = int(self.string_entry[string_id])
                if entry in collector.seen:
                    continue
                if accept is not None:
                    checked += 1
                    if not accept(string_id):
                        continue
                reason = REASON_ORDER[int(reasons[position])]
                collector.offer(entry, string_id, reason, TIER_SCORES[reason])
                if collector.missing <= 0:
                    return
            if order.size >= string_ids.size:
                return
            # Many strings of the same entries, or rejected ones: go on with the rest.
            rest = np.ones(string_ids.size, dtype=np.bool_)
            rest[order] = False
            string_ids, reasons = string_ids[rest], reasons[rest]

    def _suffix_range(self, prefix: str) -> tuple[int, int]:
        low = bisect_left(self.suffix_keys, prefix)
        # Every key starting with `prefix` sorts below prefix + the largest code point.
        high = bisect_left(self.suffix_keys, prefix + "\U0010ffff", low)
        return low, high

    def _exact_and_word_start(self, loose: str, collector: _Collector) -> None:
        low, high = self._suffix_range(loose)
        if low == high:
            return
        equal_end = bisect_right(self.suffix_keys, loose, low, high)
        offsets = self.arrays.suffix_offset
        exact_ids = self.suffix_string[low:equal_end][offsets[low:equal_end] == 0]
        self._offer_ranked(exact_ids, np.full(exact_ids.size, _EXACT, dtype=np.int8), collector)
        if collector.missing <= 0:
            return
        # Repeats are fine: the first (best ranked) occurrence of an entry wins.
        reasons = np.where(offsets[low:high] == 0, _PREFIX, _WORD_START).astype(np.int8)
        self._offer_ranked(self.suffix_string[low:high], reasons, collector)

    def _scattered_words(self, loose: str, collector: _Collector) -> None:
        """Every query word starts a word of the string, in any order: `miku hatsune`."""
        query_words = [word for word in loose.split(" ") if word]
        ranges = [self._suffix_range(word) for word in query_words]
        low, high = min(ranges, key=lambda bounds: bounds[1] - bounds[0])

        def has_every_word(string_id: int) -> bool:
            string_words = self.string_looses[string_id].split(" ")
            return all(any(word.startswith(query_word) for word in string_words) for query_word in query_words)

        string_ids = self.suffix_string[low:high]
        self._offer_ranked(string_ids, np.full(string_ids.size, _WORD_START, dtype=np.int8), collector, has_every_word)

    def _posting(self, code: int) -> npt.NDArray[np.int32] | None:
        arrays = self.arrays
        slot = int(np.searchsorted(arrays.trigram_codes, code))
        if slot >= arrays.trigram_codes.size or int(arrays.trigram_codes[slot]) != code:
            return None
        return arrays.trigram_strings[arrays.trigram_starts[slot] : arrays.trigram_starts[slot + 1]]

    def _substrings(self, loose: str, collector: _Collector) -> None:
        """The query inside a string: candidates from the query's rarest trigram, checked lazily."""
        smallest: npt.NDArray[np.int32] | None = None
        for code in set(trigram_codes_of(loose)):
            posting = self._posting(code)
            if posting is None:
                return
            if smallest is None or posting.size < smallest.size:
                smallest = posting
        if smallest is None:
            return

        def contains(string_id: int) -> bool:
            return loose in self.string_looses[string_id]

        reasons = np.full(smallest.size, _SUBSTRING, dtype=np.int8)
        self._offer_ranked(smallest, reasons, collector, contains)

    def _abbreviations(self, loose: str, collector: _Collector) -> None:
        """`detco` → `detached collar`: the query splits into starts of two consecutive words."""
        matched: list[int] = []
        for split in range(ABBREVIATION_MIN_HEAD, len(loose) - ABBREVIATION_MIN_TAIL + 1):
            head, tail = loose[:split], loose[split:]
            low, high = self._suffix_range(head)
            if high - low > ABBREVIATION_MAX_RANGE or low == high:
                continue
            pattern = re.compile(rf"{re.escape(head)}[^ ]* {re.escape(tail)}")
            match = pattern.match
            matched.extend(
                int(self.suffix_string[position])
                for position, key in enumerate(self.suffix_keys[low:high], start=low)
                if match(key)
            )
        if matched:
            string_ids = np.array(matched, dtype=np.int32)
            self._offer_ranked(string_ids, np.full(string_ids.size, _ABBREVIATION, dtype=np.int8), collector)

    def _fuzzy(self, loose: str, collector: _Collector) -> None:
        arrays = self.arrays
        codes = np.unique(np.array(trigram_codes_of(pad_for_trigrams(loose)), dtype=np.int64))
        slots = np.searchsorted(arrays.trigram_codes, codes)
        inside = slots < arrays.trigram_codes.size
        slots, codes = slots[inside], codes[inside]
        slots = slots[arrays.trigram_codes[slots] == codes]
        if slots.size == 0:
            return
        postings = [arrays.trigram_strings[arrays.trigram_starts[slot] : arrays.trigram_starts[slot + 1]] for slot in slots]
        shared = np.bincount(np.concatenate(postings), minlength=len(self.string_looses))
        most = int(shared.max())
        # Each typing error breaks at most three trigrams; keep strings close to the best overlap.
        floor = max(1, min(most, codes.size - 6), most - 3)
        candidate_ids = np.flatnonzero(shared >= floor).astype(np.int32)
        if collector.allowed is not None:
            candidate_ids = candidate_ids[collector.allowed[self.string_entry[candidate_ids]]]
        if candidate_ids.size > FUZZY_POOL:
            pool_key = shared[candidate_ids] * 16.0 + self.popularity[self.string_entry[candidate_ids]] % VERIFIED_BONUS
            top = np.argpartition(-pool_key, FUZZY_POOL - 1)[:FUZZY_POOL]
            candidate_ids = candidate_ids[top]
        choices = [self.string_looses[string_id] for string_id in candidate_ids.tolist()]
        scored = process.extract(
            loose, choices, scorer=fuzz.WRatio, processor=None, limit=None, score_cutoff=FUZZY_MIN_SIMILARITY
        )
        ranked: list[tuple[float, float, int]] = []
        for _, similarity, choice_index in scored:
            string_id = int(candidate_ids[choice_index])
            entry = int(self.string_entry[string_id])
            popularity = float(self.popularity[entry]) % VERIFIED_BONUS
            ranked.append((similarity + FUZZY_POPULARITY_WEIGHT * popularity, float(similarity), string_id))
        ranked.sort(key=lambda item: (-item[0], item[2]))
        for _, similarity, string_id in ranked:
            collector.offer(int(self.string_entry[string_id]), string_id, MatchReason.FUZZY, FUZZY_SCALE * similarity)
            if collector.missing <= 0:
                return

    # ----- results -----------------------------------------------------------------------------

    def _hit(self, entry: int, string_id: int, reason: MatchReason, score: float) -> SearchHit:
        arrays = self.arrays
        text = self.entry_texts[entry]
        category = int(arrays.entry_category[entry])
        return SearchHit(
            prompt=escape_a1111(text),
            text=text,
            tag=self.entry_tags[entry] or None,
            kind=KIND_CODES[int(arrays.entry_kind[entry])],
            category=None if category == NO_CATEGORY else category,
            count=int(arrays.entry_count[entry]),
            verified=bool(arrays.entry_verified[entry]),
            match=reason,
            via=_VIA_OF_SOURCE[int(arrays.string_source[string_id])],
            matched=self.string_normals[string_id],
            score=score,
            uses=int(self.uses[entry]),
        )

    def __len__(self) -> int:
        return len(self.string_normals)


def character_kinds() -> frozenset[str]:
    return frozenset({str(TriggerKind.CHARACTER)})


def popularity_of(count: int, uses: int = 0, verified: bool = False) -> float:
    """The within-tier ranking key of an entry (documented formula, used by tests and docs)."""
    bias = min(USAGE_WEIGHT * math.log1p(uses), USAGE_CAP)
    return VERIFIED_BONUS * verified + math.log1p(count) + bias
