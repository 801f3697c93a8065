"""kb.knowledge.caption_groups: the author's group numbering, the appearance / outfit split of core tags."""

from __future__ import annotations

from pathlib import Path

import pytest

from kb.knowledge.caption_groups import CaptionGroup, FeaturePart, caption_group_name, feature_part

APPEARANCE, OUTFIT = FeaturePart.APPEARANCE, FeaturePart.OUTFIT


@pytest.mark.parametrize(
    ("tag", "group", "expected"),
    [
        ("white_hair", 20, APPEARANCE),
        ("black_hairband", 20, OUTFIT),  # an accessory the author files under hair
        ("twintails", 21, APPEARANCE),
        ("hair_bow", 21, OUTFIT),
        ("hair_flower", 21, OUTFIT),
        ("flower-shaped_pupils", 18, APPEARANCE),
        ("fox_ears", 16, APPEARANCE),
        ("horn_ribbon", 16, OUTFIT),
        ("cleavage", 25, APPEARANCE),
        ("cleavage_cutout", 25, OUTFIT),
        ("thigh_boots", 29, OUTFIT),
        ("thighs", 29, APPEARANCE),
        ("glasses", 19, OUTFIT),
        ("black_gloves", 32, OUTFIT),
        ("halo", 33, APPEARANCE),  # a body part filed under clothes accessories
        ("wings", 36, APPEARANCE),
        ("antlers", 36, APPEARANCE),
        ("katana", 36, OUTFIT),
        ("maid_headdress", 4, OUTFIT),
        ("fox_girl", 4, APPEARANCE),
        ("heterochromia", 12, APPEARANCE),
        ("holding_sword", 12, None),  # an action
        ("smile", 14, None),
        ("simple_background", 10, None),
        ("1girl", 1, None),
        ("no_humans", None, None),
        ("black_blindfold", 39, OUTFIT),
        ("pokemon_(creature)", 39, APPEARANCE),
        ("dragon_girl", 39, APPEARANCE),
        ("beret", None, OUTFIT),  # not in the table: words decide
        ("body_fur", None, APPEARANCE),
        ("vision_(genshin_impact)", 34, OUTFIT),
        ("virtual_youtuber", 34, None),
    ],
)
def test_feature_part(tag: str, group: int | None, expected: FeaturePart | None) -> None:
    assert feature_part(tag, group) is expected


def test_group_names() -> None:
    assert (caption_group_name(20), caption_group_name(32), caption_group_name(38)) == (
        "hair",
        "clothes",
        "group 38",
    )
    assert int(CaptionGroup.OTHER) == 39


def test_group_numbers_match_the_real_table(shared_data: Path) -> None:
    """The names were given from the table's contents: check a few members of each named group."""
    import json

    group_of = json.loads((shared_data / "waifuset.tag_priorities.json").read_text())
    members = {
        CaptionGroup.ROLE: "1girl",
        CaptionGroup.COSPLAY: "cosplay",
        CaptionGroup.RACE: "demon_girl",
        CaptionGroup.SOLO: "solo",
        CaptionGroup.SUBJECT: "scenery",
        CaptionGroup.PAINTING_STYLE: "flat_color",
        CaptionGroup.THEME: "fantasy",
        CaptionGroup.ENVIRONMENT: "outdoors",
        CaptionGroup.BACKGROUND: "simple_background",
        CaptionGroup.ANGLE: "cowboy_shot",
        CaptionGroup.ACTION: "sitting",
        CaptionGroup.ADDITIONAL_ACTION: "on_back",
        CaptionGroup.EXPRESSION: "smile",
        CaptionGroup.SKIN: "dark_skin",
        CaptionGroup.FACE_FEATURE: "fox_ears",
        CaptionGroup.EYE: "blue_eyes",
        CaptionGroup.EYE_FEATURE: "slit_pupils",
        CaptionGroup.EYE_ACCESSORY: "glasses",
        CaptionGroup.HAIR: "white_hair",
        CaptionGroup.HAIRSTYLE: "twintails",
        CaptionGroup.HAIR_ORNAMENT: "hairband",
        CaptionGroup.FIGURE: "plump",
        CaptionGroup.BREAST: "large_breasts",
        CaptionGroup.BREAST_FEATURE: "cleavage",
        CaptionGroup.NIPPLE: "nipples",
        CaptionGroup.GENITALS: "pussy",
        CaptionGroup.CENSORING: "censored",
        CaptionGroup.BODY: "thighs",
        CaptionGroup.BODY_FEATURE: "mole",
        CaptionGroup.SUIT: "plugsuit",
        CaptionGroup.CLOTHES: "white_shirt",
        CaptionGroup.CLOTHES_ACCESSORY: "choker",
        CaptionGroup.MISC: "vision_(genshin_impact)",
        CaptionGroup.NAIL: "nail_polish",
        CaptionGroup.ITEM: "katana",
        CaptionGroup.AESTHETIC: "depth_of_field",
        CaptionGroup.OTHER: "comic",
    }
    assert {group: group_of[tag] for group, tag in members.items()} == {
        group: int(group) for group in members
    }
    assert set(group_of.values()) == {int(group) for group in CaptionGroup}
