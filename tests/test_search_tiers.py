"""Trigger tiers in search (rank, filter, hit field, CLI) and queries that name a character with its
qualifier, on the small hand-made catalog of test_search with its tiered rows."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from test_search import write_small_catalog

from kb.catalog import open_catalog
from kb.errors import SearchError
from kb.search import SearchIndex
from kb.search.filters import parse_tiers
from kb.search.index import popularity_of, ranking_tier
from tui.cli import main


@pytest.fixture(scope="module")
def tiered_catalog(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_small_catalog(tmp_path_factory.mktemp("tiers") / "catalog.duckdb", tiered=True)


@pytest.fixture(scope="module")
def index(tiered_catalog: Path) -> SearchIndex:
    connection = open_catalog(tiered_catalog)
    try:
        return SearchIndex.build(connection, usage={})
    finally:
        connection.close()


def hits_of(index: SearchIndex, query: str, limit: int = 5, **filters: object) -> list[tuple[str, str]]:
    found = index.search(query, limit=limit, **filters)  # type: ignore[arg-type]
    return [(hit.text, hit.tier) for hit in found]


def test_every_hit_carries_its_entrys_tier(index: SearchIndex) -> None:
    assert hits_of(index, "by yoneyama mai", limit=1) == [("by yoneyama mai", "verified")]
    assert hits_of(index, "0kommn", limit=1) == [("by 0kommn", "author")]
    assert hits_of(index, "witch hat", limit=1) == [("witch hat", "danbooru")]
    hit = index.search("by modare", limit=1)[0]
    assert (hit.verified, hit.to_json()["tier"], hit.to_json()["verified"]) == (True, "verified", True)


def test_an_entry_shows_its_best_tiers_text_and_keeps_the_others_strings(index: SearchIndex) -> None:
    # frieren has a Danbooru trigger `frieren` and the author's `frieren (sousou no frieren)`.
    [hit] = index.search("frieren (sousou no frieren)", limit=1)
    assert (hit.text, hit.tag, hit.tier, str(hit.match)) == (
        "frieren (sousou no frieren)",
        "frieren",
        "author",
        "exact",
    )
    # The tag name still finds it first, exactly.
    first = index.search("frieren", limit=3)
    assert [(hit.text, str(hit.match)) for hit in first][:1] == [("frieren (sousou no frieren)", "exact")]
    assert len({hit.tag for hit in first}) == len(first)


def test_tier_ranks_before_popularity_inside_a_match_tier(index: SearchIndex) -> None:
    # The exact copyright first whatever the tiers; then whole words: the author's zhongli
    # (9,077 posts) before the Danbooru-only ganyu (18,317).
    assert hits_of(index, "genshin", limit=3) == [
        ("genshin impact", "danbooru"),
        ("zhongli (genshin impact)", "author"),
        ("ganyu (genshin impact)", "danbooru"),
    ]
    assert popularity_of(9_077, tier="author") > popularity_of(18_317, uses=10**9)


def test_kinds_outside_the_authors_vocabulary_rank_with_the_author_tier(index: SearchIndex) -> None:
    # The vocabulary lists artists and characters only: a copyright (or a general tag) is not
    # pushed below them for lacking a tier it cannot have; popularity decides, and hits keep
    # their true tier.
    assert hits_of(index, "sousou", limit=3) == [
        ("sousou no frieren", "danbooru"),
        ("frieren (sousou no frieren)", "author"),
        ("fern (sousou no frieren)", "author"),
    ]
    assert ranking_tier("danbooru", "general") == ranking_tier("danbooru", "copyright") == "author"
    assert ranking_tier("danbooru", "character") == ranking_tier("danbooru", "artist_style") == "danbooru"
    assert ranking_tier("verified", "quality") == "verified"


def test_without_the_authors_vocabulary_no_kind_is_moved(tmp_path: Path) -> None:
    # No author-tier entry: a Danbooru general tag has no edge over a Danbooru character.
    assert ranking_tier("danbooru", "general", author_vocabulary=False) == "danbooru"
    connection = open_catalog(write_small_catalog(tmp_path / "plain.duckdb"))
    try:
        plain = SearchIndex.build(connection, usage={})
    finally:
        connection.close()
    assert sorted(set(plain.tier_bonuses().tolist())) == [0.0, 200.0]


def test_tier_filter(index: SearchIndex) -> None:
    assert hits_of(index, "0kommn", tiers={"author"}) == [("by 0kommn", "author")]
    assert hits_of(index, "0kommn", tiers={"danbooru", "verified"}) == []
    assert [text for text, _ in hits_of(index, "by", limit=20, tiers={"verified"})] == [
        "by modare",
        "by yoneyama mai",
    ]
    assert {tier for _, tier in hits_of(index, "b", limit=50, tiers={"author", "verified"})} == {
        "author",
        "verified",
    }
    assert parse_tiers(["author,verified"]) == frozenset({"author", "verified"})
    assert parse_tiers(None) is None
    with pytest.raises(SearchError, match="unknown tier 'gold'; choose one of: verified, author, danbooru"):
        parse_tiers(["gold"])


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        # Name and qualifier as whole words beat a string whose words merely start with them
        # (`by zeroyon`, found by its tag `zeroyon (yukkuri remirya)`).
        ("rem re zero", "rem (re:zero)"),
        ("emilia re zero", "emilia (re:zero)"),
        ("zero re rem", "rem (re:zero)"),
        ("rem re", "rem (re:zero)"),
        ("frieren sousou", "frieren (sousou no frieren)"),
        ("ganyu genshin", "ganyu (genshin impact)"),
        ("genshin zhongli", "zhongli (genshin impact)"),
        ("lucy cyberpunk", "lucy (cyberpunk)"),
    ],
)
def test_name_and_qualifier_words_find_the_character_first(
    index: SearchIndex, query: str, expected: str
) -> None:
    assert index.search(query, limit=1)[0].text == expected


def test_whole_word_cover_ranks_above_words_that_only_start_words(index: SearchIndex) -> None:
    hits = index.search("rem re zero", limit=5)
    texts = [hit.text for hit in hits]
    assert texts[0] == "rem (re:zero)"
    assert texts.index("by zeroyon (yukkuri remirya)") > texts.index("rem (re:zero)")
    scores = {hit.text: hit.score for hit in hits}
    assert scores["rem (re:zero)"] == 93.0
    assert scores["by zeroyon (yukkuri remirya)"] == 90.0
    # A word typed twice must be a whole word twice.
    assert [(hit.text, hit.score) for hit in index.search("frieren frieren", limit=2)] == [
        ("frieren (sousou no frieren)", 93.0),
        ("sousou no frieren", 90.0),
    ]
    # Words end at any character that is not a letter or digit: `rem re` is whole words of
    # `rem re:zero`, in order.
    assert [(hit.text, hit.score) for hit in index.search("rem re", limit=1)] == [("rem (re:zero)", 95.0)]


def test_cli_tier_flag_json_and_marks(tiered_catalog: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["search", "--json", "--tier", "author", "0kommn", "--catalog", str(tiered_catalog)]) == 0
    [hit] = json.loads(capsys.readouterr().out)
    assert (hit["prompt"], hit["tier"], hit["verified"]) == ("by 0kommn", "author", False)
    assert main(["search", "genshin", "--limit", "3", "--catalog", str(tiered_catalog)]) == 0
    assert capsys.readouterr().out.splitlines() == [
        "genshin → genshin impact      copyright    250,000  alias exact",
        "zhongli \\(genshin impact\\)  ○ character      9,077  word-start",
        "ganyu \\(genshin impact\\)      character     18,317  word-start",
    ]
    # One set of tier marks for the CLI and the explorer (○, never to be taken for the ◆ painting mark).
    from tui.commands import search as search_command
    from tui.widgets import marks

    assert search_command.TIER_MARKS is marks.TIER_MARKS and marks.TIER_MARKS["author"] == "○"
    assert main(["search", "by", "--tier", "verified,author", "--catalog", str(tiered_catalog)]) == 0
    assert [line.split("  ")[0] for line in capsys.readouterr().out.splitlines()] == [
        "by modare",
        "by yoneyama mai",
        "by 0kommn",
    ]
    assert main(["search", "hat", "--tier", "gold", "--catalog", str(tiered_catalog)]) == 2
    assert "unknown tier 'gold'" in capsys.readouterr().err
