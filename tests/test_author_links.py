"""Linking the author's vocabulary to Danbooru tags (ingest/author_links.py), on small inputs."""

from __future__ import annotations

from ingest.author_links import (
    AuthorName,
    ReducedName,
    link_author_artists,
    link_author_characters,
    reduced_names,
)
from ingest.linking import TagIndex, series_resolver

CHARACTER, COPYRIGHT, ARTIST, GENERAL = 4, 3, 1, 0


def small_index() -> TagIndex:
    return TagIndex(
        {
            "frieren": (1, CHARACTER),
            "sousou_no_frieren": (2, COPYRIGHT),
            "ganyu_(genshin_impact)": (3, CHARACTER),
            "genshin_impact": (4, COPYRIGHT),
            "osaka_shizuku": (5, CHARACTER),
            "elf": (6, GENERAL),
            "modare": (7, ARTIST),
            "magotsuki_(hurray)": (8, ARTIST),
            "lappland_(arknights)": (9, CHARACTER),
            "arknights": (10, COPYRIGHT),
        },
        {"ousaka_shizuku": ((5, CHARACTER, 100),), "mossi": ((7, ARTIST, 832),)},
    )


def names(*texts: str) -> list[AuthorName]:
    return [AuthorName(9, text) for text in texts]


def test_every_character_rule_in_order() -> None:
    index = small_index()
    vocabulary = names(
        "frieren",  # rule 1 first ...
        "frieren_(sousou_no_frieren)",  # ... but the qualified form wins (rule 3)
        "ganyu_(genshin_impact)",  # rule 1
        "ousaka_shizuku",  # rule 2: the author's spelling of osaka_shizuku
        "elf",  # rule 4: a general tag, not a character
        "lappland_(arknights)_(cosplay)",  # no series-free tag: author-only (rule 5)
        "azami_(jinx)",  # unknown: author-only
    )
    reduced = reduced_names((name.name for name in vocabulary), series_resolver(index))
    assert reduced["frieren_(sousou_no_frieren)"] == ReducedName("frieren", "sousou_no_frieren")
    assert reduced["lappland_(arknights)_(cosplay)"] == ReducedName("lappland_(cosplay)", "arknights")
    linked = link_author_characters(vocabulary, index, reduced)
    assert {tag_id: (form.form, form.rule) for tag_id, form in linked.forms.items()} == {
        1: ("frieren_(sousou_no_frieren)", 3),
        3: ("ganyu_(genshin_impact)", 1),
        5: ("ousaka_shizuku", 2),
    }
    assert linked.not_characters == 1
    assert [name.name for name in linked.author_only] == ["lappland_(arknights)_(cosplay)", "azami_(jinx)"]


def test_a_qualified_form_of_another_series_than_the_characters_own_is_a_variant() -> None:
    """`kamisato ayaka (gigo)`: Ayaka's own series is known (her aliases name genshin impact), so the
    author's form naming another series is a collaboration variant, not her form; a character
    whose own series are unknown still takes the qualified form (rule 3)."""
    index = TagIndex(
        {
            "kamisato_ayaka": (1, CHARACTER),
            "genshin_impact": (2, COPYRIGHT),
            "gigo": (3, COPYRIGHT),
            "frieren": (4, CHARACTER),
            "sousou_no_frieren": (5, COPYRIGHT),
        },
        {},
    )
    vocabulary = names("kamisato_ayaka", "kamisato_ayaka_(gigo)", "frieren", "frieren_(sousou_no_frieren)")
    reduced = reduced_names((name.name for name in vocabulary), series_resolver(index))
    linked = link_author_characters(vocabulary, index, reduced, {1: frozenset({"genshin_impact"})})
    assert {tag_id: form.form for tag_id, form in linked.forms.items()} == {
        1: "kamisato_ayaka",
        4: "frieren_(sousou_no_frieren)",
    }
    assert [name.name for name in linked.author_only] == ["kamisato_ayaka_(gigo)"]
    # Its own series named by the form: the qualified form wins as before.
    vocabulary = names("kamisato_ayaka", "kamisato_ayaka_(genshin_impact)")
    reduced = reduced_names((name.name for name in vocabulary), series_resolver(index))
    linked = link_author_characters(vocabulary, index, reduced, {1: frozenset({"genshin_impact"})})
    assert linked.forms[1].form == "kamisato_ayaka_(genshin_impact)"


def test_artists_link_by_name_alias_or_qualifier_free_name_and_skip_verified_texts() -> None:
    index = small_index()
    artists = link_author_artists(
        names("modare", "mossi", "magotsuki", "iamuu", "ask"),
        index,
        {"magotsuki": 8, "modare": 7},
        {"ask"},
    )
    assert [(artist.name, artist.tag_id) for artist in artists] == [
        ("modare", 7),
        ("mossi", 7),
        ("magotsuki", 8),
        ("iamuu", None),  # not a Danbooru artist: a trigger without a tag
    ]
