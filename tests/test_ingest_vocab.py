"""The author's caption vocabulary in both upstream forms: the small HEAD file (Danbooru names) reads
as before; the full AIDXL 0.8-era file (caption form) adds artists, characters and games."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from ingest.problems import SourceFileError
from ingest.vocab import NameForm, read_vocab_file
from kb.schema import TriggerKind


def write(tmp_path: Path, document: object, name: str = "custom_tags.json") -> Path:
    path = tmp_path / name
    path.write_text(json.dumps(document, indent=4) + "\n", encoding="utf-8")
    return path


def test_head_file_reads_danbooru_names_with_the_quality_ladder(shared_data: Path) -> None:
    rows = read_vocab_file(shared_data / "waifuset.custom_tags.json")
    assert (rows.name_form, len(rows), rows.problems) == (NameForm.DANBOORU, 58, [])
    quality = [(entry.text, entry.rank, entry.danbooru_tag, entry.line) for entry in rows.entries[:2]]
    assert quality == [("amazing quality", 1, "amazing_quality", 3), ("best quality", 2, "best_quality", 4)]
    assert [
        len(names) for names in (rows.author_artists, rows.author_characters, rows.author_copyrights)
    ] == [
        0,
        0,
        0,
    ]


def test_full_vocabulary_reads_every_list(shared_data: Path) -> None:
    rows = read_vocab_file(shared_data / "waifuset.custom_tags.dcfd297.json")
    assert (rows.name_form, rows.problems) == (NameForm.CAPTION, [])
    kinds = [entry.kind for entry in rows.entries]
    assert (
        kinds.count(TriggerKind.QUALITY),
        kinds.count(TriggerKind.AESTHETIC),
        kinds.count(TriggerKind.PAINTING_STYLE),
    ) == (7, 19, 31)
    assert (len(rows.author_artists), len(rows.author_characters), len(rows.author_copyrights)) == (
        24999,
        15371,
        5,
    )
    assert len(rows) == 7 + 19 + 31 + 24999 + 15371 + 5
    # The caption form lists quality in no order: no ranks from it (the curated ladder ranks them).
    assert {entry.rank for entry in rows.entries} == {None}
    medium = next(entry for entry in rows.entries if entry.danbooru_tag == "oil_painting_(medium)")
    assert (medium.text, medium.kind) == ("oil painting (medium)", TriggerKind.PAINTING_STYLE)
    artists = set(rows.author_artists.names)
    for artist in ("yoneyama_mai", "chi4", "ask", "modare", "ikky", "dino", "antifreeze3", "7thknights"):
        assert artist in artists
    characters = dict(zip(rows.author_characters.names, rows.author_characters.lines, strict=True))
    assert "frieren_(sousou_no_frieren)" in characters and "ganyu_(genshin_impact)" in characters
    text = (shared_data / "waifuset.custom_tags.dcfd297.json").read_text().split("\n")
    assert text[characters["frieren_(sousou_no_frieren)"] - 1].strip() == '"frieren (sousou no frieren)",'
    assert rows.author_copyrights.names == [
        "alchemy_stars",
        "limbus_company",
        "arknights",
        "azur_lane",
        "dohnadohna",
    ]


def test_caption_form_small_file(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        {
            "quality": ["best quality", "low quality"],
            "aesthetic": ["^_^"],
            "style": ["flat color", "watercolor \\(medium\\)"],
            "artist": ["yoneyama mai", "ask"],
            "character": ["frieren (sousou no frieren)", "hatsune miku"],
            "game": ["azur lane"],
        },
    )
    rows = read_vocab_file(path)
    assert (rows.name_form, rows.problems) == (NameForm.CAPTION, [])
    assert [(entry.text, entry.danbooru_tag, entry.rank) for entry in rows.entries] == [
        ("best quality", "best_quality", None),
        ("low quality", "low_quality", None),
        ("^_^", "^_^", None),
        ("flat color", "flat_color", None),
        ("watercolor (medium)", "watercolor_(medium)", None),
    ]
    assert (rows.author_artists.names, rows.author_artists.lines) == (["yoneyama_mai", "ask"], [14, 15])
    assert rows.author_characters.names == ["frieren_(sousou_no_frieren)", "hatsune_miku"]
    assert rows.author_copyrights.names == ["azur_lane"]
    assert [entry.note for entry in rows.entries][:1] == ["custom_tags.json (quality)"]


def test_caption_form_bad_names(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        {
            "artist": ["yoneyama mai", "yoneyama_mai", " chi4", "Modare", "a  b", "", 7, "ask", "ask"],
            "character": "rem",
            "game": ["azur lane", "blue archive"],
        },
    )
    rows = read_vocab_file(path)
    assert [str(problem) for problem in rows.problems] == [
        f"{path}:4: artist[2]: name 'yoneyama_mai' contains underscores, but this file writes names with "
        "spaces (the author's caption form)",
        f"{path}:5: artist[3]: name ' chi4' has surrounding spaces",
        f"{path}:6: artist[4]: name 'Modare' has upper-case letters "
        "(the author's caption form is lower case)",
        f"{path}:7: artist[5]: name 'a  b' contains a tab or a double space",
        f"{path}:8: artist[6]: empty name",
        f"{path}:9: artist[7]: expected a string, found 7",
        f"{path}:11: artist[9]: duplicate name 'ask' in artist",
        f"{path}:13: `character` must be a list of names",
    ]
    assert rows.author_artists.names == ["yoneyama_mai", "ask"]
    assert rows.author_copyrights.names == ["azur_lane", "blue_archive"]


def test_danbooru_form_refuses_spaced_names_as_before(tmp_path: Path) -> None:
    path = write(tmp_path, {"quality": ["best_quality", "bad name", "low_quality"], "artist": ["chi4"]})
    rows = read_vocab_file(path)
    assert rows.name_form is NameForm.DANBOORU
    assert [str(problem) for problem in rows.problems] == [
        f"{path}:4: quality[2]: name 'bad name' contains whitespace (Danbooru names use underscores)"
    ]
    assert [entry.rank for entry in rows.entries] == [1, 3]
    assert rows.author_artists.names == ["chi4"]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            '["a"]',
            "{path}:1: expected a JSON object with keys quality, aesthetic, style, artist, character, game",
        ),
        (
            '{"quality": [], "artists": []}',
            "{path}: unknown key(s) artists (expected quality, aesthetic, style, artist, character, game)",
        ),
        ('{"game": [], "game": ["x"]}', "{path}: key(s) given twice: game"),
    ],
)
def test_vocab_file_problems(tmp_path: Path, text: str, expected: str) -> None:
    path = tmp_path / "vocab.json"
    path.write_text(text)
    with pytest.raises(SourceFileError) as error:
        read_vocab_file(path)
    assert [str(problem) for problem in error.value.problems] == [expected.format(path=path)]
