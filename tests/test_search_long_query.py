"""A long query costs work linear in its length: the abbreviation tier stops splitting the query
at the first head no indexed string starts with (kb.search.index.SearchIndex.abbreviation_heads)."""

from __future__ import annotations

import random

import numpy as np
import pytest
from prompt_fixture import build_tiny_catalog

from kb.catalog import open_catalog
from kb.search import SearchIndex
from kb.search.counting import count_matches
from kb.search.index import ABBREVIATION_MIN_HEAD, ABBREVIATION_MIN_TAIL
from kb.search.normalize import loosen, normalize


@pytest.fixture(scope="module")
def index(tmp_path_factory: pytest.TempPathFactory) -> SearchIndex:
    catalog = build_tiny_catalog(tmp_path_factory.mktemp("long") / "catalog.duckdb", knowledge=True)
    connection = open_catalog(catalog)
    try:
        return SearchIndex.build(connection, usage={})
    finally:
        connection.close()


def every_split(index: SearchIndex, loose: str) -> list[tuple[str, str, int, int]]:
    """The splits with matches, one full lookup per split (what the tier did before)."""
    found = []
    for split in range(ABBREVIATION_MIN_HEAD, len(loose) - ABBREVIATION_MIN_TAIL + 1):
        low, high = index._suffix_range(loose[:split])
        if low < high:
            found.append((loose[:split], loose[split:], low, high))
    return found


@pytest.mark.parametrize("query", ["detco", "longha", "ganyu", "by chi", "gany genshin", "zzzzzz", "lo"])
def test_the_splits_are_those_of_a_lookup_per_split(index: SearchIndex, query: str) -> None:
    loose = loosen(normalize(query))
    assert list(index.abbreviation_heads(loose)) == every_split(index, loose)


def test_a_100_kb_query_makes_lookups_bounded_by_the_longest_string(
    index: SearchIndex, monkeypatch: pytest.MonkeyPatch
) -> None:
    lookups = 0
    keys = index.suffix_keys
    bisect_left = keys.bisect_left

    def counted(*args: object, **kwargs: object) -> int:
        nonlocal lookups
        lookups += 1
        return bisect_left(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(keys, "bisect_left", counted)
    generator = random.Random(7)
    words = [index.entry_texts[generator.randrange(len(index.entry_texts))] for _ in range(20_000)]
    # One 100 KB word of the catalog's letters: every split of it is an abbreviation candidate.
    query = "".join(character for character in "".join(words) if character.isalnum())[:100_000]
    assert len(query) == 100_000
    longest = int(np.diff(index.arrays.string_loose_starts).max())
    for run in (lambda: index.search(query, limit=3), lambda: count_matches(index, query)):
        lookups = 0
        run()
        assert lookups <= 2 * (longest + 2) + 8, lookups  # two bisections per head, a few others
