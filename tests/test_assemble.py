"""AIDXL prompt assembly: slot order, blends, quality weights, duplicates, negative prompt."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest
from prompt_fixture import build_tiny_catalog

from kb.assemble import (
    SLOT_ORDER,
    StyleBlend,
    TagPlacement,
    assemble_prompt,
    load_slot_rules,
    parse_blend,
    place_tags,
)
from kb.catalog import open_catalog
from kb.errors import CuratedDataError
from kb.settings import GenerationSettings
from kb.tagview import CatalogMatcher

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
        ("by a", 0.9), ("by b", 0.9090909090909091), ("by c", 0.8),
    )
    assert parse_blend("((by a)), [[by b]], (by c)").styles == (
        ("by a", 1.2100000000000002), ("by b", 0.8264462809917354), ("by c", 1.1),
    )
    assert parse_blend("(by a, by b:0.8)").styles == (("by a", 0.8), ("by b", 0.8))


def test_parse_blend_qualifiers_escapes_and_odd_entries() -> None:
    assert parse_blend("by dino (dinoartforame):0.8, (by dino \\(x\\):0.9), by e \\(y\\)").styles == (
        ("by dino (dinoartforame)", 0.8), ("by dino (x)", 0.9), ("by e (y)", 1.0),
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
