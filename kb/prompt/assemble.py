"""Prompt assembly for AIDXL: tags placed in the model card's order, style blends, quality weights.

Each tag gets a slot (`SLOT_ORDER`, GUIDE §2, the card's skeleton) and, when the catalog holds the
model author's caption-order table (`kb.knowledge.author_tables`), a caption group. The slot comes from, in
order: the tag's trigger kind (catalog match, else the curated lists in `kb/data`: artist styles and
any `by ...` → art style, characters and copyrights → character, painting styles, aesthetics,
quality); the author's caption group (`SLOT_OF_CAPTION_GROUP`: hair → main characteristics,
clothes → clothing, ...; the catch-all groups 34 and 39 place nothing); the curated general-tag
mapping `kb/data/slots.toml` (exact tag, prefix, suffix); and, for a tag unknown to the catalog
shaped `name (qualifier)`, character. A tag with no slot travels with the tag written before it
(or, at the start, the one after it), so the user's relative order survives.

Slots follow the card's order; inside a slot tags sort by caption group (the author's order: `1girl`
before the character, eyes before the hairstyle; tags the table does not list come last, as the
author's tools put them), then as written. Without the table every tag has the same group and the
order is the written one, as before the table existed.

Duplicates (same canonical key) are merged at the first position; the first weight other than 1
among them is kept. Quality tags written at weight 1 get the ladder's `default_weight`
(`kb/data/quality.toml`). A style blend is an ordered list of (trigger, weight) rendered as
`(by a:0.9), (by b:0.8)`, placed before everything (default) or appended at the very end, which
softens it. Tags added for a reason (`AddedTag`: a character's features, another character's outfit,
see `kb.knowledge.features`) follow the tag they belong to and skip what the prompt already says or implies.
The negative prompt defaults to the model page's (`kb/data/negative.toml`).
"""

from __future__ import annotations

import re
import tomllib
from bisect import bisect_left
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

from kb.errors import CuratedDataError
from kb.knowledge.author_tables import AuthorTables, author_tables_of, choose_additions
from kb.knowledge.caption_groups import UNGROUPED_INDEX, CaptionGroup, FeaturePart, feature_part
from kb.knowledge.characters import parse_character_tag
from kb.knowledge.curated import (
    CURATED_DIR,
    load_aesthetics,
    load_artist_styles,
    load_negative_prompt,
    load_painting_styles,
    load_quality_ladder,
)
from kb.knowledge.tagforms import escape_a1111, to_canonical, to_plain_form, unescape_a1111
from kb.prompt.render import render_emphasised, render_tag, render_tags
from kb.prompt.segments import Segment, is_qualifier_trap, split_segments
from kb.prompt.tagview import MatchKind, PromptTag, TagMatch, TagMatcher, split_tags
from kb.schema import Category, TriggerKind
from kb.settings import GenerationSettings

SLOT_ORDER: tuple[str, ...] = (
    "art_style",
    "character",
    "race",
    "composition",
    "painting_style",
    "theme",
    "main_environment",
    "background",
    "action",
    "expression",
    "main_characteristics",
    "other_characteristics",
    "clothing",
    "accessories",
    "items",
    "secondary_environment",
    "aesthetics",
    "quality",
    "secondary_description",
)
SLOTS_FILE = CURATED_DIR / "slots.toml"

_SLOT_OF_TRIGGER_KIND: dict[str, str] = {
    TriggerKind.ARTIST_STYLE: "art_style",
    TriggerKind.CHARACTER: "character",
    TriggerKind.COPYRIGHT: "character",
    TriggerKind.PAINTING_STYLE: "painting_style",
    TriggerKind.AESTHETIC: "aesthetics",
    TriggerKind.QUALITY: "quality",
}
_SLOT_OF_CATEGORY: dict[int, str] = {
    Category.ARTIST: "art_style",
    Category.CHARACTER: "character",
    Category.COPYRIGHT: "character",
}


# The author's caption groups in the card's skeleton. Groups 34 (MISC: words starting with v) and
# 39 (OTHER: everything no pattern matched) say nothing about a tag: slots.toml decides for those.
SLOT_OF_CAPTION_GROUP: dict[CaptionGroup, str] = {
    CaptionGroup.ROLE: "character",  # 1girl travels with the character, as in slots.toml
    CaptionGroup.COSPLAY: "character",
    CaptionGroup.RACE: "race",
    CaptionGroup.SOLO: "character",
    CaptionGroup.SUBJECT: "composition",  # portrait, scenery
    CaptionGroup.PAINTING_STYLE: "painting_style",
    CaptionGroup.THEME: "theme",
    CaptionGroup.ENVIRONMENT: "main_environment",
    CaptionGroup.BACKGROUND: "background",
    CaptionGroup.ANGLE: "composition",
    CaptionGroup.ACTION: "action",  # also holding_sword, looking_at_viewer
    CaptionGroup.ADDITIONAL_ACTION: "action",
    CaptionGroup.EXPRESSION: "expression",
    CaptionGroup.SKIN: "main_characteristics",
    CaptionGroup.FACE_FEATURE: "other_characteristics",  # animal ears, open mouth, fang
    CaptionGroup.EYE: "other_characteristics",  # the card: `twintails, green eyes, parted lip`
    CaptionGroup.EYE_FEATURE: "other_characteristics",
    CaptionGroup.EYE_ACCESSORY: "accessories",
    CaptionGroup.HAIR: "main_characteristics",  # the card: `white hair`
    CaptionGroup.HAIRSTYLE: "other_characteristics",
    CaptionGroup.HAIR_ORNAMENT: "accessories",
    CaptionGroup.FIGURE: "main_characteristics",
    CaptionGroup.BREAST: "main_characteristics",
    CaptionGroup.BREAST_FEATURE: "other_characteristics",
    CaptionGroup.NIPPLE: "other_characteristics",
    CaptionGroup.GENITALS: "other_characteristics",
    CaptionGroup.CENSORING: "secondary_description",
    CaptionGroup.BODY: "other_characteristics",
    CaptionGroup.BODY_FEATURE: "other_characteristics",
    CaptionGroup.SUIT: "clothing",
    CaptionGroup.CLOTHES: "clothing",
    CaptionGroup.CLOTHES_ACCESSORY: "accessories",
    CaptionGroup.NAIL: "other_characteristics",
    CaptionGroup.ITEM: "items",
    CaptionGroup.AESTHETIC: "aesthetics",
}
# What a character looks like vs. what it wears (`kb.knowledge.caption_groups.feature_part`, the split of
# `aidxl char --features`): a worn thing the author filed under a body group (`hair_ribbon` with the
# hairstyles, `thigh_boots` with the body) goes to the outfit's slots, a body part filed with the
# items (`wings`, `halo`) to the characteristics; slots.toml picks the slot inside the family.
SLOTS_OF_PART: dict[FeaturePart, tuple[str, ...]] = {
    FeaturePart.APPEARANCE: ("race", "main_characteristics", "other_characteristics"),
    FeaturePart.OUTFIT: ("clothing", "accessories", "items"),
}
DEFAULT_SLOT_OF_PART: dict[FeaturePart, str] = {
    FeaturePart.APPEARANCE: "other_characteristics",
    FeaturePart.OUTFIT: "accessories",
}
# Caption groups of tags their kind places (sorting inside the slot): the author's order has role
# (1girl, group 1), then character (2), copyright (3), race (4); artist styles, painting styles,
# aesthetics and quality fill their slots alone.
_GROUP_OF_KIND_SLOT: dict[str, int] = {
    "art_style": 0,
    "character": 2,
    "painting_style": int(CaptionGroup.PAINTING_STYLE),
    "aesthetics": int(CaptionGroup.AESTHETIC),
    "quality": UNGROUPED_INDEX - 1,
}
_COPYRIGHT_GROUP = 3


@dataclass(frozen=True)
class StyleBlend:
    """A named, ordered mix of style triggers: `[("by yoneyama mai", 0.9), ("by chi4", 0.8)]`."""

    name: str
    styles: tuple[tuple[str, float], ...]

    def render(self) -> str:
        return render_tags(self.styles)


@dataclass(frozen=True)
class SlotRules:
    """The curated general-tag mapping (kb/data/slots.toml)."""

    exact: dict[str, str]
    prefixes: tuple[tuple[str, str], ...]  # longest first
    suffixes: tuple[tuple[str, str], ...]  # longest first

    def slot_of(self, plain: str) -> str | None:
        if plain in self.exact:
            return self.exact[plain]
        for prefix, slot in self.prefixes:
            if plain.startswith(prefix):
                return slot
        for suffix, slot in self.suffixes:
            if plain.endswith(suffix):
                return slot
        return None


def load_slot_rules(path: Path = SLOTS_FILE) -> SlotRules:
    """Read and check the slot mapping; a bad file raises CuratedDataError naming it."""
    try:
        with path.open("rb") as handle:
            document = tomllib.load(handle)
    except (OSError, tomllib.TOMLDecodeError, UnicodeDecodeError) as error:
        raise CuratedDataError(f"{path}: cannot read the slot mapping: {error}") from error
    exact: dict[str, str] = {}
    prefixes: list[tuple[str, str]] = []
    suffixes: list[tuple[str, str]] = []
    slots = document.get("slot")
    if not isinstance(slots, dict) or set(document) != {"slot"}:
        raise CuratedDataError(f"{path}: expected only [slot.NAME] tables")
    for slot, table in slots.items():
        if slot not in SLOT_ORDER:
            raise CuratedDataError(f"{path}: [slot.{slot}]: unknown slot; known: {', '.join(SLOT_ORDER)}")
        if not isinstance(table, dict) or not set(table) <= {"tags", "prefixes", "suffixes"}:
            raise CuratedDataError(f"{path}: [slot.{slot}]: only `tags`, `prefixes`, `suffixes` are allowed")
        for key, target in (("tags", None), ("prefixes", prefixes), ("suffixes", suffixes)):
            values = table.get(key, [])
            if not isinstance(values, list) or not all(isinstance(value, str) and value for value in values):
                raise CuratedDataError(f"{path}: [slot.{slot}] {key}: must be a list of non-empty strings")
            for value in values:
                if target is not None:
                    target.append((value, slot))
                elif value in exact:
                    raise CuratedDataError(
                        f"{path}: [slot.{slot}]: tag {value!r} is already in [slot.{exact[value]}]"
                    )
                else:
                    exact[value] = slot
    by_length = (
        sorted(prefixes, key=lambda item: -len(item[0])),
        sorted(suffixes, key=lambda item: -len(item[0])),
    )
    return SlotRules(exact, tuple(by_length[0]), tuple(by_length[1]))


@dataclass(frozen=True)
class _CuratedKinds:
    slot_of_trigger: dict[str, str]  # plain trigger text -> slot
    quality_weight: float
    negative: str


@cache
def _curated_kinds() -> _CuratedKinds:
    slot_of_trigger: dict[str, str] = {}
    ladder = load_quality_ladder()
    for triggers, slot in (
        (load_artist_styles(), "art_style"),
        (load_painting_styles(), "painting_style"),
        (load_aesthetics(), "aesthetics"),
        (ladder.triggers, "quality"),
    ):
        for trigger in triggers:
            slot_of_trigger[trigger.text.lower()] = slot
    return _CuratedKinds(slot_of_trigger, ladder.default_weight, load_negative_prompt().text)


@cache
def _default_slot_rules() -> SlotRules:
    return load_slot_rules()


@dataclass(frozen=True)
class AssembledTag:
    text: str  # plain text, rendered escaped
    weight: float
    slot: str | None  # None: placed next to its neighbour
    added_by: str | None = None  # why assembly added it (`features of frieren`); None: the user's
    syntax: bool = False  # prompt syntax kept verbatim (`[a:b:0.5]`, `<lora:x:0.8>`, `:(`): `text` as written
    emphasis: tuple[str, ...] = ()  # the brackets it was written with (innermost first), rendered as written

    def prompt_text(self) -> str:
        if self.syntax:
            return self.text
        if self.emphasis:
            return render_emphasised(escape_a1111(self.text.strip()), self.emphasis)
        return render_tag(self.text, self.weight)


@dataclass(frozen=True)
class AddedTag:
    """A tag assembly adds to the user's (see `kb.knowledge.features`): a character's appearance or another
    character's outfit. Skipped when the prompt already has it or a tag implying it."""

    text: str  # plain prompt text: white hair
    added_by: str  # why, for people and `--json`: `features of frieren`, `outfit of 2b_(nier:automata)`
    after: str | None = None  # canonical key of the prompt tag to follow (the character); None: the end
    fallback_slot: str | None = None  # its slot when neither the author's table nor slots.toml has one


@dataclass
class _Entry:
    text: str
    weight: float
    slot: str | None
    group: int  # caption group for the order inside the slot
    first_tag: int  # index of the prompt tag it came from (-1: added)
    key: str  # canonical key of `text`
    resolved: str  # the catalog tag it names (alias resolved), else `key`: what implications read
    added_by: str | None = None
    syntax: bool = False  # a syntax segment kept verbatim; travels with the tag before it
    emphasis: tuple[str, ...] = ()  # the brackets the weight was written with (innermost first)


@dataclass(frozen=True)
class AssembledPrompt:
    positive: str
    negative: str
    settings: GenerationSettings
    tags: tuple[AssembledTag, ...] = field(default=())


def tag_placement(
    match: TagMatch, plain: str, rules: SlotRules, tables: AuthorTables | None = None
) -> tuple[str | None, int]:
    """(slot, caption group) of a tag from its catalog match and plain lower-case text.

    The group orders tags inside their slot: the author's group when the table lists the tag,
    `_GROUP_OF_KIND_SLOT` for kind-placed tags, `UNGROUPED_INDEX` (39) otherwise.
    """
    kind_slot = _kind_slot(match, plain)
    if kind_slot is not None:
        copyright_ = match.trigger_kind == TriggerKind.COPYRIGHT or (
            match.trigger_kind is None and match.category == Category.COPYRIGHT
        )
        return kind_slot, _COPYRIGHT_GROUP if copyright_ else _GROUP_OF_KIND_SLOT[kind_slot]
    key = match.tag or to_canonical(plain)
    group = tables.caption_group(key) if tables is not None else None
    if group is not None:
        group_slot = slot_of_caption_group(key, group, plain, rules)
        if group_slot is not None:
            return group_slot, group
    slot = rules.slot_of(plain)
    if slot is None and match.kind is MatchKind.UNKNOWN and _looks_like_a_character(plain):
        return "character", _GROUP_OF_KIND_SLOT["character"]
    return slot, UNGROUPED_INDEX


# The card's other character forms: `a girl named ganyu from genshin impact series` (v0.8's sentence
# form) and `1 frieren (sousou no frieren)` (the `1 ` prefix).
_CHARACTER_SENTENCE = re.compile(r"^an? (?:girl|boy) named \S")
_ONE_PREFIX = "1 "


def _looks_like_a_character(plain: str) -> bool:
    """Without catalog knowledge: a `name (qualifier)` tag, or one of the card's character forms."""
    if _CHARACTER_SENTENCE.match(plain):
        return True
    name = plain.removeprefix(_ONE_PREFIX)
    return bool(parse_character_tag(name).qualifiers)


def _kind_slot(match: TagMatch, plain: str) -> str | None:
    if match.trigger_kind in _SLOT_OF_TRIGGER_KIND:
        return _SLOT_OF_TRIGGER_KIND[match.trigger_kind]
    curated = _curated_kinds().slot_of_trigger.get(plain)
    if curated is not None:
        return curated
    if plain.startswith("by ") and len(plain) > 3:
        return "art_style"
    if match.category in _SLOT_OF_CATEGORY:
        return _SLOT_OF_CATEGORY[match.category]
    return None


def slot_of_caption_group(tag: str, group_index: int, plain: str, rules: SlotRules) -> str | None:
    """The slot the author's caption group gives a canonical tag; None for the catch-all groups.

    A tag whose `feature_part` disagrees with its group's family (a worn `hair_ribbon` among the
    hairstyles, `wings` among the items) moves to the other family: the slot slots.toml gives it
    there, else `DEFAULT_SLOT_OF_PART`.
    """
    try:
        group_slot = SLOT_OF_CAPTION_GROUP.get(CaptionGroup(group_index))
    except ValueError:
        return None
    if group_slot is None:
        return None
    part = feature_part(tag, group_index)
    if part is None or group_slot in SLOTS_OF_PART[part]:
        return group_slot
    curated = rules.slot_of(plain)
    return curated if curated in SLOTS_OF_PART[part] else DEFAULT_SLOT_OF_PART[part]


def _plain_text(tag: PromptTag, tables: AuthorTables | None = None) -> str:
    """The text the tag should have: a character in the form AIDXL was trained on (`frieren` →
    `frieren (sousou no frieren)`, from `tables`), the catalog's tag when matched exactly, else as
    written.

    An unescaped qualifier (`ganyu (genshin impact)`, read by the web UI as two weights) is
    taken as the user meant it: the bracketed tag.
    """
    if tables is not None and tag.match.category == Category.CHARACTER and tag.match.tag is not None:
        trained = tables.trained_form(tag.match.tag)
        if trained is not None:
            return trained
    if tag.match.kind is MatchKind.EXACT and tag.match.tag is not None:
        return to_plain_form(tag.match.tag)
    if tag.mixed_weight and not is_qualifier_trap(tag.text.strip()):
        return tag.read_text
    return to_plain_form(tag.canonical)


def assemble_prompt(
    tags: str | Sequence[PromptTag],
    *,
    blend: StyleBlend | None = None,
    append_blend: bool = False,
    add_quality: Sequence[str] = (),
    negative: str | None = None,
    settings: GenerationSettings | None = None,
    matcher: TagMatcher | None = None,
    slot_rules: SlotRules | None = None,
    tables: AuthorTables | None = None,
    added: Sequence[AddedTag] = (),
) -> AssembledPrompt:
    """Order a messy tag list the AIDXL way and render the positive and negative prompts.

    `tables` (default: the matcher's, see `kb.knowledge.author_tables.author_tables_of`) gives the author's
    caption order; `added` are tags to add (`kb.knowledge.features`), each after the tag it names.
    """
    curated = _curated_kinds()
    rules = slot_rules or _default_slot_rules()
    tables = tables if tables is not None else author_tables_of(matcher)
    prompt_tags: list[PromptTag | Segment]
    emphasis_at: dict[int, tuple[str, ...]] = {}
    if isinstance(tags, str):
        prompt_tags, emphasis_at = _tags_and_syntax(tags, matcher)
    else:
        prompt_tags = list(tags)
    blend_keys = {to_canonical(text) for text, _ in blend.styles} if blend else set()

    entries = _merge_duplicates(prompt_tags, rules, tables, skip_keys=blend_keys, emphasis_at=emphasis_at)
    entries = _insert_added(entries, added, rules, tables, skip_keys=blend_keys)
    present = {entry.key for entry in entries}
    for quality in add_quality:
        if to_canonical(quality) not in present:
            key = to_canonical(quality)
            entries.append(_Entry(quality, 1.0, "quality", _GROUP_OF_KIND_SLOT["quality"], -1, key, key))
    for entry in entries:
        if entry.slot == "quality" and entry.weight == 1.0:
            entry.weight, entry.emphasis = curated.quality_weight, ()
    order = _assembled_order(
        [(entry.slot, entry.group) for entry in entries],
        by_group=_by_group(tables),
        added=[entry.added_by is not None for entry in entries],
    )
    body = [
        AssembledTag(
            entries[index].text,
            entries[index].weight,
            entries[index].slot,
            entries[index].added_by,
            entries[index].syntax,
            entries[index].emphasis,
        )
        for index in order
    ]
    rendered = [tag.prompt_text() for tag in body]
    if blend is not None and blend.styles:
        rendered = [*rendered, blend.render()] if append_blend else [blend.render(), *rendered]
    return AssembledPrompt(
        positive=", ".join(part for part in rendered if part),
        negative=curated.negative if negative is None else negative,
        settings=settings or GenerationSettings(),
        tags=tuple(body),
    )


def _by_group(tables: AuthorTables | None) -> bool:
    return tables is not None and tables.has_caption_order


def _tags_and_syntax(
    prompt: str, matcher: TagMatcher | None
) -> tuple[list[PromptTag | Segment], dict[int, tuple[str, ...]]]:
    """The prompt's tags, with each syntax segment (`kb.prompt.segments`: prompt editing,
    alternation, extra networks, a bracket left open, ...) in place of the tags inside it; and the
    brackets each plain tag was written with, by its start."""
    segments = split_segments(prompt)
    emphasis_at = {tag.start: tag.emphasis for segment in segments for tag in segment.tags or ()}
    syntax = [segment for segment in segments if segment.is_structural or segment.is_weighted_in_parts]
    items: list[PromptTag | Segment] = []
    next_syntax = 0
    for tag in split_tags(prompt, matcher):
        while next_syntax < len(syntax) and syntax[next_syntax].start <= tag.start:
            items.append(syntax[next_syntax])
            next_syntax += 1
        if items and isinstance(items[-1], Segment) and items[-1].start <= tag.start < items[-1].end:
            continue  # inside the syntax segment just placed
        items.append(tag)
    items.extend(syntax[next_syntax:])
    return items, emphasis_at


def _merge_duplicates(
    prompt_tags: Sequence[PromptTag | Segment],
    rules: SlotRules,
    tables: AuthorTables | None,
    skip_keys: frozenset[str] | set[str] = frozenset(),
    emphasis_at: dict[int, tuple[str, ...]] | None = None,
) -> list[_Entry]:
    """One entry per canonical key, in first-seen order; the first weight other than 1 is kept.
    Syntax segments are entries of their own, never merged."""
    merged: dict[str, _Entry] = {}
    for position, tag in enumerate(prompt_tags):
        if isinstance(tag, Segment):
            key = f"\0syntax {position}"
            merged[key] = _Entry(tag.source, 1.0, None, UNGROUPED_INDEX, position, key, key, syntax=True)
            continue
        plain = _plain_text(tag, tables)
        key = to_canonical(plain)
        if key in skip_keys or not plain:
            continue
        emphasis = (emphasis_at or {}).get(tag.start, ())
        if key in merged:
            if merged[key].weight == 1.0 and tag.weight != 1.0:
                merged[key].weight, merged[key].emphasis = tag.weight, emphasis
            continue
        slot, group = tag_placement(tag.match, plain.lower(), rules, tables)
        merged[key] = _Entry(
            plain, tag.weight, slot, group, position, key, tag.match.tag or key, emphasis=emphasis
        )
    return list(merged.values())


def _insert_added(
    entries: list[_Entry],
    added: Sequence[AddedTag],
    rules: SlotRules,
    tables: AuthorTables | None,
    skip_keys: frozenset[str] | set[str] = frozenset(),
) -> list[_Entry]:
    """The user's entries with `added` inserted after the tag each names (in the given order).

    An added tag is skipped when the prompt has it (or it repeats an earlier addition), or when a
    tag of the prompt or another addition implies it (`very long hair` makes `long hair` redundant:
    the author's caption deduplication; `kb.knowledge.author_tables.choose_additions`, as in the explorer).
    """
    if not added:
        return entries
    present = {entry.key for entry in entries} | {entry.resolved for entry in entries} | set(skip_keys)
    addition_of_key: dict[str, AddedTag] = {}
    for addition in added:
        key = to_canonical(addition.text)
        if key:
            addition_of_key.setdefault(key, addition)
    chosen = choose_additions(list(addition_of_key), present, tables)
    result = list(entries)
    for key in chosen.added:
        addition = addition_of_key[key]
        plain = addition.text
        match = TagMatch(MatchKind.EXACT, key)
        slot, group = tag_placement(match, plain.lower(), rules, tables)
        entry = _Entry(plain, 1.0, slot or addition.fallback_slot, group, -1, key, key, addition.added_by)
        at = len(result)
        if addition.after is not None:
            anchor = next(
                (
                    index
                    for index, other in enumerate(result)
                    if addition.after in (other.key, other.resolved)
                ),
                None,
            )
            if anchor is not None:
                at = anchor + 1
                while at < len(result) and result[at].added_by is not None:
                    at += 1
        result.insert(at, entry)
    return result


def _assembled_order(
    placements: Sequence[tuple[str | None, int]], *, by_group: bool, added: Sequence[bool] = ()
) -> list[int]:
    """Indexes of `placements` (slot, caption group) in assembled order.

    A stable sort by slot, then (when `by_group`) caption group; a tag without a slot travels right
    behind the nearest tag before it that has one (at the start: right before the first that has
    one). Tags marked in `added` are nobody's anchor: the user's tags travel with the user's tags.
    """
    rank = {slot: position for position, slot in enumerate(SLOT_ORDER)}
    slotted = [index for index, (slot, _) in enumerate(placements) if slot is not None]
    leaders = [index for index in slotted if not (index < len(added) and added[index])] or slotted
    anchors: list[int | None] = []
    for index, (slot, _) in enumerate(placements):
        if slot is not None:
            anchors.append(index)
            continue
        position = bisect_left(leaders, index)
        anchors.append(leaders[position - 1] if position > 0 else leaders[0] if leaders else None)

    def sort_key(index: int) -> tuple[int, int, int, int]:
        anchor = anchors[index]
        if anchor is None:  # no tag has a slot: as written
            return (0, 0, index, index)
        slot, group = placements[anchor]
        assert slot is not None
        return (rank[slot], group if by_group else 0, anchor, index)

    return sorted(range(len(placements)), key=sort_key)


@dataclass(frozen=True)
class TagPlacement:
    """Where `assemble_prompt` puts one distinct tag of a prompt (before any blend or added quality)."""

    tag: int  # index into the prompt's tags (`split_tags`) of its first occurrence
    slot: str | None  # None: travels with its neighbour
    written: int  # position among the prompt's distinct tags as written, 0-based
    assembled: int  # position among the same tags in assembled order, 0-based
    group: int | None = None  # caption group that orders it inside its slot; None without the table


def place_tags(
    tags: str | Sequence[PromptTag],
    *,
    slot_rules: SlotRules | None = None,
    tables: AuthorTables | None = None,
) -> list[TagPlacement]:
    """Where the assembly would put each distinct tag, in written order (the linter's slot check).

    Duplicates count once, at their first occurrence; empty tags are skipped. `tables` gives the
    author's caption order, as in `assemble_prompt`. Raises CuratedDataError when a curated file is
    broken.
    """
    rules = slot_rules or _default_slot_rules()
    prompt_tags = split_tags(tags) if isinstance(tags, str) else list(tags)
    merged = _merge_duplicates(prompt_tags, rules, tables)
    by_group = _by_group(tables)
    order = _assembled_order([(entry.slot, entry.group) for entry in merged], by_group=by_group)
    assembled_at = {index: position for position, index in enumerate(order)}
    return [
        TagPlacement(
            entry.first_tag, entry.slot, written, assembled_at[written], entry.group if by_group else None
        )
        for written, entry in enumerate(merged)
    ]


# A bare blend entry's weight: `by a:0.9` (the web UI would read the `:0.9` as text). Read from the
# end by `_bare_weight`: as a pattern, `^(.*?)\s*:\s*([+-]?(?:\d+\.?\d*|\.\d+))\s*$`, its lazy start
# retried `\s*:` at every blank of a run (quadratic).
_BARE_WEIGHT_NUMBER = re.compile(r"\d+\.?\d*|\.\d+")


def _bare_weight(text: str) -> tuple[str, str] | None:
    """(trigger, weight) of `trigger : weight` with blanks around the colon and at the end, or None."""
    number_end = len(text.rstrip())
    number_start = number_end
    while number_start > 0 and (text[number_start - 1].isdecimal() or text[number_start - 1] == "."):
        number_start -= 1
    if number_start == number_end or not _BARE_WEIGHT_NUMBER.fullmatch(text, number_start, number_end):
        return None
    weight_start = number_start - 1 if number_start > 0 and text[number_start - 1] in "+-" else number_start
    colon = weight_start
    while colon > 0 and text[colon - 1].isspace():
        colon -= 1
    if colon == 0 or text[colon - 1] != ":":
        return None
    trigger_end = colon - 1
    while trigger_end > 0 and text[trigger_end - 1].isspace():
        trigger_end -= 1
    return text[:trigger_end], text[weight_start:number_end]


def parse_blend(text: str, name: str = "blend") -> StyleBlend:
    """Blend entries, comma-separated, each `(trigger, weight)`: bare `by a:0.9` / `by c`, or
    A1111 attention syntax with the web UI's weights: `(by a:0.9)`, `(by a)` = 1.1, `[by b]` = 1/1.1,
    nesting multiplies, `(by a, by b:0.8)` weights both. A qualifier written with bare brackets
    (`by dino (dinoartforame)`) is taken as meant, as in assembly; escaped brackets are unescaped.
    """
    styles: list[tuple[str, float]] = []
    for tag in split_tags(text):
        bare = _bare_weight(tag.text)
        if bare is not None and bare[0]:
            trigger, weight = unescape_a1111(bare[0]), float(bare[1])
        elif tag.mixed_weight and is_qualifier_trap(tag.text.strip()):
            trigger, weight = unescape_a1111(tag.text), tag.weight
        else:
            trigger, weight = tag.read_text, tag.weight
        if trigger.strip():
            styles.append((trigger.strip(), weight))
    return StyleBlend(name, tuple(styles))
