"""kb.search.counting: a query's total is the length of its unlimited search, for every match tier
and filter (on the small hand-made catalog of test_search, and on the real catalog)."""

from __future__ import annotations

from pathlib import Path

import pytest
from test_search import write_small_catalog

from kb.catalog import open_catalog
from kb.search import SearchIndex
from kb.search.counting import count_matches

# One query per match tier, several words in any order, typos, nothing at all.
QUERIES = (
    "hat",  # exact, whole words, prefixes
    "h",  # one letter: every word start
    "hatsune",  # a character's bare name
    "miku hatsune",  # words in any order
    "detco",  # abbreviation
    "mpast",  # substring
    "hatsne miku",  # a typo: the fuzzy tier (fewer than five better matches)
    "ganyu",  # alias and bare name of one entry: counted once
    "zzzz",  # nothing
)
FILTERS: tuple[dict[str, object], ...] = (
    {},
    {"kinds": ("character",)},
    {"tiers": ("verified",)},
    {"kinds": ("general",), "min_count": 200_000},
)


@pytest.fixture(scope="module")
def index(tmp_path_factory: pytest.TempPathFactory) -> SearchIndex:
    connection = open_catalog(write_small_catalog(tmp_path_factory.mktemp("count") / "catalog.duckdb"))
    try:
        return SearchIndex.build(connection, usage={})
    finally:
        connection.close()


@pytest.mark.parametrize("query", QUERIES)
def test_the_count_is_the_unlimited_searchs_length(index: SearchIndex, query: str) -> None:
    for filters in FILTERS:
        expected = len(index.search(query, limit=100_000, **filters))  # type: ignore[arg-type]
        assert count_matches(index, query, **filters) == expected, (query, filters)  # type: ignore[arg-type]


def test_an_empty_query_counts_nothing(index: SearchIndex) -> None:
    assert count_matches(index, "") == 0 and count_matches(index, "  ") == 0


@pytest.mark.slow
def test_real_catalog_counts(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from catalog_fixture import build_real_catalog

    monkeypatch.setenv("AIDXL_CACHE_DIR", str(tmp_path / "cache"))
    connection = open_catalog(build_real_catalog(tmp_path / "catalog.duckdb"))
    try:
        index = SearchIndex.load(connection)
    finally:
        connection.close()
    for query, kinds in (("genshin", ("character",)), ("gen", None), ("by", ("artist_style",)), ("a", None)):
        unlimited = index.search(query, limit=200_000, kinds=kinds)
        assert count_matches(index, query, kinds=kinds) == len(unlimited), query
    assert count_matches(index, "genshin", kinds=("character",)) > 300  # issue 12: `F7 genshin` > 100
