"""What the detail pane shows about one catalog entry.

Every fact comes from `kb.knowledge.catalog_lookup` (the catalog's parts read once, then answered
from memory in microseconds: the explorer reads the highlighted row's detail with its results, on
every keystroke). Characters come from `kb.knowledge.character_info` (the form AIDXL knows, gender,
appearance and outfit, each with its source), implications from the model author's table.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import duckdb

from kb.knowledge.tagforms import to_canonical, unescape_a1111

if TYPE_CHECKING:
    from kb.catalog import SourceRef
    from kb.knowledge.author_tables import TagImplications
    from kb.knowledge.catalog_lookup import CatalogLookup
    from kb.knowledge.character_info import CharacterInfo

RELATED_LIMIT = 8


@dataclass(frozen=True)
class SyntaxForm:
    label: str  # "A1111", "plain", "sentence", "1 prefix"
    text: str


@dataclass(frozen=True)
class EntryDetail:
    """Everything the detail pane lists for one entry."""

    prompt: str  # A1111 form to paste
    kind: str
    tag: str | None
    category: int | None
    count: int | None
    verified: bool
    description: str | None
    note: str | None
    forms: tuple[SyntaxForm, ...]
    forms_missing: str | None  # why character forms are not shown, when they are not
    copyright: str | None
    aliases: tuple[str, ...]
    counts_per_source: tuple[tuple[str, int], ...]
    related: tuple[str, ...] = field(default=())
    related_label: str = "related"
    tier: str | None = None  # TriggerTier of the trigger shown: verified | author | danbooru
    trigger_source: SourceRef | None = None  # the source the trigger (and its tier) comes from
    character: CharacterInfo | None = None  # forms, gender, appearance and outfit, with sources
    implications: TagImplications | None = None  # the author's: what it implies, what implies it
    copyright_tag: str | None = None  # the copyright whose characters ctrl+s lists (its own, or a
    #                                   character's series)
    copyright_characters: int = 0  # how many characters that copyright has in the catalog

    @property
    def features_known(self) -> bool:
        features = self.character.features if self.character is not None else None
        return features is not None and bool(features.appearance or features.outfit)


def load_detail(
    source: duckdb.DuckDBPyConnection | CatalogLookup, prompt: str, kind: str, tag: str | None
) -> EntryDetail:
    """The detail of one entry: from a lookup the explorer keeps per catalog (every answer from
    memory, `kb.knowledge.catalog_lookup`), or from the catalog's shared one."""
    from kb.knowledge.catalog_lookup import CatalogLookup, shared_catalog_lookup

    lookup = source if isinstance(source, CatalogLookup) else shared_catalog_lookup(source)
    return _load_detail(lookup, prompt, kind, tag)


def _load_detail(lookup: CatalogLookup, prompt: str, kind: str, tag: str | None) -> EntryDetail:
    from kb.knowledge.character_info import character_info

    text = unescape_a1111(prompt)
    trigger = lookup.trigger(text, kind)
    tag_name = tag if tag is not None else (to_canonical(text) if trigger is None else None)
    tag_row = None
    if trigger is not None and trigger.tag_id is not None:
        tag_row = lookup.tag_by_id(trigger.tag_id)
    elif tag_name is not None:
        tag_row = lookup.tag(tag_name)
    aliases: tuple[str, ...] = ()
    counts: tuple[tuple[str, int], ...] = ()
    copyright_name: str | None = None
    related: tuple[str, ...] = ()
    related_label = "related"
    if tag_row is not None:
        aliases = lookup.aliases_of(tag_row.tag_id)
        counts = lookup.posts_per_source(tag_row.tag_id)
        copyright_name = lookup.series_of(tag_row.tag_id)
        members = lookup.copyright_members(copyright_name) if copyright_name else None
        if copyright_name and members is not None:  # a series' other characters relate
            related_label = f"more from {copyright_name.replace('_', ' ')}"
            others = (prompt for tag_id, prompt in members.top if tag_id != tag_row.tag_id)
            related = tuple(others)[:RELATED_LIMIT]
    if kind == "copyright" and tag_row is not None:
        # Real relations only (a copyright's own characters); never a list of unrelated triggers.
        related_label = "its most posted characters"
        members = lookup.copyright_members(tag_row.name)
        related = tuple(prompt for _, prompt in members.top[:RELATED_LIMIT]) if members is not None else ()
    tag_name = tag_row.name if tag_row is not None else tag
    character = character_info(lookup, tag_name) if kind == "character" and tag_name else None
    forms = character_syntax_forms(character) if character is not None else base_syntax_forms(prompt)
    implications = lookup.implications(tag_name) if tag_name else None
    copyright_tag = tag_name if kind == "copyright" else copyright_name
    counted = lookup.copyright_members(copyright_tag) if copyright_tag else None
    copyright_characters = counted.count if counted is not None else 0
    return EntryDetail(
        prompt=prompt,
        kind=kind,
        tag=tag_row.name if tag_row is not None else tag,
        category=tag_row.category if tag_row is not None else None,
        count=tag_row.count if tag_row is not None else None,
        verified=trigger.verified if trigger is not None else False,
        description=trigger.description if trigger is not None else None,
        note=trigger.note if trigger is not None else None,
        forms=forms,
        forms_missing=None,
        copyright=copyright_name,
        aliases=aliases,
        counts_per_source=counts,
        related=related,
        related_label=related_label,
        tier=trigger.tier if trigger is not None else None,
        trigger_source=trigger.source if trigger is not None else None,
        character=character,
        implications=implications if implications is not None and not implications.empty else None,
        copyright_tag=copyright_tag if copyright_characters else None,
        copyright_characters=copyright_characters,
    )


def base_syntax_forms(prompt: str) -> tuple[SyntaxForm, ...]:
    return (SyntaxForm("A1111", prompt), SyntaxForm("plain", unescape_a1111(prompt)))


def character_syntax_forms(character: CharacterInfo) -> tuple[SyntaxForm, ...]:
    """Every form a user may paste for a character: built from the form AIDXL was trained on, the
    sentence with the character's own noun (`a boy named …` for a boy)."""
    forms = character.forms
    return (
        SyntaxForm("A1111", forms.a1111),
        SyntaxForm("plain", forms.plain),
        SyntaxForm("sentence", forms.sentence),
        SyntaxForm("1 prefix", forms.prefixed),
    )


SENTENCE_NOUNS = ("girl", "boy")


def other_noun(noun: str) -> str:
    """The sentence's other noun: girl ↔ boy."""
    return "boy" if noun == "girl" else "girl"


def sentence_with_noun(sentence: str, noun: str) -> str:
    """`a girl named ganyu …` with `noun` in place of its noun (kb.knowledge.characters builds
    every sentence as `a {noun} named …`)."""
    for known in SENTENCE_NOUNS:
        lead = f"a {known} named "
        if sentence.startswith(lead):
            return f"a {noun} named " + sentence[len(lead) :]
    return sentence


def forms_with_noun(detail: EntryDetail, noun: str | None) -> tuple[SyntaxForm, ...]:
    """The detail's forms, the sentence with `noun` (None: as the sources say)."""
    if noun is None:
        return detail.forms
    return tuple(
        SyntaxForm(form.label, sentence_with_noun(form.text, noun)) if form.label == "sentence" else form
        for form in detail.forms
    )
