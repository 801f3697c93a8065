"""A tiny hand-made catalog for the prompt-language tests (no ingest, no shared data needed)."""

from __future__ import annotations

from pathlib import Path

import duckdb

from kb.knowledge.tagforms import to_prompt_form
from kb.schema import DDL, SCHEMA_VERSION

# (name, category, count, aliases)
TINY_TAGS: tuple[tuple[str, int, int, tuple[str, ...]], ...] = (
    ("long_hair", 0, 5_000_000, ("longhair",)),
    ("white_hair", 0, 1_000_000, ()),
    ("smile", 0, 4_000_000, ()),
    ("cowboy_shot", 0, 700_000, ()),
    ("white_dress", 0, 300_000, ()),
    ("flat_color", 0, 90_000, ()),
    ("cyberpunk", 0, 3_323, ()),
    ("^_^", 0, 40_000, ()),
    (":(", 0, 20_000, ()),
    ("ganyu_(genshin_impact)", 4, 18_317, ("ganyu", "kan'u_(genshin_impact)")),
    ("ganyu_(twilight_blossom)_(genshin_impact)", 4, 427, ()),
    ("rem_(re:zero)", 4, 9_053, ()),
    ("saber_(fate)", 4, 17_258, ("saber",)),
    ("frieren", 4, 8_365, ()),
    ("lucy_(cyberpunk)", 4, 1_340, ("lucyna_kushinada",)),
    ("dino_(blend_s)", 4, 500, ()),
    ("hatsune_miku_(append)", 4, 1_569, ("miku_append",)),
    ("hatsune_miku", 4, 106_634, ()),
    ("genshin_impact", 3, 219_147, ("genshin",)),
    ("fate_(series)", 3, 324_179, ()),
    ("re:zero_kara_hajimeru_isekai_seikatsu", 3, 16_703, ("re:zero", "re_zero")),
    ("cyberpunk_(series)", 3, 3_703, ()),
    ("blend_s", 3, 1_225, ()),
    ("vocaloid", 3, 156_791, ()),
    ("dino_(dinoartforame)", 1, 300, ()),
    ("ask_(askzy)", 1, 900, ()),
    ("chi4", 1, 400, ()),
)

# (text, kind, tag name or None, verified)
TINY_TRIGGERS: tuple[tuple[str, str, str | None, bool], ...] = (
    ("by chi4", "artist_style", "chi4", True),
    ("by ask", "artist_style", "ask_(askzy)", True),
    ("by dino", "artist_style", "dino_(dinoartforame)", True),
    ("by yoneyama mai", "artist_style", None, True),
    ("best quality", "quality", None, True),
    ("amazing quality", "quality", None, True),
    ("worst quality", "quality", None, True),
    ("beautiful color", "aesthetic", None, True),
    ("impasto", "painting_style", None, True),
    ("flat color", "painting_style", "flat_color", True),
)


# With `knowledge=True`: what schema 2 adds, in miniature (the explorer's tests and snapshots).
# Sources as the demo build names them (sources.toml: every registry source but the two on the Hub).
KNOWLEDGE_SOURCES: tuple[tuple[str, str | None, str], ...] = (
    ("curated", None, "artist_styles.toml"),
    ("tagger", "wd-eva02-tagger", "selected_tags.wd-eva02-large-tagger-v3.csv"),
    ("tagger", "sw-cv-tagger", "selected_tags.sw-cv-modelzoo-2021_0000_0899_5500.csv"),
    ("tagcomplete", "danbooru-tags", "danbooru.csv"),
    ("vocab", "author-styles", "waifuset.custom_tags.json"),
    ("vocab", "author-vocabulary", "waifuset.custom_tags.dcfd297.json"),
    ("list", "author-benchmark-triggers", "aidxl_triggers.fragments.csv"),
    ("implications", "author-implications", "waifuset.tag_implications.json"),
    ("priorities", "author-caption-order", "waifuset.tag_priorities.json"),
    ("aliases", "author-aliases", "waifuset.tag_aliases.json"),
    ("chants", "character-chants", "tagcomplete.noob_characters-chants.json"),
)
KNOWLEDGE_TAGS: tuple[tuple[str, int, int, tuple[str, ...]], ...] = (
    ("very_long_hair", 0, 1_800_000, ()),
    ("absurdly_long_hair", 0, 100_000, ()),
    ("short_hair", 0, 2_500_000, ()),
    ("mole_under_mouth", 0, 200_000, ()),
    ("black_dress", 0, 250_000, ()),
    ("highleg_leotard", 0, 90_000, ()),
    ("black_blindfold", 0, 12_000, ()),
    ("2b_(nier:automata)", 4, 9_943, ("yorha_no._2_type_b",)),
    ("9s_(nier:automata)", 4, 2_200, ()),
    ("nier:automata", 3, 20_000, ()),
    ("mika_pikazo", 1, 2_000, ()),
)
# (text, kind, tag, tier, source file name)
KNOWLEDGE_TRIGGERS: tuple[tuple[str, str, str, str, str], ...] = (
    ("by mika pikazo", "artist_style", "mika_pikazo", "author", "waifuset.custom_tags.dcfd297.json"),
    ("2b (nier:automata)", "character", "2b_(nier:automata)", "author", "waifuset.custom_tags.dcfd297.json"),
    (
        "ganyu (genshin impact)",
        "character",
        "ganyu_(genshin_impact)",
        "author",
        "waifuset.custom_tags.dcfd297.json",
    ),
    ("9s (nier:automata)", "character", "9s_(nier:automata)", "danbooru", "danbooru.csv"),
    ("very long hair", "general", "very_long_hair", "danbooru", "danbooru.csv"),
)
# (character tag, copyright tag)
KNOWLEDGE_CHARACTERS: tuple[tuple[str, str | None], ...] = (
    ("ganyu_(genshin_impact)", "genshin_impact"),
    ("ganyu_(twilight_blossom)_(genshin_impact)", "genshin_impact"),
    ("2b_(nier:automata)", "nier:automata"),
    ("9s_(nier:automata)", "nier:automata"),
    ("frieren", None),
)
# (character tag, part, features in the author's order)
KNOWLEDGE_FEATURES: tuple[tuple[str, str, tuple[str, ...]], ...] = (
    ("2b_(nier:automata)", "appearance", ("mole_under_mouth", "short_hair", "white_hair")),
    ("2b_(nier:automata)", "outfit", ("black_dress", "highleg_leotard", "black_blindfold")),
)
KNOWLEDGE_IMPLICATIONS: tuple[tuple[str, str], ...] = (
    ("very_long_hair", "long_hair"),
    ("absurdly_long_hair", "very_long_hair"),
    ("absurdly_long_hair", "long_hair"),
)


def build_tiny_catalog(target: Path, *, knowledge: bool = False) -> Path:
    """Write the tiny catalog to `target` and return it; `knowledge` adds sources with registry
    names, author-tier triggers, characters with copyrights, 2b's features and implications."""
    connection = duckdb.connect(str(target))
    try:
        for statement in DDL:
            connection.execute(statement)
        connection.execute("INSERT INTO meta VALUES ('schema_version', ?)", [str(SCHEMA_VERSION)])
        tag_ids: dict[str, int] = {}
        tags = TINY_TAGS + (KNOWLEDGE_TAGS if knowledge else ())
        for tag_id, (name, category, count, aliases) in enumerate(tags, start=1):
            tag_ids[name] = tag_id
            connection.execute(
                "INSERT INTO tags VALUES (?, ?, ?, ?, ?)",
                [tag_id, name, to_prompt_form(name), category, count],
            )
            for alias in aliases:
                connection.execute("INSERT INTO aliases VALUES (?, ?, 1)", [alias, tag_id])
        for trigger_id, (text, kind, tag, verified) in enumerate(TINY_TRIGGERS, start=1):
            connection.execute(
                "INSERT INTO triggers (trigger_id, text, kind, tag_id, verified, tier, source_id) "
                "VALUES (?, ?, ?, ?, ?, ?, 1)",
                [
                    trigger_id,
                    text,
                    kind,
                    tag_ids.get(tag) if tag else None,
                    verified,
                    "verified" if verified else "danbooru",
                ],
            )
        if knowledge:
            _add_knowledge(connection, tag_ids, len(TINY_TRIGGERS))
    finally:
        connection.close()
    return target


def _add_knowledge(connection: duckdb.DuckDBPyConnection, tag_ids: dict[str, int], triggers: int) -> None:
    from kb.knowledge.characters import parse_character_tag
    from kb.knowledge.tagforms import to_plain_form

    source_ids: dict[str, int] = {}
    for source_id, (kind, name, file_name) in enumerate(KNOWLEDGE_SOURCES, start=1):
        source_ids[file_name] = source_id
        connection.execute(
            "INSERT INTO sources VALUES (?, ?, ?, ?, ?, ?, 1, 0, NULL, now())",
            [source_id, kind, name, f"/data/{file_name}", file_name, "0" * 64],
        )
    for trigger_id, (text, kind, tag, tier, file_name) in enumerate(KNOWLEDGE_TRIGGERS, start=triggers + 1):
        connection.execute(
            "INSERT INTO triggers (trigger_id, text, kind, tag_id, verified, tier, source_id) "
            "VALUES (?, ?, ?, ?, false, ?, ?)",
            [trigger_id, text, kind, tag_ids[tag], tier, source_ids[file_name]],
        )
    danbooru = source_ids["danbooru.csv"]
    for tag, copyright in KNOWLEDGE_CHARACTERS:
        character = parse_character_tag(tag)
        qualifiers = [to_plain_form(qualifier) for qualifier in character.qualifiers]
        connection.execute(
            "INSERT INTO characters VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            [
                tag_ids[tag],
                to_plain_form(character.name),
                qualifiers[-1] if qualifiers else None,
                qualifiers,
                copyright,
                to_plain_form(tag),
                danbooru,
                danbooru if copyright else None,
            ],
        )
    chants = source_ids["tagcomplete.noob_characters-chants.json"]
    for tag, part, features in KNOWLEDGE_FEATURES:
        for position, feature in enumerate(features, start=1):
            connection.execute(
                "INSERT INTO character_features VALUES (?, ?, ?, ?, ?)",
                [tag_ids[tag], part, position, feature, chants],
            )
    connection.execute(
        "INSERT INTO character_genders VALUES (?, 'girl', ?)", [tag_ids["2b_(nier:automata)"], chants]
    )
    implications = source_ids["waifuset.tag_implications.json"]
    for tag, implied in KNOWLEDGE_IMPLICATIONS:
        connection.execute("INSERT INTO implications VALUES (?, ?, ?)", [tag, implied, implications])


def add_features(
    target: Path,
    character: str,
    appearance: tuple[str, ...],
    implications: tuple[tuple[str, str], ...] = (),
) -> Path:
    """Give `character` (a tag of a knowledge catalog) an appearance from the chants source, with
    author implications between the tags; tags the catalog lacks are added as general tags."""
    connection = duckdb.connect(str(target))
    try:
        next_id = int(connection.execute("SELECT max(tag_id) FROM tags").fetchone()[0]) + 1  # type: ignore[index]
        for name in {*appearance, *(tag for pair in implications for tag in pair)}:
            if connection.execute("SELECT 1 FROM tags WHERE name = ?", [name]).fetchone() is None:
                connection.execute(
                    "INSERT INTO tags VALUES (?, ?, ?, 0, 1000)", [next_id, name, to_prompt_form(name)]
                )
                next_id += 1
        tag_id = connection.execute("SELECT tag_id FROM tags WHERE name = ?", [character]).fetchone()
        assert tag_id is not None, character
        source = connection.execute("SELECT source_id FROM sources WHERE kind = 'chants'").fetchone()
        implications_source = connection.execute(
            "SELECT source_id FROM sources WHERE kind = 'implications'"
        ).fetchone()
        assert source is not None and implications_source is not None, "a knowledge=True catalog"
        for position, feature in enumerate(appearance, start=1):
            connection.execute(
                "INSERT INTO character_features VALUES (?, 'appearance', ?, ?, ?)",
                [tag_id[0], position, feature, source[0]],
            )
        for tag, implied in implications:
            connection.execute(
                "INSERT INTO implications VALUES (?, ?, ?)", [tag, implied, implications_source[0]]
            )
    finally:
        connection.close()
    return target
