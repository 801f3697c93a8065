"""A character's features in a prompt: `--with-features`, `--outfit-of` (kb.knowledge.features), on the real
catalog (its chants source gives 2b's and frieren's appearance and outfit)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import duckdb
import pytest
from catalog_fixture import build_real_catalog
from prompt_fixture import add_features, build_tiny_catalog

from kb.catalog import open_catalog
from kb.errors import CharacterNotFoundError, FeaturesNotFoundError
from kb.knowledge.author_tables import AuthorTables, choose_additions, shared_author_tables
from kb.knowledge.caption_groups import FeaturePart
from kb.knowledge.character_info import character_info
from kb.knowledge.features import character_additions, new_features, prompt_characters
from kb.knowledge.tagforms import to_canonical, unescape_a1111
from kb.prompt.assemble import assemble_prompt
from kb.prompt.tagview import CatalogMatcher, split_tags
from tui.cli import main

GANYU = "ganyu_(genshin_impact)"
# The chants source lists ganyu's `horns` beside her `goat horns`, which imply them.
GANYU_LOOKS = ("goat_horns", "horns", "purple_eyes", "long_hair")
CHARACTERISTICS = {"race", "main_characteristics", "other_characteristics"}
OUTFIT_SLOTS = {"clothing", "accessories", "items"}


@pytest.fixture(scope="module")
def catalog_path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_real_catalog(tmp_path_factory.mktemp("real") / "catalog.duckdb")


@pytest.fixture(scope="module")
def connection(catalog_path: Path) -> Iterator[duckdb.DuckDBPyConnection]:
    connection = open_catalog(catalog_path)
    yield connection
    connection.close()


def features(connection: duckdb.DuckDBPyConnection, tag: str) -> tuple[list[str], list[str]]:
    info = character_info(connection, tag)
    assert info is not None
    return (
        [unescape_a1111(feature) for feature in info.features.appearance],
        [unescape_a1111(feature) for feature in info.features.outfit],
    )


def assemble_json(catalog_path: Path, capsys: pytest.CaptureFixture[str], *argv: str) -> dict[str, object]:
    assert main(["prompt", "assemble", "--json", "--catalog", str(catalog_path), *argv]) == 0
    result = json.loads(capsys.readouterr().out)
    assert isinstance(result, dict)
    return result


def test_with_features_adds_2bs_appearance_after_her(
    catalog_path: Path, connection: duckdb.DuckDBPyConnection, capsys: pytest.CaptureFixture[str]
) -> None:
    appearance, outfit = features(connection, "2b_(nier:automata)")
    result = assemble_json(catalog_path, capsys, "--with-features", "2b \\(nier:automata\\), smile, outdoors")
    tags = result["tags"]
    assert isinstance(tags, list)
    added = [tag for tag in tags if tag["added_by"] is not None]
    assert {tag["added_by"] for tag in added} == {"features of 2b_(nier:automata)"}
    assert {tag["text"] for tag in added} <= set(appearance)
    assert not {tag["text"] for tag in added} & set(outfit)  # appearance only: no clothes
    assert {tag["slot"] for tag in added} <= CHARACTERISTICS
    texts = [tag["text"] for tag in tags]
    assert texts.index("2b (nier:automata)") < min(texts.index(tag["text"]) for tag in added)
    # Every appearance feature is there, unless another one (or the prompt) implies it.
    tables = CatalogMatcher(connection).author_tables()
    for feature in appearance:
        key = to_canonical(feature)
        assert feature in texts or any(tables.implies(to_canonical(other), key) for other in texts), feature


def test_with_features_skips_what_the_prompt_says_or_implies(
    catalog_path: Path, connection: duckdb.DuckDBPyConnection, capsys: pytest.CaptureFixture[str]
) -> None:
    appearance, _ = features(connection, "frieren")
    assert {"long hair", "white hair"} <= set(appearance)
    # The author's form of frieren; `very long hair` implies frieren's `long hair`; white hair is there.
    result = assemble_json(
        catalog_path, capsys, "--with-features", "frieren \\(sousou no frieren\\), white hair, very long hair"
    )
    tags = result["tags"]
    assert isinstance(tags, list)
    texts = [tag["text"] for tag in tags]
    assert texts.count("white hair") == 1 and "long hair" not in texts
    assert {tag["text"] for tag in tags if tag["added_by"]} == set(appearance) - {"white hair", "long hair"}


def test_outfit_of_dresses_another_character(
    catalog_path: Path, connection: duckdb.DuckDBPyConnection, capsys: pytest.CaptureFixture[str]
) -> None:
    _, outfit = features(connection, "2b_(nier:automata)")
    result = assemble_json(catalog_path, capsys, "--outfit-of", "2b", "frieren, smile, best quality")
    tags = result["tags"]
    assert isinstance(tags, list)
    added = [tag for tag in tags if tag["added_by"] is not None]
    assert {tag["text"] for tag in added} == set(outfit)
    assert {tag["added_by"] for tag in added} == {"outfit of 2b_(nier:automata)"}
    assert {tag["slot"] for tag in added} <= OUTFIT_SLOTS
    assert tags[0]["text"] == "frieren (sousou no frieren)"  # the form AIDXL knows
    assert tags[-1]["slot"] == "quality"  # the skeleton still closes with quality


def test_both_flags_and_the_human_output(catalog_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    flags = ["--with-features", "--outfit-of", "2b"]
    assert main(["prompt", "assemble", "--catalog", str(catalog_path), *flags, "frieren"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].startswith("positive: frieren \\(sousou no frieren\\), ")
    assert [line.split(":")[0] for line in lines[3:]] == [
        "added (features of frieren)",
        "added (outfit of 2b_(nier",
    ]


def test_kb_function_resolves_the_cards_character_forms(connection: duckdb.DuckDBPyConnection) -> None:
    matcher = CatalogMatcher(connection)
    for form in (
        "frieren",
        "frieren \\(sousou no frieren\\)",
        "1 frieren \\(sousou no frieren\\)",
        "a girl named frieren from sousou no frieren series",
    ):
        tags = split_tags(f"smile, {form}", matcher)
        assert prompt_characters(tags, matcher) == [(1, "frieren")], form
        additions = character_additions(connection, tags, with_features=True, matcher=matcher)
        result = assemble_prompt(tags, matcher=matcher, added=additions.tags)
        assert result.tags[0].slot == "character", form
        assert {tag.added_by for tag in result.tags if tag.added_by} == {"features of frieren"}


def test_errors_name_what_is_missing(connection: duckdb.DuckDBPyConnection) -> None:
    matcher = CatalogMatcher(connection)
    with pytest.raises(FeaturesNotFoundError, match="names no character"):
        character_additions(connection, split_tags("smile", matcher), with_features=True, matcher=matcher)
    # lucy (cyberpunk) is in no chants source of the demo data.
    lucy = split_tags("lucy \\(cyberpunk\\), smile", matcher)
    with pytest.raises(FeaturesNotFoundError, match=r"lucy_\(cyberpunk\).*aidxl ingest --add --chants"):
        character_additions(connection, lucy, with_features=True, matcher=matcher)
    with pytest.raises(FeaturesNotFoundError, match="no outfit known"):
        character_additions(connection, split_tags("smile", matcher), outfit_of="lucy (cyberpunk)")
    with pytest.raises(CharacterNotFoundError):
        character_additions(connection, split_tags("smile", matcher), outfit_of="qqqzzzxxx nobody")
    # One character without features among others is a note, not an error.
    both = split_tags("frieren, lucy \\(cyberpunk\\)", matcher)
    additions = character_additions(connection, both, with_features=True, matcher=matcher)
    assert additions.without_features == ("lucy_(cyberpunk)",) and additions.tags


def test_cli_errors(catalog_path: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["prompt", "assemble", "--catalog", str(catalog_path), "--with-features", "smile"]) == 2
    assert "names no character" in capsys.readouterr().err
    no_catalog = str(tmp_path / "none.duckdb")
    assert main(["prompt", "assemble", "--catalog", no_catalog, "--outfit-of", "2b", "frieren"]) == 2
    assert "--with-features and --outfit-of need the catalog" in capsys.readouterr().err
    tiny = str(build_tiny_catalog(tmp_path / "tiny.duckdb"))  # no chants: no features at all
    assert main(["prompt", "assemble", "--catalog", tiny, "--with-features", "frieren"]) == 2
    assert "aidxl ingest --add --chants PATH" in capsys.readouterr().err


@pytest.fixture()
def ganyu_catalog(tmp_path: Path) -> Path:
    catalog = build_tiny_catalog(tmp_path / "ganyu.duckdb", knowledge=True)
    return add_features(catalog, GANYU, GANYU_LOOKS, (("goat_horns", "horns"),))


def test_a_feature_implied_by_another_feature_or_by_the_prompt_is_not_added(
    ganyu_catalog: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # `goat horns` implies `horns`; the prompt's `very long hair` implies `long hair`.
    result = assemble_json(
        ganyu_catalog, capsys, "--with-features", "ganyu \\(genshin impact\\), very long hair"
    )
    tags = result["tags"]
    assert isinstance(tags, list)
    assert {tag["text"] for tag in tags if tag["added_by"]} == {"goat horns", "purple eyes"}
    connection = open_catalog(ganyu_catalog)
    try:
        info = character_info(connection, GANYU)
        tables = shared_author_tables(connection)
    finally:
        connection.close()
    assert info is not None
    # The explorer's ctrl+n asks the same question of kb for one character.
    chosen = new_features(info, FeaturePart.APPEARANCE, {GANYU, "very_long_hair", "purple_eyes"}, tables)
    assert chosen.added == ("goat horns",)
    assert chosen.already_there == ("purple eyes",)
    assert chosen.implied == (("horns", "goat horns"), ("long hair", "very long hair"))
    # Without the author's tables only what is present is skipped.
    assert new_features(info, FeaturePart.APPEARANCE, {GANYU}, None).added == (
        "goat horns",
        "horns",
        "purple eyes",
        "long hair",
    )


def test_choose_additions_keeps_the_first_of_two_tags_that_imply_each_other() -> None:
    tables = AuthorTables(implications={"a": frozenset({"b"}), "b": frozenset({"a"}), "c": frozenset({"d"})})
    chosen = choose_additions(["b", "a", "d", "c", "b"], {"x"}, tables)
    assert chosen.added == ("b", "c")
    assert chosen.already_there == ("b",)
    assert chosen.implied == (("a", "b"), ("d", "c"))
    assert choose_additions(["d"], {"c"}, tables).implied == (("d", "c"),)
