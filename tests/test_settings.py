"""Generation settings: sizes, sampler presets, CFG."""

from __future__ import annotations

import pytest

from kb.errors import SettingsError
from kb.settings import (
    GenerationSettings,
    SettingWarning,
    check_cfg,
    check_settings,
    check_size,
    check_steps,
    parse_aspect,
    parse_size,
    sampler_named,
    size_for_aspect,
)


@pytest.mark.parametrize(
    ("aspect", "size"),
    [
        ((1, 1), (1024, 1024)),
        ((2, 3), (832, 1248)),
        ((3, 2), (1248, 832)),
        ((16, 9), (1376, 768)),
        ((9, 16), (768, 1376)),
        ((4, 3), (1184, 896)),
        ((5, 7), (864, 1216)),
        ((21, 9), (1568, 672)),
        ((1, 4), (512, 2048)),
        ((1, 20), (256, 4480)),
        ((20, 1), (4480, 256)),
    ],
)
def test_size_for_aspect(aspect: tuple[int, int], size: tuple[int, int]) -> None:
    assert size_for_aspect(*aspect) == size


@pytest.mark.parametrize("aspect", [(a, b) for a in (1, 2, 3, 5, 7, 13, 50) for b in (1, 2, 3, 4, 9, 16, 31)])
def test_sizes_keep_the_rules(aspect: tuple[int, int]) -> None:
    width, height = size_for_aspect(*aspect)
    assert width % 32 == 0 and height % 32 == 0 and min(width, height) >= 256
    assert abs(width * height / 1024**2 - 1) <= 0.10
    assert check_size(width, height) == []


def test_bad_aspects() -> None:
    with pytest.raises(SettingsError, match="aspect 0:3"):
        size_for_aspect(0, 3)
    with pytest.raises(SettingsError, match="'2:x'"):
        parse_aspect("2:x")
    assert [parse_aspect(text) for text in ("2:3", "16x9", "16/9", "1.5")] == [
        (2, 3),
        (16, 9),
        (16, 9),
        (1.5, 1),
    ]
    assert parse_size("1024x1536") == (1024, 1536)
    with pytest.raises(SettingsError, match="'1024 by 1536'"):
        parse_size("1024 by 1536")


def test_check_size_errors_quote_value_and_nearest() -> None:
    with pytest.raises(SettingsError) as raised:
        check_size(1000, 1500)
    assert str(raised.value) == (
        "size 1000x1500: width 1000 is not a multiple of 32; height 1500 is not a multiple of 32; "
        "nearest valid sizes: 992x1504, 1024x1504, 992x1472"
    )
    with pytest.raises(
        SettingsError, match=r"^size 128x1024: width 128 is below 256; nearest valid sizes: 256x1024$"
    ):
        check_size(128, 1024)


def test_check_size_area_warning() -> None:
    assert check_size(1024, 1536) == [
        SettingWarning(
            "area",
            "size 1024x1536: area 1,572,864 px is 50% above 1024x1024 (AIDXL likes ±10%); "
            "the same aspect at the model's area is 832x1248",
        )
    ]
    assert check_size(832, 1216) == []


def test_small_sizes_only_for_the_tiny_model() -> None:
    assert check_size(64, 64, small_sizes_allowed=True) == []
    with pytest.raises(SettingsError, match="below 256"):
        check_size(64, 64)
    with pytest.raises(SettingsError, match="not a positive multiple of 16"):
        check_size(60, 64, small_sizes_allowed=True)


def test_samplers_steps_and_cfg() -> None:
    assert (sampler_named("euler a").default_steps, sampler_named("DPM++ 2M Karras").default_steps) == (
        28,
        35,
    )
    assert check_steps("Euler a", 20) == []
    assert check_steps("Euler a", 12) == [
        SettingWarning("steps", "steps 12: Euler a wants 20 or more (default 28)")
    ]
    with pytest.raises(SettingsError, match="sampler 'DDIM'"):
        check_steps("DDIM", 20)
    assert check_cfg(5) == [] and check_cfg(11) == []
    assert check_cfg(12.5) == [SettingWarning("cfg", "CFG scale 12.5 is outside the recommended 5 to 11")]
    with pytest.raises(SettingsError, match="CFG scale 0: must be above 0"):
        check_cfg(0)
    assert check_settings(GenerationSettings()) == []
