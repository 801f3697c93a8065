"""kb.knowledge.curated: the shipped lists load as typed values; malformed lists name the file and entry."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from kb.errors import CuratedDataError
from kb.knowledge.curated import (
    CURATED_DIR,
    load_artist_styles,
    load_curated_triggers,
    load_negative_prompt,
    load_painting_styles,
    load_quality_ladder,
)
from kb.schema import TriggerKind


def test_quality_ladder_best_first_with_its_weight() -> None:
    ladder = load_quality_ladder()
    assert ladder.texts == (
        "amazing quality",
        "best quality",
        "high quality",
        "normal quality",
        "low quality",
        "worst quality",
        "horrible quality",
    )
    assert ladder.default_weight == 1.3
    assert [trigger.rank for trigger in ladder.triggers] == [1, 2, 3, 4, 5, 6, 7]


def test_negative_prompt_and_painting_styles() -> None:
    assert load_negative_prompt().text == (
        "(worst quality:1.3), low quality, lowres, messy, abstract, ugly, disfigured, bad anatomy, draft, "
        "deformed hands, fused fingers, signature, text, multi views"
    )
    styles = load_painting_styles()
    assert [style.text for style in styles] == [
        "flat color",
        "clean color",
        "celluloid",
        "flat-pasto",
        "thin-pasto",
        "pseudo-impasto",
        "impasto",
        "realistic",
        "photorealistic",
        "cel shading",
        "3d",
    ]
    assert all(style.description and style.source_note for style in styles)
    assert {style.kind for style in styles} == {TriggerKind.PAINTING_STYLE}


def test_artist_styles_with_explicit_danbooru_links() -> None:
    links = {trigger.text: trigger.danbooru_tag for trigger in load_artist_styles()}
    assert links == {
        "by yoneyama mai": None,
        "by chi4": None,
        "by ask": "ask_(askzy)",
        "by modare": None,
        "by ikky": None,
        "by dino": "dino_(dinoartforame)",
        # the author's benchmark prompts and the successor model's card: no Danbooru link to state
        "by hachihito": None,
        "by iamuu": None,
        "by magotsuki": None,
        "by aamond777": None,
        "by antifreeze3": None,
        "by 7thknights": None,
    }
    assert len(load_curated_triggers()) == 40


@pytest.fixture()
def data_copy(tmp_path: Path) -> Path:
    copy = tmp_path / "data"
    shutil.copytree(CURATED_DIR, copy)
    return copy


@pytest.mark.parametrize(
    ("file_name", "text", "message"),
    [
        (
            "quality.toml",
            'default_weight = 1.3\n[[trigger]]\ntext = "a"\nrank = 2\nsource = "s"\n',
            "ranks must be 1..1, each once; found [2]",
        ),
        (
            "quality.toml",
            '[[trigger]]\ntext = "a"\nrank = 1\nsource = "s"\n',
            "`default_weight` must be a number",
        ),
        ("painting_styles.toml", '[[trigger]]\ntext = "a"\n', "[[trigger]] #1: `source` is missing"),
        (
            "painting_styles.toml",
            '[[trigger]]\ntext = "a"\nsource = "s"\ncolour = "x"\n',
            "[[trigger]] #1: unknown key(s): colour",
        ),
        ("aesthetic.toml", '[[trigger]]\ntext = "a_b"\nsource = "s"\n', "must be the prompt form"),
        ("artist_styles.toml", '[[trigger]]\ntext = "someone"\nsource = "s"\n', "must read `by <artist>`"),
        ("negative.toml", 'text = "x"\n', "top level: `source` is missing"),
        ("aesthetic.toml", "[[trigger]\n", "not valid TOML"),
    ],
)
def test_malformed_curated_files(data_copy: Path, file_name: str, text: str, message: str) -> None:
    (data_copy / file_name).write_text(text)
    with pytest.raises(CuratedDataError) as error:
        load_curated_triggers(data_copy)
        load_negative_prompt(data_copy)
    assert str(error.value).startswith(str(data_copy / file_name))
    assert message in str(error.value)
