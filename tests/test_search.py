"""kb.search on a small hand-made catalog: tiers, reasons, aliases, filters, usage bias, persistence, CLI."""

from __future__ import annotations

import json
from pathlib import Path

import duckdb
import pytest

from kb.catalog import open_catalog
from kb.errors import SearchError
from kb.schema import DDL, SCHEMA_VERSION
from kb.search import MatchedVia, MatchReason, SearchIndex, lookup_character, parse_kinds, shared_index
from kb.search.index import popularity_of
from kb.search.persist import index_file
from tui.cli import main

# name, category, count; every tag gets an unverified trigger like ingest writes.
TAGS: list[tuple[str, int, int]] = [
    ("long_hair", 0, 4_350_743),
    ("very_long_hair", 0, 952_244),
    ("hat", 0, 1_206_396),
    ("witch_hat", 0, 100_830),
    ("detached_collar", 0, 131_380),
    ("detached_sleeves", 0, 223_401),
    ("hatsune_miku", 4, 106_634),
    ("hatsune_(princess_connect!)", 4, 300),
    ("miku_(darling_in_the_franxx)", 4, 1_000),
    ("ganyu_(genshin_impact)", 4, 18_317),
    ("lucy_(cyberpunk)", 4, 1_340),
    ("frieren", 4, 8_365),
    ("sousou_no_frieren", 3, 14_212),
    ("yoneyama_mai", 1, 259),
    ("modare", 1, 832),
    ("impasto", 0, 225),
    ("^_^", 0, 110_141),
    (">_<", 0, 64_724),
    ("pantyhose", 0, 528_923),
    ("panties", 0, 647_437),
]
ALIASES: list[tuple[str, str]] = [
    ("lucyna_kushinada", "lucy_(cyberpunk)"),
    ("mossi", "modare"),
    ("^^", "^_^"),
    ("ganyu", "ganyu_(genshin_impact)"),
]
CHARACTER_NAMES: dict[str, str] = {
    "ganyu_(genshin_impact)": "ganyu",
    "lucy_(cyberpunk)": "lucy",
    "hatsune_(princess_connect!)": "hatsune",
    "miku_(darling_in_the_franxx)": "miku",
}
# text, kind, tag name or None: the curated AIDXL triggers (verified).
VERIFIED: list[tuple[str, str, str | None]] = [
    ("by yoneyama mai", "artist_style", "yoneyama_mai"),
    ("by modare", "artist_style", "modare"),
    ("impasto", "painting_style", "impasto"),
    ("flat-pasto", "painting_style", None),
    ("best quality", "quality", None),
]
KIND_OF_CATEGORY = {0: "general", 1: "artist_style", 3: "copyright", 4: "character"}

# With `tiered=True`: characters of two copyrights and the author's vocabulary tier.
TIERED_TAGS: list[tuple[str, int, int]] = [
    ("rem_(re:zero)", 4, 9_053),
    ("ram_(re:zero)", 4, 2_828),
    ("emilia_(re:zero)", 4, 3_520),
    ("re:zero_kara_hajimeru_isekai_seikatsu", 3, 12_345),
    ("zeroyon_(yukkuri_remirya)", 1, 177),
    ("fern_(sousou_no_frieren)", 4, 5_410),
    ("genshin_impact", 3, 250_000),
    ("zhongli_(genshin_impact)", 4, 9_077),
]
TIERED_ALIASES: list[tuple[str, str]] = [
    ("re:zero", "re:zero_kara_hajimeru_isekai_seikatsu"),
    ("genshin", "genshin_impact"),
]
# tag -> (bare name, last qualifier, copyright tag)
TIERED_CHARACTERS: dict[str, tuple[str, str | None, str | None]] = {
    "rem_(re:zero)": ("rem", "re:zero", "re:zero_kara_hajimeru_isekai_seikatsu"),
    "ram_(re:zero)": ("ram", "re:zero", "re:zero_kara_hajimeru_isekai_seikatsu"),
    "emilia_(re:zero)": ("emilia", "re:zero", "re:zero_kara_hajimeru_isekai_seikatsu"),
    "fern_(sousou_no_frieren)": ("fern", "sousou no frieren", "sousou_no_frieren"),
    "ganyu_(genshin_impact)": ("ganyu", "genshin impact", "genshin_impact"),
    "zhongli_(genshin_impact)": ("zhongli", "genshin impact", "genshin_impact"),
    "frieren": ("frieren", None, None),
}
# text, kind, tag name or None: in the author's vocabulary (tier `author`). A tag's author trigger
# replaces its Danbooru one when the texts agree; frieren keeps both (the entry shows the author's).
AUTHOR: list[tuple[str, str, str | None]] = [
    ("by 0kommn", "artist_style", None),
    ("frieren (sousou no frieren)", "character", "frieren"),
    ("fern (sousou no frieren)", "character", "fern_(sousou_no_frieren)"),
    ("zhongli (genshin impact)", "character", "zhongli_(genshin_impact)"),
]


def write_small_catalog(path: Path, *, tiered: bool = False) -> Path:
    tags = TAGS + (TIERED_TAGS if tiered else [])
    aliases = ALIASES + (TIERED_ALIASES if tiered else [])
    author = AUTHOR if tiered else []
    connection = duckdb.connect(str(path))
    for statement in DDL:
        connection.execute(statement)
    # A fingerprint of its own per variant: the saved search index is named after it.
    connection.execute(
        "INSERT INTO meta VALUES ('schema_version', ?), ('fingerprint', ?), "
        "('built_at', '2025-01-01T00:00:00Z')",
        [str(SCHEMA_VERSION), "small-tiered-1" if tiered else "small-1"],
    )
    connection.execute("INSERT INTO sources VALUES (1, 'curated', NULL, 'kb', 'kb', 'x', 0, 0, NULL, now())")
    tag_ids = {name: tag_id for tag_id, (name, _, _) in enumerate(tags, start=1)}
    for name, category, count in tags:
        prompt = name.replace("_", " ") if name not in ("^_^", ">_<") else name
        prompt = prompt.replace("(", "\\(").replace(")", "\\)")
        connection.execute(
            "INSERT INTO tags VALUES (?, ?, ?, ?, ?)", [tag_ids[name], name, prompt, category, count]
        )
    for alias, name in aliases:
        connection.execute("INSERT INTO aliases VALUES (?, ?, 1)", [alias, tag_ids[name]])
    characters = {name: (bare, None, None) for name, bare in CHARACTER_NAMES.items()}
    if tiered:
        characters.update(TIERED_CHARACTERS)
    for name, (bare, qualifier, copyright_tag) in characters.items():
        connection.execute(
            "INSERT INTO characters (tag_id, name, qualifier, qualifiers, copyright, form, form_source_id) "
            "VALUES (?, ?, ?, ?, ?, ?, 1)",
            [
                tag_ids[name],
                bare,
                qualifier,
                [qualifier] if qualifier else [],
                copyright_tag,
                name.replace("_", " "),
            ],
        )
    trigger_id = 0
    for text, kind, tag in VERIFIED:
        trigger_id += 1
        connection.execute(
            "INSERT INTO triggers VALUES (?, ?, ?, ?, NULL, true, 'verified', 1, 'test', NULL)",
            [trigger_id, text, kind, tag_ids[tag] if tag else None],
        )
    for text, kind, tag in author:
        trigger_id += 1
        connection.execute(
            "INSERT INTO triggers VALUES (?, ?, ?, ?, NULL, false, 'author', 1, NULL, NULL)",
            [trigger_id, text, kind, tag_ids[tag] if tag else None],
        )
    for name, category, _ in tags:
        kind = KIND_OF_CATEGORY[category]
        text = name if name in ("^_^", ">_<") else name.replace("_", " ")
        text = f"by {text}" if kind == "artist_style" else text
        if any(
            text == listed_text and kind == listed_kind for listed_text, listed_kind, _ in VERIFIED + author
        ):
            continue
        trigger_id += 1
        connection.execute(
            "INSERT INTO triggers VALUES (?, ?, ?, ?, NULL, false, 'danbooru', 1, NULL, NULL)",
            [trigger_id, text, kind, tag_ids[name]],
        )
    connection.close()
    return path


@pytest.fixture(scope="module")
def small_catalog(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_small_catalog(tmp_path_factory.mktemp("search") / "catalog.duckdb")


@pytest.fixture(scope="module")
def index(small_catalog: Path) -> SearchIndex:
    connection = open_catalog(small_catalog)
    try:
        return SearchIndex.build(connection, usage={})
    finally:
        connection.close()


def first(index: SearchIndex, query: str, **filters: object) -> tuple[str, str, str]:
    hits = index.search(query, limit=5, **filters)  # type: ignore[arg-type]
    assert hits, f"no hit for {query!r}"
    return hits[0].prompt, str(hits[0].match), str(hits[0].via)


def prompts(index: SearchIndex, query: str, limit: int = 5) -> list[str]:
    return [hit.prompt for hit in index.search(query, limit=limit)]


def test_each_tier_names_its_match_reason(index: SearchIndex) -> None:
    assert first(index, "hat") == ("hat", "exact", "trigger")
    assert first(index, "detached col") == ("detached collar", "prefix", "trigger")
    assert first(index, "pasto") == ("flat-pasto", "word-start", "trigger")
    assert first(index, "mpast") == ("impasto", "substring", "trigger")
    assert first(index, "detco") == ("detached collar", "abbreviation", "trigger")
    assert first(index, "hatsne miku") == ("hatsune miku", "fuzzy", "trigger")


def test_exact_beats_more_popular_prefix_matches(index: SearchIndex) -> None:
    # `hat` (1.2M) is exact; `hatsune miku` only starts with it.
    assert prompts(index, "hat", limit=3) == ["hat", "witch hat", "hatsune miku"]


def test_whole_words_rank_by_popularity_with_bare_character_names(index: SearchIndex) -> None:
    # `miku` is the bare name of a 1,000-post character and a whole word of hatsune miku (106k).
    assert prompts(index, "miku", limit=2) == ["hatsune miku", "miku \\(darling in the franxx\\)"]
    assert prompts(index, "hatsune", limit=2) == ["hatsune miku", "hatsune \\(princess connect!\\)"]


def test_alias_hit_displays_alias_and_tag(index: SearchIndex) -> None:
    hit = index.search("lucyna", limit=1)[0]
    assert (hit.prompt, hit.tag, hit.via, hit.match) == (
        "lucy \\(cyberpunk\\)",
        "lucy_(cyberpunk)",
        MatchedVia.ALIAS,
        MatchReason.PREFIX,
    )
    assert hit.display == "lucyna kushinada → lucy \\(cyberpunk\\)"
    assert index.search("mossi", limit=1)[0].display == "mossi → by modare"


def test_verified_trigger_replaces_the_tags_candidate(index: SearchIndex) -> None:
    hits = index.search("impasto", limit=5)
    assert [(hit.prompt, hit.kind, hit.verified, str(hit.match)) for hit in hits] == [
        ("impasto", "painting_style", True, "exact"),
        ("flat-pasto", "painting_style", True, "fuzzy"),
    ]
    assert first(index, "yoneyama") == ("by yoneyama mai", "word-start", "trigger")


def test_one_entry_once_however_many_strings_match(index: SearchIndex) -> None:
    # ganyu matches as alias and as bare character name: one hit.
    assert prompts(index, "ganyu") == ["ganyu \\(genshin impact\\)"]


def test_character_first_names_and_loose_forms(index: SearchIndex) -> None:
    assert first(index, "lucy cyberpunk") == ("lucy \\(cyberpunk\\)", "exact", "trigger")
    assert first(index, "Lucy \\(Cyberpunk\\)")[0] == "lucy \\(cyberpunk\\)"
    assert first(index, "frieren") == ("frieren", "exact", "trigger")
    assert first(index, "flat pasto") == ("flat-pasto", "exact", "trigger")


def test_kaomoji_keep_their_underscores(index: SearchIndex) -> None:
    assert first(index, "^_^") == ("^_^", "exact", "trigger")
    assert first(index, ">_<") == (">_<", "exact", "trigger")
    assert first(index, "^^") == ("^_^", "exact", "alias")


def test_typos_need_four_characters(index: SearchIndex) -> None:
    assert first(index, "pantyhoes") == ("pantyhose", "fuzzy", "trigger")
    assert first(index, "gnayu") == ("ganyu \\(genshin impact\\)", "fuzzy", "character")
    assert index.search("hta", limit=5) == []


def test_filters(index: SearchIndex) -> None:
    assert prompts(index, "hat", limit=3) == ["hat", "witch hat", "hatsune miku"]
    assert [hit.prompt for hit in index.search("hat", kinds={"character"})] == [
        "hatsune miku",
        "hatsune \\(princess connect!\\)",
    ]
    assert [hit.prompt for hit in index.search("hat", min_count=200_000)] == ["hat"]
    assert [hit.prompt for hit in index.search("pasto", verified_only=True)] == ["flat-pasto", "impasto"]
    assert parse_kinds(["style,painting"]) == frozenset({"artist_style", "painting_style"})
    with pytest.raises(SearchError, match="unknown kind 'colour'"):
        parse_kinds(["colour"])


def test_limit_and_score_cutoff(index: SearchIndex) -> None:
    assert len(index.search("hat", limit=2)) == 2
    assert index.search("hat", limit=0) == []
    scored = index.search("hat", limit=5, score_cutoff=96)
    assert [(hit.prompt, hit.score) for hit in scored] == [("hat", 100.0)]
    assert all(hit.score <= 60 for hit in index.search("hatsne miku"))


def test_usage_bias_reorders_a_tier_but_never_hides_an_exact_match(index: SearchIndex) -> None:
    assert prompts(index, "miku", limit=2) == ["hatsune miku", "miku \\(darling in the franxx\\)"]
    assert prompts(index, "frieren", limit=2) == ["frieren", "sousou no frieren"]
    index.set_usage({"Miku \\(Darling in the Franxx\\)": 1_000, "sousou_no_frieren": 10**9})
    try:
        # ln(1 + 1000) + ln(1 + 1000 uses) > ln(1 + 106,634): history reorders one tier...
        assert prompts(index, "miku", limit=2) == ["miku \\(darling in the franxx\\)", "hatsune miku"]
        assert index.search("miku", limit=1)[0].uses == 1_000
        # ...but an exact match stays first whatever the history.
        assert prompts(index, "frieren", limit=2) == ["frieren", "sousou no frieren"]
    finally:
        index.set_usage({})


def test_usage_bias_is_capped() -> None:
    assert popularity_of(1_000, uses=10**9) == pytest.approx(popularity_of(1_000) + 5.0)
    assert popularity_of(1_000, uses=10**9) < popularity_of(1_000_000)
    assert popularity_of(0, tier="verified") > popularity_of(10**9, uses=10**9, tier="author")
    assert popularity_of(0, tier="author") > popularity_of(10**9, uses=10**9)


def test_saved_index_is_reused_and_a_damaged_one_rebuilt(small_catalog: Path) -> None:
    connection = open_catalog(small_catalog)
    try:
        path = index_file(connection)
        assert not path.exists()
        built = SearchIndex.load(connection, usage={})
        assert path.exists()
        modified = path.stat().st_mtime_ns
        reloaded = SearchIndex.load(connection, usage={})
        assert path.stat().st_mtime_ns == modified
        assert prompts(reloaded, "detco") == prompts(built, "detco") == ["detached collar"]
        path.write_bytes(b"not an index")
        assert prompts(SearchIndex.load(connection, usage={}), "detco") == ["detached collar"]
        assert shared_index(connection) is shared_index(connection)
        assert lookup_character(connection, "lucyna") is not None
    finally:
        connection.close()


def test_lookup_character_is_typo_tolerant(index: SearchIndex) -> None:
    found = {
        query: lookup_character(index, query) for query in ("hatsne miku", "lucyna", "ganyu", "hat", "zzzz")
    }
    assert {query: hit.tag if hit else None for query, hit in found.items()} == {
        "hatsne miku": "hatsune_miku",
        "lucyna": "lucy_(cyberpunk)",
        "ganyu": "ganyu_(genshin_impact)",
        "hat": "hatsune_miku",
        "zzzz": None,
    }


def test_cli_json_contract(small_catalog: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["search", "lucyna", "--catalog", str(small_catalog), "--json", "--limit", "2"]) == 0
    hits = json.loads(capsys.readouterr().out)
    assert [
        {key: hit[key] for key in ("prompt", "tag", "kind", "count", "match", "via", "display")}
        for hit in hits
    ] == [
        {
            "prompt": "lucy \\(cyberpunk\\)",
            "tag": "lucy_(cyberpunk)",
            "kind": "character",
            "count": 1340,
            "match": "prefix",
            "via": "alias",
            "display": "lucyna kushinada → lucy \\(cyberpunk\\)",
        }
    ]
    # Every hit says which source its trigger comes from (the small catalog has one source).
    assert hits[0]["source"] == {"name": None, "file": "kb", "kind": "curated"}


def test_cli_empty_query_is_the_missing_query_usage_error(
    small_catalog: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["search", "--catalog", str(small_catalog)]) == 2
    missing = capsys.readouterr().err
    assert missing == "aidxl: give a QUERY, or --copyright C to list a copyright's characters\n"
    for blank in ("", "   "):
        assert main(["search", blank, "--catalog", str(small_catalog)]) == 2
        assert capsys.readouterr().err == missing


def test_cli_human_lines_and_errors(small_catalog: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["search", "mossi", "--catalog", str(small_catalog)]) == 0
    assert capsys.readouterr().out.splitlines() == [
        "mossi → by modare  ✓ artist_style        832  alias exact"
    ]
    assert main(["search", "hat", "--kind", "colour", "--catalog", str(small_catalog)]) == 2
    assert "unknown kind 'colour'" in capsys.readouterr().err
    assert main(["search", "qqqq", "--catalog", str(small_catalog)]) == 1
    # The hand-written catalog records no sources, so the hint says how to add them.
    assert capsys.readouterr().err.startswith("aidxl: nothing matches 'qqqq'; this catalog holds only the ")
