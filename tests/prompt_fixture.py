"""A tiny hand-made catalog for the prompt-language tests (no ingest, no shared data needed)."""

from __future__ import annotations

from pathlib import Path

import duckdb

from kb.schema import DDL, SCHEMA_VERSION
from kb.tagforms import to_prompt_form

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


def build_tiny_catalog(target: Path) -> Path:
    """Write the tiny catalog to `target` and return it."""
    connection = duckdb.connect(str(target))
    try:
        for statement in DDL:
            connection.execute(statement)
        connection.execute("INSERT INTO meta VALUES ('schema_version', ?)", [str(SCHEMA_VERSION)])
        tag_ids: dict[str, int] = {}
        for tag_id, (name, category, count, aliases) in enumerate(TINY_TAGS, start=1):
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
    finally:
        connection.close()
    return target
