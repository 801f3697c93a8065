"""Generation settings AIDXL works with: size, sampler presets, CFG scale (GUIDE §2).

Size: the model was trained with free bucketing around 1024×1024, so any size works whose
sides are multiples of 32, at least 256, and whose area is close to 1024² = 1,048,576 pixels.
"Close" is `AREA_TOLERANCE`: within ±10 % (943,718 to 1,153,434 pixels). `size_for_aspect`
always answers inside that band with the size of least `|log aspect error| + 0.5 |log area
error|` (aspect matters most: 2:3 → 832×1248, 16:9 → 1376×768); extreme aspects get the nearest
the rules allow (1:20 → 256×4480). `check_size` rejects sides that are not multiples of 32 or below 256 (an
error quoting the value and the nearest valid sizes) and warns about an area outside the band.
The tiny random-weight test model (`small_sizes_allowed=True`) takes any positive multiple of 16.

Samplers: `SAMPLERS` is the one table of them, for settings, previews, sheets, infotext and
ComfyUI import: `Euler a` (default 28 steps, 20 or more recommended) and `DPM++ 2M Karras` (default
35, 30 or more recommended), each with the diffusers scheduler that runs it (built, with diffusers
imported, by `kb.generate.samplers.build_scheduler`). CFG scale: 5 to 11 recommended, a warning
outside, an error at 0 or below. Warnings are returned, errors raised as `SettingsError`.

Prompt defaults, one source for the CLI, the explorer, previews and sheets: `DEFAULT_BASE_PROMPT`
(what a trigger or a style is shown on) and `default_negative()` (the model page's negative prompt,
kept in kb/data/negative.toml).
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from functools import cache

from kb.errors import SettingsError

TARGET_AREA = 1024 * 1024
AREA_TOLERANCE = 0.10
SIDE_MULTIPLE = 32
MIN_SIDE = 256
SMALL_SIDE_MULTIPLE = 16  # the tiny test model
DEFAULT_SIZE = (1024, 1024)
TINY_MODEL_SIZE = (64, 64)  # the tiny random-weight test model's own size (it ignores the size setting)
CFG_RECOMMENDED = (5.0, 11.0)
DEFAULT_CFG = 7.0
CLIP_SKIP = 1
DEFAULT_SEED = 1
DEFAULT_SHEET_SEEDS = (1, 2, 3)  # a sheet's columns when the user names no seeds
# The web UI's prompt-weight normalisation (its `Emphasis:` "Original" / "No norm"; kb.generate.encode).
EMPHASIS_MODES = ("original", "no_norm")
DEFAULT_EMPHASIS = "original"
# What a trigger or a style is shown on when the user gives no base: one neutral subject, then the
# card's aesthetic and quality tags late in the prompt (GUIDE §2).
DEFAULT_BASE_PROMPT = (
    "1girl, solo, upper body, looking at viewer, beautiful color, detailed, (best quality:1.2)"
)


@dataclass(frozen=True)
class Sampler:
    """One sampler: the web UI's names for it, the model card's steps, the diffusers scheduler.

    `Euler a` is diffusers' Euler ancestral scheduler on the model's schedule; `DPM++ 2M Karras` the
    second-order multistep DPM-Solver++ on Karras sigmas. The web UI runs k-diffusion's versions of
    the same samplers: pictures are alike, not bitwise equal.
    """

    name: str  # the web UI's name, the one every front end shows and stores
    default_steps: int
    min_recommended_steps: int
    infotext_sampler: str  # the web UI's `Sampler:` value (1.9+ writes the schedule apart)
    schedule_type: str  # the web UI's `Schedule type:` value
    scheduler_class: str  # a diffusers scheduler, built from the model's own scheduler config
    scheduler_overrides: tuple[tuple[str, object], ...] = ()  # given to its `from_config`
    comfyui: tuple[str, str] = ("", "")  # ComfyUI's (sampler_name, scheduler) for it


SAMPLERS: dict[str, Sampler] = {
    "Euler a": Sampler(
        name="Euler a",
        default_steps=28,
        min_recommended_steps=20,
        infotext_sampler="Euler a",
        schedule_type="Automatic",
        scheduler_class="EulerAncestralDiscreteScheduler",
        comfyui=("euler_ancestral", "normal"),
    ),
    "DPM++ 2M Karras": Sampler(
        name="DPM++ 2M Karras",
        default_steps=35,
        min_recommended_steps=30,
        infotext_sampler="DPM++ 2M",
        schedule_type="Karras",
        scheduler_class="DPMSolverMultistepScheduler",
        scheduler_overrides=(
            ("algorithm_type", "dpmsolver++"),
            ("solver_order", 2),
            ("use_karras_sigmas", True),
        ),
        comfyui=("dpmpp_2m", "karras"),
    ),
}
DEFAULT_SAMPLER = "Euler a"


@dataclass(frozen=True)
class SettingWarning:
    code: str  # area, cfg, steps
    message: str


@dataclass(frozen=True)
class GenerationSettings:
    """What a prompt is generated with; defaults follow the model card. The one settings record of
    the CLI, the explorer's builder (`kb.workbench`) and prompts imported from infotext or PNGs."""

    width: int = DEFAULT_SIZE[0]
    height: int = DEFAULT_SIZE[1]
    sampler: str = DEFAULT_SAMPLER
    steps: int = SAMPLERS[DEFAULT_SAMPLER].default_steps
    cfg_scale: float = DEFAULT_CFG
    clip_skip: int = CLIP_SKIP
    seed: int = DEFAULT_SEED
    # The model to generate with (`kb.generate.model_choice`: tiny-random, a checkpoint, a diffusers
    # folder or a cached Hub id); None: $AIDXL_MODEL or `model` under [generate] in the config file.
    model: str | None = None

    def to_json(self) -> dict[str, int | float | str]:
        document: dict[str, int | float | str] = {
            "width": self.width,
            "height": self.height,
            "sampler": self.sampler,
            "steps": self.steps,
            "cfg_scale": self.cfg_scale,
            "clip_skip": self.clip_skip,
            "seed": self.seed,
        }
        if self.model:  # written only when chosen: prompts saved without one read back the same
            document["model"] = self.model
        return document

    @classmethod
    def from_json(cls, document: dict[str, object]) -> GenerationSettings:
        """Settings saved by any version: `cfg` (the explorer's old name) is read as `cfg_scale`;
        unknown keys are ignored, missing ones take the defaults."""
        defaults = cls()

        def number(key: str, fallback: float) -> float:
            value = document.get(key, fallback)
            return float(value) if isinstance(value, int | float | str) else fallback

        return cls(
            width=int(number("width", defaults.width)),
            height=int(number("height", defaults.height)),
            sampler=str(document.get("sampler", defaults.sampler)),
            steps=int(number("steps", defaults.steps)),
            cfg_scale=number("cfg_scale", number("cfg", defaults.cfg_scale)),
            clip_skip=int(number("clip_skip", defaults.clip_skip)),
            seed=int(number("seed", defaults.seed)),
            model=_model_value(document.get("model")),
        )


@cache
def default_negative() -> str:
    """The model page's recommended negative prompt (kb/data/negative.toml, its one copy)."""
    from kb.knowledge.curated import load_negative_prompt

    return load_negative_prompt().text


def _model_value(value: object) -> str | None:
    return value if isinstance(value, str) and value.strip() else None


def _area_in_band(width: int, height: int) -> bool:
    return abs(width * height / TARGET_AREA - 1) <= AREA_TOLERANCE


def size_for_aspect(aspect_width: float, aspect_height: float) -> tuple[int, int]:
    """The valid size nearest the aspect `aspect_width:aspect_height` with area about 1024²."""
    if not (aspect_width > 0 and aspect_height > 0) or not math.isfinite(aspect_width / aspect_height):
        raise SettingsError(f"aspect {aspect_width:g}:{aspect_height:g}: both sides must be positive numbers")
    if aspect_width > aspect_height:  # search over the short side; landscape is portrait turned
        height, width = size_for_aspect(aspect_height, aspect_width)
        return width, height
    ratio = aspect_width / aspect_height
    largest_side = int(TARGET_AREA * (1 + AREA_TOLERANCE) / MIN_SIDE)
    best: tuple[float, float, int, int] | None = None
    for height in range(MIN_SIDE, largest_side + 1, SIDE_MULTIPLE):
        ideal_width = height * ratio
        for width in {
            max(MIN_SIDE, math.floor(ideal_width / SIDE_MULTIPLE) * SIDE_MULTIPLE),
            max(MIN_SIDE, math.ceil(ideal_width / SIDE_MULTIPLE) * SIDE_MULTIPLE),
        }:
            if not _area_in_band(width, height):
                continue
            key = (_size_score(width, height, ratio), abs(width * height - TARGET_AREA), width, height)
            if best is None or key < best:
                best = key
    assert best is not None  # 1024x1024 and the 256-wide extremes are always in the band
    return best[2], best[3]


def _size_score(width: int, height: int, ratio: float) -> float:
    """Aspect error plus half the area error, both as log ratios: aspect matters most."""
    return abs(math.log(width / height / ratio)) + 0.5 * abs(math.log(width * height / TARGET_AREA))


def parse_aspect(text: str) -> tuple[float, float]:
    """`2:3`, `2x3`, `16/9` or `1.5` (width over height)."""
    match = re.fullmatch(r"\s*([0-9]*\.?[0-9]+)\s*(?:[:x/]\s*([0-9]*\.?[0-9]+))?\s*", text.lower())
    if match is None:
        raise SettingsError(f"aspect {text!r} is not W:H (e.g. 2:3, 16:9) or a single ratio like 1.5")
    width, height = float(match.group(1)), float(match.group(2) or 1)
    if width <= 0 or height <= 0:
        raise SettingsError(f"aspect {text!r}: both sides must be positive")
    return width, height


def parse_size(text: str) -> tuple[int, int]:
    """`1024x1536` → (1024, 1536)."""
    match = re.fullmatch(r"\s*(\d+)\s*[x×*]\s*(\d+)\s*", text.lower())
    if match is None:
        raise SettingsError(f"size {text!r} is not WIDTHxHEIGHT, e.g. 832x1216")
    return int(match.group(1)), int(match.group(2))


def nearest_valid_sizes(width: int, height: int, *, limit: int = 3) -> list[tuple[int, int]]:
    """Valid sizes (multiples of 32, at least 256) nearest to width×height, nearest first."""
    candidates = set()
    for side_width in _rounded_sides(width):
        for side_height in _rounded_sides(height):
            candidates.add((side_width, side_height))
    return sorted(candidates, key=lambda size: (abs(size[0] - width) + abs(size[1] - height), size))[:limit]


def _rounded_sides(side: int) -> set[int]:
    down = max(MIN_SIDE, side // SIDE_MULTIPLE * SIDE_MULTIPLE)
    up = max(MIN_SIDE, -(-side // SIDE_MULTIPLE) * SIDE_MULTIPLE)
    return {down, up}


def check_size(width: int, height: int, *, small_sizes_allowed: bool = False) -> list[SettingWarning]:
    """Raise for a size the model cannot take; return warnings for one it takes badly."""
    if small_sizes_allowed:
        for side_name, side in (("width", width), ("height", height)):
            if side <= 0 or side % SMALL_SIDE_MULTIPLE:
                multiple = SMALL_SIDE_MULTIPLE
                raise SettingsError(
                    f"size {width}x{height}: {side_name} {side} is not a positive multiple of {multiple}"
                )
        return []
    problems = []
    for side_name, side in (("width", width), ("height", height)):
        if side % SIDE_MULTIPLE:
            problems.append(f"{side_name} {side} is not a multiple of {SIDE_MULTIPLE}")
        elif side < MIN_SIDE:
            problems.append(f"{side_name} {side} is below {MIN_SIDE}")
    if problems:
        nearest = ", ".join(f"{w}x{h}" for w, h in nearest_valid_sizes(width, height))
        raise SettingsError(f"size {width}x{height}: {'; '.join(problems)}; nearest valid sizes: {nearest}")
    if _area_in_band(width, height):
        return []
    suggested_width, suggested_height = size_for_aspect(width, height)
    percent = round((width * height / TARGET_AREA - 1) * 100)
    return [
        SettingWarning(
            "area",
            f"size {width}x{height}: area {width * height:,} px is {abs(percent)}% "
            f"{'above' if percent > 0 else 'below'} 1024x1024 (AIDXL likes ±{AREA_TOLERANCE:.0%}); "
            f"the same aspect at the model's area is {suggested_width}x{suggested_height}",
        )
    ]


def sampler_named(name: str) -> Sampler:
    """The sampler called `name` (the web UI's spelling, any case); SettingsError for another."""
    for sampler in SAMPLERS.values():
        if sampler.name.lower() == name.strip().lower():
            return sampler
    raise SettingsError(f"sampler {name!r} is not available; choose one of: {', '.join(SAMPLERS)}.")


def sampler_from_infotext(sampler: str, schedule_type: str | None) -> Sampler:
    """Read back `Sampler: DPM++ 2M, Schedule type: Karras` or the older `Sampler: DPM++ 2M Karras`."""
    for known in SAMPLERS.values():
        written_apart = sampler == known.infotext_sampler and schedule_type == known.schedule_type
        if sampler == known.name or written_apart:
            return known
    return sampler_named(sampler)


def sampler_from_comfyui(sampler_name: str, scheduler: str) -> Sampler | None:
    """The sampler a ComfyUI KSampler's `sampler_name` and `scheduler` mean, None for one we lack."""
    return next((known for known in SAMPLERS.values() if known.comfyui == (sampler_name, scheduler)), None)


def check_steps(sampler: str, steps: int) -> list[SettingWarning]:
    preset = sampler_named(sampler)
    if steps <= 0:
        raise SettingsError(f"steps {steps}: must be at least 1")
    if steps < preset.min_recommended_steps:
        return [
            SettingWarning(
                "steps",
                f"steps {steps}: {preset.name} wants {preset.min_recommended_steps} or more "
                f"(default {preset.default_steps})",
            )
        ]
    return []


def check_cfg(cfg_scale: float) -> list[SettingWarning]:
    if not cfg_scale > 0:
        raise SettingsError(f"CFG scale {cfg_scale:g}: must be above 0")
    low, high = CFG_RECOMMENDED
    if not low <= cfg_scale <= high:
        return [
            SettingWarning("cfg", f"CFG scale {cfg_scale:g} is outside the recommended {low:g} to {high:g}")
        ]
    return []


def check_settings(
    settings: GenerationSettings, *, small_sizes_allowed: bool = False
) -> list[SettingWarning]:
    """All checks of a settings record: raises on errors, returns the warnings."""
    return [
        *check_size(settings.width, settings.height, small_sizes_allowed=small_sizes_allowed),
        *check_steps(settings.sampler, settings.steps),
        *check_cfg(settings.cfg_scale),
    ]
