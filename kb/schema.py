"""The catalog's DuckDB schema: one place that says what every table holds.

The schema is documented for humans in docs/catalog.md; bump SCHEMA_VERSION whenever a
table changes so that old catalog files are refused with a "rebuild" message.
"""

from __future__ import annotations

from enum import IntEnum, StrEnum

SCHEMA_VERSION = 2


class Category(IntEnum):
    """Danbooru tag categories as the tagger and tag-autocomplete files number them."""

    GENERAL = 0
    ARTIST = 1
    COPYRIGHT = 3
    CHARACTER = 4
    META = 5
    RATING = 9


class TriggerKind(StrEnum):
    """What a trigger does in an AIDXL prompt."""

    ARTIST_STYLE = "artist_style"
    PAINTING_STYLE = "painting_style"
    QUALITY = "quality"
    AESTHETIC = "aesthetic"
    CHARACTER = "character"
    COPYRIGHT = "copyright"
    GENERAL = "general"
    RATING = "rating"
    META = "meta"


class TriggerTier(StrEnum):
    """How sure we are that AIDXL knows a trigger, best first (docs/catalog.md).

    verified: curated with a source note, or a row of the model's own trigger list;
    author:   in the model author's caption vocabulary (`by <name>` for an artist of it);
    danbooru: a Danbooru or tagger tag, nothing more.
    """

    VERIFIED = "verified"
    AUTHOR = "author"
    DANBOORU = "danbooru"


# The trigger kind a Danbooru tag gets when no curated list says otherwise.
KIND_OF_CATEGORY: dict[Category, TriggerKind] = {
    Category.GENERAL: TriggerKind.GENERAL,
    Category.ARTIST: TriggerKind.ARTIST_STYLE,
    Category.COPYRIGHT: TriggerKind.COPYRIGHT,
    Category.CHARACTER: TriggerKind.CHARACTER,
    Category.META: TriggerKind.META,
    Category.RATING: TriggerKind.RATING,
}

# Keys and unique columns are documented in comments, not declared: maintaining DuckDB indexes during
# the bulk load tripled the build time, so `aidxl ingest` checks uniqueness itself before it commits
# (ingest/writer.py UNIQUE_KEYS). The catalog is rebuilt whole, never updated row by row.
DDL: tuple[str, ...] = (
    """
    CREATE TABLE meta (
        key   VARCHAR NOT NULL,            -- key
        value VARCHAR NOT NULL
    )
    """,
    # One row per ingested file (or the curated lists shipped in the package).
    """
    CREATE TABLE sources (
        source_id   INTEGER NOT NULL,      -- key
        kind        VARCHAR NOT NULL,      -- tagger | tagcomplete | vocab | list | curated |
                                           -- implications | aliases | priorities | chants | triggers
        name        VARCHAR,               -- the registry source it is (ingest/data/registry.toml), if any
        location    VARCHAR NOT NULL,      -- path, or hub:REPO@REVISION/FILE
        file_name   VARCHAR NOT NULL,
        sha256      VARCHAR NOT NULL,
        rows        INTEGER NOT NULL,      -- rows ingested
        skipped     INTEGER NOT NULL,      -- bad rows skipped with --skip-bad
        list_kind   VARCHAR,               -- a list's --kind (TriggerKind), so `--add` can read it again
        ingested_at TIMESTAMP NOT NULL
    )
    """,
    # One row per distinct canonical Danbooru tag name, merged over all sources.
    """
    CREATE TABLE tags (
        tag_id   INTEGER NOT NULL,         -- key, 1 = most posted
        name     VARCHAR NOT NULL,         -- unique; canonical Danbooru name: long_hair, lucy_(cyberpunk)
        prompt   VARCHAR NOT NULL,         -- A1111 prompt form: long hair, lucy \\(cyberpunk\\)
        category TINYINT NOT NULL,         -- Category
        count    BIGINT NOT NULL           -- largest post count over the sources
    )
    """,
    # Each source's own view of a tag: its post count (and the tagger's tag_id).
    """
    CREATE TABLE tag_sources (
        tag_id      INTEGER NOT NULL,
        source_id   INTEGER NOT NULL,
        category    TINYINT NOT NULL,
        count       BIGINT NOT NULL,
        danbooru_id BIGINT                 -- the tagger's tag_id; key: (tag_id, source_id)
    )
    """,
    """
    CREATE TABLE aliases (
        alias     VARCHAR NOT NULL,        -- as written in the source: lucyna_kushinada
        tag_id    INTEGER NOT NULL,
        source_id INTEGER NOT NULL         -- first source listing it; key: (alias, tag_id)
    )
    """,
    # What a user types into a prompt. Every tag has one; curated triggers may have no tag.
    """
    CREATE TABLE triggers (
        trigger_id  INTEGER NOT NULL,      -- key
        text        VARCHAR NOT NULL,      -- unescaped text: by yoneyama mai, lucy (cyberpunk)
        kind        VARCHAR NOT NULL,      -- TriggerKind
        tag_id      INTEGER,               -- linked Danbooru tag, if any
        description VARCHAR,
        verified    BOOLEAN NOT NULL,      -- known to be AIDXL's own trigger (tier = 'verified')
        tier        VARCHAR NOT NULL,      -- TriggerTier: verified | author | danbooru
        source_id   INTEGER NOT NULL,
        note        VARCHAR,               -- where the curated entry comes from
        rank        INTEGER                -- order inside a ladder (quality), else NULL; (text, kind) unique
    )
    """,
    """
    CREATE TABLE characters (
        tag_id     INTEGER NOT NULL,       -- key
        name       VARCHAR NOT NULL,       -- plain form of the name without qualifiers: ganyu
        qualifier  VARCHAR,                -- last qualifier, plain form: genshin impact; NULL if none
        qualifiers VARCHAR[] NOT NULL,     -- every qualifier, plain form: [twilight blossom, genshin impact]
        copyright  VARCHAR,                -- copyright tag a qualifier names (docs/catalog.md): blend_s
        form       VARCHAR NOT NULL,       -- the form AIDXL knows, plain: frieren (sousou no frieren)
        form_source_id      INTEGER NOT NULL,  -- source that decided the form: the author's, else the tag's
        copyright_source_id INTEGER            -- the source whose form named the copyright; NULL without
    )
    """,
    # The model author's caption tools (waifuset): which tags imply which (the author drops an implied
    # tag from a caption), and each tag's caption group (the author's caption order, lower = earlier).
    """
    CREATE TABLE implications (
        tag       VARCHAR NOT NULL,        -- canonical Danbooru name: very_long_hair
        implied   VARCHAR NOT NULL,        -- canonical name it implies: long_hair; key: (tag, implied)
        source_id INTEGER NOT NULL         -- first source listing the pair
    )
    """,
    """
    CREATE TABLE caption_order (
        tag         VARCHAR NOT NULL,      -- key; canonical Danbooru name
        group_index INTEGER NOT NULL,      -- kb.knowledge.caption_groups: 20 hair, 32 clothes, 39 the rest
        source_id   INTEGER NOT NULL       -- first source listing the tag
    )
    """,
    # A character's core tags from a chant file (tag-autocomplete chants), canonical names, split into
    # what the character looks like and what it wears; each part in the author's caption order.
    """
    CREATE TABLE character_features (
        tag_id    INTEGER NOT NULL,        -- the character tag
        part      VARCHAR NOT NULL,        -- appearance | outfit
        position  INTEGER NOT NULL,        -- 1.. within (tag_id, source_id, part); key with those
        feature   VARCHAR NOT NULL,        -- canonical tag: white_hair, black_blindfold
        source_id INTEGER NOT NULL
    )
    """,
    """
    CREATE TABLE character_genders (
        tag_id    INTEGER NOT NULL,        -- the character tag; key: (tag_id, source_id)
        gender    VARCHAR NOT NULL,        -- girl | boy | other (the chant's 1girl / 1boy / 1other)
        source_id INTEGER NOT NULL
    )
    """,
)
