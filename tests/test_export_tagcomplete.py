"""`aidxl export tagcomplete`: the CSV parses under each completer's own loader rules, every row's
category and escaping round-trips, every verified style is there as `by xxx`, same catalog → same bytes.

The two parsers below follow the completers' loaders as their sources describe them (written here,
not copied): a1111-sd-webui-tagcomplete's `parseCSV` (javascript/_utils.js: one pass over the text,
`"` toggles quoting, `""` inside quotes is a quote, `,` outside quotes ends a field, LF, CR or CRLF
outside quotes ends a row) and ComfyUI-Autocomplete-Plus's `loadTags` (web/js/data.js: split on LF,
blank lines dropped, an optional `tag,category,count,alias` header, `parseCSVLine` per line, exactly
four columns and an integer count, else the row is skipped).
"""

from __future__ import annotations

import csv
import io
import re
from pathlib import Path

import duckdb
import pytest
from catalog_fixture import build_real_catalog

from kb.export.entries import ExportEntry, export_entries, parse_kinds, tiers_of
from kb.export.tagcomplete import (
    CATEGORY_OF_KIND,
    CompleterFormat,
    TagcompleteTarget,
    export_completer_csv,
)
from kb.knowledge.tagforms import escape_a1111, to_canonical
from kb.schema import TriggerKind, TriggerTier
from tui.cli import main


def parse_tagcomplete_csv(text: str) -> list[list[str]]:
    """tag-autocomplete's parseCSV: character by character."""
    rows: list[list[str]] = [[""]]
    quoted = False
    index = 0
    while index < len(text):
        character = text[index]
        following = text[index + 1] if index + 1 < len(text) else ""
        if character == '"' and quoted and following == '"':
            rows[-1][-1] += '"'
            index += 2
            continue
        if character == '"':
            quoted = not quoted
        elif character == "," and not quoted:
            rows[-1].append("")
        elif character == "\r" and following == "\n" and not quoted:
            rows.append([""])
            index += 1
        elif character in "\r\n" and not quoted:
            rows.append([""])
        else:
            rows[-1][-1] += character
        index += 1
    return rows


def parse_csv_line(line: str) -> list[str]:
    """ComfyUI-Autocomplete-Plus's parseCSVLine: one line, quotes and doubled quotes."""
    fields = [""]
    quoted = False
    index = 0
    while index < len(line):
        character = line[index]
        if character == '"':
            if quoted and line[index + 1 : index + 2] == '"':
                fields[-1] += '"'
                index += 1
            else:
                quoted = not quoted
        elif character == "," and not quoted:
            fields.append("")
        else:
            fields[-1] += character
        index += 1
    return fields


def load_autocomplete_plus(text: str) -> tuple[list[list[str]], list[str]]:
    """(accepted rows, skipped lines) under Autocomplete-Plus's loader."""
    lines = [line for line in text.split("\n") if line.strip()]
    start = 1 if lines and lines[0].lower().startswith("tag,category,count,alias") else 0
    accepted: list[list[str]] = []
    skipped: list[str] = []
    for line in lines[start:]:
        fields = parse_csv_line(line)
        if len(fields) != 4 or not fields[0].strip() or not re.match(r"\s*[+-]?\d", fields[2]):
            skipped.append(line)
        else:
            accepted.append(fields)
    return accepted, skipped


@pytest.fixture(scope="module")
def catalog_path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_real_catalog(tmp_path_factory.mktemp("export") / "catalog.duckdb")


@pytest.fixture(scope="module")
def verified_styles(catalog_path: Path) -> set[str]:
    connection = duckdb.connect(str(catalog_path), read_only=True)
    try:
        rows = connection.execute(
            "SELECT text FROM triggers WHERE kind = 'artist_style' AND tier = 'verified'"
        ).fetchall()
    finally:
        connection.close()
    return {str(text) for (text,) in rows}


@pytest.fixture(scope="module")
def author_entries(catalog_path: Path) -> list[ExportEntry]:
    connection = duckdb.connect(str(catalog_path), read_only=True)
    try:
        return export_entries(connection)
    finally:
        connection.close()


def test_the_parser_reads_the_completers_own_file_as_it_does(shared_data: Path) -> None:
    """The test's parser against the real danbooru.csv (its first 2,000 lines and every line with a
    quote inside a field): quoted aliases and doubled quotes, as the csv module reads them too."""
    lines = (shared_data / "danbooru.csv").read_text(encoding="utf-8").splitlines(keepends=True)
    sample = "".join(lines[:2000] + [line for line in lines[2000:] if '""' in line])
    rows = [row for row in parse_tagcomplete_csv(sample) if row != [""]]
    assert rows == list(csv.reader(io.StringIO(sample)))
    by_name = {row[0]: row for row in rows}
    assert by_name["1girl"] == ["1girl", "0", "6008644", "1girls,sole_female"]
    assert by_name['don\'t_say_"lazy"'] == ['don\'t_say_"lazy"', "0", "1076", "don't_say_lazy"]
    assert all(len(row) == 4 for row in rows) and len(rows) > 2000


@pytest.fixture(scope="module")
def exported(catalog_path: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """`aidxl export tagcomplete` with its defaults (tier author, every kind but copyright)."""
    out = tmp_path_factory.mktemp("exported") / "aidxl.csv"
    assert main(["--catalog", str(catalog_path), "export", "tagcomplete", "--out", str(out)]) == 0
    return out


def test_every_row_parses_with_its_category_escaping_and_aliases(
    exported: Path, author_entries: list[ExportEntry], verified_styles: set[str]
) -> None:
    rows = parse_tagcomplete_csv(exported.read_text(encoding="utf-8"))
    assert rows[-1] == [""]  # the file ends with a newline: the loader's last row is empty
    rows = rows[:-1]
    assert len(rows) == len(author_entries) > 39_000
    for row, entry in zip(rows, author_entries, strict=True):
        assert row == [
            escape_a1111(entry.text),  # the extra file is inserted verbatim: A1111 form
            str(int(CATEGORY_OF_KIND[entry.kind])),
            str(entry.count) if entry.count is not None else "",
            ",".join(entry.aliases),
        ]
    names = {row[0]: row for row in rows}
    for style in verified_styles:
        assert style.startswith("by ")
        assert names[escape_a1111(style)][1] == "1"
    assert names["by ask"][3].split(",")[0] == "ask_(askzy)"
    assert names["frieren \\(sousou no frieren\\)"][1] == "4"
    assert names["amazing quality"][1:3] == ["5", ""]
    assert names["impasto"][1] == "0"


def test_tricky_names_round_trip_under_the_loader() -> None:
    entries = [
        ExportEntry('say "hi" (x)', TriggerKind.CHARACTER, TriggerTier.AUTHOR, 12, "t", None, ('a_"b"', "c")),
        ExportEntry("by a, b", TriggerKind.ARTIST_STYLE, TriggerTier.VERIFIED, None, None, None, ()),
        ExportEntry("[x]\\y", TriggerKind.AESTHETIC, TriggerTier.VERIFIED, 3, None, None, ("z",)),
    ]
    for target in TagcompleteTarget:
        export = export_completer_csv(entries, CompleterFormat.TAGCOMPLETE, target)
        rows = parse_tagcomplete_csv(export.text)[:-1]
        written = [escape_a1111(e.text) if target is TagcompleteTarget.EXTRA else e.text for e in entries]
        assert [row[0] for row in rows] == written
        assert [row[3].split(",") if row[3] else [] for row in rows] == [['a_"b"', "c"], [], ["z"]]
        assert [row[1] for row in rows] == ["4", "1", "5"]
    assert export.verified_styles == ("by a, b",)


def test_autocomplete_plus_accepts_every_row(catalog_path: Path, tmp_path: Path) -> None:
    out = tmp_path / "danbooru_tags_aidxl.csv"
    command = ["--catalog", str(catalog_path), "export", "tagcomplete", "--format", "autocomplete-plus"]
    assert main([*command, "--tier", "verified", "--out", str(out)]) == 0
    accepted, skipped = load_autocomplete_plus(out.read_text(encoding="utf-8"))
    assert skipped == []
    tags = {fields[0]: fields for fields in accepted}
    assert tags["by_yoneyama_mai"][1:3] == ["1", "259"]
    assert tags["by_iamuu"][2] == "0"  # no Danbooru tag: a count of 0, so the row is kept
    assert tags["watercolor_(medium)"][1] == "0"  # Danbooru form, unescaped: it escapes on insertion
    assert all(name == to_canonical(name) for name in tags)


def test_same_catalog_same_bytes(catalog_path: Path, exported: Path, tmp_path: Path) -> None:
    again = tmp_path / "aidxl.csv"
    assert main(["--catalog", str(catalog_path), "export", "tagcomplete", "--out", str(again)]) == 0
    assert again.read_bytes() == exported.read_bytes()
    sidecar_name = "aidxl.csv.source.txt"
    assert (tmp_path / sidecar_name).read_bytes() == (exported.parent / sidecar_name).read_bytes()
    sidecar = (tmp_path / sidecar_name).read_text(encoding="utf-8")
    assert f"catalog: {catalog_path.absolute()}" in sidecar
    assert re.search(r"catalog built: \d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ by aidxl-kb \S+", sidecar)


def test_kinds_and_tiers_options(
    catalog_path: Path, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    out = tmp_path / "x.csv"
    command = ["--catalog", str(catalog_path), "export", "tagcomplete", "--out", str(out)]
    assert main([*command, "--tier", "verified", "--kinds", "style,quality", "--json"]) == 0
    assert '"rows": 19' in capsys.readouterr().out  # 12 verified styles + 7 quality rungs
    assert main([*command, "--kinds", "ink"]) == 2
    assert "unknown kind 'ink'" in capsys.readouterr().err
    assert parse_kinds("style, painting") == (TriggerKind.ARTIST_STYLE, TriggerKind.PAINTING_STYLE)
    assert tiers_of("author") == (TriggerTier.VERIFIED, TriggerTier.AUTHOR)
