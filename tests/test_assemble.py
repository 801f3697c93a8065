"""AIDXL prompt assembly: slot order, blends, quality weights, duplicates, negative prompt."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import duckdb
import pytest
from prompt_fixture import build_tiny_catalog

from kb.catalog import open_catalog
from kb.errors import CuratedDataError
from kb.knowledge.author_tables import AuthorTables
from kb.knowledge.caption_groups import CaptionGroup
from kb.prompt.assemble import (
    SLOT_OF_CAPTION_GROUP,
    SLOT_ORDER,
    AddedTag,
    StyleBlend,
    TagPlacement,
    assemble_prompt,
    load_slot_rules,
    parse_blend,
    place_tags,
)
from kb.prompt.tagview import CatalogMatcher, DictMatcher
from kb.settings import GenerationSettings

MODEL_PAGE_NEGATIVE = (
    "(worst quality:1.3), low quality, lowres, messy, abstract, ugly, disfigured, bad anatomy, draft, "
    "deformed hands, fused fingers, signature, text, multi views"
)
MESSY = (
    "best quality, white dress, smile, long_hair, ganyu (genshin impact), 1girl, cowboy shot, impasto, "
    "gradient background, sitting on ground, holding a magic wand, grass, beautiful color, birds, "
    "(smile:1.2), by chi4, mystery tag, in the forest"
)


def test_messy_list_comes_out_in_the_cards_order() -> None:
    result = assemble_prompt(MESSY, blend=parse_blend("by yoneyama mai:0.9, by chi4:0.8, by ask"))
    assert result.positive == (
        "(by yoneyama mai:0.9), (by chi4:0.8), by ask, ganyu \\(genshin impact\\), 1girl, cowboy shot, "
        "impasto, in the forest, gradient background, sitting on ground, (smile:1.2), long hair, "
        "white dress, holding a magic wand, grass, beautiful color, (best quality:1.3), birds, mystery tag"
    )
    assert result.negative == MODEL_PAGE_NEGATIVE
    assert result.settings == GenerationSettings()
    assert [tag.slot for tag in result.tags][:3] == ["character", "character", "composition"]


def test_appended_blend_and_added_quality() -> None:
    result = assemble_prompt(
        "a, b, best quality",
        blend=StyleBlend("mine", (("by a", 0.9), ("by b", 0.8))),
        append_blend=True,
        add_quality=["amazing quality"],
        negative="lowres",
    )
    assert result.positive == "a, b, (best quality:1.3), (amazing quality:1.3), (by a:0.9), (by b:0.8)"
    assert result.negative == "lowres"


def test_duplicates_merge_at_first_position_with_explicit_weight() -> None:
    result = assemble_prompt("white hair, smile, (white_hair:1.2), (best quality:1.5), best quality")
    assert result.positive == "smile, (white hair:1.2), (best quality:1.5)"


def test_unknown_tags_keep_their_neighbour() -> None:
    assert (
        assemble_prompt("mystery, smile, odd thing, by chi4").positive == "by chi4, mystery, smile, odd thing"
    )


def test_parse_blend_forms() -> None:
    assert parse_blend("by a:0.9,by b:0.8, by c").styles == (("by a", 0.9), ("by b", 0.8), ("by c", 1.0))
    assert parse_blend("(by a:0.9), (by b:0.8)").styles == (("by a", 0.9), ("by b", 0.8))
    assert parse_blend("by a:0.9").render() == "(by a:0.9)"


def test_parse_blend_reads_a1111_weights_like_the_web_ui() -> None:
    # [x] divides by 1.1 (multiplies by 1/1.1), (x) multiplies by 1.1, nesting multiplies.
    assert parse_blend("[by ask]").styles == (("by ask", 0.9090909090909091),)
    assert parse_blend("[by ask]").render() == "(by ask:0.91)"
    assert parse_blend("(by a:0.9), [by b], by c:0.8").styles == (
        ("by a", 0.9),
        ("by b", 0.9090909090909091),
        ("by c", 0.8),
    )
    assert parse_blend("((by a)), [[by b]], (by c)").styles == (
        ("by a", 1.2100000000000002),
        ("by b", 0.8264462809917354),
        ("by c", 1.1),
    )
    assert parse_blend("(by a, by b:0.8)").styles == (("by a", 0.8), ("by b", 0.8))


def test_parse_blend_qualifiers_escapes_and_odd_entries() -> None:
    assert parse_blend("by dino (dinoartforame):0.8, (by dino \\(x\\):0.9), by e \\(y\\)").styles == (
        ("by dino (dinoartforame)", 0.8),
        ("by dino (x)", 0.9),
        ("by e (y)", 1.0),
    )
    assert parse_blend("(by dino (x):0.9)").render() == "(by dino \\(x\\):0.9)"
    assert parse_blend("By Chi4:.5, , by a:0.9:bad").styles == (("By Chi4", 0.5), ("by a:0.9:bad", 1.0))
    assert parse_blend("").styles == ()


def test_place_tags_matches_the_assembled_order() -> None:
    prompt = "best quality, smile, best quality, long hair, by chi4, mystery"
    # `mystery` has no slot: it travels with `by chi4`, the tag written before it.
    assert assemble_prompt(prompt).positive == "by chi4, mystery, smile, long hair, (best quality:1.3)"
    assert place_tags(prompt) == [
        TagPlacement(tag=0, slot="quality", written=0, assembled=4),
        TagPlacement(tag=1, slot="expression", written=1, assembled=2),
        TagPlacement(tag=3, slot="main_characteristics", written=2, assembled=3),
        TagPlacement(tag=4, slot="art_style", written=3, assembled=0),
        TagPlacement(tag=5, slot=None, written=4, assembled=1),
    ]


def test_catalog_kinds_place_tags(tmp_path: Path) -> None:
    connection: duckdb.DuckDBPyConnection = open_catalog(build_tiny_catalog(tmp_path / "catalog.duckdb"))
    try:
        result = assemble_prompt(
            "long hair, flat color, lucyna kushinada, by dino, amazing quality, smile",
            matcher=CatalogMatcher(connection),
        )
    finally:
        connection.close()
    assert result.positive == "by dino, lucyna kushinada, flat color, smile, long hair, (amazing quality:1.3)"


def test_slots_file_is_valid_and_checked(tmp_path: Path) -> None:
    rules = load_slot_rules()
    assert set(rules.exact.values()) <= set(SLOT_ORDER)
    assert rules.slot_of("holding sword") == "items" and rules.slot_of("frilled dress") == "clothing"
    bad = tmp_path / "slots.toml"
    bad.write_text('[slot.nowhere]\ntags = ["x"]\n', encoding="utf-8")
    with pytest.raises(CuratedDataError, match=r"slots.toml: \[slot.nowhere\]: unknown slot"):
        load_slot_rules(bad)


# ------------------------------------------------------------------------------------------------
# The author's caption order inside the card's skeleton (kb.knowledge.author_tables, SLOT_OF_CAPTION_GROUP)

BRIEF_EXAMPLE = "white shirt, smile, blue eyes, twintails, red ribbon, holding sword, outdoors, from side"
# The groups the author's table (waifuset tag_priorities.json) gives these tags.
SMALL_CAPTION_ORDER = {
    "1girl": 1,
    "solo": 5,
    "outdoors": 9,
    "from_side": 11,
    "holding_sword": 12,
    "smile": 14,
    "open_mouth": 16,
    "blue_eyes": 17,
    "long_hair": 20,
    "white_hair": 20,
    "twintails": 21,
    "hair_ribbon": 21,
    "white_shirt": 32,
    "red_ribbon": 33,
    "wings": 36,
    "sky": 39,
}


def small_tables(implications: dict[str, frozenset[str]] | None = None) -> AuthorTables:
    return AuthorTables(SMALL_CAPTION_ORDER, implications or {})


def test_caption_groups_place_and_order_tags_inside_the_skeleton() -> None:
    result = assemble_prompt(BRIEF_EXAMPLE, tables=small_tables())
    # composition (angle) → main environment → action (the author files holding_* with actions) →
    # expression → other characteristics (eyes 17 before hairstyle 21) → clothing → accessories.
    assert result.positive == (
        "from side, outdoors, holding sword, smile, blue eyes, twintails, white shirt, red ribbon"
    )
    assert [tag.slot for tag in result.tags] == [
        "composition",
        "main_environment",
        "action",
        "expression",
        "other_characteristics",
        "other_characteristics",
        "clothing",
        "accessories",
    ]


def test_without_the_table_assembly_keeps_the_curated_slots() -> None:
    # slots.toml alone: `holding ` → items, written order inside each slot.
    assert assemble_prompt(BRIEF_EXAMPLE).positive == (
        "from side, outdoors, smile, blue eyes, twintails, white shirt, red ribbon, holding sword"
    )
    empty_tables = assemble_prompt(BRIEF_EXAMPLE, tables=AuthorTables())
    assert empty_tables.positive == assemble_prompt(BRIEF_EXAMPLE).positive
    # The same tags written in another order: without the table, the written order inside a slot.
    assert assemble_prompt("twintails, blue eyes").positive == "twintails, blue eyes"
    assert assemble_prompt("twintails, blue eyes", tables=small_tables()).positive == "blue eyes, twintails"


def test_kinds_keep_their_slots_and_the_role_tag_leads_the_character_slot() -> None:
    prompt = "ganyu (genshin impact), solo, 1girl, white hair, best quality, by chi4"
    assert assemble_prompt(prompt).positive == (
        "by chi4, ganyu \\(genshin impact\\), solo, 1girl, white hair, (best quality:1.3)"
    )
    # The author's order: role (1girl), character, solo.
    assert assemble_prompt(prompt, tables=small_tables()).positive == (
        "by chi4, 1girl, ganyu \\(genshin impact\\), solo, white hair, (best quality:1.3)"
    )


def test_worn_things_and_body_parts_change_family() -> None:
    # hair_ribbon sits with the hairstyles (21) but is worn: accessories; wings sit with the items
    # (36) but are a body part: slots.toml's race. Tags the table files under 39 keep slots.toml's slot.
    result = assemble_prompt("sky, hair ribbon, wings, twintails, smile", tables=small_tables())
    assert {tag.text: tag.slot for tag in result.tags} == {
        "wings": "race",
        "smile": "expression",
        "twintails": "other_characteristics",
        "hair ribbon": "accessories",
        "sky": "secondary_environment",
    }
    assert result.positive == "wings, smile, twintails, hair ribbon, sky"


def test_tags_without_a_slot_still_travel_with_their_neighbour() -> None:
    assert assemble_prompt("smile, mystery, from side", tables=small_tables()).positive == (
        "from side, smile, mystery"
    )
    assert assemble_prompt("mystery, smile, odd thing, by chi4", tables=small_tables()).positive == (
        "by chi4, mystery, smile, odd thing"
    )


def test_the_matchers_tables_are_used_by_default() -> None:
    matcher = DictMatcher({key: 0 for key in SMALL_CAPTION_ORDER}, author_tables=small_tables())
    assert assemble_prompt("twintails, blue eyes", matcher=matcher).positive == "blue eyes, twintails"
    assert place_tags("twintails, blue eyes, smile, 1girl", tables=small_tables()) == [
        TagPlacement(tag=0, slot="other_characteristics", written=0, assembled=3, group=21),
        TagPlacement(tag=1, slot="other_characteristics", written=1, assembled=2, group=17),
        TagPlacement(tag=2, slot="expression", written=2, assembled=1, group=14),
        TagPlacement(tag=3, slot="character", written=3, assembled=0, group=1),
    ]


def test_card_character_forms_take_the_character_slot() -> None:
    assert assemble_prompt("smile, a girl named ganyu from genshin impact series").positive == (
        "a girl named ganyu from genshin impact series, smile"
    )
    assert assemble_prompt("smile, 1 frieren \\(sousou no frieren\\)").positive == (
        "1 frieren \\(sousou no frieren\\), smile"
    )


def test_added_tags_follow_their_character_and_skip_what_the_prompt_says() -> None:
    tables = small_tables({"very_long_hair": frozenset({"long_hair"})})
    added = [
        AddedTag("white hair", "features of x", after="x_(y)", fallback_slot="other_characteristics"),
        AddedTag("long hair", "features of x", after="x_(y)"),  # implied by the user's very long hair
        AddedTag("smile", "features of x", after="x_(y)"),  # already there
        AddedTag("odd mark", "features of x", after="x_(y)", fallback_slot="other_characteristics"),
        AddedTag("white shirt", "outfit of z", after="x_(y)", fallback_slot="clothing"),
    ]
    result = assemble_prompt("smile, x (y), very long hair", tables=tables, added=added)
    assert result.positive == "x \\(y\\), smile, white hair, very long hair, odd mark, white shirt"
    assert {tag.text: tag.added_by for tag in result.tags} == {
        "x (y)": None,
        "smile": None,
        "white hair": "features of x",
        "very long hair": None,
        "odd mark": "features of x",
        "white shirt": "outfit of z",
    }


@pytest.fixture(scope="module")
def real_catalog(tmp_path_factory: pytest.TempPathFactory) -> Iterator[duckdb.DuckDBPyConnection]:
    from catalog_fixture import build_real_catalog

    connection = open_catalog(build_real_catalog(tmp_path_factory.mktemp("real") / "catalog.duckdb"))
    yield connection
    connection.close()


def test_the_real_caption_order_places_tags_by_the_authors_groups(
    real_catalog: duckdb.DuckDBPyConnection,
) -> None:
    matcher = CatalogMatcher(real_catalog)
    tables = matcher.author_tables()
    result = assemble_prompt(BRIEF_EXAMPLE, matcher=matcher)
    rank = {slot: position for position, slot in enumerate(SLOT_ORDER)}
    groups = []
    for tag in result.tags:
        group = tables.caption_group(tag.text.replace(" ", "_"))
        assert group is not None, tag.text
        groups.append(group)
        assert tag.slot == SLOT_OF_CAPTION_GROUP[CaptionGroup(group)], tag.text
    keys = [(rank[tag.slot or ""], group) for tag, group in zip(result.tags, groups, strict=True)]
    assert keys == sorted(keys)  # slots in the card's order, the author's groups inside each slot
    assert {tag.text for tag in result.tags} == {tag.strip() for tag in BRIEF_EXAMPLE.split(",")}
    # The linter's slot check reads the same order: the assembled prompt has no slot-order finding.
    from kb.prompt.lint import lint_prompt

    assert [f.code for f in lint_prompt(result.positive, matcher)].count("slot-order") == 0


def test_assembly_writes_characters_in_the_form_aidxl_knows(real_catalog: duckdb.DuckDBPyConnection) -> None:
    matcher = CatalogMatcher(real_catalog)
    result = assemble_prompt("smile, (frieren:1.2), frieren \\(sousou no frieren\\)", matcher=matcher)
    # Danbooru's `frieren` is written as the author's caption form, once (both spellings merge).
    assert result.positive.startswith("(frieren \\(sousou no frieren\\):1.2), ")
    assert [tag.text for tag in result.tags].count("frieren (sousou no frieren)") == 1
    # Without the catalog nothing is rewritten.
    assert assemble_prompt("frieren, smile").positive.startswith("frieren, smile")


def test_a_tag_weighted_in_parts_is_kept_as_written() -> None:
    from kb.prompt.segments import attention_vector

    result = assemble_prompt("girl with (red hair:1.4), smile")
    assert "girl with (red hair:1.4)" in result.positive
    assert (("girl with ", 1.0), ("red hair", 1.4)) in attention_vector(result.positive)
