"""Character tags and every form a user writes them in.

A Danbooru character tag is a name followed by zero or more bracketed qualifiers, each joined
by an underscore: `frieren`, `ganyu_(genshin_impact)`, `rem_(re:zero)` (a colon inside),
`ganyu_(twilight_blossom)_(genshin_impact)` (two qualifiers, outermost last), and a qualifier
may hold brackets of its own (`x_(a_(b))`). A qualifier is either a *series* (a copyright:
`genshin_impact`, `fate`, `blend_s`) or something else (`cosplay`, an outfit such as
`twilight_blossom`, an artist such as `dinoartforame`).

Which qualifier is the series:
- with the catalog (`catalog_series_resolver`): the last qualifier that names a copyright tag
  (category 3) exactly, as `<qualifier>_(series)` (`fate` → `fate_(series)`), or by alias
  (`re:zero` → `re:zero_kara_hajimeru_isekai_seikatsu`);
- without it (`heuristic_series_resolver`): the last qualifier, unless it is one of the words
  in `NON_SERIES_QUALIFIER_WORDS` (cosplay, outfits, ages, forms). Artist qualifiers cannot be
  told apart without the catalog.

Forms: A1111-escaped (`ganyu \\(genshin impact\\)`), plain (`ganyu (genshin impact)`), the v0.8
sentence (`a girl named ganyu from genshin impact series`; the series is left out when there is
none; other qualifiers stay with the name, escaped: `a girl named ganyu \\(twilight blossom\\) from
genshin impact series`), and the card's `1 ` prefix (`1 ganyu \\(genshin impact\\)`).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from enum import StrEnum
from typing import TYPE_CHECKING

from kb.knowledge.catalog_lookup import shared_catalog_lookup
from kb.knowledge.tagforms import escape_a1111, keeps_underscores, to_canonical, to_plain_form, to_prompt_form
from kb.schema import Category

if TYPE_CHECKING:
    import duckdb

# Words that make a qualifier a costume, age, form or cosplay marker rather than a series.
NON_SERIES_QUALIFIER_WORDS: frozenset[str] = frozenset(
    {
        "cosplay",
        "append",
        "alter",
        "alternate",
        "young",
        "adult",
        "child",
        "old",
        "older",
        "younger",
        "swimsuit",
        "bikini",
        "uniform",
        "dress",
        "outfit",
        "costume",
        "casual",
        "armor",
        "kimono",
        "yukata",
        "maid",
        "bunny",
        "halloween",
        "christmas",
        "new_year",
        "wedding",
        "summer",
        "winter",
        "ascension",
        "form",
        "ver.",
        "version",
        "human",
        "animal",
        "cat",
        "dog",
        "fox",
        "robot",
        "female",
        "male",
        "genderswap",
        "mode",
        "style",
        "skin",
        "school",
        "idol",
        "festival",
    }
)

# Given a qualifier, the canonical copyright tag it names, or None when it is not a series.
SeriesResolver = Callable[[str], "str | None"]


@dataclass(frozen=True)
class CharacterTag:
    """A parsed character tag: `ganyu_(twilight_blossom)_(genshin_impact)`."""

    tag: str  # canonical Danbooru name
    name: str  # ganyu
    qualifiers: tuple[str, ...]  # ("twilight_blossom", "genshin_impact"), outermost last


@dataclass(frozen=True)
class CharacterForms:
    """Every form of one character trigger."""

    tag: str
    a1111: str  # ganyu \(genshin impact\)
    plain: str  # ganyu (genshin impact)
    sentence: str  # a girl named ganyu from genshin impact series
    prefixed: str  # 1 ganyu \(genshin impact\)
    copyright: str | None  # genshin_impact (canonical copyright tag), None without a series


def parse_character_tag(name: str) -> CharacterTag:
    """Split a character tag into its name and qualifiers (any pasted form is accepted)."""
    tag = to_canonical(name)
    qualifiers: list[str] = []
    rest = tag
    while rest.endswith(")") and not keeps_underscores(rest):
        opening = _matching_opening(rest)
        # Qualifiers are joined by `_`; the name before them must keep at least one character.
        if opening is None or opening < 2 or rest[opening - 1] != "_":
            break
        qualifiers.append(rest[opening + 1 : -1])
        rest = rest[: opening - 1]
    return CharacterTag(tag, rest, tuple(reversed(qualifiers)))


def _matching_opening(text: str) -> int | None:
    """Index of the `(` matching the final `)` of text, or None when unbalanced."""
    depth = 0
    for index in range(len(text) - 1, -1, -1):
        if text[index] == ")":
            depth += 1
        elif text[index] == "(":
            depth -= 1
            if depth == 0:
                return index
    return None


def heuristic_series_resolver(qualifier: str) -> str | None:
    """Without a catalog: a qualifier is a series unless one of its words marks a costume etc."""
    words = set(qualifier.split("_")) | {qualifier}
    if words & NON_SERIES_QUALIFIER_WORDS:
        return None
    return qualifier


def catalog_series_resolver(connection: duckdb.DuckDBPyConnection) -> SeriesResolver:
    """A resolver backed by the catalog's copyright tags and their aliases (read once per process)."""
    return shared_catalog_lookup(connection).find_copyright


def find_copyright(connection: duckdb.DuckDBPyConnection, qualifier: str) -> str | None:
    """The copyright tag a qualifier names: exactly, as `<q>_(series)`, or by alias (the most posted,
    then by name); else None."""
    return shared_catalog_lookup(connection).find_copyright(qualifier)


def series_qualifier(character: CharacterTag, resolver: SeriesResolver) -> tuple[int, str] | None:
    """(index in qualifiers, copyright tag) of the outermost qualifier that is a series."""
    for index in range(len(character.qualifiers) - 1, -1, -1):
        copyright_tag = resolver(character.qualifiers[index])
        if copyright_tag is not None:
            return index, copyright_tag
    return None


def character_forms(
    name: str, *, gender: str = "girl", series_resolver: SeriesResolver = heuristic_series_resolver
) -> CharacterForms:
    """Every form of a character tag; `gender` is the sentence's noun (`girl` or `boy`)."""
    character = parse_character_tag(name)
    series = series_qualifier(character, series_resolver)
    name_parts = [to_plain_form(character.name)]
    for index, qualifier in enumerate(character.qualifiers):
        if series is None or index != series[0]:
            name_parts.append(f"({to_plain_form(qualifier)})")
    sentence = f"a {gender} named {escape_a1111(' '.join(name_parts))}"
    if series is not None:
        sentence += f" from {escape_a1111(to_plain_form(character.qualifiers[series[0]]))} series"
    a1111 = to_prompt_form(character.tag)
    return CharacterForms(
        tag=character.tag,
        a1111=a1111,
        plain=to_plain_form(character.tag),
        sentence=sentence,
        prefixed=f"1 {a1111}",
        copyright=series[1] if series is not None else None,
    )


def with_copyright(forms: CharacterForms, copyright_tag: str) -> CharacterForms:
    """`forms` of a name without a series qualifier, for a character whose copyright is known from
    elsewhere (its Danbooru aliases): the copyright, and the sentence names the series
    (`a girl named raiden shogun from genshin impact series`)."""
    series = copyright_tag.removesuffix("_(series)")
    sentence = f"{forms.sentence} from {escape_a1111(to_plain_form(series))} series"
    return replace(forms, copyright=copyright_tag, sentence=sentence)


class CharacterMatchKind(StrEnum):
    EXACT = "exact"  # the query is the character tag
    ALIAS = "alias"  # the query is an alias of it (`ganyu` → `ganyu_(genshin_impact)`)
    NAME = "name"  # the query is the name before the qualifiers (most posted wins)
    SEARCH = "search"  # typo-tolerant search: a misspelt or partial name (`hatsne miku`)


@dataclass(frozen=True)
class CharacterMatch:
    tag: str
    kind: CharacterMatchKind


# Longer queries are not searched for typos: the longest alias in the catalog is 419 characters.
MAX_TYPO_QUERY_LENGTH = 500


def lookup_character(connection: duckdb.DuckDBPyConnection, query: str) -> CharacterMatch | None:
    """Find the character tag a user means: exact tag, alias, or bare name; None when unknown.

    This is the single place the CLI and TUI resolve a character; typo tolerance goes here.
    """
    key = to_canonical(query)
    character = int(Category.CHARACTER)
    exact = connection.execute(
        "SELECT name FROM tags WHERE category = $c AND name = $k", {"c": character, "k": key}
    ).fetchone()
    if exact is not None:
        return CharacterMatch(str(exact[0]), CharacterMatchKind.EXACT)
    alias = connection.execute(
        """
        SELECT t.name FROM aliases a JOIN tags t USING (tag_id)
        WHERE t.category = $c AND a.alias = $k ORDER BY t.count DESC, t.name LIMIT 1
        """,
        {"c": character, "k": key},
    ).fetchone()
    if alias is not None:
        return CharacterMatch(str(alias[0]), CharacterMatchKind.ALIAS)
    by_name = connection.execute(
        """
        SELECT name FROM tags WHERE category = $c AND starts_with(name, $k || '_(')
        ORDER BY count DESC, name LIMIT 1
        """,
        {"c": character, "k": key},
    ).fetchone()
    if by_name is not None:
        return CharacterMatch(str(by_name[0]), CharacterMatchKind.NAME)
    if connection.execute("SELECT 1 FROM tags WHERE name = $k", {"k": key}).fetchone() is not None:
        return None  # the query names another kind of tag exactly (`genshin_impact`): not a typo
    if len(key) > MAX_TYPO_QUERY_LENGTH:
        return None  # pasted text, not a misspelt name: the typo search costs time per character
    from kb.search import lookup_character as search_character  # loads the index: only when needed

    hit = search_character(connection, query)
    if hit is None or hit.tag is None:
        return None
    return CharacterMatch(hit.tag, CharacterMatchKind.SEARCH)
