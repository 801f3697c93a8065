"""Batched generation on the tiny-random pipeline: one denoising loop for several previews.

Each test has its own preview cache (the autouse fixture gives every test fresh XDG folders).
Tiny model, 32x32, 2 steps, one torch thread (CPU sums are bitwise-repeatable only so).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

torch = pytest.importorskip("torch")
pytest.importorskip("diffusers")

from kb.generate import cache, engine  # noqa: E402
from kb.generate.engine import (  # noqa: E402
    BatchedPreview,
    GenerationCancelled,
    GenerationOutOfMemory,
    StepProgress,
    generate_preview,
    generate_previews,
)
from kb.generate.loading import LoadedModel, choose_device, load_model, resolve_model_source  # noqa: E402
from kb.generate.pngmeta import read_png_parameters  # noqa: E402
from kb.generate.request import PreviewRequest, preview_key  # noqa: E402
from kb.sheets import render_cells  # noqa: E402
from kb.sheets.run import SheetProgress, run_sheet  # noqa: E402
from kb.sheets.spec import SheetRow, SheetSpec, spec_from_values  # noqa: E402

BASE = PreviewRequest(
    positive="by chi4, 1girl",
    negative="lowres",
    seed=1,
    sampler="Euler a",
    steps=2,
    cfg_scale=7.0,
    width=32,
    height=32,
)
THREE = [
    BASE,
    replace(BASE, positive="(by ask:1.3), 1girl, solo", seed=2),
    replace(BASE, positive="1girl, upper body", seed=3),
]
# 180 tokens: three chunks, so its cond rows get a UNet pass of their own in a shared loop.
LONG_POSITIVE = ", ".join(["1girl"] * 60)


@pytest.fixture(scope="module")
def model() -> Iterator[LoadedModel]:
    previous = torch.get_num_threads()
    torch.set_num_threads(1)
    source = resolve_model_source("tiny-random")
    yield load_model(source, choose_device(source, allow_cpu=False))
    torch.set_num_threads(previous)


def use_cache(monkeypatch: pytest.MonkeyPatch, folder: Path) -> None:
    monkeypatch.setenv("AIDXL_CACHE_DIR", str(folder))


def pixels(path: Path) -> Any:
    import numpy as np
    from PIL import Image

    with Image.open(path) as image:
        return np.asarray(image.convert("RGB"), dtype=np.int16)


def sidecar_without_hashes(path: Path) -> dict[str, Any]:
    record: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return {key: value for key, value in record.items() if not key.endswith("_sha256")}


def temp_files() -> list[Path]:
    root = cache.previews_dir()
    return sorted(root.rglob("*.tmp")) if root.is_dir() else []


def reset_memory_savers(model: LoadedModel) -> None:
    model.pipeline.vae.disable_tiling()
    model.pipeline.vae.disable_slicing()
    model.pipeline.disable_attention_slicing()


def test_batch_of_three_matches_three_single_calls(
    model: LoadedModel, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    use_cache(monkeypatch, tmp_path / "batched")
    steps: list[StepProgress] = []
    batched = generate_previews(model, THREE, batch_size=3, on_step=steps.append)
    assert steps == [StepProgress(1, 2, 3), StepProgress(2, 2, 3)]
    assert [(item.index, item.cached, item.batch_size) for item in batched] == [
        (0, False, 3),
        (1, False, 3),
        (2, False, 3),
    ]
    use_cache(monkeypatch, tmp_path / "single")
    for request, item in zip(THREE, batched, strict=True):
        single = generate_preview(model, request)
        assert item.preview.digest == single.digest == preview_key(request, model.identity).digest()
        assert item.preview.png_path.name == single.png_path.name
        assert read_png_parameters(item.preview.png_path) == read_png_parameters(single.png_path)
        assert sidecar_without_hashes(item.preview.sidecar_path) == sidecar_without_hashes(
            single.sidecar_path
        )
        # Not byte-equal (docs/generation.md, "Batches"): on the CPU, MKL sums the 2-row
        # time-embedding matmuls of a single CFG pair with another kernel than the 6-row ones of
        # the batch; cuBLAS also picks kernels by shape.
        difference = abs(pixels(item.preview.png_path) - pixels(single.png_path))
        assert int(difference.max()) <= 1
        # Of 3072 values: 0 to 2 seen on the CPU, 48 on an H100 (float32 tiny model).
        assert int((difference > 0).sum()) <= (12 if model.device.device == "cpu" else 96)


def test_batches_are_byte_reproducible_and_a_batch_of_one_is_the_single_image(
    model: LoadedModel, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    use_cache(monkeypatch, tmp_path / "first")
    first = [item.preview.png_path.read_bytes() for item in generate_previews(model, THREE, batch_size=3)]
    use_cache(monkeypatch, tmp_path / "second")
    second = [item.preview.png_path.read_bytes() for item in generate_previews(model, THREE, batch_size=3)]
    assert first == second
    use_cache(monkeypatch, tmp_path / "one")
    alone = generate_previews(model, THREE[:1], batch_size=4)[0]
    use_cache(monkeypatch, tmp_path / "single")
    assert alone.batch_size == 1
    assert alone.preview.png_path.read_bytes() == generate_preview(model, THREE[0]).png_path.read_bytes()


def test_cache_hits_are_skipped_and_equal_requests_made_once(model: LoadedModel) -> None:
    made_before = generate_preview(model, THREE[0])
    requests = [THREE[0], THREE[1], THREE[1], THREE[2]]
    reported: list[BatchedPreview] = []
    steps: list[StepProgress] = []
    results = generate_previews(
        model, requests, batch_size=4, on_step=steps.append, on_preview=reported.append
    )
    assert [(item.index, item.cached, item.batch_size) for item in results] == [
        (0, True, 0),
        (1, False, 2),
        (2, True, 0),
        (3, False, 2),
    ]
    assert [item.index for item in reported] == [0, 1, 2, 3]  # the hit at once, the rest as saved
    assert steps == [StepProgress(1, 2, 2), StepProgress(2, 2, 2)]
    assert results[0].preview.png_path.read_bytes() == made_before.png_path.read_bytes()
    assert results[1].preview.digest == results[2].preview.digest
    again = generate_previews(model, requests, batch_size=4, on_step=steps.append)
    assert [item.cached for item in again] == [True, True, True, True]
    assert len(steps) == 2


def test_prompts_of_another_chunk_count_share_the_loop_in_passes_of_their_own(
    model: LoadedModel, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    long_request = replace(BASE, positive=LONG_POSITIVE, seed=9)
    passes: list[tuple[int, int]] = []  # (rows, tokens) of each UNet call

    def record(_module: Any, args: Any, kwargs: Any) -> None:
        passes.append((int(args[0].shape[0]), int(kwargs["encoder_hidden_states"].shape[1])))

    handle = model.pipeline.unet.register_forward_pre_hook(record, with_kwargs=True)
    steps: list[StepProgress] = []
    try:
        results = generate_previews(
            model, [THREE[0], long_request, THREE[1]], batch_size=4, on_step=steps.append
        )
    finally:
        handle.remove()
    assert [step.images for step in steps] == [3, 3]
    assert [item.batch_size for item in results] == [3, 3, 3]
    # Per step: the one-chunk rows (2 conds + 3 unconds) together, the long cond alone, unpadded.
    assert passes == [(5, 77), (1, 231)] * 2
    use_cache(monkeypatch, tmp_path / "single")
    single = generate_preview(model, long_request)
    difference = abs(pixels(results[1].preview.png_path) - pixels(single.png_path))
    assert int(difference.max()) <= 1


def test_and_prompts_and_empty_negatives_share_a_batch_with_plain_ones(
    model: LoadedModel, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    composed = replace(BASE, positive="by chi4 AND 1girl:0.6", negative="", seed=11)
    passes: list[tuple[int, int]] = []

    def record(_module: Any, args: Any, kwargs: Any) -> None:
        passes.append((int(args[0].shape[0]), int(kwargs["encoder_hidden_states"].shape[1])))

    handle = model.pipeline.unet.register_forward_pre_hook(record, with_kwargs=True)
    try:
        results = generate_previews(model, [composed, THREE[1]], batch_size=2)
    finally:
        handle.remove()
    # One pass a step: 2 AND parts + 1 cond, then 2 unconds (one all zeros), all 77 tokens long.
    assert passes == [(5, 77)] * 2
    use_cache(monkeypatch, tmp_path / "single")
    single = generate_preview(model, composed)
    assert int(abs(pixels(results[0].preview.png_path) - pixels(single.png_path)).max()) <= 1


def test_cancel_mid_batch_keeps_earlier_batches_and_writes_nothing_of_its_own(model: LoadedModel) -> None:
    requests = [*THREE, replace(BASE, positive="1girl, smile", seed=4)]
    steps: list[StepProgress] = []
    with pytest.raises(
        GenerationCancelled, match="after step 1 of 2; the previews in progress were not saved"
    ):
        generate_previews(
            model, requests, batch_size=2, on_step=steps.append, should_cancel=lambda: len(steps) >= 3
        )
    assert steps == [StepProgress(1, 2, 2), StepProgress(2, 2, 2), StepProgress(1, 2, 2)]
    found = [cache.lookup(preview_key(request, model.identity).digest()) is not None for request in requests]
    assert found == [True, True, False, False]
    names = sorted(path.name for path in cache.previews_dir().rglob("*") if path.is_file())
    assert len(names) == 6  # PNG, thumbnail and sidecar of the first batch's two previews
    assert temp_files() == []


def test_out_of_memory_halves_the_batch_down_to_one(model: LoadedModel) -> None:
    rows_seen: list[int] = []

    def fail_above_one_image(_module: Any, args: Any) -> None:
        rows_seen.append(int(args[0].shape[0]))
        if args[0].shape[0] > 2:  # more than one CFG pair
            raise torch.OutOfMemoryError("CUDA out of memory (injected)")

    handle = model.pipeline.unet.register_forward_pre_hook(fail_above_one_image)
    try:
        results = generate_previews(model, THREE, batch_size=4)
    finally:
        handle.remove()
        reset_memory_savers(model)
    # 3 images (6 rows) fail, then 2 (4 rows) fail, then 2 steps per image one at a time.
    assert rows_seen == [6, 4, 2, 2, 2, 2, 2, 2]
    assert [item.batch_size for item in results] == [1, 1, 1]


def test_out_of_memory_at_one_image_gives_the_clear_message(model: LoadedModel) -> None:
    rows_seen: list[int] = []

    def always_fail(_module: Any, args: Any) -> None:
        rows_seen.append(int(args[0].shape[0]))
        raise torch.OutOfMemoryError("CUDA out of memory (injected)")

    handle = model.pipeline.unet.register_forward_pre_hook(always_fail)
    try:
        with pytest.raises(
            GenerationOutOfMemory, match="ran out of memory for a 32x32 preview even with VAE"
        ):
            generate_previews(model, [*THREE, replace(BASE, seed=5)], batch_size=4)
    finally:
        handle.remove()
        reset_memory_savers(model)
    assert rows_seen == [8, 4, 2]
    assert temp_files() == []


def test_requests_with_other_settings_are_refused(model: LoadedModel) -> None:
    with pytest.raises(ValueError, match="differ only in prompts, seeds and triggers"):
        generate_previews(model, [BASE, replace(BASE, steps=3)], batch_size=2)
    with pytest.raises(ValueError, match="batch_size must be at least 1"):
        generate_previews(model, [BASE], batch_size=0)


def sheet_spec() -> SheetSpec:
    return spec_from_values(
        rows=(SheetRow("by chi4"), SheetRow("by ask"), SheetRow("(by yoneyama mai:0.9)")),
        seeds=(1, 2),
        bases=["1girl, solo"],
        negative="lowres",
        model="tiny-random",
        width=32,
        height=32,
        steps=2,
        cell_px=32,
        controls=0,  # batching is the point here, not the made-up control rows
    )


def test_sheet_cells_go_to_the_engine_two_per_loop_and_resume_after_a_cancel(
    model: LoadedModel, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    loops: list[int] = []
    real_denoise_batch = engine.denoise_batch

    def counting_denoise_batch(*args: Any, **kwargs: Any) -> Any:
        loops.append(len(args[1]))
        return real_denoise_batch(*args, **kwargs)

    monkeypatch.setattr(engine, "denoise_batch", counting_denoise_batch)
    steps_taken = {"count": 0}

    def cancel_in_second_loop() -> bool:
        steps_taken["count"] += 1  # polled before each loop and after each of its 2 steps
        return steps_taken["count"] > 4

    with pytest.raises(GenerationCancelled):
        run_sheet(
            sheet_spec(),
            tmp_path / "out",
            batch_size=2,
            record_scores=False,
            should_cancel=cancel_in_second_loop,
        )
    assert loops == [2, 2]  # 4 style rows (baseline included) x 2 seeds = 8 cells
    assert sorted(path.name for path in (tmp_path / "out").glob("*")) == []  # no page before all cells

    loops.clear()
    progress: list[SheetProgress] = []
    result = run_sheet(
        sheet_spec(), tmp_path / "out", batch_size=2, record_scores=False, on_progress=progress.append
    )
    assert loops == [2, 2, 2]
    assert (result.cells, result.generated, result.cached, result.missing) == (8, 6, 2, ())
    assert [(event.done, event.generated, event.cached) for event in progress][-1] == (8, 6, 2)
    assert len(result.pages) == 1 and result.pages[0].is_file()


def test_default_batch_size_is_four_on_cuda_and_one_on_the_cpu() -> None:
    assert render_cells.default_batch_size("cuda") == 4
    assert render_cells.default_batch_size("cpu") == 1
