"""The author's tables and chants in the catalog: what each becomes, from small files written here and
from the real files; a bad file of any new kind leaves a real catalog byte-identical; flags and config."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from pathlib import Path

import duckdb
import pytest
from catalog_fixture import build_real_catalog

from ingest.specs import DEFAULT_TRIGGERS_REPO, TRIGGERS_FILE_NAME, SourceSpec, load_sources_config
from kb.catalog import open_catalog
from tui.cli import build_parser, main

TAGS = (
    "2b_(nier:automata),4,900,yorha_no._2_type_b\n"
    "zhongli_(genshin_impact),4,800,\n"
    "white_hair,0,5000,\n"
    "short_hair,0,6000,\n"
    "long_hair,0,7000,\n"
    "very_long_hair,0,3000,\n"
    "black_blindfold,0,100,\n"
    "thigh_boots,0,400,\n"
    "smile,0,9000,\n"
    "mole_under_mouth,0,300,\n"
    "hair_ornament,0,2000,\n"
    "modare,1,40,mossi\n"
)
IMPLICATIONS = '{\n  "very_long_hair": ["long_hair"],\n  "holding_sword": ["holding", "sword"]\n}\n'
PRIORITIES = (
    '{\n  "1girl": 1,\n  "smile": 14,\n  "mole_under_mouth": 16,\n  "white_hair": 20,\n'
    '  "short_hair": 20,\n  "hair_ornament": 21,\n  "thigh_boots": 29,\n  "black_blindfold": 39\n}\n'
)
ALIASES = '{\n  "mossi": "modare",\n  "zl": "zhongli_(genshin_impact)",\n  "nobody": "no_such_tag"\n}\n'
CHANTS = json.dumps(
    [
        {"name": "preset", "terms": "Basic,Quality", "content": "(best quality)", "color": 1},
        {
            "name": "yorha_no._2_type_b",  # an alias of 2b_(nier:automata)
            "terms": "Character",
            "content": "yorha_no._2_type_b,1girl, black blindfold, smile, white hair, thigh boots, "
            "hair ornament, mole under mouth, short hair, white hair",
            "color": 4,
        },
        {"name": "zl", "terms": "Character", "content": "zl,1boy, long hair", "color": 4},
        {
            "name": "nobody_(anything)",
            "terms": "Character",
            "content": "nobody_(anything),1other",
            "color": 4,
        },
    ],
    indent="\t",
).replace("\n", "\r\n")


@pytest.fixture()
def small_sources(tmp_path: Path) -> list[str]:
    files = {
        "tags.csv": TAGS,
        "implications.json": IMPLICATIONS,
        "priorities.json": PRIORITIES,
        "aliases.json": ALIASES,
        "chants.json": CHANTS,
    }
    for name, text in files.items():
        (tmp_path / name).write_bytes(text.encode())
    return [
        "--tagcomplete",
        str(tmp_path / "tags.csv"),
        "--implications",
        str(tmp_path / "implications.json"),
        "--priorities",
        str(tmp_path / "priorities.json"),
        "--aliases",
        str(tmp_path / "aliases.json"),
        "--chants",
        str(tmp_path / "chants.json"),
    ]


def query(catalog: Path, sql: str, *parameters: object) -> list[tuple[object, ...]]:
    with duckdb.connect(str(catalog), read_only=True) as connection:
        return connection.execute(sql, list(parameters)).fetchall()


def features(catalog: Path, tag: str) -> dict[str, list[str]]:
    found: dict[str, list[str]] = {"appearance": [], "outfit": []}
    for part, feature in query(
        catalog,
        "SELECT f.part, f.feature FROM character_features f JOIN tags t USING (tag_id) WHERE t.name = ? "
        "ORDER BY f.part, f.position",
        tag,
    ):
        found[str(part)].append(str(feature))
    return found


def test_small_files_become_the_new_tables(
    tmp_path: Path, small_sources: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    catalog = tmp_path / "catalog.duckdb"
    assert main(["ingest", "--catalog", str(catalog), *small_sources]) == 0
    out = capsys.readouterr().out
    assert "aliases.json: 1 alias(es) whose tag is not in the catalog left out; 1 already known" in out
    assert (
        "chants.json: 2 of 3 characters linked to catalog tags (2 through an alias); 1 not in the catalog"
        in out
    )
    assert "chants.json: 1 preset(s) skipped" in out
    assert query(catalog, "SELECT tag, implied FROM implications ORDER BY ALL") == [
        ("holding_sword", "holding"),
        ("holding_sword", "sword"),
        ("very_long_hair", "long_hair"),
    ]
    assert query(catalog, "SELECT group_index FROM caption_order WHERE tag = 'white_hair'") == [(20,)]
    # The alias zl is new; mossi -> modare was already in the tag file.
    assert query(
        catalog,
        "SELECT a.alias, t.name, s.kind FROM aliases a JOIN tags t USING (tag_id) "
        "JOIN sources s USING (source_id) ORDER BY a.alias",
    ) == [
        ("mossi", "modare", "tagcomplete"),
        ("yorha_no._2_type_b", "2b_(nier:automata)", "tagcomplete"),
        ("zl", "zhongli_(genshin_impact)", "aliases"),
    ]
    # Gender from 1girl; smile (expression) is no feature; white hair once; each part in caption order.
    assert features(catalog, "2b_(nier:automata)") == {
        "appearance": ["mole_under_mouth", "white_hair", "short_hair"],
        "outfit": ["hair_ornament", "thigh_boots", "black_blindfold"],
    }
    assert features(catalog, "zhongli_(genshin_impact)") == {"appearance": ["long_hair"], "outfit": []}
    assert query(
        catalog,
        "SELECT t.name, g.gender FROM character_genders g JOIN tags t USING (tag_id) ORDER BY t.name",
    ) == [("2b_(nier:automata)", "girl"), ("zhongli_(genshin_impact)", "boy")]
    capsys.readouterr()
    assert main(["stats", "--json", "--catalog", str(catalog)]) == 0
    stats = json.loads(capsys.readouterr().out)
    assert (stats["implications"], stats["caption_order"], stats["character_features"]) == (3, 8, 7)
    assert stats["character_genders"] == 2
    by_kind = {source["kind"]: source for source in stats["sources"]}
    assert by_kind["chants"]["rows"] == 3
    assert by_kind["chants"]["rows_per_table"] == {"character_features": 7, "character_genders": 2}
    assert by_kind["aliases"]["rows_per_table"] == {"aliases": 1}
    assert by_kind["implications"]["rows"] == 2
    assert main(["stats", "--catalog", str(catalog)]) == 0
    table = capsys.readouterr().out
    assert (
        "author tables: implications: 3  caption_order: 8  character_features: 7  character_genders: 2"
        in table
    )


def test_changing_an_author_table_rebuilds(tmp_path: Path, small_sources: list[str]) -> None:
    catalog = tmp_path / "catalog.duckdb"
    assert main(["ingest", "--catalog", str(catalog), *small_sources]) == 0
    before = catalog.read_bytes()
    assert main(["ingest", "--catalog", str(catalog), *small_sources]) == 0
    assert catalog.read_bytes() == before  # unchanged sources: nothing rebuilt
    (tmp_path / "implications.json").write_text('{"very_long_hair": ["long_hair", "hair"]}')
    assert main(["ingest", "--catalog", str(catalog), *small_sources]) == 0
    assert query(catalog, "SELECT count(*) FROM implications") == [(2,)]


# --- A bad file of every new kind: path:line: reason, the real catalog byte-identical ------------

BAD_FILES = [
    ("--implications", "implications.json", '{\n  "a": ["a"]\n}\n', "{path}:2: 'a' implies itself"),
    (
        "--priorities",
        "priorities.json",
        '{\n  "a": 1,\n  "b": -2\n}\n',
        "{path}:3: tag 'b': the group index must be a non-negative integer, found the number -2",
    ),
    ("--aliases", "aliases.json", '{\n  "a": "a"\n}\n', "{path}:2: alias 'a' points at itself"),
    (
        "--chants",
        "chants.json",
        '[\r\n {"name": "x", "terms": "Character", "content": "y,1girl", "color": 4}\r\n]\r\n',
        "{path}:2: chant 1 (x): content starts with 'y', not the chant's name 'x'",
    ),
    ("--chants", "broken.json", "[\n  {,\n]\n", "{path}:2: not valid JSON: Expecting property name"),
    ("--triggers", "artist.csv", "artist,count\nchi4,lots\n", "{path}:2: non-integer count 'lots'"),
    (
        "--vocab",
        "vocab.json",
        '{\n  "artist": [\n    "chi4",\n    "Chi4 san"\n  ]\n}\n',
        "{path}:4: artist[2]: name 'Chi4 san' has upper-case letters "
        "(the author's caption form is lower case)",
    ),
]


@pytest.fixture(scope="module")
def real_catalog_copy(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_real_catalog(tmp_path_factory.mktemp("real-author") / "catalog.duckdb")


@pytest.mark.parametrize(("flag", "name", "text", "expected"), BAD_FILES, ids=[case[1] for case in BAD_FILES])
def test_bad_file_leaves_the_real_catalog_byte_identical(
    real_catalog_copy: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    flag: str,
    name: str,
    text: str,
    expected: str,
) -> None:
    before = hashlib.sha256(real_catalog_copy.read_bytes()).hexdigest()
    bad = tmp_path / name
    bad.write_bytes(text.encode())
    capsys.readouterr()
    assert main(["ingest", "--catalog", str(real_catalog_copy), flag, str(bad)]) == 2
    stderr = capsys.readouterr().err
    assert expected.format(path=bad) in stderr
    assert "nothing was written; the catalog is unchanged." in stderr
    assert hashlib.sha256(real_catalog_copy.read_bytes()).hexdigest() == before
    assert not list(real_catalog_copy.parent.glob("catalog.duckdb.tmp-build-*"))


def test_skip_bad_ingests_the_good_rows_of_a_new_kind(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    priorities = tmp_path / "priorities.json"
    priorities.write_text('{\n  "a": 1,\n  "b": "x",\n  "c": 3\n}\n')
    catalog = tmp_path / "catalog.duckdb"
    assert main(["ingest", "--catalog", str(catalog), "--priorities", str(priorities), "--skip-bad"]) == 0
    captured = capsys.readouterr()
    assert f"{priorities}: skipped 1 bad row(s):" in captured.err
    assert query(catalog, "SELECT tag, group_index FROM caption_order ORDER BY tag") == [("a", 1), ("c", 3)]
    assert query(catalog, "SELECT rows, skipped FROM sources WHERE kind = 'priorities'") == [(2, 1)]


# --- The real files ------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def real(real_catalog_copy: Path) -> Iterator[duckdb.DuckDBPyConnection]:
    connection = open_catalog(real_catalog_copy)
    yield connection
    connection.close()


def rows(connection: duckdb.DuckDBPyConnection, sql: str, *parameters: object) -> list[tuple[object, ...]]:
    return connection.execute(sql, list(parameters)).fetchall()


def test_real_tables(real: duckdb.DuckDBPyConnection) -> None:
    assert rows(real, "SELECT count(*) FROM implications") == [(7242,)]
    assert rows(real, "SELECT implied FROM implications WHERE tag = 'very_long_hair'") == [("long_hair",)]
    assert rows(real, "SELECT count(*), count(DISTINCT group_index) FROM caption_order") == [(17077, 37)]
    assert rows(
        real,
        "SELECT kind, rows FROM sources "
        "WHERE kind IN ('implications', 'priorities', 'aliases', 'chants') ORDER BY source_id",
    ) == [("implications", 4948), ("priorities", 17077), ("aliases", 19941), ("chants", 1344)]
    # Every chant's character is a catalog character: all 1344 linked; 18 have no gender (no humans).
    assert rows(real, "SELECT count(DISTINCT tag_id) FROM character_features") == [(1344,)]
    assert rows(real, "SELECT gender, count(*) FROM character_genders GROUP BY ALL ORDER BY ALL") == [
        ("boy", 154),
        ("girl", 1170),
        ("other", 2),
    ]


def character(real: duckdb.DuckDBPyConnection, tag: str) -> tuple[object, dict[str, list[object]]]:
    (gender,) = rows(
        real, "SELECT g.gender FROM character_genders g JOIN tags t USING (tag_id) WHERE t.name = ?", tag
    )[0]
    parts: dict[str, list[object]] = {"appearance": [], "outfit": []}
    for part, feature in rows(
        real,
        "SELECT f.part, f.feature FROM character_features f JOIN tags t USING (tag_id) WHERE t.name = ? "
        "ORDER BY f.part, f.position",
        tag,
    ):
        parts[str(part)].append(feature)
    return gender, parts


def test_real_characters(real: duckdb.DuckDBPyConnection) -> None:
    gender, parts = character(real, "2b_(nier:automata)")
    assert gender == "girl"
    assert parts["appearance"] == [
        "mole_under_mouth",
        "short_hair",
        "white_hair",
        "medium_breasts",
        "large_breasts",
        "cleavage",
        "ass",
        "thighs",
    ]
    assert parts["outfit"][0] == "black_hairband" and parts["outfit"][-1] == "black_blindfold"
    assert {"thigh_boots", "highleg_leotard", "black_gloves"} <= set(parts["outfit"])
    gender, parts = character(real, "zhongli_(genshin_impact)")
    assert gender == "boy"
    assert "long_hair" in parts["appearance"] and "tassel_earrings" in parts["outfit"]
    gender, parts = character(real, "frieren")
    assert (gender, "elf" in parts["appearance"], "white_capelet" in parts["outfit"]) == ("girl", True, True)


# --- Flags and config ----------------------------------------------------------------------------


def specs_of(*argv: str) -> list[SourceSpec]:
    return list(build_parser().parse_args(["ingest", *argv]).source_specs)


def test_new_flags_and_hub_forms() -> None:
    assert specs_of(
        "--implications",
        "i.json",
        "--triggers",
        "hub",
        "--revision",
        "abc",
        "--triggers",
        "hub:me/model",
        "--chants",
        "hub:me/tags:chants/all.json",
        "--revision",
        "v2",
        "--triggers",
        "list.csv",
    ) == [
        SourceSpec("implications", path=Path("i.json")),
        SourceSpec("triggers", hub_repo=DEFAULT_TRIGGERS_REPO, revision="abc"),
        SourceSpec("triggers", hub_repo="me/model"),
        SourceSpec("chants", hub_repo="me/tags", hub_file="chants/all.json", revision="v2"),
        SourceSpec("triggers", path=Path("list.csv")),
    ]
    assert SourceSpec("triggers", hub_repo=DEFAULT_TRIGGERS_REPO).hub_file_name == TRIGGERS_FILE_NAME


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (
            ["--aliases", "hub"],
            "--aliases hub: no default Hub repository for aliases; give hub:OWNER/NAME:FILE",
        ),
        (
            ["--aliases", "hub:me/x"],
            "--aliases hub:me/x: expected hub:OWNER/NAME:FILE (a aliases source has no",
        ),
        (["--triggers", "hub:me"], "--triggers hub:me: expected hub:OWNER/NAME or hub:OWNER/NAME:FILE"),
        (
            ["--chants", "c.json", "--revision", "v1"],
            "--revision must follow the --tagger hub, --triggers hub",
        ),
    ],
)
def test_bad_new_flags(argv: list[str], message: str, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        build_parser().parse_args(["ingest", *argv])
    assert message in capsys.readouterr().err


def test_config_sections_of_the_new_kinds(tmp_path: Path) -> None:
    config = tmp_path / "sources.toml"
    config.write_text(
        '[[triggers]]\nhub = "Eugeoter/anime_illust_diffusion_xl:references/artist.csv"\n'
        'revision = "f36f3c4"\n'
        '[[triggers]]\nhub = "me/model"\n'
        '[[implications]]\npath = "data/i.json"\n'
        '[[chants]]\nhub = "me/tags:chants.json"\n'
    )
    assert load_sources_config(config) == [
        SourceSpec("implications", path=tmp_path / "data/i.json"),
        SourceSpec("chants", hub_repo="me/tags", hub_file="chants.json"),
        SourceSpec(
            "triggers", hub_repo=DEFAULT_TRIGGERS_REPO, hub_file=TRIGGERS_FILE_NAME, revision="f36f3c4"
        ),
        SourceSpec("triggers", hub_repo="me/model"),
    ]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('[[priorities]]\nhub = "me/tags"\n', "hub = 'me/tags': expected hub:OWNER/NAME:FILE"),
        ('[[aliases]]\npath = "a.json"\nkind = "general"\n', "[[aliases]] #1: unknown key(s) kind"),
        ('[[chants]]\npath = "a.json"\nrevision = "v1"\n', "[[chants]] #1: `revision` needs `hub`"),
    ],
)
def test_bad_config_sections(
    tmp_path: Path, text: str, message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    config = tmp_path / "sources.toml"
    config.write_text(text)
    assert main(["ingest", "--catalog", str(tmp_path / "c.duckdb"), "--config", str(config)]) == 2
    assert message in capsys.readouterr().err
