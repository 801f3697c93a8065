"""The preview engine on the tiny-random pipeline: determinism, metadata, cache, cancel, OOM retry."""

from __future__ import annotations

from typing import Any

import pytest

torch = pytest.importorskip("torch")

from kb.errors import SettingsError  # noqa: E402
from kb.generate import cache  # noqa: E402
from kb.generate.engine import (  # noqa: E402
    GenerationCancelled,
    GenerationOutOfMemory,
    StepProgress,
    generate_preview,
)
from kb.generate.loading import LoadedModel, choose_device, load_model, resolve_model_source  # noqa: E402
from kb.generate.pngmeta import read_png_parameters  # noqa: E402
from kb.generate.request import PreviewRequest, preview_key  # noqa: E402
from kb.prompt.infotext import parse_infotext  # noqa: E402

REQUEST = PreviewRequest(
    positive="by chi4, 1girl, (solo:1.2)",
    negative="lowres",
    seed=7,
    sampler="Euler a",
    steps=3,
    cfg_scale=7.0,
    width=64,
    height=64,
    triggers=("by chi4",),
)


@pytest.fixture(scope="module")
def one_thread() -> Any:
    """One torch thread: bitwise-repeatable CPU maths, and no thread spinning on a shared CI machine."""
    previous = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(previous)


@pytest.fixture(scope="module")
def model(one_thread: None) -> LoadedModel:
    source = resolve_model_source("tiny-random")
    return load_model(source, choose_device(source, allow_cpu=False))


def cache_files() -> list[str]:
    root = cache.previews_dir()
    return sorted(path.name for path in root.rglob("*") if path.is_file()) if root.is_dir() else []


def test_same_seed_gives_byte_identical_png(model: LoadedModel, one_thread: None) -> None:
    first = generate_preview(model, REQUEST).png_path.read_bytes()
    cache.discard(preview_key(REQUEST, model.identity).digest())
    second = generate_preview(model, REQUEST).png_path.read_bytes()
    assert first == second
    assert first[:8] == b"\x89PNG\r\n\x1a\n"


def test_other_seed_gives_other_pixels(model: LoadedModel) -> None:
    from dataclasses import replace

    seven = generate_preview(model, REQUEST)
    eight = generate_preview(model, replace(REQUEST, seed=8))
    assert seven.digest != eight.digest
    assert seven.png_path.read_bytes() != eight.png_path.read_bytes()


@pytest.mark.parametrize(
    ("sampler", "infotext_sampler", "schedule"),
    [
        ("Euler a", "Euler a", "Automatic"),
        ("DPM++ 2M Karras", "DPM++ 2M", "Karras"),
    ],
)
def test_png_parameters_parse_back_to_the_settings(
    model: LoadedModel, sampler: str, infotext_sampler: str, schedule: str
) -> None:
    from dataclasses import replace

    preview = generate_preview(model, replace(REQUEST, sampler=sampler))
    text = read_png_parameters(preview.png_path)
    assert text == preview.parameters
    assert text is not None
    infotext = parse_infotext(text)
    assert infotext.prompt == "by chi4, 1girl, (solo:1.2)"
    assert infotext.negative_prompt == "lowres"
    settings = dict(infotext.settings)
    assert {
        key: settings[key] for key in ("Steps", "Sampler", "Schedule type", "CFG scale", "Seed", "Size")
    } == {
        "Steps": "3",
        "Sampler": infotext_sampler,
        "Schedule type": schedule,
        "CFG scale": "7",
        "Seed": "7",
        "Size": "64x64",
    }
    assert settings["Model"] == "tiny-random (RANDOM WEIGHTS, not AIDXL)"
    assert settings["Model hash"] == "tinyrand"
    assert settings["Emphasis"] == "Original"


def test_sidecar_and_thumbnail_are_written(model: LoadedModel) -> None:
    import json

    from PIL import Image

    preview = generate_preview(model, REQUEST)
    record = json.loads(preview.sidecar_path.read_text(encoding="utf-8"))
    assert record["triggers"] == ["by chi4"]
    assert record["random_weights"] is True
    assert record["warning"].startswith("RANDOM WEIGHTS")
    assert record["settings"]["Seed"] == "7"
    with Image.open(preview.thumbnail_path) as thumbnail:
        assert thumbnail.size == (64, 64)
    assert [found.digest for found in cache.find_previews("by chi4")][:1] == [preview.digest]


def test_progress_is_reported_once_per_step(model: LoadedModel) -> None:
    from dataclasses import replace

    seen: list[StepProgress] = []
    generate_preview(model, replace(REQUEST, seed=21), on_step=seen.append)
    assert seen == [StepProgress(1, 3), StepProgress(2, 3), StepProgress(3, 3)]


def test_cancel_stops_within_one_step_and_writes_nothing(model: LoadedModel) -> None:
    from dataclasses import replace

    seen: list[StepProgress] = []
    with pytest.raises(GenerationCancelled, match="after step 1 of 3"):
        generate_preview(
            model, replace(REQUEST, seed=22), on_step=seen.append, should_cancel=lambda: bool(seen)
        )
    assert seen == [StepProgress(1, 3)]
    digest = preview_key(replace(REQUEST, seed=22), model.identity).digest()
    assert cache.lookup(digest) is None
    assert [name for name in cache_files() if digest in name] == []


def test_corrupt_cache_entry_is_detected_and_regenerated(model: LoadedModel) -> None:
    from dataclasses import replace

    request = replace(REQUEST, seed=23)
    preview = generate_preview(model, request)
    good_bytes = preview.png_path.read_bytes()
    preview.png_path.write_bytes(good_bytes[: len(good_bytes) // 2])  # a half-written file
    assert cache.lookup(preview.digest) is None
    assert not preview.png_path.exists()
    assert generate_preview(model, request).png_path.read_bytes() == good_bytes


def test_out_of_memory_is_retried_once_with_memory_savers(model: LoadedModel) -> None:
    from dataclasses import replace

    failures = {"left": 1}

    def fail_once(_module: Any, _inputs: Any) -> None:
        if failures["left"]:
            failures["left"] -= 1
            raise torch.OutOfMemoryError("CUDA out of memory (injected)")

    handle = model.pipeline.vae.decoder.register_forward_pre_hook(fail_once)
    try:
        preview = generate_preview(model, replace(REQUEST, seed=24))
    finally:
        handle.remove()
        model.pipeline.vae.disable_tiling()
        model.pipeline.vae.disable_slicing()
        model.pipeline.disable_attention_slicing()
    assert failures["left"] == 0
    assert preview.png_path.is_file()


def test_out_of_memory_twice_gives_a_clear_message(model: LoadedModel) -> None:
    from dataclasses import replace

    def always_fail(_module: Any, _inputs: Any) -> None:
        raise torch.OutOfMemoryError("CUDA out of memory (injected)")

    handle = model.pipeline.vae.decoder.register_forward_pre_hook(always_fail)
    try:
        with pytest.raises(
            GenerationOutOfMemory, match="ran out of memory for a 64x64 preview even with VAE tiling"
        ):
            generate_preview(model, replace(REQUEST, seed=25))
    finally:
        handle.remove()
        model.pipeline.vae.disable_tiling()
        model.pipeline.vae.disable_slicing()
        model.pipeline.disable_attention_slicing()


def test_bad_settings_are_refused_before_any_work(model: LoadedModel) -> None:
    from dataclasses import replace

    with pytest.raises(SettingsError, match="width 70 is not a positive multiple of 16"):
        generate_preview(model, replace(REQUEST, width=70))
    with pytest.raises(SettingsError, match="steps 0: must be at least 1"):
        generate_preview(model, replace(REQUEST, steps=0))


def test_tiny_model_makes_a_64px_rgb_image_in_two_steps(model: LoadedModel) -> None:
    # The speed itself is measured by `bench/generate.py --tiny`; this checks the shape end to end.
    from dataclasses import replace

    from PIL import Image

    preview = generate_preview(model, replace(REQUEST, seed=26, steps=2))
    with Image.open(preview.png_path) as image:
        assert (image.size, image.mode) == ((64, 64), "RGB")


def test_infotext_names_the_noise_source_and_has_no_empty_value(model: LoadedModel) -> None:
    from dataclasses import replace

    preview = generate_preview(model, replace(REQUEST, seed=27, steps=1))
    settings = dict(parse_infotext(preview.parameters).settings)
    assert settings["RNG"] == "CPU"  # the web UI assumes GPU noise when the field is absent
    assert all(value != "" for value in settings.values())
    assert "Pad conds" not in settings and "Lora hashes" not in settings


def test_pad_conds_is_written_only_when_it_padded(model: LoadedModel) -> None:
    from dataclasses import replace

    two_chunks = replace(REQUEST, positive="by chi4 BREAK 1girl", seed=28, steps=1)
    unpadded = generate_preview(model, two_chunks)
    padded = generate_preview(model, replace(two_chunks, pad_conds=True))
    assert padded.digest != unpadded.digest
    assert padded.png_path.read_bytes() != unpadded.png_path.read_bytes()
    assert parse_infotext(padded.parameters).pad_conds is True
    assert padded.parameters.count("Pad conds") == 1 and "Pad conds" not in unpadded.parameters
    same_length = generate_preview(model, replace(REQUEST, seed=28, steps=1, pad_conds=True))
    assert "Pad conds" not in same_length.parameters  # nothing to pad: the web UI writes nothing either
