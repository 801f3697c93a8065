"""The tag view: tags, effective weights, spans and catalog matches."""

from __future__ import annotations

from collections.abc import Iterator

import duckdb
import pytest
from prompt_fixture import build_tiny_catalog

from kb.catalog import open_catalog
from kb.prompt.tagview import CatalogMatcher, DictMatcher, MatchKind, TagMatch, split_tags


@pytest.fixture(scope="module")
def tiny_catalog(tmp_path_factory: pytest.TempPathFactory) -> Iterator[duckdb.DuckDBPyConnection]:
    connection = open_catalog(build_tiny_catalog(tmp_path_factory.mktemp("catalog") / "catalog.duckdb"))
    yield connection
    connection.close()


def test_tags_weights_and_spans_without_catalog() -> None:
    prompt = "(a, b:1.2), bishop \\(chess\\), ((c)), [d] BREAK e"
    tags = split_tags(prompt)
    assert [(tag.text, tag.read_text, tag.canonical, tag.weight, tag.start, tag.end) for tag in tags] == [
        ("a", "a", "a", 1.2, 1, 2),
        ("b", "b", "b", 1.2, 4, 5),
        ("bishop \\(chess\\)", "bishop (chess)", "bishop_(chess)", 1.0, 12, 28),
        ("c", "c", "c", 1.2100000000000002, 32, 33),
        ("d", "d", "d", 0.9090909090909091, 38, 39),
        ("e", "e", "e", 1.0, 47, 48),
    ]
    assert [prompt[tag.outer_start : tag.outer_end] for tag in tags] == [
        "(a",
        "b:1.2)",
        "bishop \\(chess\\)",
        "((c))",
        "[d]",
        "e",
    ]
    assert all(tag.match.kind is MatchKind.UNKNOWN for tag in tags)


def test_unescaped_qualifier_is_one_tag_with_mixed_weight() -> None:
    (tag,) = split_tags("ganyu (genshin impact)")
    assert (tag.text, tag.read_text, tag.canonical, tag.weights, tag.mixed_weight) == (
        "ganyu (genshin impact)",
        "ganyu genshin impact",
        "ganyu_(genshin_impact)",
        (1.0, 1.1),
        True,
    )


def test_open_emoticon_up_weights_the_rest() -> None:
    tags = split_tags("smile, :(, by chi4")
    assert [(tag.read_text, tag.weight) for tag in tags] == [("smile", 1.0), (":", 1.0), ("by chi4", 1.1)]


def test_empty_and_broken_prompts_never_raise() -> None:
    assert split_tags("") == []
    assert split_tags(" , ,") == []
    assert [tag.read_text for tag in split_tags("x (a:1.2.3) b")] == ["x a:1.2.3) b"]


def test_dict_matcher() -> None:
    matcher = DictMatcher(
        tags={"long_hair": 0, "ask_(askzy)": 1},
        aliases={"longhair": "long_hair"},
        triggers={"by ask": ("artist_style", "ask_(askzy)", True)},
    )
    matches = [tag.match for tag in split_tags("long hair, Longhair, by ask, nope", matcher)]
    assert matches == [
        TagMatch(MatchKind.EXACT, "long_hair", 0),
        TagMatch(MatchKind.ALIAS, "long_hair", 0),
        TagMatch(MatchKind.TRIGGER, "ask_(askzy)", 1, "by ask", "artist_style", True),
        TagMatch(MatchKind.UNKNOWN),
    ]


def test_catalog_matcher(tiny_catalog: duckdb.DuckDBPyConnection) -> None:
    prompt = "(by chi4:0.8), ganyu (genshin impact), lucyna kushinada, long_hair, flat color, best quality, x"
    matches = [tag.match for tag in split_tags(prompt, CatalogMatcher(tiny_catalog))]
    assert matches == [
        TagMatch(MatchKind.TRIGGER, "chi4", 1, "by chi4", "artist_style", True),
        TagMatch(MatchKind.EXACT, "ganyu_(genshin_impact)", 4),
        TagMatch(MatchKind.ALIAS, "lucy_(cyberpunk)", 4),
        TagMatch(MatchKind.EXACT, "long_hair", 0),
        TagMatch(MatchKind.EXACT, "flat_color", 0, "flat color", "painting_style", True),
        TagMatch(MatchKind.TRIGGER, None, None, "best quality", "quality", True),
        TagMatch(MatchKind.UNKNOWN),
    ]
    assert matches[5].target == "best quality" and matches[2].target == "lucy_(cyberpunk)"
