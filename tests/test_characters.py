"""Character tags: parsing, every prompt form, series rules and catalog lookup."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import duckdb
import pytest
from catalog_fixture import build_real_catalog
from prompt_fixture import build_tiny_catalog

from kb.catalog import open_catalog
from kb.knowledge.characters import (
    CharacterMatch,
    CharacterMatchKind,
    catalog_series_resolver,
    character_forms,
    heuristic_series_resolver,
    lookup_character,
    parse_character_tag,
)


@pytest.fixture(scope="module")
def tiny_catalog(tmp_path_factory: pytest.TempPathFactory) -> Iterator[duckdb.DuckDBPyConnection]:
    connection = open_catalog(build_tiny_catalog(tmp_path_factory.mktemp("catalog") / "catalog.duckdb"))
    yield connection
    connection.close()


@pytest.mark.parametrize(
    ("tag", "name", "qualifiers"),
    [
        ("ganyu_(genshin_impact)", "ganyu", ("genshin_impact",)),
        ("frieren", "frieren", ()),
        ("rem_(re:zero)", "rem", ("re:zero",)),
        ("ganyu_(twilight_blossom)_(genshin_impact)", "ganyu", ("twilight_blossom", "genshin_impact")),
        ("x_(a_(b))", "x", ("a_(b)",)),
        ("Lucy \\(Cyberpunk\\)", "lucy", ("cyberpunk",)),
        ("ganyu (genshin impact)", "ganyu", ("genshin_impact",)),
        ("(o)_(o)", "(o)_(o)", ()),
        ("_(a)", "_(a)", ()),
        ("broken_(qualifier", "broken_(qualifier", ()),
    ],
)
def test_parse_character_tag(tag: str, name: str, qualifiers: tuple[str, ...]) -> None:
    parsed = parse_character_tag(tag)
    assert (parsed.name, parsed.qualifiers) == (name, qualifiers)


def test_ganyu_forms() -> None:
    forms = character_forms("ganyu_(genshin_impact)")
    assert forms.a1111 == "ganyu \\(genshin impact\\)"
    assert forms.plain == "ganyu (genshin impact)"
    assert forms.sentence == "a girl named ganyu from genshin impact series"
    assert forms.prefixed == "1 ganyu \\(genshin impact\\)"
    assert forms.copyright == "genshin_impact"
    assert character_forms("ganyu_(genshin_impact)", gender="boy").sentence == (
        "a boy named ganyu from genshin impact series"
    )


def test_no_qualifier() -> None:
    forms = character_forms("frieren")
    assert (forms.a1111, forms.sentence, forms.prefixed, forms.copyright) == (
        "frieren",
        "a girl named frieren",
        "1 frieren",
        None,
    )


def test_heuristic_without_catalog() -> None:
    assert heuristic_series_resolver("genshin_impact") == "genshin_impact"
    assert heuristic_series_resolver("cosplay") is None
    assert heuristic_series_resolver("append") is None
    assert character_forms("hatsune_miku_(append)").sentence == "a girl named hatsune miku \\(append\\)"
    assert character_forms("x_(a_(b))").sentence == "a girl named x from a \\(b\\) series"


@pytest.mark.parametrize(
    ("tag", "sentence", "copyright"),
    [
        ("ganyu_(genshin_impact)", "a girl named ganyu from genshin impact series", "genshin_impact"),
        ("saber_(fate)", "a girl named saber from fate series", "fate_(series)"),
        ("rem_(re:zero)", "a girl named rem from re:zero series", "re:zero_kara_hajimeru_isekai_seikatsu"),
        ("dino_(blend_s)", "a girl named dino from blend s series", "blend_s"),
        ("lucy_(cyberpunk)", "a girl named lucy from cyberpunk series", "cyberpunk_(series)"),
        ("dino_(dinoartforame)", "a girl named dino \\(dinoartforame\\)", None),
        (
            "ganyu_(twilight_blossom)_(genshin_impact)",
            "a girl named ganyu \\(twilight blossom\\) from genshin impact series",
            "genshin_impact",
        ),
    ],
)
def test_series_from_catalog(
    tiny_catalog: duckdb.DuckDBPyConnection, tag: str, sentence: str, copyright: str | None
) -> None:
    forms = character_forms(tag, series_resolver=catalog_series_resolver(tiny_catalog))
    assert (forms.sentence, forms.copyright) == (sentence, copyright)


@pytest.mark.parametrize(
    ("query", "match"),
    [
        ("ganyu_(genshin_impact)", CharacterMatch("ganyu_(genshin_impact)", CharacterMatchKind.EXACT)),
        ("Ganyu \\(Genshin Impact\\)", CharacterMatch("ganyu_(genshin_impact)", CharacterMatchKind.EXACT)),
        ("ganyu", CharacterMatch("ganyu_(genshin_impact)", CharacterMatchKind.ALIAS)),
        ("lucyna kushinada", CharacterMatch("lucy_(cyberpunk)", CharacterMatchKind.ALIAS)),
        ("rem", CharacterMatch("rem_(re:zero)", CharacterMatchKind.NAME)),
        ("hatsune miku", CharacterMatch("hatsune_miku", CharacterMatchKind.EXACT)),
        ("genshin_impact", None),
        ("nobody at all", None),
    ],
)
def test_lookup_character(
    tiny_catalog: duckdb.DuckDBPyConnection, query: str, match: CharacterMatch | None
) -> None:
    assert lookup_character(tiny_catalog, query) == match


def test_real_catalog_when_present(shared_data: Path, tmp_path_factory: pytest.TempPathFactory) -> None:
    connection = open_catalog(build_real_catalog(tmp_path_factory.mktemp("real") / "catalog.duckdb"))
    try:
        match = lookup_character(connection, "ganyu")
        assert match is not None and match.tag == "ganyu_(genshin_impact)"
        forms = character_forms(match.tag, series_resolver=catalog_series_resolver(connection))
        assert forms.copyright == "genshin_impact"
        rem = character_forms("rem_(re:zero)", series_resolver=catalog_series_resolver(connection))
        assert rem.copyright == "re:zero_kara_hajimeru_isekai_seikatsu"
    finally:
        connection.close()
