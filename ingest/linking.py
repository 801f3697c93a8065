"""Linking triggers to tags: verified entries merged by (text, kind), artist candidates, characters.

Pure functions over plain Python values; ingest/writer.py feeds them rows fetched from the
half-built catalog and writes their results back.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, replace
from typing import NamedTuple

from ingest.triggerrows import TriggerEntry
from kb.knowledge.characters import CharacterTag, parse_character_tag, series_qualifier
from kb.knowledge.tagforms import EMOTICON_TAGS, to_canonical
from kb.schema import Category, TriggerKind, TriggerTier

ARTIST_PREFIX = "by "

# A letter or digit: exactly the characters str.isalnum() accepts (`\w` is those plus `_`).
_ALNUM = re.compile(r"[^\W_]")
_WHITESPACE = re.compile(r"\s")  # exactly str.isspace(), what to_canonical strips and collapses


def split_qualifiers(name: str) -> tuple[str, tuple[str, ...]]:
    """`rem_(re:zero)` → (`rem`, (`re:zero`,)), by kb.knowledge.characters' parser (nested brackets whole).

    Most tags need no parser: no brackets at all, or one plain `_(…)` on a name that is already
    canonical (lower case, no backslash). Those are split here with the parser's exact result;
    every other name goes through `kb.knowledge.characters.parse_character_tag`.
    """
    if not name.endswith(")"):  # most names: nothing to parse
        return name, ()
    opening = name.rfind("(")
    base = name[: opening - 1]
    if (
        opening >= 2
        and name[opening - 1] == "_"
        and ")" not in name[opening + 1 : -1]  # the `(` found matches the final `)`: no nesting
        and not base.endswith(")")  # one qualifier only
        and "\\" not in name  # nothing to unescape
        and name.lower() == name  # nothing to lower-case
        and name not in EMOTICON_TAGS
        and _ALNUM.search(name) is not None  # no symbol-only face (tagforms.keeps_underscores)
        and _WHITESPACE.search(name) is None  # no blanks to strip or collapse
    ):
        return base, (name[opening + 1 : -1],)
    parsed = parse_character_tag(name)
    return parsed.name, parsed.qualifiers


@dataclass(frozen=True)
class LinkedTrigger:
    """A trigger row ready to write (text unescaped; tag_id None when no tag matches)."""

    text: str
    kind: TriggerKind
    tag_id: int | None
    description: str | None
    verified: bool
    source_id: int
    note: str | None
    rank: int | None
    tier: TriggerTier = TriggerTier.VERIFIED


def merge_verified(entries: Iterable[tuple[int, TriggerEntry]]) -> list[tuple[int, TriggerEntry]]:
    """One entry per (text, kind): the first wins; later ones add their notes and fill empty fields."""
    merged: dict[tuple[str, TriggerKind], tuple[int, TriggerEntry]] = {}
    for source_id, entry in entries:
        key = (entry.text, entry.kind)
        if key not in merged:
            merged[key] = (source_id, entry)
            continue
        first_source, first = merged[key]
        notes = [note for note in (first.note, entry.note) if note]
        merged[key] = (
            first_source,
            replace(
                first,
                note="; ".join(dict.fromkeys(notes)) or None,
                description=first.description or entry.description,
                danbooru_tag=first.danbooru_tag or entry.danbooru_tag,
                rank=first.rank if first.rank is not None else entry.rank,
            ),
        )
    return list(merged.values())


@dataclass(frozen=True)
class TagIndex:
    """What linking needs to know about the merged tags."""

    tag_of_name: Mapping[str, tuple[int, int]]  # name -> (tag_id, category)
    tags_of_alias: Mapping[str, tuple[tuple[int, int, int], ...]]  # alias -> ((tag_id, category, count), ...)

    def resolve(self, canonical: str, category: int | None = None) -> int | None:
        """A tag by exact name, else through an alias (the most-posted target when several)."""
        found = self.tag_of_name.get(canonical)
        if found is not None and (category is None or found[1] == category):
            return found[0]
        targets = [
            (count, tag_id)
            for tag_id, tag_category, count in self.tags_of_alias.get(canonical, ())
            if category is None or tag_category == category
        ]
        return max(targets)[1] if targets else None


def lookup_names(entries: Iterable[TriggerEntry]) -> set[str]:
    """The canonical names `link_verified` may look up for these entries."""
    names: set[str] = set()
    for entry in entries:
        if entry.danbooru_tag:
            names.add(entry.danbooru_tag)
        names.add(to_canonical(entry.text))
        if entry.text.startswith(ARTIST_PREFIX):
            names.add(to_canonical(entry.text.removeprefix(ARTIST_PREFIX)))
    return names


class ArtistName(NamedTuple):
    """The name a `by <artist>` candidate uses (canonical; the prompt text is `by ` + its plain form)."""

    tag_id: int
    tag_name: str  # ask_(densicho)
    chosen: str  # ask_(densicho) when the base is shared, else the base: modare, magotsuki


def artist_candidate_names(artists: Iterable[tuple[int, str]]) -> list[ArtistName]:
    """The candidate name of every artist tag, qualifiers dropped where that stays unambiguous.

    AIDXL drops Danbooru's qualifiers (`by ask` is `ask_(askzy)`). When several artist tags share
    a base name (`dino_(dinoartforame)`, `dino_(trexsilence)`), an unqualified tag of that name keeps
    `by dino` and every qualified one keeps its qualifier: `by dino (trexsilence)`.
    """
    bases: dict[str, list[tuple[int, str, bool]]] = {}
    for tag_id, name in artists:
        if name.endswith(")"):
            base, qualifiers = split_qualifiers(name)
            owner = (tag_id, name, bool(qualifiers))
        else:  # most artists: no qualifier (split_qualifiers' first case, inlined)
            base, owner = name, (tag_id, name, False)
        owners = bases.get(base)
        if owners is None:
            bases[base] = [owner]
        else:
            owners.append(owner)
    chosen: list[ArtistName] = []
    for base, owners in bases.items():
        if len(owners) == 1:
            tag_id, name, _ = owners[0]
            chosen.append(ArtistName(tag_id, name, base))
            continue
        chosen.extend(
            ArtistName(tag_id, name, name if qualified else base) for tag_id, name, qualified in owners
        )
    return chosen


def link_verified(
    entries: list[tuple[int, TriggerEntry]], index: TagIndex, artist_of_chosen_name: Mapping[str, int]
) -> list[LinkedTrigger]:
    """Attach each verified entry to its tag: explicit name, then its own text, then an alias.

    `by X` looks only at artist tags: X as a name or alias, else the artist whose candidate is `by X`
    (`by magotsuki` → `magotsuki_(hurray)`, the only artist of that base name).
    """
    linked: list[LinkedTrigger] = []
    for source_id, entry in entries:
        tag_id: int | None = None
        if entry.kind is TriggerKind.ARTIST_STYLE:
            if entry.danbooru_tag:
                tag_id = index.resolve(entry.danbooru_tag, Category.ARTIST)
            elif entry.text.startswith(ARTIST_PREFIX):
                artist = to_canonical(entry.text.removeprefix(ARTIST_PREFIX))
                tag_id = index.resolve(artist, Category.ARTIST) or artist_of_chosen_name.get(artist)
        else:
            if entry.danbooru_tag:
                tag_id = index.resolve(entry.danbooru_tag)
            if tag_id is None:
                tag_id = index.resolve(to_canonical(entry.text))
        linked.append(
            LinkedTrigger(
                text=entry.text,
                kind=entry.kind,
                tag_id=tag_id,
                description=entry.description,
                verified=True,
                source_id=source_id,
                note=entry.note,
                rank=entry.rank,
            )
        )
    return linked


def taken_artist_names(triggers: Iterable[LinkedTrigger]) -> set[str]:
    """Canonical artist names whose `by <name>` text these triggers use already."""
    return {
        to_canonical(trigger.text.removeprefix(ARTIST_PREFIX))
        for trigger in triggers
        if trigger.kind is TriggerKind.ARTIST_STYLE and trigger.text.startswith(ARTIST_PREFIX)
    }


def artist_candidates(
    candidates: Iterable[ArtistName], linked_tags: set[int | None], taken: set[str]
) -> list[ArtistName]:
    """The artists offered as `danbooru`-tier `by <artist>` triggers: those no verified or author
    trigger links to (`linked_tags`).

    A candidate whose text another trigger already uses (`taken`, canonical names) falls back to the
    full name with its qualifier; if even that is taken it is left out.
    """
    offered: list[ArtistName] = []
    for candidate in candidates:
        if candidate.tag_id in linked_tags:
            continue
        if candidate.chosen in taken:
            if candidate.tag_name in taken:
                continue
            candidate = candidate._replace(chosen=candidate.tag_name)
        offered.append(candidate)
    return offered


class CharacterRow(NamedTuple):
    """Canonical parts of a character tag (the writer stores their plain forms)."""

    tag_id: int
    name: str  # ganyu
    qualifiers: tuple[str, ...]  # every qualifier in order: (twilight_blossom, genshin_impact)
    copyright: str | None  # canonical name of the copyright tag a qualifier names: genshin_impact


def series_resolver(index: TagIndex) -> Callable[[str], str | None]:
    """Qualifier → the copyright tag (category 3) it names exactly, as `<qualifier>_(series)`, or by
    alias (kb.knowledge.characters' rule), else None; results cached (many characters share a qualifier)."""
    copyright_name_of_id = {
        tag_id: name
        for name, (tag_id, category) in index.tag_of_name.items()
        if category == Category.COPYRIGHT
    }

    series_of_qualifier: dict[str, str | None] = {}  # many characters share a qualifier

    def resolve_series(qualifier: str) -> str | None:
        if qualifier in series_of_qualifier:
            return series_of_qualifier[qualifier]
        series_of_qualifier[qualifier] = found_series = find_series(qualifier)
        return found_series

    def find_series(qualifier: str) -> str | None:
        for candidate in (qualifier, f"{qualifier}_(series)"):
            found = index.tag_of_name.get(candidate)
            if found is not None and found[1] == Category.COPYRIGHT:
                return candidate
        copyright_id = index.resolve(qualifier, Category.COPYRIGHT)
        return copyright_name_of_id[copyright_id] if copyright_id is not None else None

    return resolve_series


def character_rows(characters: Iterable[tuple[int, str]], index: TagIndex) -> list[CharacterRow]:
    """Name and qualifiers of each character tag; the copyright is the outermost qualifier that names
    a copyright tag (`series_resolver`): `dino_(blend_s)` → `blend_s`, `lucy_(cyberpunk)` →
    `cyberpunk_(series)`."""
    resolve_series = series_resolver(index)
    rows: list[CharacterRow] = []
    for tag_id, name in characters:
        base, qualifiers = split_qualifiers(name)
        copyright_name = None
        if qualifiers:
            found = series_qualifier(CharacterTag(name, base, qualifiers), resolve_series)
            copyright_name = found[1] if found is not None else None
        rows.append(CharacterRow(tag_id, base, qualifiers, copyright_name))
    return rows
