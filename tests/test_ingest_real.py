"""The catalog built from the real files in ../shared/data: exact counts, merging, aliases, links."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import duckdb
import pytest
from catalog_fixture import build_real_catalog

from kb.catalog import open_catalog
from kb.knowledge.tagforms import to_canonical, to_plain_form, to_prompt_form
from tui.cli import main


@pytest.fixture(scope="module")
def real_catalog(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_real_catalog(tmp_path_factory.mktemp("real") / "catalog.duckdb")


@pytest.fixture(scope="module")
def connection(real_catalog: Path) -> Iterator[duckdb.DuckDBPyConnection]:
    opened = open_catalog(real_catalog)
    yield opened
    opened.close()


def rows(connection: duckdb.DuckDBPyConnection, sql: str, *parameters: object) -> list[tuple[object, ...]]:
    return connection.execute(sql, list(parameters)).fetchall()


def test_stats_json_has_each_files_rows_per_category(
    real_catalog: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["stats", "--json", "--catalog", str(real_catalog)]) == 0
    stats = json.loads(capsys.readouterr().out)
    by_file = {source["file_name"]: source for source in stats["sources"]}
    assert by_file["selected_tags.wd-eva02-large-tagger-v3.csv"]["rows_per_category"] == {
        "0": 8106,
        "4": 2751,
        "9": 4,
    }
    assert by_file["danbooru.csv"]["rows_per_category"] == {
        "0": 30782,
        "1": 59201,
        "3": 9478,
        "4": 40931,
        "5": 390,
    }
    assert by_file["danbooru.csv"]["rows"] == 140782
    assert by_file["waifuset.custom_tags.json"]["rows"] == 58
    assert by_file["aidxl_triggers.fragments.csv"]["rows"] == 7
    assert stats["catalog"] == str(real_catalog)
    assert by_file["selected_tags.sw-cv-modelzoo-2021_0000_0899_5500.csv"]["rows_per_category"] == {
        "0": 4073,
        "3": 489,
        "4": 938,
    }
    # 140,940 names of eva02 + danbooru.csv, and 234 more that only the SW-CV list has.
    assert stats["tags"] == 141174
    assert stats["triggers_per_kind"] == {
        "aesthetic": 20,
        # 59,201 Danbooru artists (candidates or linked), 12,023 author-vocabulary artists Danbooru
        # lacks, 6 verified triggers without a tag, 3 more author spellings of linked artists
        "artist_style": 71233,
        # 40,999 character tags and 3,878 author-vocabulary characters without a Danbooru tag (one
        # of them `kamisato ayaka (gigo)`, a collaboration variant, not Ayaka's form)
        "character": 44877,
        "copyright": 9496,
        "general": 31085,
        "meta": 389,
        "painting_style": 32,  # 31 of the HEAD vocabulary and `anime` of the AIDXL 0.8-era one
        "quality": 7,
        "rating": 4,
    }
    assert stats["verified_triggers_per_kind"] == {
        "aesthetic": 20,
        "artist_style": 12,  # the card's six, the benchmark's four, antifreeze3, 7thknights
        "painting_style": 32,
        "quality": 7,
    }


def test_stats_table_for_humans(real_catalog: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["stats", "--catalog", str(real_catalog)]) == 0
    out = capsys.readouterr().out
    assert f"catalog: {real_catalog}" in out
    danbooru_lines = [line.split() for line in out.splitlines() if line.startswith("danbooru.csv ")]
    assert danbooru_lines == [
        ["danbooru.csv", "tagcomplete", "140782", "0", "30782", "59201", "9478", "40931", "390"]
    ]


def test_tags_merge_one_row_per_name_and_keep_each_sources_count(
    connection: duckdb.DuckDBPyConnection,
) -> None:
    # eva02 10861 + danbooru.csv 140782 rows, 10703 names in both; 234 more from the SW-CV list.
    assert rows(connection, "SELECT count(*), count(DISTINCT name) FROM tags") == [(141174, 141174)]
    assert rows(
        connection,
        "SELECT s.kind, ts.count, ts.danbooru_id FROM tag_sources ts JOIN tags t USING (tag_id) "
        "JOIN sources s USING (source_id) WHERE t.name = ? ORDER BY s.kind",
        "1girl",
    ) == [("tagcomplete", 6008644, None), ("tagger", 5113288, 470575), ("tagger", 3458813, 470575)]
    assert rows(connection, "SELECT count, category, prompt FROM tags WHERE name = '1girl'") == [
        (6008644, 0, "1girl")
    ]


def test_aliases_resolve(connection: duckdb.DuckDBPyConnection) -> None:
    resolve = "SELECT t.name, t.category FROM aliases a JOIN tags t USING (tag_id) WHERE a.alias = ?"
    assert rows(connection, resolve, "lucyna_kushinada") == [("lucy_(cyberpunk)", 4)]
    assert rows(connection, resolve, "mossi") == [("modare", 1)]
    # 30114 from danbooru.csv; of the author's 19941 aliases 12231 repeat those, 7706 name a tag the
    # catalog lacks, and 4 are new (squeezing_ass -> ass_grab, ...).
    assert rows(connection, "SELECT count(*) FROM aliases") == [(30118,)]
    assert rows(connection, resolve, "squeezing_ass") == [("ass_grab", 0)]


def test_verified_artist_triggers_link_to_their_danbooru_artist(
    connection: duckdb.DuckDBPyConnection,
) -> None:
    linked = rows(
        connection,
        "SELECT tr.text, t.name FROM triggers tr LEFT JOIN tags t USING (tag_id) "
        "WHERE tr.kind = 'artist_style' AND tr.verified ORDER BY tr.text",
    )
    assert linked == [
        ("by 7thknights", None),
        ("by aamond777", None),
        ("by antifreeze3", None),
        ("by ask", "ask_(askzy)"),
        ("by chi4", "chi4"),
        ("by dino", "dino_(dinoartforame)"),
        ("by hachihito", "hachihito"),
        ("by iamuu", None),
        ("by ikky", "ikky"),
        ("by magotsuki", "magotsuki_(hurray)"),
        ("by modare", "modare"),
        ("by yoneyama mai", "yoneyama_mai"),
    ]


def test_artist_candidates_drop_qualifiers_only_when_unambiguous(
    connection: duckdb.DuckDBPyConnection,
) -> None:
    candidates = rows(
        connection,
        "SELECT t.name, tr.text, tr.verified FROM triggers tr JOIN tags t USING (tag_id) "
        "WHERE tr.kind = 'artist_style' AND t.name IN (?, ?, ?, ?, ?) ORDER BY t.name, NOT tr.verified",
        "ask_(askzy)",
        "ask_(densicho)",
        "dino_(trexsilence)",
        "dinotodon",
        "modare",
    )
    assert candidates == [
        ("ask_(askzy)", "by ask", True),  # the curated trigger; no candidate beside it ...
        ("ask_(askzy)", "by ask (askzy)", False),  # ... but the author's vocabulary also spells it so
        ("ask_(densicho)", "by ask (densicho)", False),
        ("dino_(trexsilence)", "by dino (trexsilence)", False),
        ("dinotodon", "by dinotodon", False),
        ("modare", "by modare", True),
    ]
    assert rows(connection, "SELECT count(*) FROM triggers GROUP BY text, kind HAVING count(*) > 1") == []


def test_curated_and_vocab_triggers(connection: duckdb.DuckDBPyConnection) -> None:
    quality = rows(
        connection, "SELECT text, rank, verified FROM triggers WHERE kind = 'quality' ORDER BY rank"
    )
    assert [text for text, _, _ in quality] == [
        "amazing quality",
        "best quality",
        "high quality",
        "normal quality",
        "low quality",
        "worst quality",
        "horrible quality",
    ]
    assert all(verified for _, _, verified in quality)
    flat = rows(
        connection,
        "SELECT tr.description, t.name, tr.note FROM triggers tr LEFT JOIN tags t USING (tag_id) "
        "WHERE tr.text = 'flat color' AND tr.kind = 'painting_style'",
    )
    assert flat == [
        (
            "Flat colours; lines describe light and shadow.",
            "flat_color",
            "AIDXL model card, painting styles; waifuset.custom_tags.json (style); "
            "waifuset.custom_tags.dcfd297.json (style)",
        )
    ]
    assert rows(connection, "SELECT note FROM triggers WHERE text = 'kr-anime'") == [
        ("waifuset.custom_tags.json (style); waifuset.custom_tags.dcfd297.json (style)",)
    ]
    # Every tag that is not an artist is a trigger of its category's kind.
    assert rows(
        connection,
        "SELECT count(*) FROM tags t WHERE category <> 1 AND NOT EXISTS "
        "(SELECT 1 FROM triggers tr WHERE tr.tag_id = t.tag_id)",
    ) == [(0,)]


def test_characters_name_qualifiers_and_copyright(connection: duckdb.DuckDBPyConnection) -> None:
    found = rows(
        connection,
        "SELECT t.name, c.name, c.qualifier, c.qualifiers, c.copyright "
        "FROM characters c JOIN tags t USING (tag_id) "
        "WHERE t.name IN (?, ?, ?, ?, ?) ORDER BY t.name",
        "dino_(blend_s)",
        "hatsune_miku",
        'implacable_(shepherd_of_the_"lost")_(azur_lane)',
        "lucy_(cyberpunk)",
        "rem_(re:zero)",
    )
    assert found == [
        ("dino_(blend_s)", "dino", "blend s", ["blend s"], "blend_s"),
        ("hatsune_miku", "hatsune miku", None, [], None),
        (
            'implacable_(shepherd_of_the_"lost")_(azur_lane)',
            "implacable",
            "azur lane",
            ['shepherd of the "lost"', "azur lane"],
            "azur_lane",
        ),
        ("lucy_(cyberpunk)", "lucy", "cyberpunk", ["cyberpunk"], "cyberpunk_(series)"),
        ("rem_(re:zero)", "rem", "re:zero", ["re:zero"], "re:zero_kara_hajimeru_isekai_seikatsu"),
    ]


def test_sql_prompt_forms_equal_kb_tagforms_for_every_real_tag(connection: duckdb.DuckDBPyConnection) -> None:
    # A character's trigger is the form AIDXL knows (the author's, e.g. `frieren (sousou no frieren)`
    # for `frieren`), also written by the SQL macros.
    mismatched = [
        (name, prompt, text)
        for name, prompt, text, form in rows(
            connection,
            "SELECT t.name, t.prompt, tr.text, c.form FROM tags t "
            "JOIN triggers tr ON tr.tag_id = t.tag_id AND NOT tr.verified AND t.category <> 1 "
            "LEFT JOIN characters c ON c.tag_id = t.tag_id",
        )
        if prompt != to_prompt_form(name)
        or text != to_plain_form(to_canonical(str(form)) if form is not None else name)
    ]
    assert mismatched == []
    assert rows(
        connection, "SELECT prompt FROM tags WHERE name IN ('^_^', 'bishop_(chess)') ORDER BY name"
    ) == [
        ("^_^",),
        ("bishop \\(chess\\)",),
    ]


def test_unchanged_sources_are_not_rebuilt(real_catalog: Path, capsys: pytest.CaptureFixture[str]) -> None:
    before = real_catalog.read_bytes()
    assert (
        main(
            [
                "ingest",
                "--config",
                str(Path(__file__).resolve().parents[1] / "sources.toml"),
                "--catalog",
                str(real_catalog),
            ]
        )
        == 0
    )
    assert capsys.readouterr().out == f"{real_catalog}: up to date (sources unchanged), nothing rebuilt\n"
    assert real_catalog.read_bytes() == before


def test_stats_counts_every_fact_per_source(real_catalog: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Forms and copyrights say which source decided them, beside the tables' rows (issue 16.9)."""
    assert main(["stats", "--json", "--catalog", str(real_catalog)]) == 0
    stats = json.loads(capsys.readouterr().out)
    by_file = {source["file_name"]: source for source in stats["sources"]}
    author = by_file["waifuset.custom_tags.dcfd297.json"]["rows_per_table"]
    assert author["character_forms"] > 10_000 and author["character_copyrights"] > 4_000
    danbooru = by_file["danbooru.csv"]["rows_per_table"]
    assert danbooru["aliases"] == 30114 and danbooru["character_forms"] > 25_000
    chants = by_file["tagcomplete.noob_characters-chants.json"]["rows_per_table"]
    assert set(chants) == {"character_features", "character_genders"}
    # every character's form has a source
    assert sum(source["rows_per_table"].get("character_forms", 0) for source in stats["sources"]) == (
        stats["characters"]
    )


def test_stats_names_the_registry_sources_the_catalog_lacks(
    real_catalog: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["stats", "--json", "--catalog", str(real_catalog)]) == 0
    # The demo data holds every registry source but the two on the Hub.
    assert json.loads(capsys.readouterr().out)["missing_sources"] == ["wd14-tagger", "aidxl-trigger-list"]
    assert main(["stats", "--catalog", str(real_catalog)]) == 0
    out = capsys.readouterr().out
    assert "missing sources (2 of 12" in out
    assert "aidxl-trigger-list — " in out and "aidxl ingest --add --triggers PATH|hub" in out
