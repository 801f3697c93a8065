"""Reading the catalog into search entries and the strings that find them.

An *entry* is one thing a user can paste: a trigger. Triggers of the same Danbooru tag are folded
into one entry (the verified AIDXL trigger when there is one: `impasto` the painting style, not
`impasto` the general tag; `by dino`, not `by dino (dinoartforame)`; else the best tier's), so a
result list shows each thing once, and the entry carries the best tier among its triggers. Which
trigger opens an entry is defined once, in SQL (kb/search/entries.py), for the index, the
explorer's lists and `aidxl stats` alike. Every
entry is found by several strings: its trigger texts, its tag's plain name (`yoneyama mai` finds
`by yoneyama mai`), the tag's aliases and, for characters, the bare name before the qualifier
(`ganyu`).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from enum import IntEnum
from typing import TYPE_CHECKING, Any

import numpy as np
import numpy.typing as npt

from kb.knowledge.tagforms import to_plain_form
from kb.schema import TriggerKind, TriggerTier
from kb.search.entries import TIER_RANK_SQL, TRIGGER_ENTRIES, UNTRIGGERED_TAGS
from kb.search.normalize import searchable_forms

if TYPE_CHECKING:
    import duckdb

NO_CATEGORY = -1

# Tiers best first; an entry stores its tier's position here (0 = verified). A tier this version
# does not know (a newer catalog) ranks with the last one.
TIER_ORDER: tuple[TriggerTier, ...] = (TriggerTier.VERIFIED, TriggerTier.AUTHOR, TriggerTier.DANBOORU)


_TIER_CODE_OF: dict[str, int] = {str(tier): code for code, tier in enumerate(TIER_ORDER)}


def tier_code(tier: str) -> int:
    # A dict, not TriggerTier(tier): this runs once per trigger row (a million at scale).
    return _TIER_CODE_OF.get(str(tier), len(TIER_ORDER) - 1)


VERIFIED_TIER_CODE = TIER_ORDER.index(TriggerTier.VERIFIED)
DANBOORU_TIER_CODE = TIER_ORDER.index(TriggerTier.DANBOORU)


class StringSource(IntEnum):
    """Where a searchable string comes from; a lower value wins when an entry has it twice."""

    TRIGGER = 0  # the trigger's own text: by yoneyama mai
    TAG = 1  # the linked tag's plain name: yoneyama mai
    CHARACTER = 2  # a character's name without its qualifier: ganyu
    ALIAS = 3  # an alias of the tag: lucyna kushinada


@dataclass
class CatalogRows:
    """Entries as parallel lists, and the strings that find them: (entry, raw text, source) as
    parallel lists, normalized and deduplicated by `searchable_strings` (in bulk: a million-tag
    catalog has millions of strings)."""

    texts: list[str] = field(default_factory=list)  # unescaped trigger text
    tag_names: list[str | None] = field(default_factory=list)
    kinds: list[str] = field(default_factory=list)
    categories: list[int] = field(default_factory=list)
    counts: list[int] = field(default_factory=list)
    tiers: list[int] = field(default_factory=list)  # tier_code: 0 verified, 1 author, 2 danbooru
    string_entries: list[int] = field(default_factory=list)
    string_texts: list[str] = field(default_factory=list)  # as the catalog writes them
    string_sources: list[int] = field(default_factory=list)  # StringSource values

    def add_entry(
        self, text: str, tag_name: str | None, kind: str, category: int, count: int, tier: int
    ) -> int:
        self.texts.append(text)
        self.tag_names.append(tag_name)
        self.kinds.append(kind)
        self.categories.append(category)
        self.counts.append(count)
        self.tiers.append(tier)
        return len(self.texts) - 1

    def add_string(self, entry: int, text: str, source: StringSource) -> None:
        self.string_entries.append(entry)
        self.string_texts.append(text)
        self.string_sources.append(int(source))

    def searchable_strings(self) -> SearchableStrings:
        """Each (entry, normal form) once, at its best source, ordered by entry, then source, then
        first appearance; empty normal forms are dropped. Grouped with numpy (by entry and the
        normal form's hash, every group then checked for equal forms)."""
        normals, looses = searchable_forms(self.string_texts)
        count = len(normals)
        entries = np.array(self.string_entries, dtype=np.int64)
        sources = np.array(self.string_sources, dtype=np.int8)
        hashes = np.fromiter(map(hash, normals), dtype=np.int64, count=count)
        order = np.lexsort((np.arange(count), hashes, entries))  # first appearance first in a group
        grouped_entries, grouped_hashes = entries[order], hashes[order]
        group_starts = np.ones(count, dtype=np.bool_)
        group_starts[1:] = (grouped_entries[1:] != grouped_entries[:-1]) | (
            grouped_hashes[1:] != grouped_hashes[:-1]
        )
        repeats = np.flatnonzero(~group_starts).tolist()
        if any(normals[int(order[position])] != normals[int(order[position - 1])] for position in repeats):
            return self._searchable_strings_by_dict(normals, looses)  # two forms share a hash
        first = np.flatnonzero(group_starts)
        firsts = order[first]
        best_sources = np.minimum.reduceat(sources[order], first) if count else sources
        kept = [
            position
            for position in np.argsort(firsts, kind="stable").tolist()
            if normals[int(firsts[position])]
        ]
        kept_array = np.array(kept, dtype=np.int64)
        final = kept_array[
            np.lexsort((firsts[kept_array], best_sources[kept_array], entries[firsts[kept_array]]))
        ]
        positions = firsts[final].tolist()
        return SearchableStrings(
            entries=entries[firsts[final]].astype(np.int32),
            sources=best_sources[final].astype(np.int8),
            normals=[normals[position] for position in positions],
            looses=[looses[position] for position in positions],
        )

    def _searchable_strings_by_dict(self, normals: list[str], looses: list[str]) -> SearchableStrings:
        """searchable_strings by a dict of (entry, normal form): exact whatever the hashes."""
        best: dict[tuple[int, str], int] = {}  # (entry, normal) -> position of its best string
        sources = self.string_sources
        for position, key in enumerate(zip(self.string_entries, normals, strict=True)):
            known = best.get(key)
            # The key keeps its first place in the dict (the tie order) but takes the better source.
            if known is None or sources[position] < sources[known]:
                best[key] = position
        kept = [position for (_, normal), position in best.items() if normal]
        entries = [self.string_entries[position] for position in kept]
        kept_sources = [sources[position] for position in kept]
        final = np.lexsort((np.array(kept_sources), np.array(entries))).tolist()
        positions = [kept[index] for index in final]
        return SearchableStrings(
            entries=np.array([entries[index] for index in final], dtype=np.int32),
            sources=np.array([kept_sources[index] for index in final], dtype=np.int8),
            normals=[normals[position] for position in positions],
            looses=[looses[position] for position in positions],
        )


@dataclass
class SearchableStrings:
    """The index's strings in their final order: entry, source, normal and loose form."""

    entries: npt.NDArray[np.int32]
    sources: npt.NDArray[np.int8]
    normals: list[str]
    looses: list[str]


# Per tag, the trigger that opens its entry first (kb/search/entries.py defines which).
_TRIGGER_QUERY = f"""
    SELECT text, kind, tag_id, verified, tier, name, category, count, opens_entry
    FROM ({TRIGGER_ENTRIES}) tr
    ORDER BY tr.tag_id NULLS LAST, tr.opens_entry DESC, tr.verified DESC, {TIER_RANK_SQL},
        tr.rank NULLS LAST, tr.trigger_id
"""
_UNTRIGGERED_TAG_QUERY = f"SELECT tag_id, name, category, count, kind FROM ({UNTRIGGERED_TAGS})"


def read_catalog_rows(connection: duckdb.DuckDBPyConnection) -> CatalogRows:
    """Every entry and every string of the catalog (one pass over each table)."""
    rows = CatalogRows()
    # tag_id -> the entries its tag strings (name, aliases, character name) lead to.
    entries_of_tag: dict[int, list[int]] = {}
    known_kinds: dict[str, str] = {}
    for text, kind, tag_id, verified, tier, tag_name, category, count, opens_entry in _batched_rows(
        connection, _TRIGGER_QUERY
    ):
        kind = known_kinds.setdefault(kind, kind)  # one str per kind, not one per row
        # `verified` and `tier` say the same for a verified trigger; either one makes it verified.
        code = VERIFIED_TIER_CODE if verified else tier_code(tier)
        if tag_id is None:
            entry = rows.add_entry(text, None, kind, NO_CATEGORY, 0, code)
            rows.add_string(entry, text, StringSource.TRIGGER)
            continue
        # A tag's rows come with those that open an entry first; any other trigger's text finds the
        # tag's entries, which show the best tier's text and carry that tier.
        if opens_entry:
            entry = rows.add_entry(text, tag_name, kind, category, count, code)
            entries_of_tag.setdefault(tag_id, []).append(entry)
            rows.add_string(entry, text, StringSource.TRIGGER)
        else:
            for entry in entries_of_tag[tag_id]:
                rows.add_string(entry, text, StringSource.TRIGGER)
    for tag_id, tag_name, category, count, kind in _batched_rows(connection, _UNTRIGGERED_TAG_QUERY):
        text = to_plain_form(tag_name)
        if kind == TriggerKind.ARTIST_STYLE:
            text = f"by {text}"
        entry = rows.add_entry(text, tag_name, kind, category, count, DANBOORU_TIER_CODE)
        entries_of_tag[tag_id] = [entry]
        rows.add_string(entry, text, StringSource.TRIGGER)
    for tag_id, tag_name in _batched_rows(connection, "SELECT tag_id, name FROM tags"):
        for entry in entries_of_tag.get(tag_id, ()):
            rows.add_string(entry, tag_name, StringSource.TAG)
    for tag_id, name in _batched_rows(connection, "SELECT tag_id, name FROM characters"):
        for entry in entries_of_tag.get(tag_id, ()):
            rows.add_string(entry, name, StringSource.CHARACTER)
    for alias, tag_id in _batched_rows(connection, "SELECT alias, tag_id FROM aliases"):
        for entry in entries_of_tag.get(tag_id, ()):
            rows.add_string(entry, alias, StringSource.ALIAS)
    return rows


# Rows fetched at a time: a million-row result as Python tuples at once would cost hundreds of MB.
FETCH_BATCH = 50_000


def _batched_rows(connection: duckdb.DuckDBPyConnection, query: str) -> Iterator[tuple[Any, ...]]:
    cursor = connection.execute(query)
    while batch := cursor.fetchmany(FETCH_BATCH):
        yield from batch
