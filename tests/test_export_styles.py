"""`aidxl export styles` / `aidxl import styles`: blends and saved prompts as web-UI styles, merged
into the user's styles.csv without losing a row, read back losslessly.

`web_ui_styles` and `apply_style` follow the web UI's documented behaviour (modules/styles.py):
UTF-8 with an optional BOM, `csv.DictReader(skipinitialspace=True)`, rows whose name starts with `#`
skipped, a later row of a name winning; a style's `{prompt}` replaced by the user's prompt, else
the style appended after it with `, `.
"""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest
from catalog_fixture import build_real_catalog

from kb import __version__
from kb.export.styles import (
    ImportedBlend,
    ImportedPrompt,
    StyleRow,
    StylesFileError,
    blend_prompt,
    blend_style,
    classify_style,
    read_styles,
    write_styles,
)
from kb.userdata import BlendStyle, load_user_data
from tui.cli import main


def web_ui_styles(path: Path) -> dict[str, tuple[str, str]]:
    with open(path, encoding="utf-8-sig", newline="") as handle:
        styles: dict[str, tuple[str, str]] = {}
        for row in csv.DictReader(handle, skipinitialspace=True):
            if not row or row["name"].startswith("#"):
                continue
            styles[row["name"]] = (row["prompt"], row.get("negative_prompt") or "")
        return styles


def apply_style(style_prompt: str, prompt: str) -> str:
    if "{prompt}" in style_prompt:
        return style_prompt.replace("{prompt}", prompt)
    return ", ".join(part for part in (prompt.strip(), style_prompt.strip()) if part)


TRICKY_BLENDS: dict[str, list[BlendStyle]] = {
    "soft": [BlendStyle("by yoneyama mai", 0.9), BlendStyle("by chi4", 0.8), BlendStyle("by ask", 1.0)],
    'odd, "quoted" name': [BlendStyle("by dino (trexsilence)", 0.6), BlendStyle("by ikky", 1.1)],
    "fine weights": [
        BlendStyle("by modare", 0.8125),
        BlendStyle("by iamuu", 1 / 3),
        BlendStyle("by a\\b", 0.0),
    ],
}


@pytest.fixture(scope="module")
def catalog_path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_real_catalog(tmp_path_factory.mktemp("styles") / "catalog.duckdb")


def save_user_data(blends: dict[str, list[BlendStyle]], prompts: dict[str, dict[str, object]]) -> None:
    data = load_user_data()
    for name, styles in blends.items():
        data.save_blend(name, styles)
    for name, state in prompts.items():
        data.save_prompt(name, state)
    data.save()


PORTRAIT = {
    "entries": [
        {"text": "by chi4", "kind": "artist_style", "weight": 0.9, "tag": "chi4", "known": True},
        {
            "text": "ganyu (genshin impact)",
            "kind": "character",
            "weight": 1.0,
            "tag": "ganyu_(genshin_impact)",
        },
        {"text": "smile", "kind": "general", "weight": 1.2, "tag": "smile"},
    ],
    "auto_order": True,
    "include_quality": True,
    "negative": "lowres, (worst quality:1.3)",
}


def test_blends_round_trip_losslessly_through_styles_csv(catalog_path: Path, tmp_path: Path) -> None:
    save_user_data(TRICKY_BLENDS, {})
    styles_csv = tmp_path / "styles.csv"
    assert main(["export", "styles", "--out", str(styles_csv)]) == 0
    read = web_ui_styles(styles_csv)
    assert read["AIDXL blend: soft"] == ("(by yoneyama mai:0.9), (by chi4:0.8), by ask, {prompt}", "")
    assert apply_style(read["AIDXL blend: soft"][0], "1girl, smile") == (
        "(by yoneyama mai:0.9), (by chi4:0.8), by ask, 1girl, smile"
    )
    assert (
        read['AIDXL blend: odd, "quoted" name'][0]
        == "(by dino \\(trexsilence\\):0.6), (by ikky:1.1), {prompt}"
    )
    # A fresh user imports them: the same names, texts and float weights, bit for bit.
    state_file = load_user_data().path
    state_file.unlink()
    command = ["--catalog", str(catalog_path), "import", "styles", str(styles_csv)]
    assert main(command) == 0
    assert load_user_data().blends == TRICKY_BLENDS
    assert main([*command, "--json"]) == 0  # a second import changes nothing


def test_export_merges_into_the_users_file_keeping_every_row(tmp_path: Path) -> None:
    styles_csv = tmp_path / "styles.csv"
    users = (
        "\ufeffname,prompt,negative_prompt,extra\r\n"
        'mine,"masterpiece, 1girl",lowres,keep me\r\n'
        "# a comment of mine,,,\r\n"
        '"AIDXL blend: soft","old, {prompt}",,\r\n'
        'multi,"line one\r\nline two",,x\r\n'
    )
    styles_csv.write_text(users, encoding="utf-8", newline="")
    before = web_ui_styles(styles_csv)
    save_user_data({"soft": TRICKY_BLENDS["soft"], "new": [BlendStyle("by ask", 0.7)]}, {})
    assert main(["export", "styles", "--out", str(styles_csv), "--json"]) == 0
    after = web_ui_styles(styles_csv)
    for name in ("mine", "multi"):
        assert after[name] == before[name]
    assert after["AIDXL blend: soft"][0] == blend_prompt([(s.text, s.weight) for s in TRICKY_BLENDS["soft"]])
    assert after["AIDXL blend: new"] == ("(by ask:0.7), {prompt}", "")
    text = styles_csv.read_bytes().decode("utf-8")
    assert text.startswith(f"\ufeffname,prompt,negative_prompt,extra\r\n# aidxl-kb {__version__} export: ")
    assert 'mine,"masterpiece, 1girl",lowres,keep me\r\n# a comment of mine,,,\r\n' in text
    assert text.index("AIDXL blend: soft") < text.index("multi,") < text.index("AIDXL blend: new")
    assert (tmp_path / "styles.csv.bak").read_bytes().decode("utf-8") == users
    # Same data again: the same bytes, and the file (and its backup) untouched.
    written = styles_csv.read_bytes()
    (tmp_path / "styles.csv.bak").unlink()
    assert main(["export", "styles", "--out", str(styles_csv)]) == 0
    assert styles_csv.read_bytes() == written
    assert not (tmp_path / "styles.csv.bak").exists()


def test_saved_prompts_export_and_come_back_the_same(catalog_path: Path, tmp_path: Path) -> None:
    save_user_data({}, {"portrait": PORTRAIT})
    first, second = tmp_path / "first.csv", tmp_path / "second.csv"
    assert main(["export", "styles", "--out", str(first)]) == 0
    positive, negative = web_ui_styles(first)["AIDXL prompt: portrait"]
    assert positive.startswith("(by chi4:0.9), ganyu \\(genshin impact\\)")
    assert "(smile:1.2)" in positive and negative == "lowres, (worst quality:1.3)"
    load_user_data().path.unlink()
    assert main(["--catalog", str(catalog_path), "import", "styles", str(first)]) == 0
    entries = load_user_data().saved_prompts["portrait"]["entries"]
    assert [entry["kind"] for entry in entries][:2] == ["artist_style", "character"]
    assert main(["export", "styles", "--out", str(second)]) == 0
    assert web_ui_styles(second) == web_ui_styles(first)


def test_import_classifies_rows_like_a_user_would(tmp_path: Path) -> None:
    assert classify_style(2, StyleRow("mix", "by chi4, (by ask:0.5)", "")) == ImportedBlend(
        "mix", (("by chi4", 1.0), ("by ask", 0.5)), 2
    )
    with_negative = classify_style(3, StyleRow("mix", "by chi4", "lowres"))
    assert isinstance(with_negative, ImportedPrompt) and with_negative.negative == "lowres"
    wrapped = classify_style(4, StyleRow("AIDXL prompt: x", "by chi4, {prompt}, smile", ""))
    assert wrapped == ImportedPrompt("x", "by chi4, smile", "", 4, True)
    assert isinstance(classify_style(5, StyleRow("photo", "1girl, {prompt}", "")), ImportedPrompt)
    styles_csv = tmp_path / "styles.csv"
    styles_csv.write_text(
        'name,prompt\nsame,by ask\n#skip,by x\n\nsame,"by chi4, {prompt}"\n', encoding="utf-8"
    )
    assert read_styles(styles_csv) == [ImportedBlend("same", (("by chi4", 1.0),), 5)]
    styles_csv.write_text("name,prompt\n,by ask\nAIDXL blend: ,by chi4\n---- mine ----,\n", encoding="utf-8")
    notes: list[str] = []
    assert read_styles(styles_csv, notes) == []
    assert notes == [
        f"{styles_csv}:2: a style without a name, left out",
        f"{styles_csv}:3: a style without a name, left out",
        f"{styles_csv}:4: style '---- mine ----' is empty, left out",
    ]


def test_import_keeps_a_different_blend_unless_replace(
    catalog_path: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    save_user_data({"soft": [BlendStyle("by ask", 1.0)]}, {})
    styles_csv = tmp_path / "styles.csv"
    write_styles(styles_csv, [blend_style("soft", [("by chi4", 0.5)])])
    command = ["--catalog", str(catalog_path), "import", "styles", str(styles_csv), "--json"]
    assert main(command) == 0
    assert json.loads(capsys.readouterr().out)["kept"] == ["blend soft"]
    assert load_user_data().blends["soft"] == [BlendStyle("by ask", 1.0)]
    assert main([*command, "--replace"]) == 0
    assert load_user_data().blends["soft"] == [BlendStyle("by chi4", 0.5)]


def test_bad_styles_files_say_where(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    styles_csv = tmp_path / "styles.csv"
    styles_csv.write_bytes(b"name,prompt\nok,x\nbad,\xff\n")
    with pytest.raises(StylesFileError, match=rf"^{styles_csv}:3: not UTF-8"):
        read_styles(styles_csv)
    styles_csv.write_text("title,prompt\nx,y\n", encoding="utf-8")
    assert main(["import", "styles", str(styles_csv)]) == 2
    assert f"{styles_csv}:1: the header has no `name` column" in capsys.readouterr().err
    assert main(["export", "styles", "--out", str(styles_csv)]) == 2  # never overwrites a file it cannot read
    assert styles_csv.read_text(encoding="utf-8") == "title,prompt\nx,y\n"


def test_two_writers_do_not_lose_each_others_blends(tmp_path: Path) -> None:
    """The explorer holds its data in memory; an import meanwhile adds a blend; the explorer's next
    save keeps it."""
    explorer = load_user_data()
    explorer.save_blend("mine", [BlendStyle("by ask", 1.0)])
    explorer.save()
    importer = load_user_data()
    importer.save_blend("imported", [BlendStyle("by chi4", 0.8)])
    importer.save()
    explorer.save_prompt("later", {"entries": []})
    explorer.save()
    final = load_user_data()
    assert sorted(final.blends) == ["imported", "mine"] and list(final.saved_prompts) == ["later"]
    # An open explorer lists what an import added, before it saves anything.
    importer.save_blend("second", [BlendStyle("by ikky", 1.0)])
    importer.save()
    explorer.refresh()
    assert sorted(explorer.blends) == ["imported", "mine", "second"]


def test_exports_into_a_folder_say_so(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["export", "styles", "--out", str(tmp_path)]) == 2
    assert f"{tmp_path}: is a folder" in capsys.readouterr().err


def test_a_users_own_style_imported_is_not_exported_again_as_a_copy(
    catalog_path: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    styles = tmp_path / "styles.csv"
    styles.write_text('name,prompt,negative_prompt\nMy style,"cinematic, {prompt}",\n', encoding="utf-8")
    assert main(["export", "styles", "--out", str(styles)]) == 0
    assert main(["--catalog", str(catalog_path), "import", "styles", str(styles)]) == 0
    before = styles.read_bytes()
    assert main(["export", "styles", "--out", str(styles)]) == 0
    capsys.readouterr()
    names = list(web_ui_styles(styles))
    assert "AIDXL prompt: My style" not in names and names.count("My style") == 1
    assert styles.read_bytes() == before  # export → import → export adds nothing
