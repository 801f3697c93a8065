"""`aidxl export wildcards`: one Dynamic Prompts file per kind (and per copyright's characters),
read with the extension's rules (dynamicprompts' text wildcard files: each line stripped; blank
lines and lines starting with `#` skipped; the rest are the values), deterministic, provenance in
comments."""

from __future__ import annotations

import json
from pathlib import Path

import duckdb
import pytest
from catalog_fixture import build_real_catalog

from kb.export.wildcards import copyright_file_name, wildcard_value
from kb.knowledge.tagforms import escape_a1111
from tui.cli import main


def wildcard_values(path: Path) -> list[str]:
    lines = (line.strip() for line in path.read_text(encoding="utf-8").splitlines())
    return [line for line in lines if line and not line.startswith("#")]


@pytest.fixture(scope="module")
def catalog_path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_real_catalog(tmp_path_factory.mktemp("wildcards") / "catalog.duckdb")


def verified_texts(catalog_path: Path, kind: str) -> set[str]:
    connection = duckdb.connect(str(catalog_path), read_only=True)
    try:
        rows = connection.execute(
            "SELECT text FROM triggers WHERE kind = $kind AND tier = 'verified'", {"kind": kind}
        ).fetchall()
    finally:
        connection.close()
    return {escape_a1111(str(text)) for (text,) in rows}


def test_one_file_per_kind_and_copyright(
    catalog_path: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    folder = tmp_path / "wildcards"
    command = [
        "--catalog",
        str(catalog_path),
        "export",
        "wildcards",
        str(folder),
        "--copyright",
        "genshin impact",
    ]
    assert main([*command, "--json"]) == 0
    summary = {item["wildcard"]: item for item in json.loads(capsys.readouterr().out)["files"]}
    assert sorted(summary) == [
        "__aidxl/aesthetic__",
        "__aidxl/characters/genshin_impact__",
        "__aidxl/painting-styles__",
        "__aidxl/quality__",
        "__aidxl/styles-author__",
        "__aidxl/styles-verified__",
    ]
    aidxl = folder / "aidxl"
    assert set(wildcard_values(aidxl / "styles-verified.txt")) == verified_texts(catalog_path, "artist_style")
    assert set(wildcard_values(aidxl / "painting-styles.txt")) == verified_texts(
        catalog_path, "painting_style"
    )
    assert set(wildcard_values(aidxl / "aesthetic.txt")) == verified_texts(catalog_path, "aesthetic")
    assert wildcard_values(aidxl / "quality.txt")[:3] == ["amazing quality", "best quality", "high quality"]
    author = wildcard_values(aidxl / "styles-author.txt")
    assert len(author) == summary["__aidxl/styles-author__"]["values"] > 24_000
    assert all(value.startswith("by ") for value in author)
    characters = wildcard_values(aidxl / "characters" / "genshin_impact.txt")
    assert characters[0] == "ganyu \\(genshin impact\\)" and len(characters) > 200
    for item in summary.values():
        assert len(wildcard_values(folder / item["path"].split(str(folder) + "/")[1])) == item["values"]
    header = (aidxl / "quality.txt").read_text(encoding="utf-8").splitlines()[:5]
    assert header[0] == "# AIDXL quality tags, best first"
    assert f"# catalog: {catalog_path.absolute()}" in header
    # Same catalog, same bytes.
    again = tmp_path / "again"
    assert main([*command[:4], str(again), *command[5:]]) == 0
    for path in aidxl.rglob("*.txt"):
        assert (again / "aidxl" / path.relative_to(aidxl)).read_bytes() == path.read_bytes()


def test_values_dynamic_prompts_would_misread_are_left_out() -> None:
    assert wildcard_value("frieren (sousou no frieren)") == "frieren \\(sousou no frieren\\)"
    for syntax in ("a|b", "{x}", "__y__", "#tag"):
        assert wildcard_value(syntax) is None
    assert copyright_file_name("fate/grand_order") == "fate_grand_order"
    assert (
        copyright_file_name("re:zero_kara_hajimeru_isekai_seikatsu")
        == "re_zero_kara_hajimeru_isekai_seikatsu"
    )
