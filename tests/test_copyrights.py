"""A copyright's characters (kb.knowledge.copyrights, `aidxl search --copyright`) on the small tiered
catalog of test_search: the copyright typed in any form, popularity order, paging, filters, errors, CLI."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import duckdb
import pytest
from test_search import write_small_catalog

from kb.catalog import open_catalog
from kb.errors import UnknownCopyrightError
from kb.knowledge.copyrights import (
    CopyrightMatch,
    CopyrightMatchKind,
    character_tags_of_copyright,
    characters_of_copyright,
    resolve_copyright,
)
from kb.search import SearchIndex
from tui.cli import main


@pytest.fixture(scope="module")
def tiered_catalog(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_small_catalog(tmp_path_factory.mktemp("copyrights") / "catalog.duckdb", tiered=True)


@pytest.fixture
def connection(tiered_catalog: Path) -> Iterator[duckdb.DuckDBPyConnection]:
    opened = open_catalog(tiered_catalog)
    yield opened
    opened.close()


@pytest.fixture(scope="module")
def index(tiered_catalog: Path) -> SearchIndex:
    opened = open_catalog(tiered_catalog)
    try:
        return SearchIndex.build(opened, usage={})
    finally:
        opened.close()


@pytest.mark.parametrize(
    ("typed", "tag", "kind"),
    [
        ("genshin_impact", "genshin_impact", CopyrightMatchKind.EXACT),
        ("Genshin Impact", "genshin_impact", CopyrightMatchKind.EXACT),
        ("genshin", "genshin_impact", CopyrightMatchKind.ALIAS),
        ("re:zero", "re:zero_kara_hajimeru_isekai_seikatsu", CopyrightMatchKind.ALIAS),
        ("genshin imapct", "genshin_impact", CopyrightMatchKind.SEARCH),
        ("re:zero kara", "re:zero_kara_hajimeru_isekai_seikatsu", CopyrightMatchKind.SEARCH),
    ],
)
def test_the_copyright_may_be_typed_in_any_form(
    connection: duckdb.DuckDBPyConnection, index: SearchIndex, typed: str, tag: str, kind: CopyrightMatchKind
) -> None:
    match = resolve_copyright(connection, typed, index=index)
    assert (match.tag, match.kind) == (tag, kind)


def test_unknown_copyrights_suggest_the_nearest(
    connection: duckdb.DuckDBPyConnection, index: SearchIndex
) -> None:
    with pytest.raises(UnknownCopyrightError, match=r"^unknown copyright 'qqqq'$") as nothing:
        resolve_copyright(connection, "qqqq", index=index)
    assert nothing.value.suggestion is None
    # A substring is not taken for the copyright, only suggested.
    with pytest.raises(UnknownCopyrightError, match="did you mean genshin_impact") as inside:
        resolve_copyright(connection, "nshin imp", index=index)
    assert inside.value.suggestion == "genshin_impact"
    # A character's name: its copyright.
    with pytest.raises(UnknownCopyrightError) as character:
        resolve_copyright(connection, "zhongli", index=index)
    assert str(character.value) == (
        "unknown copyright 'zhongli'; it names a character of genshin_impact: did you mean genshin_impact?"
    )


def test_characters_by_popularity_with_their_best_tier_trigger(
    connection: duckdb.DuckDBPyConnection, index: SearchIndex
) -> None:
    listing = characters_of_copyright(connection, "genshin impact", index=index)
    assert listing.copyright == CopyrightMatch("genshin_impact", 250_000, CopyrightMatchKind.EXACT)
    assert [(c.tag, c.prompt, c.count, c.tier) for c in listing.characters] == [
        ("ganyu_(genshin_impact)", "ganyu \\(genshin impact\\)", 18_317, "danbooru"),
        ("zhongli_(genshin_impact)", "zhongli \\(genshin impact\\)", 9_077, "author"),
    ]
    assert listing.total == 2
    # frieren's tag names no series: it is not listed under sousou no frieren, fern is.
    assert [c.text for c in characters_of_copyright(connection, "sousou_no_frieren").characters] == [
        "fern (sousou no frieren)"
    ]


def test_paging_and_filters(connection: duckdb.DuckDBPyConnection) -> None:
    def texts(**options: object) -> list[str]:
        listing = characters_of_copyright(connection, "re:zero", **options)  # type: ignore[arg-type]
        return [c.text for c in listing.characters]

    assert texts() == ["rem (re:zero)", "emilia (re:zero)", "ram (re:zero)"]
    assert texts(limit=1, offset=1) == ["emilia (re:zero)"]
    assert texts(limit=None, offset=2) == ["ram (re:zero)"]
    assert texts(limit=0) == []
    assert texts(min_count=3_000) == ["rem (re:zero)", "emilia (re:zero)"]
    assert characters_of_copyright(connection, "re:zero", limit=1).total == 3
    genshin_author = characters_of_copyright(connection, "genshin_impact", tiers=frozenset({"author"}))
    assert ([c.text for c in genshin_author.characters], genshin_author.total) == (
        ["zhongli (genshin impact)"],
        1,
    )
    assert character_tags_of_copyright(connection, "genshin_impact") == {
        "ganyu_(genshin_impact)",
        "zhongli_(genshin_impact)",
    }


def test_cli_lists_a_copyrights_characters(tiered_catalog: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["search", "--copyright", "genshin", "--catalog", str(tiered_catalog)]) == 0
    captured = capsys.readouterr()
    assert captured.out.splitlines() == [
        "ganyu \\(genshin impact\\)         18,317",
        "zhongli \\(genshin impact\\)  ○     9,077",
    ]
    assert captured.err.splitlines() == [
        "aidxl: copyright 'genshin' → genshin_impact",
        "aidxl: genshin_impact: 2 characters, most posted first; 2 shown",
    ]
    assert (
        main(["search", "--copyright", "re:zero", "--json", "--limit", "1", "--catalog", str(tiered_catalog)])
        == 0
    )
    assert json.loads(capsys.readouterr().out) == [
        {
            "prompt": "rem \\(re:zero\\)",
            "tag": "rem_(re:zero)",
            "text": "rem (re:zero)",
            "kind": "character",
            "count": 9053,
            "tier": "danbooru",
            "verified": False,
        }
    ]
    assert (
        main(
            ["search", "--copyright", "genshin_impact", "--tier", "author", "--catalog", str(tiered_catalog)]
        )
        == 0
    )
    assert capsys.readouterr().out.splitlines() == ["zhongli \\(genshin impact\\)  ○     9,077"]


def test_cli_searches_inside_a_copyright(tiered_catalog: Path, capsys: pytest.CaptureFixture[str]) -> None:
    # `r` alone matches many entries; inside re:zero only its characters (all partial words: by
    # popularity).
    argv = ["search", "r", "--copyright", "re:zero kara hajimeru isekai seikatsu", "--json"]
    assert main([*argv, "--catalog", str(tiered_catalog)]) == 0
    assert [hit["tag"] for hit in json.loads(capsys.readouterr().out)] == [
        "rem_(re:zero)",
        "emilia_(re:zero)",
        "ram_(re:zero)",
    ]


def test_cli_errors(tiered_catalog: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["search", "--copyright", "zhongli", "--catalog", str(tiered_catalog)]) == 2
    assert capsys.readouterr().err == (
        "aidxl: unknown copyright 'zhongli'; it names a character of genshin_impact: "
        "did you mean genshin_impact?\n"
    )
    assert main(["search", "--catalog", str(tiered_catalog)]) == 2
    assert "give a QUERY, or --copyright C" in capsys.readouterr().err
    assert main(["search", "--copyright", "genshin", "--kind", "char", "--catalog", str(tiered_catalog)]) == 2
    assert "--kind and --verdict narrow a search" in capsys.readouterr().err
    assert (
        main(
            [
                "search",
                "--copyright",
                "sousou no frieren",
                "--tier",
                "verified",
                "--catalog",
                str(tiered_catalog),
            ]
        )
        == 1
    )
    assert capsys.readouterr().err.startswith("aidxl: no characters of sousou_no_frieren")
