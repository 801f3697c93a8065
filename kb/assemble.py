"""Prompt assembly for AIDXL: tags placed in the model card's order, style blends, quality weights.

Each tag gets a slot (`SLOT_ORDER`, GUIDE §2). The slot comes from the tag's trigger kind first
(catalog match, else the curated lists in `kb/data`: artist styles and any `by ...` → art style,
characters and copyrights → character, painting styles, aesthetics, quality), then from the
curated general-tag mapping `kb/data/slots.toml` (exact tag, prefix, suffix); a tag unknown to
the catalog shaped `name (qualifier)` is taken for a character. A tag with no slot travels with
the tag written before it (or, at the start, the one after it), so the user's relative order
survives. The sort is stable: tags of one slot keep their written order.

Duplicates (same canonical key) are merged at the first position; the first weight other than 1
among them is kept. Quality tags written at weight 1 get the ladder's `default_weight`
(`kb/data/quality.toml`). A style blend is an ordered list of (trigger, weight) rendered as
`(by a:0.9), (by b:0.8)`, placed before everything (default) or appended at the very end, which
softens it. The negative prompt defaults to the model page's (`kb/data/negative.toml`).
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

from kb.characters import parse_character_tag
from kb.curated import (
    CURATED_DIR,
    load_aesthetics,
    load_artist_styles,
    load_negative_prompt,
    load_painting_styles,
    load_quality_ladder,
)
from kb.errors import CuratedDataError
from kb.render import render_tag, render_tags
from kb.schema import Category, TriggerKind
from kb.settings import GenerationSettings
from kb.tagforms import to_canonical, to_plain_form, unescape_a1111
from kb.tagview import MatchKind, PromptTag, TagMatcher, split_tags

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


@dataclass
class _Entry:
    text: str
    weight: float
    slot: str | None
    first_tag: int  # index of the prompt tag it came from


@dataclass(frozen=True)
class AssembledPrompt:
    positive: str
    negative: str
    settings: GenerationSettings
    tags: tuple[AssembledTag, ...] = field(default=())


def slot_of_tag(tag: PromptTag, plain: str, rules: SlotRules) -> str | None:
    """The slot of one tag: trigger kind, then category, then the curated mapping."""
    if tag.match.trigger_kind in _SLOT_OF_TRIGGER_KIND:
        return _SLOT_OF_TRIGGER_KIND[tag.match.trigger_kind]
    curated = _curated_kinds().slot_of_trigger.get(plain)
    if curated is not None:
        return curated
    if plain.startswith("by ") and len(plain) > 3:
        return "art_style"
    if tag.match.category in _SLOT_OF_CATEGORY:
        return _SLOT_OF_CATEGORY[tag.match.category]
    slot = rules.slot_of(plain)
    if slot is None and tag.match.kind is MatchKind.UNKNOWN and parse_character_tag(plain).qualifiers:
        # Without catalog knowledge a `name (qualifier)` tag is most likely a character.
        return "character"
    return slot


def _plain_text(tag: PromptTag) -> str:
    """The text the tag should have: the catalog's tag when matched exactly, else as written.

    An unescaped qualifier (`ganyu (genshin impact)`, read by the web UI as two weights) is
    taken as the user meant it: the bracketed tag.
    """
    if tag.match.kind is MatchKind.EXACT and tag.match.tag is not None:
        return to_plain_form(tag.match.tag)
    if tag.mixed_weight and not tag.text.rstrip().endswith(")"):
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
) -> AssembledPrompt:
    """Order a messy tag list the AIDXL way and render the positive and negative prompts."""
    curated = _curated_kinds()
    rules = slot_rules or _default_slot_rules()
    prompt_tags = split_tags(tags, matcher) if isinstance(tags, str) else list(tags)
    blend_keys = {to_canonical(text) for text, _ in blend.styles} if blend else set()

    merged = _merge_duplicates(prompt_tags, rules, skip_keys=blend_keys)
    entries = [(entry.text, entry.weight, entry.slot) for entry in merged]
    present = {to_canonical(text) for text, _, _ in entries}
    for quality in add_quality:
        if to_canonical(quality) not in present:
            entries.append((quality, 1.0, "quality"))
    entries = [
        (text, curated.quality_weight if slot == "quality" and weight == 1.0 else weight, slot)
        for text, weight, slot in entries
    ]
    ordered = _order_by_slot(entries)
    body = [AssembledTag(text, weight, slot) for text, weight, slot in ordered]
    rendered = [render_tag(tag.text, tag.weight) for tag in body]
    if blend is not None and blend.styles:
        rendered = [*rendered, blend.render()] if append_blend else [blend.render(), *rendered]
    return AssembledPrompt(
        positive=", ".join(part for part in rendered if part),
        negative=curated.negative if negative is None else negative,
        settings=settings or GenerationSettings(),
        tags=tuple(body),
    )


def _merge_duplicates(
    prompt_tags: Sequence[PromptTag], rules: SlotRules, skip_keys: frozenset[str] | set[str] = frozenset()
) -> list[_Entry]:
    """One entry per canonical key, in first-seen order; the first weight other than 1 is kept."""
    merged: dict[str, _Entry] = {}
    for position, tag in enumerate(prompt_tags):
        plain = _plain_text(tag)
        key = to_canonical(plain)
        if key in skip_keys or not plain:
            continue
        if key in merged:
            if merged[key].weight == 1.0 and tag.weight != 1.0:
                merged[key].weight = tag.weight
            continue
        merged[key] = _Entry(plain, tag.weight, slot_of_tag(tag, plain.lower(), rules), position)
    return list(merged.values())


def _order_by_slot(entries: list[tuple[str, float, str | None]]) -> list[tuple[str, float, str | None]]:
    return [entries[index] for index in _slot_order([slot for _, _, slot in entries])]


def _slot_order(slots: Sequence[str | None]) -> list[int]:
    """Indexes of `slots` in assembled order: a stable sort by slot, where a tag without a slot
    borrows its predecessor's (else its successor's)."""
    rank = {slot: position for position, slot in enumerate(SLOT_ORDER)}
    effective: list[int | None] = [rank[slot] if slot is not None else None for slot in slots]
    for index in range(1, len(effective)):
        if effective[index] is None:
            effective[index] = effective[index - 1]
    for index in range(len(effective) - 2, -1, -1):
        if effective[index] is None:
            effective[index] = effective[index + 1]
    keyed = [(slot_rank if slot_rank is not None else 0, index) for index, slot_rank in enumerate(effective)]
    return [index for _, index in sorted(keyed)]


@dataclass(frozen=True)
class TagPlacement:
    """Where `assemble_prompt` puts one distinct tag of a prompt (before any blend or added quality)."""

    tag: int  # index into the prompt's tags (`split_tags`) of its first occurrence
    slot: str | None  # None: travels with its neighbour
    written: int  # position among the prompt's distinct tags as written, 0-based
    assembled: int  # position among the same tags in assembled order, 0-based


def place_tags(tags: str | Sequence[PromptTag], *, slot_rules: SlotRules | None = None) -> list[TagPlacement]:
    """Where the assembly would put each distinct tag, in written order (the linter's slot check).

    Duplicates count once, at their first occurrence; empty tags are skipped. Raises
    CuratedDataError when a curated file is broken.
    """
    rules = slot_rules or _default_slot_rules()
    prompt_tags = split_tags(tags) if isinstance(tags, str) else list(tags)
    merged = _merge_duplicates(prompt_tags, rules)
    assembled_at = {index: position for position, index in enumerate(_slot_order([e.slot for e in merged]))}
    return [
        TagPlacement(entry.first_tag, entry.slot, written, assembled_at[written])
        for written, entry in enumerate(merged)
    ]


# A bare blend entry's weight: `by a:0.9` (the web UI would read the `:0.9` as text).
_BARE_WEIGHT = re.compile(r"^(?P<trigger>.*?)\s*:\s*(?P<weight>[+-]?(?:\d+\.?\d*|\.\d+))\s*$", re.S)


def parse_blend(text: str, name: str = "blend") -> StyleBlend:
    """Blend entries, comma-separated, each `(trigger, weight)`: bare `by a:0.9` / `by c`, or
    A1111 attention syntax with the web UI's weights: `(by a:0.9)`, `(by a)` = 1.1, `[by b]` = 1/1.1,
    nesting multiplies, `(by a, by b:0.8)` weights both. A qualifier written with bare brackets
    (`by dino (dinoartforame)`) is taken as meant, as in assembly; escaped brackets are unescaped.
    """
    styles: list[tuple[str, float]] = []
    for tag in split_tags(text):
        bare = _BARE_WEIGHT.match(tag.text)
        if bare is not None and bare.group("trigger"):
            trigger, weight = unescape_a1111(bare.group("trigger")), float(bare.group("weight"))
        elif tag.mixed_weight and tag.text.rstrip().endswith(")"):
            trigger, weight = unescape_a1111(tag.text), tag.weight
        else:
            trigger, weight = tag.read_text, tag.weight
        if trigger.strip():
            styles.append((trigger.strip(), weight))
    return StyleBlend(name, tuple(styles))
