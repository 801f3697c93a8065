"""`SearchIndex`: typo-tolerant, popularity-aware search over every searchable catalog string.

A query runs through tiers, best first, and stops as soon as `limit` distinct entries are found
(see `Tier` and docs/search.md):

1. exact       the whole (loosened) trigger text, tag name or alias: `hat`, `lucy cyberpunk`, `mossi`;
2. whole words a character's bare name (`ganyu`) or whole words of a string (`miku`, `yoneyama`);
   any order   (several query words) every query word a whole word of the string, in any order:
               a character's name and its qualifier (`rem re zero` → `rem (re:zero)`, `genshin ganyu`);
3. partial     a prefix / word-start ending inside a word (`detached col`), or every query word
               starting some word in any order (`miku hatsune`);
               tiers 1-3 come from one bisect in the sorted array of word-start suffixes (one per
               query word for the any-order matches);
4. substring   inside a word (`mpast`): the rarest trigrams' posting lists, then checked;
5. abbreviation  starts of two consecutive words (`detco` → `detached collar`);
6. fuzzy       strings sharing trigrams (or, for a short word, a word one edit away) scored with
               rapidfuzz's optimal-string-alignment distance (`hatsne miku`, `gnayu`).

Inside a tier, entries rank by `popularity`: trigger tier first (verified, then the author's
vocabulary, then plain Danbooru tags), then ln(1 + post count) + k·ln(1 + uses) (usage capped, and
never able to lift an entry out of its tier, so history never hides an exact match). Fuzzy hits
rank by edits against post count and usage; the tier breaks their ties.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Mapping
from typing import TYPE_CHECKING

import numpy as np
import numpy.typing as npt
from rapidfuzz import process
from rapidfuzz.distance import OSA

from kb.knowledge.tagforms import escape_a1111
from kb.schema import TriggerKind, TriggerTier
from kb.search.arrays import (
    LONG_WORD,
    IndexArrays,
    PackedStrings,
    encoded,
    pad_for_trigrams,
    trigram_codes_of,
    word_key,
)
from kb.search.filters import KIND_CODES, kind_code
from kb.search.hits import MatchedVia, MatchReason, SearchHit
from kb.search.normalize import loosen, normalize, word_starts
from kb.search.rows import NO_CATEGORY, TIER_ORDER, VERIFIED_TIER_CODE, StringSource, tier_code

if TYPE_CHECKING:
    import duckdb

# Each trigger tier above another (TIER_ORDER: verified, author, danbooru) adds this much to the
# popularity, more than any post count and usage can: inside a match tier, a verified trigger ranks
# above every author-vocabulary one, and that above every plain Danbooru tag.
TIER_STEP = 100.0
# The author's vocabulary lists artists and characters only. Entries of other kinds (general tags,
# copyrights, meta) cannot reach the author tier, so when the catalog holds that vocabulary (some
# entry is of the author tier) a Danbooru one ranks as if it were there: `long` finds long hair
# (4M posts) before an author character whose name holds `long`, and `school uni` school uniform
# before `hoshimachi suisei (school uniform)`. Without the vocabulary nothing tells a Danbooru
# character from a general tag, and none is moved. Hits report the true tier.
AUTHOR_VOCABULARY_KINDS: frozenset[str] = frozenset({TriggerKind.ARTIST_STYLE, TriggerKind.CHARACTER})
# Usage bias k·ln(1 + uses), at most USAGE_CAP (about a 150-fold post count).
USAGE_WEIGHT = 1.0
USAGE_CAP = 5.0


# Scores shown to users (0-100): one per tier, best tier first; fuzzy hits get FUZZY_SCALE × similarity.
class Tier:
    EXACT = 100.0  # the whole trigger text, tag name or alias
    WHOLE_WORDS = 95.0  # a character's bare name (`hatsune` → hatsune (princess connect!)) or whole
    #                     words of a string (`miku` → hatsune miku): ranked together by popularity
    ANY_ORDER_WORDS = 93.0  # every query word a whole word of the string, in any order: a name and
    #                         its qualifier (`rem re zero` → rem (re:zero), `genshin ganyu`)
    PARTIAL_WORDS = 90.0  # prefix / word-start ending inside a word (`rem` → remilia scarlet)
    SUBSTRING = 70.0
    ABBREVIATION = 65.0


FUZZY_SCALE = 0.6
# Fuzzy: typos only in queries of this many characters or more; 1 edit under 6 characters,
# 2 under 12, else 3. A match of part of a string costs a quarter edit more than a whole match,
# three quarters when the part ends inside a word.
FUZZY_MIN_QUERY_LENGTH = 4
FUZZY_PARTIAL_PENALTY = 0.25
FUZZY_MID_WORD_PENALTY = 0.75
# Among fuzzy hits: rank key = popularity weight × ln(1 + count) − edit weight × edits, so one edit
# is worth a factor of about e^(8/1.5) ≈ 200 in post count.
FUZZY_POPULARITY_WEIGHT = 1.5
FUZZY_EDIT_WEIGHT = 8.0
# Strings scored by rapidfuzz per fuzzy query (best trigram overlap first).
FUZZY_POOL = 150
# Candidates share all the query's trigrams but this many (or lie within 3 of the best overlap).
FUZZY_MISSING_TRIGRAMS = 6
# Single words up to this long also look up their one-edit neighbours as whole words.
NEIGHBOUR_MAX_LENGTH = 7
NEIGHBOUR_LETTERS = "abcdefghijklmnopqrstuvwxyz"
NEIGHBOUR_BONUS = 64
NEIGHBOUR_MAX_RANGE = 2000
# Abbreviations: the first part at least 3 characters, the second 2; a first part that starts more
# word-start suffixes than this is skipped (each is checked by a regex).
ABBREVIATION_MIN_HEAD = 3
ABBREVIATION_MIN_TAIL = 2
ABBREVIATION_MAX_RANGE = 3000
# Strings checked one by one (scattered words, substrings) per query at most.
MAX_CHECKS = 4000
SUBSTRING_MIN_QUERY_LENGTH = 3
# Posting lists intersected before substring candidates are checked one by one.
SUBSTRING_INTERSECTED = 3
# Typos are looked for only while the better tiers found fewer hits than this: a query that
# matches as typed needs no guessing (and the guessing is the slowest tier).
FUZZY_ONLY_BELOW = 5

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

# Filter masks are cached per (kinds, min_count, verified_only, tiers).
_FilterKey = tuple[frozenset[str] | None, int, bool, frozenset[str] | None]
_TIER_NAMES = frozenset(str(tier) for tier in TriggerTier)
# Characters that may follow a whole word in a loose key (lower case): space to `/`, `:` to `` ` ``,
# `{` and up; as (first, first after) pairs for bisecting the sorted suffixes.
_LAST_CHARACTER = "\U0010ffff"
_NON_WORD_RANGES: tuple[tuple[str, str], ...] = ((" ", "0"), (":", "a"), ("{", _LAST_CHARACTER))


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


class _ScatteredWords:
    """The words of a query of several words, matched anywhere in a string, in any order.

    A string *covers* the query when every query word starts a word of it (`miku hatsune`); it
    covers it *with whole words* when, besides, each query word fills a whole word of its own
    (`rem re zero` and `rem (re:zero)`: a character's name and its qualifier; not `by zeroyon`,
    found by its tag `zeroyon (yukkuri remirya)` where `rem` and `re` both start `remirya`).
    Words start where the index's word-start suffixes do (after any character that is not a
    letter or digit: `re:zero` holds `re` and `zero`).
    """

    def __init__(self, index: SearchIndex, loose: str) -> None:
        self.index = index
        self.words = [word for word in loose.split(" ") if word]
        # Longest first: a greedy placement of whole words then rarely misses one that exists.
        self._by_length = sorted(self.words, key=len, reverse=True)
        self._candidates: npt.NDArray[np.int32] | None = None
        self._cover: dict[int, int] = {}  # string id -> 0 none, 1 covers, 2 covers with whole words

    def whole_candidates(self) -> npt.NDArray[np.int32]:
        """Strings holding every query word as a whole word; only where the words sit (apart, not
        overlapping) is left to check."""
        index = self.index
        per_word: list[npt.NDArray[np.int32]] = []
        for word, times in Counter(self.words).items():
            ranges = index._whole_word_ranges(word)
            ids = np.concatenate([index.suffix_string[start:stop] for start, stop in ranges])
            if times > 1 and ids.size:
                # A word typed twice must be there twice (`no no`): count its places per string.
                ids = np.flatnonzero(np.bincount(ids) >= times).astype(np.int32)
            per_word.append(ids)
        per_word.sort(key=len)
        # Repeats are fine (a string is checked once, see _cover_of); np.unique would import numpy.ma.
        string_ids = per_word[0]
        for ids in per_word[1:]:
            if not string_ids.size:
                break
            string_ids = string_ids[np.isin(string_ids, ids, kind="table")]
        return string_ids.astype(np.int32)

    def candidates(self) -> npt.NDArray[np.int32]:
        """Strings holding a word start of the two rarest query words (a superset of the covers)."""
        if self._candidates is None:
            index = self.index
            ranges = sorted((index._suffix_range(word) for word in self.words), key=lambda b: b[1] - b[0])
            string_ids = index.suffix_string[ranges[0][0] : ranges[0][1]]
            # Narrow with the second rarest word's strings before checking each candidate in Python.
            if len(ranges) > 1 and string_ids.size:
                second = index.suffix_string[ranges[1][0] : ranges[1][1]]
                string_ids = string_ids[np.isin(string_ids, second, kind="table")]
            self._candidates = string_ids
        return self._candidates

    def covers(self, string_id: int) -> bool:
        return self._cover_of(string_id) >= 1

    def whole(self, string_id: int) -> bool:
        return self._cover_of(string_id) == 2

    def _cover_of(self, string_id: int) -> int:
        known = self._cover.get(string_id)
        if known is not None:
            return known
        loose = self.index.string_looses[string_id]
        starts = word_starts(loose)
        cover = 2
        for word in self.words:
            if not any(loose.startswith(word, start) for start in starts):
                cover = 0
                break
        if cover:
            taken: list[tuple[int, int]] = []
            for word in self._by_length:
                span = next(
                    (
                        (start, start + len(word))
                        for start in starts
                        if loose.startswith(word, start)
                        and _ends_a_word(loose, start + len(word))
                        and all(start >= end or start + len(word) <= begin for begin, end in taken)
                    ),
                    None,
                )
                if span is None:
                    cover = 1
                    break
                taken.append(span)
        self._cover[string_id] = cover
        return cover


def _ends_a_word(text: str, position: int) -> bool:
    return position >= len(text) or not ("a" <= text[position] <= "z" or "0" <= text[position] <= "9")


class SearchIndex:
    """A loaded index; build it once per catalog and call `search` per keystroke (thread-safe reads)."""

    def __init__(self, arrays: IndexArrays, usage: Mapping[str, int] | None = None) -> None:
        self.entry_texts = PackedStrings(arrays.entry_texts, arrays.entry_text_starts)
        self.entry_tags = PackedStrings(arrays.entry_tags, arrays.entry_tag_starts)
        self.string_normals = PackedStrings(arrays.string_normals, arrays.string_normal_starts)
        self.string_looses = PackedStrings(arrays.string_looses, arrays.string_loose_starts)
        # Searched in place (PackedStrings.bisect_left): nothing is split when the index loads. A
        # suffix is the end of its loose string, read from that string's bytes.
        self.suffix_keys = PackedStrings(
            arrays.string_looses, arrays.suffix_key_starts, arrays.suffix_string, arrays.string_loose_starts
        )
        self.arrays = arrays
        self.string_entry = arrays.string_entry
        self.suffix_string = arrays.suffix_string
        # Word-start suffixes grouped by string (CSR): fuzzy matching compares the query with each.
        self._suffixes_by_string = arrays.suffixes_by_string
        self._suffix_starts = arrays.suffix_starts_by_string
        # Post-count popularity, and each entry's ranking tier (a position in TIER_ORDER, int8 to
        # keep the index small; its step above the post counts is TIER_STEP).
        self.post_popularity: FloatArray = np.log1p(arrays.entry_count.astype(np.float64))
        self.ranking_tiers = ranking_tier_codes(arrays.entry_tier, arrays.entry_kind)
        self._filter_masks: dict[_FilterKey, npt.NDArray[np.bool_] | None] = {}
        self.uses: IntArray = np.zeros(len(self.entry_texts), dtype=np.int64)
        # usage_popularity: post count and usage, no tier (fuzzy ranking); popularity: with the tier.
        self.usage_popularity: FloatArray = self.post_popularity
        self.popularity: FloatArray = self.post_popularity
        self.set_usage(usage or {})

    # ----- construction -------------------------------------------------------------------

    @classmethod
    def build(
        cls, connection: duckdb.DuckDBPyConnection, usage: Mapping[str, int] | None = None
    ) -> SearchIndex:
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
        on_stage: Callable[[str], None] | None = None,
    ) -> SearchIndex:
        """The index of this catalog: the saved one when its catalog is unchanged, else build and save.

        `usage` defaults to the counts in the user's usage store (kb.usage). A build calls
        `on_stage(label)` as each of kb.search.persist.INDEX_BUILD_STAGES starts.
        """
        from kb.search.persist import load_or_build_arrays

        if usage is None:
            from kb.usage import read_usage_counts

            usage = read_usage_counts()
        return cls(load_or_build_arrays(connection, use_cache=use_cache, on_stage=on_stage), usage)

    def set_usage(self, usage: Mapping[str, int]) -> None:
        """Apply usage counts keyed by any form of the trigger text (see kb.usage); replaces earlier ones."""
        uses = np.zeros(len(self.entry_texts), dtype=np.int64)
        for text, count in usage.items():
            entry = self.entry_of(text)
            if entry is not None:
                uses[entry] += count
        self.uses = uses
        if uses.any():
            bias = np.minimum(USAGE_WEIGHT * np.log1p(uses.astype(np.float64)), USAGE_CAP)
            self.usage_popularity = self.post_popularity + bias
        else:
            self.usage_popularity = self.post_popularity  # shared: no usage adds nothing
        self.popularity = self.tier_bonuses() + self.usage_popularity
        self._suffix_keys_cache: FloatArray | None = None  # see _suffix_sort_keys

    def tier_bonuses(self) -> FloatArray:
        """Per entry, TIER_STEP for each tier step it ranks above `danbooru` (see `ranking_tier`)."""
        return TIER_STEP * (len(TIER_ORDER) - 1 - self.ranking_tiers.astype(np.float64))

    def entry_of(self, text: str) -> int | None:
        """The entry whose trigger text or tag is exactly `text` (any pasted form), else None."""
        normal = normalize(text)
        loose = loosen(normal)
        low = self.suffix_keys.bisect_left(loose)
        high = self.suffix_keys.bisect_right(loose, low)
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
        tiers: Iterable[str] | None = None,
    ) -> list[SearchHit]:
        """The best entries for `query`, best first (see the module docstring for the ranking).

        Filters: `kinds` (TriggerKind values), `min_count` (post count), `verified_only`, `tiers`
        (TriggerTier values: the entry's best tier must be one of them); None means any.
        """
        normal = normalize(query)
        loose = loosen(normal)
        if not loose or limit <= 0:
            return []
        allowed = self._allowed(kinds, min_count, verified_only, tiers)
        collector = _Collector(limit, allowed)
        scattered = _ScatteredWords(self, loose) if " " in loose else None
        self._exact_and_word_start(loose, collector, scattered)
        if collector.missing > 0 and scattered is not None:
            self._scattered_words(scattered, collector)
        if collector.missing > 0 and len(loose) >= SUBSTRING_MIN_QUERY_LENGTH:
            self._substrings(loose, collector)
        if (
            collector.missing > 0
            and " " not in loose
            and len(loose) >= ABBREVIATION_MIN_HEAD + ABBREVIATION_MIN_TAIL
        ):
            self._abbreviations(loose, collector)
        if len(collector.found) < min(limit, FUZZY_ONLY_BELOW) and len(loose) >= FUZZY_MIN_QUERY_LENGTH:
            self._fuzzy(loose, collector)
        hits = [
            self._hit(entry, string_id, reason, score) for entry, string_id, reason, score in collector.found
        ]
        return [hit for hit in hits if hit.score >= score_cutoff]

    def _allowed(
        self,
        kinds: Iterable[str] | None,
        min_count: int,
        verified_only: bool,
        tiers: Iterable[str] | None = None,
    ) -> npt.NDArray[np.bool_] | None:
        kind_set = frozenset(str(kind) for kind in kinds) if kinds is not None else None
        tier_set = frozenset(str(tier) for tier in tiers) if tiers is not None else None
        key = (kind_set, min_count, verified_only, tier_set)
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
            verified = arrays.entry_tier == VERIFIED_TIER_CODE
            mask = verified if mask is None else mask & verified
        if tier_set is not None:
            # Unknown names match nothing (parse_tiers rejects them before a search from the CLI).
            codes = [TIER_ORDER.index(TriggerTier(tier)) for tier in tier_set if tier in _TIER_NAMES]
            in_tiers = np.isin(arrays.entry_tier, np.array(codes, dtype=np.int8))
            mask = in_tiers if mask is None else mask & in_tiers
        self._filter_masks[key] = mask
        return mask

    def _sort_keys(self, string_ids: npt.NDArray[np.int32]) -> FloatArray:
        """Each string's ranking key: its entry's popularity, and its own name before its aliases
        when both match (ties broken by source)."""
        popularity = self.popularity[self.string_entry[string_ids]]
        return popularity * 8 - self.arrays.string_source[string_ids]

    def _suffix_sort_keys(self, low: int, high: int) -> FloatArray:
        """`_sort_keys` of the strings of sorted suffixes low..high-1, read from one array built on
        first use (per usage): a one-letter prefix ranges over a tenth of the suffixes, and looking
        each one's entry up then cost most of a query at scale."""
        keys = self._suffix_keys_cache
        if keys is None:
            # Strings are in entry order, so each string's key is read almost in sequence; then one
            # scattered read per suffix.
            string_keys = self.popularity[self.string_entry] * 8 - self.arrays.string_source
            keys = self._suffix_keys_cache = string_keys[self.suffix_string]
        return keys[low:high]

    def _ranked(
        self, string_ids: npt.NDArray[np.int32], wanted: int, sort_key: FloatArray | None = None
    ) -> npt.NDArray[np.intp]:
        """Positions into `string_ids`, most popular entry first, enough for `wanted` entries if possible
        (`sort_key`: their `_sort_keys` when known)."""
        if sort_key is None:
            sort_key = self._sort_keys(string_ids)
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
        score: float,
        accept: Callable[[int], bool] | None = None,
        sort_keys: FloatArray | None = None,
    ) -> None:
        """Offer strings (repeats allowed) best first until the collector is full.

        `reasons` holds an index into REASON_ORDER per string; `accept` checks a string that the
        arrays alone cannot vouch for (scattered words, substrings) and is called lazily.
        """
        if collector.allowed is not None and string_ids.size:
            keep = collector.allowed[self.string_entry[string_ids]]
            string_ids, reasons = string_ids[keep], reasons[keep]
            sort_keys = None if sort_keys is None else sort_keys[keep]
        if sort_keys is None:
            sort_keys = self._sort_keys(string_ids)
        checked = 0
        wanted = collector.missing
        while collector.missing > 0 and string_ids.size and checked < MAX_CHECKS:
            order = self._ranked(string_ids, wanted, sort_keys)
            # Each round ranks a larger share of what is left: a range of millions of strings that
            # are mostly rejected takes a few rounds, not one per handful (quadratic at scale).
            wanted *= 4
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
                collector.offer(entry, string_id, reason, score)
                if collector.missing <= 0:
                    return
            if order.size >= string_ids.size:
                return
            # Many strings of the same entries, or rejected ones: go on with the rest.
            rest = np.ones(string_ids.size, dtype=np.bool_)
            rest[order] = False
            string_ids, reasons, sort_keys = string_ids[rest], reasons[rest], sort_keys[rest]

    def _suffix_range(self, prefix: str) -> tuple[int, int]:
        low = self.suffix_keys.bisect_left(prefix)
        # Every key starting with `prefix` sorts below prefix + the largest code point.
        high = self.suffix_keys.bisect_left(prefix + "\U0010ffff", low)
        return low, high

    def _exact_and_word_start(
        self, loose: str, collector: _Collector, scattered: _ScatteredWords | None
    ) -> None:
        """Tiers 1-3 from one range of the sorted word-start suffixes (see `Tier`); for a query of
        several words, its whole words in any order come between tiers 2 and 3 (`scattered`)."""
        low, high = self._suffix_range(loose)
        if low == high and scattered is None:
            return
        keys = self.suffix_keys
        equal_end = keys.bisect_right(loose, low, high)
        offsets = self.arrays.suffix_offset
        sources = self.arrays.string_source
        equal_ids = self.suffix_string[low:equal_end]
        whole_ids = equal_ids[offsets[low:equal_end] == 0]
        bare_name = sources[whole_ids] == StringSource.CHARACTER
        exact_ids = whole_ids[~bare_name]
        self._offer_ranked(exact_ids, np.full(exact_ids.size, _EXACT, dtype=np.int8), collector, Tier.EXACT)
        if collector.missing <= 0:
            return
        # Keys continuing after the query with a character that is not a letter or digit: the query
        # is whole words of the string (`rem re` in `rem re:zero`). Loose keys are lower case, so
        # three ranges hold them: space to `/`, `:` to `` ` ``, and `{` up (every non-ASCII character).
        whole_ranges = self._whole_word_ranges(loose, (low, equal_end, high))
        whole_positions = np.concatenate([np.arange(start, stop) for start, stop in whole_ranges])
        word_ids = self.suffix_string[whole_positions]
        word_reasons = np.where(offsets[whole_positions] == 0, _PREFIX, _WORD_START).astype(np.int8)
        bare_ids = whole_ids[bare_name]
        self._offer_ranked(
            np.concatenate((bare_ids, word_ids)),
            np.concatenate((np.full(bare_ids.size, _EXACT, dtype=np.int8), word_reasons)),
            collector,
            Tier.WHOLE_WORDS,
        )
        if collector.missing <= 0:
            return
        if scattered is not None:
            # Every query word a whole word of the string, in any order (`rem re zero`), checked
            # one by one in popularity order: only as many as the ranking reaches.
            candidates = scattered.whole_candidates()
            reasons = np.full(candidates.size, _WORD_START, dtype=np.int8)
            self._offer_ranked(candidates, reasons, collector, Tier.ANY_ORDER_WORDS, scattered.whole)
            if collector.missing <= 0:
                return
        if low == high:
            return
        # Repeats are fine: the first (best ranked) occurrence of an entry wins.
        partial = np.ones(high - low, dtype=np.bool_)
        for start, stop in whole_ranges:
            partial[start - low : stop - low] = False
        partial_ids = self.suffix_string[low:high][partial]
        reasons = np.where(offsets[low:high][partial] == 0, _PREFIX, _WORD_START).astype(np.int8)
        partial_keys = self._suffix_sort_keys(low, high)[partial]
        self._offer_ranked(partial_ids, reasons, collector, Tier.PARTIAL_WORDS, sort_keys=partial_keys)

    def _whole_word_ranges(
        self, words: str, bounds: tuple[int, int, int] | None = None
    ) -> list[tuple[int, int]]:
        """Ranges of the sorted suffixes where `words` ends a key or is followed by a character that
        is not a letter or digit: the strings holding `words` as whole words. `bounds` = (the
        prefix range's low, the end of its keys equal to `words`, its high) when known."""
        keys = self.suffix_keys
        if bounds is None:
            low, high = self._suffix_range(words)
            bounds = (low, keys.bisect_right(words, low, high), high)
        low, equal_end, high = bounds
        ranges = [(low, equal_end)]
        start = equal_end
        for first, after in _NON_WORD_RANGES:
            # The ranges follow each other in key order: each bisect starts where the last ended.
            start = keys.bisect_left(words + first, start, high)
            stop = high if after == _LAST_CHARACTER else keys.bisect_left(words + after, start, high)
            ranges.append((start, stop))
            start = stop
        return ranges

    def _scattered_words(self, scattered: _ScatteredWords, collector: _Collector) -> None:
        """Every query word starts a word of the string, in any order: `miku hatsune`."""
        candidates = scattered.candidates()
        reasons = np.full(candidates.size, _WORD_START, dtype=np.int8)
        self._offer_ranked(candidates, reasons, collector, Tier.PARTIAL_WORDS, scattered.covers)

    def _posting(self, code: int) -> npt.NDArray[np.int32] | None:
        arrays = self.arrays
        slot = int(np.searchsorted(arrays.trigram_codes, code))
        if slot >= arrays.trigram_codes.size or int(arrays.trigram_codes[slot]) != code:
            return None
        return arrays.trigram_strings[arrays.trigram_starts[slot] : arrays.trigram_starts[slot + 1]]

    def _substring_candidates(self, loose: str, intersected: int | None) -> npt.NDArray[np.int32] | None:
        """Strings that may hold `loose`: those holding each of its trigrams, from the rarest
        `intersected` posting lists (all when None); None when a trigram is in no string."""
        postings: list[npt.NDArray[np.int32]] = []
        for code in set(trigram_codes_of(loose)):
            posting = self._posting(code)
            if posting is None:
                return None
            postings.append(posting)
        if not postings:
            return None
        postings.sort(key=len)
        candidates = postings[0]
        for posting in postings[1:intersected]:
            candidates = candidates[np.isin(candidates, posting, kind="table")]
        return candidates

    def _substrings(self, loose: str, collector: _Collector) -> None:
        """The query inside a string: candidates from the query's rarest trigrams, checked lazily."""
        # Intersecting the rarest few is enough: the survivors are checked one by one.
        smallest = self._substring_candidates(loose, SUBSTRING_INTERSECTED)
        if smallest is None:
            return

        def contains(string_id: int) -> bool:
            return loose in self.string_looses[string_id]

        reasons = np.full(smallest.size, _SUBSTRING, dtype=np.int8)
        self._offer_ranked(smallest, reasons, collector, Tier.SUBSTRING, contains)

    def abbreviation_heads(self, loose: str) -> Iterator[tuple[str, str, int, int]]:
        """(head, tail, low, high) for each split of `loose` into the start of a word (`head`, whose
        word-start suffixes are low..high-1) and the start of the next (`tail`), heads short to long.

        A longer head only narrows the range, so each is looked up inside the last one, and the
        splits stop at the first head no suffix starts with (no longer one can match): the work is
        bounded by the longest indexed string, not the query (a 100 KB query is a few lookups)."""
        low, high = 0, len(self.suffix_keys)
        for split in range(ABBREVIATION_MIN_HEAD, len(loose) - ABBREVIATION_MIN_TAIL + 1):
            head = loose[:split]
            low = self.suffix_keys.bisect_left(head, low, high)
            high = self.suffix_keys.bisect_left(head + "\U0010ffff", low, high)
            if low == high:
                return
            yield head, loose[split:], low, high

    def _abbreviations(self, loose: str, collector: _Collector) -> None:
        """`detco` → `detached collar`: the query splits into starts of two consecutive words."""
        matched: list[int] = []
        for head, tail, low, high in self.abbreviation_heads(loose):
            if high - low > ABBREVIATION_MAX_RANGE:
                continue
            matched.extend(self._abbreviated(low, high, head, tail))
        if matched:
            string_ids = np.array(matched, dtype=np.int32)
            reasons = np.full(string_ids.size, _ABBREVIATION, dtype=np.int8)
            self._offer_ranked(string_ids, reasons, collector, Tier.ABBREVIATION)

    def _abbreviated(self, low: int, high: int, head: str, tail: str) -> list[int]:
        """Strings of the suffixes low..high-1 (all starting with `head`, a part of a word) whose
        next word starts with `tail`: read in the bytes, the first word's length from the index."""
        arrays = self.arrays
        starts = arrays.suffix_key_starts[low:high]
        string_ids = arrays.suffix_string[low:high]
        ends = arrays.string_loose_starts[string_ids.astype(np.int64) + 1] - 1
        word_lengths = arrays.suffix_word_length[low:high].astype(np.int64)
        tail_bytes = np.frombuffer(encoded(tail), dtype=np.uint8)
        after_space = starts + word_lengths + 1
        fits = (after_space + tail_bytes.size <= ends) & (word_lengths < LONG_WORD)
        places = after_space[fits][:, None] + np.arange(tail_bytes.size)
        found = np.zeros(starts.size, dtype=np.bool_)
        found[fits] = (arrays.string_looses[places] == tail_bytes).all(axis=1)
        matched: list[int] = string_ids[found].tolist()
        # A first word of LONG_WORD bytes or more: its length is not stored, check it as text.
        pattern = re.compile(rf"{re.escape(head)}[^ ]* {re.escape(tail)}")
        for position in (low + np.flatnonzero(word_lengths >= LONG_WORD)).tolist():
            if pattern.match(self.suffix_keys[position]):
                matched.append(int(arrays.suffix_string[position]))
        return matched

    def _fuzzy(self, loose: str, collector: _Collector) -> None:
        arrays = self.arrays
        # sorted(set()), not np.unique: np.unique imports numpy.ma (~50 ms) on its first call.
        codes = np.array(sorted(set(trigram_codes_of(pad_for_trigrams(loose)))), dtype=np.int64)
        slots = np.searchsorted(arrays.trigram_codes, codes)
        inside = slots < arrays.trigram_codes.size
        slots, codes = slots[inside], codes[inside]
        slots = slots[arrays.trigram_codes[slots] == codes]
        if slots.size == 0:
            return
        postings = [
            arrays.trigram_strings[arrays.trigram_starts[slot] : arrays.trigram_starts[slot + 1]]
            for slot in slots
        ]
        with_neighbours = " " not in loose and len(loose) <= NEIGHBOUR_MAX_LENGTH
        close = None if with_neighbours else self._closest_by_rare_trigrams(postings, codes.size)
        if close is not None:
            candidate_ids, candidate_shared = close
        else:
            shared = np.bincount(np.concatenate(postings), minlength=len(self.string_looses))
            if with_neighbours:
                # A short word shares few trigrams with its typo (`gnayu`/`ganyu` share one):
                # strings having a word one edit away join the pool first.
                for low, high in self._neighbour_word_ranges(loose):
                    shared[self.suffix_string[low:high]] += NEIGHBOUR_BONUS
            most = int(shared.max())
            # Each typing error breaks at most three trigrams; keep strings close to the best overlap.
            floor = max(1, min(most, codes.size - FUZZY_MISSING_TRIGRAMS), most - 3)
            candidate_ids = np.flatnonzero(shared >= floor).astype(np.int32)
            candidate_shared = shared[candidate_ids]
        if collector.allowed is not None:
            kept = collector.allowed[self.string_entry[candidate_ids]]
            candidate_ids, candidate_shared = candidate_ids[kept], candidate_shared[kept]
        if candidate_ids.size > FUZZY_POOL:
            pool_key = candidate_shared * 16.0 + self.usage_popularity[self.string_entry[candidate_ids]]
            top = np.argpartition(-pool_key, FUZZY_POOL - 1)[:FUZZY_POOL]
            candidate_ids = candidate_ids[top]
        ranked = self._fuzzy_ranked(loose, candidate_ids.tolist())
        for _, edits, string_id in ranked:
            similarity = 100.0 * max(0.0, 1.0 - edits / len(loose))
            collector.offer(
                int(self.string_entry[string_id]), string_id, MatchReason.FUZZY, FUZZY_SCALE * similarity
            )
            if collector.missing <= 0:
                return

    def _closest_by_rare_trigrams(
        self, postings: list[npt.NDArray[np.int32]], query_trigrams: int
    ) -> tuple[npt.NDArray[np.int32], IntArray] | None:
        """The fuzzy candidates and their shared trigram counts, found without counting every
        string of the common trigrams' posting lists (millions at scale); None when this cannot
        be sure to find the same ones as counting all of them.

        A string that misses at most FUZZY_MISSING_TRIGRAMS of the query's trigrams holds one of
        any FUZZY_MISSING_TRIGRAMS + 1 of them: the rarest posting lists name every such string.
        When the best of those reaches the floor's cap (query trigrams - FUZZY_MISSING_TRIGRAMS),
        no other string can be a candidate, and counting the others' lists only for those strings
        gives the same candidates and counts as counting everything.
        """
        rare_count = FUZZY_MISSING_TRIGRAMS + 1
        if len(postings) <= rare_count or query_trigrams > 250:
            return None
        by_size = sorted(postings, key=len)
        # Sorted runs, merged: the stable sort is a few times faster on them than quicksort.
        rare = np.sort(np.concatenate(by_size[:rare_count]), kind="stable")
        run_starts = np.flatnonzero(np.concatenate(([True], rare[1:] != rare[:-1])))
        members = rare[run_starts]
        # Per string, its shared trigrams so far (0: not a member); a posting list holds each once.
        counts = np.zeros(len(self.string_looses), dtype=np.uint8)
        counts[members] = np.diff(np.append(run_starts, rare.size))
        for posting in by_size[rare_count:]:
            if posting.size > 16 * members.size:
                # A long list: look each member up in it (both are sorted) rather than read it all.
                places = np.minimum(np.searchsorted(posting, members), posting.size - 1)
                counts[members[posting[places] == members]] += 1
            else:
                counts[posting[counts[posting] > 0]] += 1
        shared = counts[members].astype(np.int64)
        most = int(shared.max())
        if most < query_trigrams - FUZZY_MISSING_TRIGRAMS:
            return None
        floor = max(1, min(most, query_trigrams - FUZZY_MISSING_TRIGRAMS), most - 3)
        close = shared >= floor
        return members[close].astype(np.int32), shared[close]

    def _neighbour_word_ranges(self, word: str) -> list[tuple[int, int]]:
        """Suffix ranges of the words one edit (delete, swap, replace, insert) from `word`."""
        splits = [(word[:cut], word[cut:]) for cut in range(len(word) + 1)]
        variants = {head + tail[1:] for head, tail in splits if tail}
        variants.update(head + tail[1] + tail[0] + tail[2:] for head, tail in splits if len(tail) > 1)
        variants.update(
            head + letter + tail[1:] for head, tail in splits if tail for letter in NEIGHBOUR_LETTERS
        )
        # Inserting a space too: `hutao` → `hu tao`.
        variants.update(head + letter + tail for head, tail in splits for letter in NEIGHBOUR_LETTERS + " ")
        variants.discard(word)
        candidates = [variant for variant in variants if len(variant) >= 3]
        known = self._known_words([variant.split(" ", 1)[0] for variant in candidates])
        keys = self.suffix_keys
        ranges: list[tuple[int, int]] = []
        for variant in (variant for variant, is_known in zip(candidates, known, strict=True) if is_known):
            low = keys.bisect_left(variant)
            if low < len(keys) and (keys[low] == variant or keys[low].startswith(variant + " ")):
                # The variant is a whole word: keys equal to it, then keys continuing with a space.
                high = keys.bisect_left(variant + "!", low)
                ranges.append((low, min(high, low + NEIGHBOUR_MAX_RANGE)))
        return ranges

    def _known_words(self, words: list[str]) -> list[bool]:
        """Whether each of `words` may be a word of a string (by its first 8 bytes: a rare false yes,
        never a false no)."""
        known_keys = self.arrays.word_keys
        if known_keys.size == 0:
            return [False] * len(words)
        keys = np.array([word_key(word) for word in words], dtype=np.uint64)
        slots = np.minimum(np.searchsorted(known_keys, keys), known_keys.size - 1)
        found: list[bool] = (known_keys[slots] == keys).tolist()
        return found

    def _fuzzy_ranked(self, loose: str, candidate_ids: list[int]) -> list[tuple[float, float, int]]:
        """(rank key, edits, string id) of candidates within the allowed typing errors, best first.

        Edits are optimal-string-alignment distances (a swap of two letters is one edit) between
        the query and the closest of: the whole string; a window of the string starting at a word
        start, about as long as the query (`yoneyma` in `yoneyama mai`, a little worse than a whole
        match); the string with its words sorted (`ryuko matoi` ~ `matoi ryuuko`).
        """
        length = len(loose)
        max_edits = 1 if length < 6 else 2 if length < 12 else 3
        ids = np.array(candidate_ids, dtype=np.int64)
        first, after = self._suffix_starts[ids], self._suffix_starts[ids + 1]
        per_string = after - first
        # Positions (into the sorted suffixes) of every word-start suffix of every candidate.
        runs = np.repeat(first - np.cumsum(per_string) + per_string, per_string) + np.arange(
            int(per_string.sum())
        )
        owner_of_key = np.repeat(np.arange(ids.size), per_string)
        keys = [self.suffix_keys[position] for position in self._suffixes_by_string[runs].tolist()]
        window_lengths = (length - 1, length, length + 1)
        windows = [key[:size] for key in keys for size in window_lengths]
        # A window that ends inside a word is a weaker match than one ending at a word end.
        penalties = [
            FUZZY_PARTIAL_PENALTY if len(key) <= size or key[size] == " " else FUZZY_MID_WORD_PENALTY
            for key in keys
            for size in window_lengths
        ]
        owners = np.repeat(owner_of_key, len(window_lengths))
        choices = [self.string_looses[string_id] for string_id in candidate_ids]
        best = process.cdist([loose], choices, scorer=OSA.distance, processor=None, dtype=np.int32)[0].astype(
            np.float64
        )
        if windows:
            window_edits = process.cdist(
                [loose], windows, scorer=OSA.distance, processor=None, dtype=np.int32
            )[0]
            partial = np.full(len(choices), np.inf)
            np.minimum.at(partial, owners, window_edits + np.array(penalties))
            best = np.minimum(best, partial)
        if " " in loose:
            sorted_query = " ".join(sorted(loose.split(" ")))
            sorted_choices = [" ".join(sorted(choice.split(" "))) for choice in choices]
            sorted_edits = process.cdist(
                [sorted_query], sorted_choices, scorer=OSA.distance, processor=None, dtype=np.int32
            )[0]
            best = np.minimum(best, sorted_edits + FUZZY_PARTIAL_PENALTY)
        ranked: list[tuple[float, float, int]] = []
        tier_of: dict[int, int] = {}
        # Penalties are fractions: a string is within reach when its whole edits are.
        for index in np.flatnonzero(np.floor(best) <= max_edits).tolist():
            string_id = candidate_ids[index]
            edits = float(best[index])
            entry = int(self.string_entry[string_id])
            popularity = float(self.usage_popularity[entry])
            tier_of[string_id] = int(self.ranking_tiers[entry])
            ranked.append(
                (FUZZY_POPULARITY_WEIGHT * popularity - FUZZY_EDIT_WEIGHT * edits, edits, string_id)
            )
        # A closer spelling is a better guess than a better tier: the tier only breaks ties.
        ranked.sort(key=lambda item: (-item[0], tier_of[item[2]], item[2]))
        return ranked

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
            verified=int(arrays.entry_tier[entry]) == VERIFIED_TIER_CODE,
            tier=str(TIER_ORDER[min(int(arrays.entry_tier[entry]), len(TIER_ORDER) - 1)]),
            match=reason,
            via=_VIA_OF_SOURCE[int(arrays.string_source[string_id])],
            matched=self.string_normals[string_id],
            score=score,
            uses=int(self.uses[entry]),
        )

    def __len__(self) -> int:
        return len(self.string_normals)


def ranking_tier(tier: str, kind: str, *, author_vocabulary: bool = True) -> TriggerTier:
    """The tier an entry ranks with: its own, except that, in a catalog holding the author's
    vocabulary, a Danbooru entry of a kind that vocabulary does not list ranks with the author
    tier (AUTHOR_VOCABULARY_KINDS)."""
    own = TIER_ORDER[tier_code(tier)]
    if author_vocabulary and own is TriggerTier.DANBOORU and kind not in AUTHOR_VOCABULARY_KINDS:
        return TriggerTier.AUTHOR
    return own


def ranking_tier_codes(tiers: npt.NDArray[np.int8], kinds: npt.NDArray[np.int8]) -> npt.NDArray[np.int8]:
    """`ranking_tier` of every entry, as positions in TIER_ORDER (arrays of tier and kind codes);
    the catalog holds the author's vocabulary when some entry is of the author tier."""
    worst = len(TIER_ORDER) - 1
    codes = np.clip(tiers, 0, worst).astype(np.int8)
    author = TIER_ORDER.index(TriggerTier.AUTHOR)
    if not np.any(codes == author):
        return codes
    listed = np.isin(kinds, np.array([kind_code(kind) for kind in AUTHOR_VOCABULARY_KINDS], dtype=np.int8))
    return np.where((codes == worst) & ~listed, np.int8(author), codes).astype(np.int8)


def popularity_of(count: int, uses: int = 0, tier: str = TriggerTier.DANBOORU) -> float:
    """The within-tier ranking key of an entry (documented formula, used by tests and docs):
    TIER_STEP per tier above `danbooru` (the `ranking_tier`), + ln(1 + count) + min(k·ln(1 + uses), cap)."""
    bias = min(USAGE_WEIGHT * math.log1p(uses), USAGE_CAP)
    return TIER_STEP * (len(TIER_ORDER) - 1 - tier_code(tier)) + math.log1p(count) + bias
