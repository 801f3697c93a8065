"""`aidxl prompt parse|render|assemble`, `aidxl char`, `aidxl size`: the script contract."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest
from catalog_fixture import build_real_catalog
from prompt_fixture import build_tiny_catalog

from tui.cli import main


def run_json(argv: list[str], capsys: pytest.CaptureFixture[str]) -> object:
    assert main(argv) == 0
    return json.loads(capsys.readouterr().out)


def test_parse_json_matches_the_web_ui(capsys: pytest.CaptureFixture[str]) -> None:
    assert run_json(["prompt", "parse", "--json", "an (important) word BREAK x"], capsys) == [
        ["an ", 1.0],
        ["important", 1.1],
        [" word", 1.0],
        ["BREAK", -1],
        ["x", 1.0],
    ]


def test_parse_reads_stdin(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("sys.stdin", io.TextIOWrapper(io.BytesIO(b"(a:1.5)\n")))
    assert run_json(["prompt", "parse", "--json", "-"], capsys) == [["a", 1.5]]


def test_parse_bad_weight_is_one_line(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["prompt", "parse", "(a:1.2.3)"]) == 2
    assert capsys.readouterr().err == (
        "aidxl: prompt position 3: weight '1.2.3' is not a number; "
        "the web UI stops with an error on this prompt\n"
    )


def test_render(capsys: pytest.CaptureFixture[str]) -> None:
    assert run_json(["prompt", "render", "--json", '[["bishop (chess)", 1.2], [":(", 1]]'], capsys) == {
        "prompt": "(bishop \\(chess\\):1.2), :\\("
    }
    assert main(["prompt", "render", "((a)), [b], c"]) == 0
    assert capsys.readouterr().out == "(a:1.21), (b:0.91), c\n"


def test_assemble_json(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    catalog = build_tiny_catalog(tmp_path / "catalog.duckdb")
    result = run_json(
        [
            "prompt",
            "assemble",
            "--json",
            "--catalog",
            str(catalog),
            "--blend",
            "by yoneyama mai:0.9, by chi4:0.8",
            "--aspect",
            "2:3",
            "best quality, smile, ganyu, long_hair, cowboy shot",
        ],
        capsys,
    )
    assert isinstance(result, dict)
    assert result["positive"] == (
        "(by yoneyama mai:0.9), (by chi4:0.8), ganyu, cowboy shot, smile, long hair, (best quality:1.3)"
    )
    assert result["negative"].startswith("(worst quality:1.3), low quality")
    assert result["settings"] == {
        "width": 832,
        "height": 1248,
        "sampler": "Euler a",
        "steps": 28,
        "cfg_scale": 7.0,
        "clip_skip": 1,
        "seed": 1,
    }
    assert result["tags"][0] == {
        "text": "ganyu",
        "weight": 1.0,
        "slot": "character",
        "added_by": None,
        "syntax": False,
        "emphasis": [],
    }


def test_assemble_without_catalog_notes_it(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    assert main(["prompt", "assemble", "--catalog", str(tmp_path / "none.duckdb"), "smile, by chi4"]) == 0
    captured = capsys.readouterr()
    assert captured.out.splitlines()[0] == "positive: by chi4, smile"
    assert "placing tags by the curated lists only" in captured.err


def test_char_json(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    catalog = str(build_tiny_catalog(tmp_path / "catalog.duckdb"))
    found = run_json(["char", "--json", "--catalog", catalog, "ganyu"], capsys)
    assert {key: value for key, value in found.items() if key != "sources"} == {
        "tag": "ganyu_(genshin_impact)",
        "match": "alias",
        "a1111": "ganyu \\(genshin impact\\)",
        "plain": "ganyu (genshin impact)",
        "sentence": "a girl named ganyu from genshin impact series",
        "prefixed": "1 ganyu \\(genshin impact\\)",
        "copyright": "genshin_impact",
        "gender": None,  # no source says: the sentence defaults to girl
        "features": {"appearance": [], "outfit": []},
    }
    assert main(["char", "--catalog", catalog, "--boy", "saber_(fate)"]) == 0
    assert capsys.readouterr().out.splitlines()[4] == "sentence:  a boy named saber from fate series"
    assert main(["char", "--catalog", catalog, "nobody"]) == 2
    assert capsys.readouterr().err == "aidxl: 'nobody': no character tag or alias in the catalog matches\n"


def test_char_without_a_copyright_says_none_known(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    catalog = str(build_tiny_catalog(tmp_path / "catalog.duckdb", knowledge=True))
    assert main(["char", "--catalog", catalog, "frieren"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert "copyright: (none known)" in lines
    assert run_json(["char", "--json", "--catalog", catalog, "frieren"], capsys)["copyright"] is None


def test_char_on_the_real_catalog(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    catalog = str(build_real_catalog(tmp_path / "catalog.duckdb"))
    result = run_json(["char", "--json", "--catalog", catalog, "Lucy \\(Cyberpunk\\)"], capsys)
    assert {key: result[key] for key in ("tag", "match", "a1111", "plain", "sentence", "prefixed")} == {
        "tag": "lucy_(cyberpunk)",
        "match": "exact",
        "a1111": "lucy \\(cyberpunk\\)",
        "plain": "lucy (cyberpunk)",
        "sentence": "a girl named lucy from cyberpunk series",
        "prefixed": "1 lucy \\(cyberpunk\\)",
    }
    assert result["copyright"] == "cyberpunk_(series)"


def test_char_speaks_the_forms_the_model_was_trained_on(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    catalog = str(build_real_catalog(tmp_path / "catalog.duckdb"))
    frieren = run_json(["char", "--json", "--catalog", catalog, "frieren"], capsys)
    # Danbooru's tag is `frieren`; the author's captions (and the card) say `frieren (sousou no frieren)`.
    assert frieren["tag"] == "frieren"
    assert frieren["a1111"] == "frieren \\(sousou no frieren\\)"
    assert frieren["prefixed"] == "1 frieren \\(sousou no frieren\\)"
    assert frieren["sentence"] == "a girl named frieren from sousou no frieren series"
    assert frieren["copyright"] == "sousou_no_frieren"
    assert frieren["sources"]["a1111"]["name"] == "author-vocabulary"
    assert frieren["sources"]["copyright"]["name"] == "author-vocabulary"
    assert frieren["sources"]["gender"]["name"] == "character-chants"
    zhongli = run_json(["char", "--json", "--catalog", catalog, "zhongli"], capsys)
    assert zhongli["gender"] == "boy"
    assert zhongli["sentence"].startswith("a boy named zhongli")
    assert run_json(["char", "--json", "--girl", "--catalog", catalog, "zhongli"], capsys)[
        "sentence"
    ].startswith("a girl named zhongli")
    two_b = run_json(["char", "--json", "--catalog", catalog, "2b"], capsys)
    assert "white hair" in two_b["features"]["appearance"]
    assert "black blindfold" in two_b["features"]["outfit"]
    assert not set(two_b["features"]["appearance"]) & set(two_b["features"]["outfit"])
    assert two_b["sources"]["features"]["name"] == "character-chants"
    # A feature another of the character's features implies is left out, as the author's captions do.
    ganyu = run_json(["char", "--json", "--catalog", catalog, "ganyu"], capsys)["features"]["appearance"]
    assert "goat horns" in ganyu and "horns" not in ganyu
    miku = run_json(["char", "--json", "--catalog", catalog, "hatsune miku"], capsys)["features"][
        "appearance"
    ]
    assert "very long hair" in miku and "long hair" not in miku
    assert main(["char", "--features", "--catalog", catalog, "2b"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert any(line.startswith("appearance: ") and "white hair" in line for line in lines)
    assert any(line.startswith("outfit: ") and "black blindfold" in line for line in lines)


def test_size(capsys: pytest.CaptureFixture[str]) -> None:
    assert run_json(["size", "--json", "--aspect", "2:3"], capsys) == {
        "width": 832,
        "height": 1248,
        "warnings": [],
    }
    assert main(["size", "--check", "832x1216"]) == 0
    assert capsys.readouterr().out == "832x1216 ok\n"
    assert main(["size", "--check", "1024x1536"]) == 0
    captured = capsys.readouterr()
    assert captured.out == "1024x1536\n" and "832x1248" in captured.err
    assert main(["size", "--check", "1000x1500"]) == 2
    assert "nearest valid sizes: 992x1504, 1024x1504, 992x1472" in capsys.readouterr().err
