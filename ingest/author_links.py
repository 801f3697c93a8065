"""Linking the model author's caption vocabulary to the Danbooru tags: the `author` tier and the
character forms AIDXL was trained on.

The vocabulary (waifuset `custom_tags.json`, AIDXL 0.8 era) lists the artist names and character
names the author's captions use. Every known AIDXL style trigger is `by ` + one of its artists,
and its characters are written as the model saw them: `frieren (sousou no frieren)` where
Danbooru has `frieren`.

Artists: `by <name>` is an `author`-tier trigger, linked to the Danbooru artist of that name (its
tag name, an alias of it, or its qualifier-free candidate name: `magotsuki` → `magotsuki_(hurray)`);
names Danbooru does not know stay triggers without a tag.

Characters, for each vocabulary name (canonical: `frieren_(sousou_no_frieren)`), first rule that holds:
1. it is a Danbooru character tag: that tag is in the author's vocabulary (tier author, same form);
2. it is an alias of exactly one character tag: the author's spelling is that character's form;
3. without its series qualifier it is a character tag (`frieren` + series `sousou_no_frieren`):
   the author's qualified form is that character's form, and gives its copyright; unless the
   character's own series are known (its tag's qualifier, its Danbooru aliases' qualifiers:
   `kamisato_ayaka_(genshin_impact)`) and the form names none of them: `kamisato ayaka (gigo)` is
   Ayaka in a GiGO collaboration, not her form, and stays an author-only name (rule 5);
4. it names a tag of another category (`elf`, `genshin_impact`): not a character, left out;
5. otherwise an author-only character: a trigger without a tag.
A character tag takes the first vocabulary name that links to it (vocabulary order), except that a
qualified form (rule 3) always beats the bare name (`frieren` is in the vocabulary too).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field

from ingest.linking import TagIndex
from kb.knowledge.characters import parse_character_tag, series_qualifier
from kb.schema import Category

ARTIST_PREFIX = "by "


@dataclass(frozen=True)
class AuthorName:
    """One name of the author's vocabulary, canonical (`frieren_(sousou_no_frieren)`)."""

    source_id: int
    name: str


@dataclass(frozen=True)
class AuthorArtist:
    """An author-tier artist style: `by ` + the plain form of `name`, linked to `tag_id` when known."""

    source_id: int
    name: str
    tag_id: int | None


@dataclass(frozen=True)
class CharacterForm:
    """The form the model knows for a Danbooru character tag, and the copyright it names."""

    tag_id: int
    form: str  # canonical: frieren_(sousou_no_frieren); its series names the copyright (writer)
    source_id: int
    rule: int  # 1-3 of the module docstring


@dataclass(frozen=True)
class AuthorVocabulary:
    """The author's artist and character names read from every vocabulary source, in order."""

    artists: tuple[AuthorName, ...] = ()
    characters: tuple[AuthorName, ...] = ()


@dataclass
class AuthorCharacters:
    forms: dict[int, CharacterForm] = field(default_factory=dict)  # tag_id -> form
    author_only: list[AuthorName] = field(default_factory=list)  # no Danbooru character: rule 5
    not_characters: int = 0  # rule 4


@dataclass(frozen=True)
class ReducedName:
    """A vocabulary name without its series qualifier (`frieren`), and that series' copyright tag."""

    base: str
    series: str


def reduced_names(names: Iterable[str], series_of: Callable[[str], str | None]) -> dict[str, ReducedName]:
    """Name → the name without its series qualifier, for names that have one (rule 3 lookups)."""
    reduced: dict[str, ReducedName] = {}
    for name in names:
        if not name.endswith(")"):
            continue
        character = parse_character_tag(name)
        found = series_qualifier(character, series_of)
        if found is None:
            continue
        index, series = found
        kept = [qualifier for position, qualifier in enumerate(character.qualifiers) if position != index]
        base = "".join([character.name, *(f"_({qualifier})" for qualifier in kept)])
        reduced[name] = ReducedName(base, series)
    return reduced


def link_author_characters(
    names: Sequence[AuthorName],
    index: TagIndex,
    reduced: Mapping[str, ReducedName],
    own_series: Mapping[int, frozenset[str]] | None = None,
) -> AuthorCharacters:
    """Apply rules 1-5 (module docstring) to every vocabulary character name, in order.
    `own_series`: character tag id → the copyrights its tag and its aliases name (rule 3's check)."""
    own_series = own_series or {}
    linked = AuthorCharacters()
    character = int(Category.CHARACTER)
    for author_name in names:
        name = author_name.name
        found = index.tag_of_name.get(name)
        if found is not None:
            tag_id, category = found
            if category != character:
                linked.not_characters += 1
            elif tag_id not in linked.forms:
                linked.forms[tag_id] = CharacterForm(tag_id, name, author_name.source_id, 1)
            continue
        targets = index.tags_of_alias.get(name, ())
        if targets:
            characters = [tag_id for tag_id, category, _ in targets if category == character]
            if len(characters) == 1:
                if characters[0] not in linked.forms:
                    linked.forms[characters[0]] = CharacterForm(characters[0], name, author_name.source_id, 2)
            else:
                linked.not_characters += 1
            continue
        reduced_name = reduced.get(name)
        base_tag = index.tag_of_name.get(reduced_name.base) if reduced_name is not None else None
        if reduced_name is not None and base_tag is not None and base_tag[1] == character:
            own = own_series.get(base_tag[0])
            if own and reduced_name.series not in own:  # another series' variant
                linked.author_only.append(author_name)
                continue
            known = linked.forms.get(base_tag[0])
            # The qualified form beats the bare Danbooru name, wherever the vocabulary lists them.
            if known is None or not known.form.endswith(")"):
                linked.forms[base_tag[0]] = CharacterForm(base_tag[0], name, author_name.source_id, 3)
            continue
        linked.author_only.append(author_name)
    return linked


def link_author_artists(
    names: Sequence[AuthorName],
    index: TagIndex,
    artist_of_chosen_name: dict[str, int],
    taken_texts: set[str],
) -> list[AuthorArtist]:
    """The author-tier artist triggers: one per vocabulary artist whose `by <name>` text no verified
    trigger uses already, linked to its Danbooru artist when there is one."""
    artists: list[AuthorArtist] = []
    seen: set[str] = set()
    for author_name in names:
        name = author_name.name
        if name in seen or name in taken_texts:
            continue
        seen.add(name)
        tag_id = index.resolve(name, Category.ARTIST) or artist_of_chosen_name.get(name)
        artists.append(AuthorArtist(author_name.source_id, name, tag_id))
    return artists


def author_lookup_names(artists: Iterable[AuthorName], characters: Iterable[AuthorName]) -> set[str]:
    """Every canonical name linking may look up in the tag index."""
    return {author_name.name for author_name in (*artists, *characters)}
