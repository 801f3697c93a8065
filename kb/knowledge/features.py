"""A character's features added to a prompt: its appearance, or another character's outfit.

The card: "if the character cannot be completely restored with a single character trigger word, the
main characteristics of the character need to be added to the prompt", and "character triggers carry
no clothing: add the outfit's tags to dress a character". The features come from the catalog
(`kb.knowledge.character_info`: a chants source, split into appearance and outfit in the author's caption
order). `character_additions` turns them into `kb.prompt.assemble.AddedTag`s, which `assemble_prompt`
places in their slots after the character, skipping what the prompt already says or implies:

    tags = split_tags(prompt, CatalogMatcher(connection))
    added = character_additions(connection, tags, with_features=True, outfit_of="2b")
    assemble_prompt(tags, matcher=..., added=added.tags)

`aidxl prompt assemble --with-features --outfit-of NAME` uses this. The explorer adds one
character's part to its builder's entries with `new_features`; both skip what the prompt has or
implies by `kb.knowledge.author_tables.choose_additions`.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from kb.errors import CharacterNotFoundError, FeaturesNotFoundError
from kb.knowledge.author_tables import AuthorTables, choose_additions
from kb.knowledge.caption_groups import FeaturePart
from kb.knowledge.character_info import CharacterInfo, character_info
from kb.knowledge.tagforms import to_canonical, to_plain_form, unescape_a1111
from kb.prompt.assemble import AddedTag
from kb.prompt.tagview import MatchKind, PromptTag, TagMatcher
from kb.schema import Category

if TYPE_CHECKING:
    import duckdb

# Where a feature goes when neither the author's caption order nor slots.toml places it
# (`black_blindfold`, `beret`): with the characteristics, or with the clothes.
FALLBACK_SLOT_OF_PART: dict[FeaturePart, str] = {
    FeaturePart.APPEARANCE: "other_characteristics",
    FeaturePart.OUTFIT: "clothing",
}
CHANTS_HINT = "add a chants source: `aidxl ingest --add --chants PATH` (noob_characters-chants.json)"

# The card's other character forms: `1 frieren \(sousou no frieren\)`, `a girl named ganyu from
# genshin impact series`.
_PREFIXED = re.compile(r"^1[ _](?P<rest>.+)$")
_SENTENCE = re.compile(r"^an? (?:girl|boy) named (?P<name>.+?)(?: from (?P<series>.+) series)?$")


@dataclass(frozen=True)
class CharacterAdditions:
    """The tags to add and what could not be added."""

    tags: tuple[AddedTag, ...]
    characters: tuple[str, ...]  # canonical tags of the prompt's characters
    without_features: tuple[str, ...]  # prompt characters the catalog knows no features of


def prompt_characters(tags: Sequence[PromptTag], matcher: TagMatcher | None = None) -> list[tuple[int, str]]:
    """(index into `tags`, canonical character tag) for each character the prompt names, once.

    A character is a tag the catalog resolves to a character (tag, alias, or the form AIDXL knows:
    `frieren \\(sousou no frieren\\)`); with `matcher`, also the `1 `-prefixed and sentence forms.
    """
    found: list[tuple[int, str]] = []
    seen: set[str] = set()
    for index, tag in enumerate(tags):
        character = _character_of(tag, matcher)
        if character is not None and character not in seen:
            seen.add(character)
            found.append((index, character))
    return found


def _character_of(tag: PromptTag, matcher: TagMatcher | None) -> str | None:
    if tag.match.category == Category.CHARACTER and tag.match.tag is not None:
        return tag.match.tag
    if matcher is None or tag.match.kind is not MatchKind.UNKNOWN:
        return None
    text = unescape_a1111(tag.text).strip().lower()
    candidates: list[str] = []
    prefixed = _PREFIXED.match(text)
    if prefixed is not None:
        candidates.append(prefixed.group("rest"))
    sentence = _SENTENCE.match(text)
    if sentence is not None:
        name, series = sentence.group("name"), sentence.group("series")
        candidates.append(f"{name} ({series})" if series else name)
    if not candidates:
        return None
    for match in matcher.match_all([to_canonical(candidate) for candidate in candidates]):
        if match.category == Category.CHARACTER and match.tag is not None:
            return match.tag
    return None


def character_additions(
    connection: duckdb.DuckDBPyConnection,
    tags: Sequence[PromptTag],
    *,
    with_features: bool = False,
    outfit_of: str | None = None,
    matcher: TagMatcher | None = None,
) -> CharacterAdditions:
    """The appearance of each character in `tags` (`with_features`) and the outfit of the character
    `outfit_of` names (any form `aidxl char` takes: tag, alias, bare name, misspelling), as tags to
    add after the prompt's character (its first one; the end without one).

    Raises FeaturesNotFoundError when `with_features` finds no character with features (or none at
    all), or the `outfit_of` character has no outfit; CharacterNotFoundError when `outfit_of` names
    no character. Characters without features among others that have some are listed in
    `without_features` (the CLI notes them).
    """
    characters = prompt_characters(tags, matcher) or _characters_by_bare_name(connection, tags)
    added: list[AddedTag] = []
    without: list[str] = []
    if with_features:
        if not characters:
            raise FeaturesNotFoundError(
                "--with-features: the prompt names no character the catalog knows "
                "(write its tag, an alias or its form, e.g. `frieren \\(sousou no frieren\\)`)"
            )
        for index, character in characters:
            info = character_info(connection, character)
            if info is None or not info.features.appearance:
                without.append(character)
                continue
            reason = f"features of {character}"
            added += _feature_tags(
                info, FeaturePart.APPEARANCE, reason, after=_anchor_key(tags, index, character)
            )
        if len(without) == len(characters):
            raise FeaturesNotFoundError(
                f"--with-features: no features known for {', '.join(without)}; {CHANTS_HINT}"
            )
    if outfit_of is not None:
        info = resolve_character(connection, outfit_of)
        if not info.features.outfit:
            raise FeaturesNotFoundError(
                f"--outfit-of {outfit_of!r}: no outfit known for {info.tag}; {CHANTS_HINT}"
            )
        after = _anchor_key(tags, *characters[0]) if characters else None
        added += _feature_tags(info, FeaturePart.OUTFIT, f"outfit of {info.tag}", after=after)
    return CharacterAdditions(tuple(added), tuple(c for _, c in characters), tuple(without))


def _characters_by_bare_name(
    connection: duckdb.DuckDBPyConnection, tags: Sequence[PromptTag]
) -> list[tuple[int, str]]:
    """Unknown tags that are a character's name without its qualifier (`zhongli`), as `aidxl char`
    reads them (its most-posted character of that name); never a typo guess."""
    from kb.knowledge.characters import CharacterMatchKind, lookup_character

    found: list[tuple[int, str]] = []
    for index, tag in enumerate(tags):
        if tag.match.kind is not MatchKind.UNKNOWN or not tag.text.strip():
            continue
        match = lookup_character(connection, unescape_a1111(tag.text))
        known = {character for _, character in found}
        if match is not None and match.kind is CharacterMatchKind.NAME and match.tag not in known:
            found.append((index, match.tag))
    return found


def _anchor_key(tags: Sequence[PromptTag], index: int, character: str) -> str:
    """What the assembly knows the character's tag by: the catalog tag, or (for a form the catalog
    does not list, `1 frieren`) the tag's own key."""
    return character if tags[index].match.tag == character else tags[index].canonical


def resolve_character(connection: duckdb.DuckDBPyConnection, query: str) -> CharacterInfo:
    """The character a name means (`kb.knowledge.characters.lookup_character`), with its info."""
    from kb.knowledge.characters import lookup_character

    match = lookup_character(connection, query)
    info = character_info(connection, match.tag) if match is not None else None
    if info is None:
        raise CharacterNotFoundError(f"{query!r}: no character tag or alias in the catalog matches")
    return info


def _feature_tags(
    info: CharacterInfo, part: FeaturePart, reason: str, *, after: str | None
) -> list[AddedTag]:
    return [
        AddedTag(text, reason, after=after, fallback_slot=FALLBACK_SLOT_OF_PART[part])
        for text in feature_texts(info, part)
    ]


def feature_texts(info: CharacterInfo, part: FeaturePart) -> tuple[str, ...]:
    """The part's features as plain prompt texts (`goat horns`), in the author's caption order."""
    features = info.features.appearance if part is FeaturePart.APPEARANCE else info.features.outfit
    return tuple(unescape_a1111(feature) for feature in features)


@dataclass(frozen=True)
class NewFeatures:
    """The features of one part worth adding to a prompt (plain texts, the author's order), and why
    the others are not."""

    added: tuple[str, ...]
    already_there: tuple[str, ...]
    implied: tuple[tuple[str, str], ...]  # (feature, the tag implying it): (`horns`, `goat horns`)


def new_features(
    info: CharacterInfo, part: FeaturePart, present: Collection[str], tables: AuthorTables | None
) -> NewFeatures:
    """The character's appearance or outfit less what a prompt with the canonical tags `present`
    already says or implies, and less the features another of them implies (`goat horns` makes
    `horns` redundant): what prompt assembly adds for `--with-features`, for one character."""
    text_of_key: dict[str, str] = {}
    for text in feature_texts(info, part):
        text_of_key.setdefault(to_canonical(text), text)
    choice = choose_additions(list(text_of_key), present, tables)
    return NewFeatures(
        tuple(text_of_key[key] for key in choice.added),
        tuple(text_of_key[key] for key in choice.already_there),
        tuple((text_of_key[key], to_plain_form(by)) for key, by in choice.implied),
    )
