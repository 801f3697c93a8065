"""The model author's caption groups and what a character's core tag describes.

The author's caption tools (waifuset `tag_priorities.json`, stored in the catalog's `caption_order`
table) give each Danbooru tag a group index; a lower index comes earlier in a caption. The numbers
sit one above the `PRIORITY_PATTERN` list of waifuset's `tagging.py` and were named from the table's
contents (index 20 holds `red_hair`, 32 `white_shirt`, 36 `katana` but also `wings`). Indexes 0, 2
and 38 hold no tag; 39 holds every tag no pattern matched, which is also where the author's tools put
a tag the table does not list (`UNGROUPED_INDEX`).

`feature_part` sorts a character's core tags (a chant, e.g. `2b_(nier:automata)`: `white_hair`,
`black_blindfold`) into what the character looks like (`appearance`) and what it wears or holds
(`outfit`); tags that describe the picture rather than the character (role, expression, action,
background, ...) are no feature at all. Prompt assembly and lint can reuse the same names and split.
"""

from __future__ import annotations

from enum import IntEnum, StrEnum


class CaptionGroup(IntEnum):
    """Group indexes of the author's caption-order table (lower = earlier in a caption)."""

    ROLE = 1  # 1girl, 1boy, no_humans, multiple_girls
    COSPLAY = 3
    RACE = 4  # fox_girl, demon_girl, loli, maid, nun
    SOLO = 5
    SUBJECT = 6  # portrait, scenery
    PAINTING_STYLE = 7  # flat_color, impasto, sketch
    THEME = 8
    ENVIRONMENT = 9  # outdoors, indoors
    BACKGROUND = 10
    ANGLE = 11  # from_behind, cowboy_shot, upper_body
    ACTION = 12  # sitting, holding_sword (and heterochromia)
    ADDITIONAL_ACTION = 13  # on_back
    EXPRESSION = 14  # smile, blush
    SKIN = 15  # dark_skin, pale_skin
    FACE_FEATURE = 16  # fox_ears, horns, fang, tail, mole_under_mouth, open_mouth
    EYE = 17  # blue_eyes
    EYE_FEATURE = 18  # slit_pupils, eyelashes, hair_over_one_eye
    EYE_ACCESSORY = 19  # glasses, eyepatch, goggles
    HAIR = 20  # white_hair, long_hair (and black_hairband, x_hair_ornament)
    HAIRSTYLE = 21  # twintails, ahoge (and hair_bow, hair_ornament, hair_ribbon)
    HAIR_ORNAMENT = 22  # hairband, hairclip
    FIGURE = 23  # plump
    BREAST = 24  # large_breasts
    BREAST_FEATURE = 25  # cleavage (and cleavage_cutout)
    NIPPLE = 26
    GENITALS = 27
    CENSORING = 28
    BODY = 29  # thighs, navel (and thigh_boots, thigh_strap)
    BODY_FEATURE = 30  # mole, scar, tattoo, freckles
    SUIT = 31  # plugsuit, nude
    CLOTHES = 32  # white_shirt, black_gloves, hat
    CLOTHES_ACCESSORY = 33  # long_sleeves, choker, ribbon (and halo)
    MISC = 34  # a pattern of words starting with v: virtual_youtuber, vision_(genshin_impact), toes
    NAIL = 35  # nail_polish, black_nails
    ITEM = 36  # katana, backpack, earrings (and wings, antlers)
    AESTHETIC = 37  # monochrome, depth_of_field
    OTHER = 39  # everything else: black_blindfold, beret, pokemon_(creature)


_GROUP_OF_INDEX: dict[int, CaptionGroup] = {int(group): group for group in CaptionGroup}
# Where a tag the table does not list goes: the author's tools sort it with the rest (index 39).
UNGROUPED_INDEX = int(CaptionGroup.OTHER)


class FeaturePart(StrEnum):
    APPEARANCE = "appearance"  # body, hair, eyes, ears, tail, skin, marks
    OUTFIT = "outfit"  # clothes, accessories, held items


# Groups that describe the picture, not the character: never a feature.
NOT_FEATURE_GROUPS = frozenset(
    {
        CaptionGroup.ROLE,
        CaptionGroup.COSPLAY,
        CaptionGroup.SOLO,
        CaptionGroup.SUBJECT,
        CaptionGroup.PAINTING_STYLE,
        CaptionGroup.THEME,
        CaptionGroup.ENVIRONMENT,
        CaptionGroup.BACKGROUND,
        CaptionGroup.ANGLE,
        CaptionGroup.ACTION,
        CaptionGroup.ADDITIONAL_ACTION,
        CaptionGroup.EXPRESSION,
        CaptionGroup.CENSORING,
        CaptionGroup.AESTHETIC,
    }
)
APPEARANCE_GROUPS = frozenset(
    {
        CaptionGroup.RACE,
        CaptionGroup.SKIN,
        CaptionGroup.FACE_FEATURE,
        CaptionGroup.EYE,
        CaptionGroup.EYE_FEATURE,
        CaptionGroup.HAIR,
        CaptionGroup.HAIRSTYLE,
        CaptionGroup.FIGURE,
        CaptionGroup.BREAST,
        CaptionGroup.BREAST_FEATURE,
        CaptionGroup.NIPPLE,
        CaptionGroup.GENITALS,
        CaptionGroup.BODY,
        CaptionGroup.BODY_FEATURE,
        CaptionGroup.NAIL,
    }
)
OUTFIT_GROUPS = frozenset(
    {
        CaptionGroup.EYE_ACCESSORY,
        CaptionGroup.HAIR_ORNAMENT,
        CaptionGroup.SUIT,
        CaptionGroup.CLOTHES,
        CaptionGroup.CLOTHES_ACCESSORY,
        CaptionGroup.ITEM,
    }
)
# MISC, OTHER and indexes the table does not name are decided by words alone.

# Words (between underscores) of things worn, whatever body group the author filed them under:
# `hair_bow`, `black_hairband`, `horn_ribbon`, `thigh_boots`, `cleavage_cutout`, `maid_headdress`.
OUTFIT_WORDS = frozenset(
    {
        "beads",
        "bell",
        "bobbles",
        "boots",
        "bow",
        "bows",
        "clip",
        "collar",
        "cover",
        "covered",
        "covers",
        "curtain",
        "curtains",
        "cutout",
        "earring",
        "earrings",
        "fake",
        "fashion",
        "harness",
        "hairband",
        "hairclip",
        "hairpin",
        "hat",
        "headband",
        "headdress",
        "headwear",
        "jewelry",
        "maid",
        "mask",
        "nun",
        "ornament",
        "piercing",
        "pocket",
        "ribbon",
        "ribbons",
        "sarashi",
        "scrunchie",
        "stick",
        "strap",
        "straps",
        "tight",
        "tubes",
        "uniform",
        "vent",
    }
)
# Body parts the author files under items or accessories (`wings`, `antlers` in ITEM, `halo` in
# CLOTHES_ACCESSORY): appearance even there.
BODY_WORDS = frozenset({"antlers", "halo", "horn", "horns", "tail", "tails", "wing", "wings"})
# Words of a tag outside the named groups that make it appearance (`dragon_girl`, `body_fur`,
# `facial_mark`, `pokemon_(creature)`, `hime_cut`); any other such tag is outfit (`beret`, `tiara`).
APPEARANCE_WORDS = BODY_WORDS | frozenset(
    {
        "abs",
        "ahoge",
        "bangs",
        "beard",
        "body",
        "boy",
        "braid",
        "braids",
        "breasts",
        "bun",
        "buns",
        "claws",
        "creature",
        "cut",
        "drills",
        "ear",
        "ears",
        "elf",
        "eye",
        "eyebrows",
        "eyelashes",
        "eyes",
        "face",
        "fang",
        "fangs",
        "female",
        "fingernails",
        "fins",
        "freckles",
        "fur",
        "furry",
        "girl",
        "goatee",
        "hair",
        "lips",
        "male",
        "mark",
        "markings",
        "marks",
        "mole",
        "muscular",
        "mustache",
        "nails",
        "navel",
        "pectorals",
        "ponytail",
        "pupils",
        "scales",
        "scar",
        "sclera",
        "sidelocks",
        "skin",
        "stomach",
        "stubble",
        "tan",
        "tattoo",
        "teeth",
        "thighs",
        "toes",
        "twintails",
        "updo",
    }
)
# The few tags the rules above get wrong; None: not a feature.
TAG_OVERRIDES: dict[str, FeaturePart | None] = {
    "heterochromia": FeaturePart.APPEARANCE,  # filed under ACTION
    "hair_flower": FeaturePart.OUTFIT,  # filed under HAIRSTYLE (`flower_in_eye` is appearance)
    "one_side_up": FeaturePart.APPEARANCE,  # a hairstyle, filed under OTHER
    "magical_girl": FeaturePart.OUTFIT,  # a costume, not a race
    "no_humans": None,  # a role (ROLE), also when no caption-order table is given
    "virtual_youtuber": None,  # a meta tag (MISC)
}


def tag_words(tag: str) -> frozenset[str]:
    """The words of a canonical tag: `pokemon_(creature)` → {pokemon, creature}."""
    return frozenset(word.strip("()") for word in tag.split("_"))


def feature_part(tag: str, group_index: int | None) -> FeaturePart | None:
    """What a character's core tag describes: `appearance`, `outfit`, or None (not a feature).

    `group_index` is the tag's caption group (None when the caption-order table does not list it).
    Rules, first match wins: a tag override; a group that describes the picture → None; an outfit
    word → outfit; an appearance group → appearance; a body word → appearance; an outfit group →
    outfit; otherwise (MISC, OTHER, unlisted) an appearance word → appearance, else outfit.
    """
    if tag in TAG_OVERRIDES:
        return TAG_OVERRIDES[tag]
    group = _GROUP_OF_INDEX.get(group_index) if group_index is not None else None
    if group in NOT_FEATURE_GROUPS:
        return None
    words = tag_words(tag)
    if words & OUTFIT_WORDS:
        return FeaturePart.OUTFIT
    if group in APPEARANCE_GROUPS or words & BODY_WORDS:
        return FeaturePart.APPEARANCE
    if group in OUTFIT_GROUPS:
        return FeaturePart.OUTFIT
    return FeaturePart.APPEARANCE if words & APPEARANCE_WORDS else FeaturePart.OUTFIT


def caption_group_name(group_index: int) -> str:
    """`hair` for 20; `group 38` for an index the table's contents do not name."""
    group = _GROUP_OF_INDEX.get(group_index)
    return group.name.lower() if group is not None else f"group {group_index}"


class CharacterGender(StrEnum):
    """A character's gender as the author's role tags state it (`1girl`, `1boy`, `1other`)."""

    GIRL = "girl"
    BOY = "boy"
    OTHER = "other"


GENDER_OF_ROLE_TAG: dict[str, CharacterGender] = {
    "1girl": CharacterGender.GIRL,
    "1boy": CharacterGender.BOY,
    "1other": CharacterGender.OTHER,
}
