"""The author's tables as kb reads them (kb.knowledge.author_tables) and the curated list of other models'
quality words (kb/data/foreign_quality.toml)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import duckdb
import pytest
from catalog_fixture import build_real_catalog
from prompt_fixture import build_tiny_catalog

from kb.catalog import open_catalog
from kb.errors import CuratedDataError
from kb.knowledge.author_tables import (
    AuthorTables,
    author_tables_of,
    implications_of,
    load_author_tables,
    shared_author_tables,
)
from kb.knowledge.curated import (
    CURATED_DIR,
    load_aesthetics,
    load_foreign_quality_words,
    load_quality_ladder,
)
from kb.knowledge.tagforms import to_canonical
from kb.prompt.tagview import CatalogMatcher, DictMatcher, NoCatalogMatcher


@pytest.fixture(scope="module")
def real_catalog(tmp_path_factory: pytest.TempPathFactory) -> Iterator[duckdb.DuckDBPyConnection]:
    connection = open_catalog(build_real_catalog(tmp_path_factory.mktemp("real") / "catalog.duckdb"))
    yield connection
    connection.close()


def test_the_real_tables_load_whole(real_catalog: duckdb.DuckDBPyConnection) -> None:
    tables = load_author_tables(real_catalog)
    (groups,) = real_catalog.execute("SELECT count(*) FROM caption_order").fetchone() or (0,)
    pairs_row = real_catalog.execute("SELECT count(*) FROM implications WHERE tag <> implied").fetchone()
    (pairs,) = pairs_row or (0,)
    assert len(tables.caption_groups) == groups > 17_000
    assert sum(len(implied) for implied in tables.implications.values()) == pairs > 7_000
    assert tables.implies("very_long_hair", "long_hair") and not tables.implies("long_hair", "very_long_hair")
    assert tables.caption_group("long_hair") == 20 and tables.caption_group("no_such_tag") is None


def test_tables_are_loaded_once_per_catalog(real_catalog: duckdb.DuckDBPyConnection, tmp_path: Path) -> None:
    first = shared_author_tables(real_catalog)
    assert shared_author_tables(real_catalog) is first
    assert CatalogMatcher(real_catalog).author_tables() is first
    tiny = open_catalog(build_tiny_catalog(tmp_path / "tiny.duckdb"))
    try:
        empty = shared_author_tables(tiny)
    finally:
        tiny.close()
    assert empty is not first and not empty.has_caption_order and not empty.implications


def test_matchers_hand_out_their_tables() -> None:
    tables = AuthorTables({"long_hair": 20}, {})
    assert author_tables_of(DictMatcher({}, author_tables=tables)) is tables
    assert author_tables_of(DictMatcher({})) == AuthorTables()
    assert author_tables_of(NoCatalogMatcher()) is None
    assert author_tables_of(None) is None


def test_implications_of_one_tag(real_catalog: duckdb.DuckDBPyConnection) -> None:
    very_long = implications_of(real_catalog, "very long hair")
    assert very_long.tag == "very_long_hair"
    assert very_long.implies == ("long_hair",)
    assert "absurdly_long_hair" in very_long.implied_by
    long_hair = implications_of(real_catalog, "long_hair")
    assert long_hair.implies == ()
    assert {"very_long_hair", "absurdly_long_hair"} <= set(long_hair.implied_by)
    assert implications_of(real_catalog, "/vlh") == very_long  # an alias
    assert implications_of(real_catalog, "Holding Sword") == implications_of(real_catalog, "holding_sword")
    assert set(implications_of(real_catalog, "holding_sword").implies) == {
        "holding",
        "weapon",
        "sword",
        "holding_weapon",
    }
    nothing = implications_of(real_catalog, "no such tag at all")
    assert nothing.implies == () and nothing.implied_by == ()


def test_foreign_words_map_to_aidxls_own_triggers() -> None:
    words = load_foreign_quality_words()
    rungs = load_quality_ladder().texts
    aesthetics = {trigger.text for trigger in load_aesthetics()}
    keys = {word.key for word in words}
    assert {"masterpiece", "score_9", "score_8_up", "source_anime", "rating_safe", "very_aesthetic"} <= keys
    assert all(word.nearest is None or word.nearest in set(rungs) | aesthetics for word in words)
    # AIDXL's own vocabulary is never foreign: its rungs (any spelling) and the author's aesthetic words.
    assert not keys & {to_canonical(rung) for rung in rungs}
    assert not keys & {"highres", "absurdres", "lowres", "aesthetic", "detailed"}
    by_key = {word.key: word for word in words}
    assert [by_key[f"score_{n}_up"].nearest for n in (9, 8, 7, 6, 5, 4)] == list(rungs[:6])
    assert by_key["masterpiece"].nearest == rungs[0]
    assert by_key["source_anime"].nearest is None


@pytest.mark.parametrize(
    ("entry", "error"),
    [
        ('text = "masterpiece"\nkind = "quality"\nnearest = "great quality"', "no AIDXL quality rung"),
        ('text = "best quality"\nkind = "quality"', "one of AIDXL's own triggers"),
        ('text = "x"\nkind = "vibe"', "kind 'vibe'"),
        ('text = "x"\nkind = "score"\ncolour = "red"', "unknown key"),
    ],
)
def test_a_bad_foreign_list_names_the_entry(tmp_path: Path, entry: str, error: str) -> None:
    for name in ("quality.toml", "aesthetic.toml", "painting_styles.toml"):
        (tmp_path / name).write_bytes((CURATED_DIR / name).read_bytes())
    (tmp_path / "foreign_quality.toml").write_text(
        f'[[word]]\n{entry}\nmodels = "m"\nsource = "s"\n', encoding="utf-8"
    )
    with pytest.raises(CuratedDataError, match=f"foreign_quality.toml: .*{error}"):
        load_foreign_quality_words(tmp_path)
