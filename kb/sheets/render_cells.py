"""The one place sheets call the preview engine (`kb.generate`): a small interface of our own.

Everything else in `kb/sheets` depends only on this module's names: `model_setting`,
`is_tiny_model`, `resolve_model`,
`check_settings`, `cached_cell`, `generate_cells`, `estimate_seconds_per_cell`, `png_with_parameters`,
`format_parameters`, `parse_parameters`, `NOISE_SOURCE`, `ProgressClock`,
`ModelInfo` and `CellResult`. Looking up the cache and naming the model need no torch; only
`generate_cells` and `estimate_seconds_per_cell` import it (through the engine).

Batching: missing cells that share every pixel setting but prompts and seed go to the engine's
`generate_previews`, `batch_size` images per denoising loop; each cell is saved to the cache as
soon as its loop finishes, so a kill loses at most the loop in progress.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from kb.generate import cache
from kb.generate.encode import EMPHASIS_INFOTEXT_NAMES, WEIGHTING_VERSION
from kb.generate.loading import ModelSource, model_identity, resolve_model_source
from kb.generate.networks import resolve_networks
from kb.generate.pngmeta import png_bytes
from kb.generate.progress import ProgressClock as ProgressClock  # re-exported: the sheet's ETA
from kb.generate.progress import ProgressReading as ProgressReading
from kb.generate.request import (
    NOISE_SOURCE as NOISE_SOURCE,  # re-exported for the sheet infotext
)
from kb.generate.request import (
    BatchSettings,
    ModelIdentity,
    PreviewRequest,
    batch_settings,
    preview_key,
)
from kb.generate.tiny import TINY_MODEL_NAME
from kb.prompt.infotext import format_infotext, parse_infotext
from kb.prompt.schedule import strip_extra_networks
from kb.settings import sampler_from_infotext, sampler_named
from kb.sheets.plan import CellRequest

# Rough seconds per denoising step at 1024x1024 (scaled by area), for `--dry-run` estimates only.
_SECONDS_PER_STEP_1024 = {"cuda": 0.035, "cpu": 12.0}
_TINY_SECONDS_PER_CELL = 1.0  # tiny-random at 64x64, 2 steps, measured on a shared 2-core CPU
# Images per denoising loop when the caller does not say. On CUDA a batch fills the GPU better.
# On the CPU batching gains nothing (the cores are busy already at batch 1) and costs bitwise
# equality: MKL picks another GEMM kernel for the 2-row (one CFG pair) time-embedding matmuls
# of a single image, so batched cells differ from `aidxl preview` images by <= 1/255 in a few
# pixels, and a sheet's bytes would depend on how its cells were grouped or split over processes.
CUDA_BATCH_SIZE = 4
CPU_BATCH_SIZE = 1


@dataclass(frozen=True)
class ModelInfo:
    """What a sheet says about its model; `source` is what the engine loads."""

    label: str
    model_hash: str
    short_hash: str
    vae_label: str
    random_weights: bool
    weighting: str
    source: ModelSource
    identity: ModelIdentity


@dataclass(frozen=True)
class CellResult:
    request: CellRequest
    path: Path  # the verified PNG in the preview cache
    parameters: str  # its A1111 infotext
    cached: bool
    batch_size: int = 0  # images denoised together to make it; 0 when served from the cache


def model_setting(model_flag: str | None) -> str:
    """The model a sheet records: the flag, else the engine's configured model (env or config file)."""
    source = resolve_model_source(model_flag)
    if source.kind == "tiny" or source.path is None:
        return TINY_MODEL_NAME
    return source.hub_id or str(source.path)  # a cached Hub model by its id, resolved again when run


def is_tiny_model(model: str) -> bool:
    """Whether a sheet's model (`model_setting`) is the built-in random-weight test model."""
    return model == TINY_MODEL_NAME


def resolve_model(model: str) -> ModelInfo:
    """Identify the model without loading it (file hashes are remembered by the engine)."""
    source = resolve_model_source(model or None)
    identity = model_identity(source)
    return ModelInfo(
        label=identity.label,
        model_hash=identity.model_hash,
        short_hash=identity.short_hash,
        vae_label=identity.vae_label,
        random_weights=identity.random_weights,
        weighting=WEIGHTING_VERSION,
        source=source,
        identity=identity,
    )


def _preview_request(request: CellRequest) -> PreviewRequest:
    """The engine's request for a cell; its `<lora:...>` are found in the configured LoRA folder
    ($AIDXL_LORA_DIR or the config file), and a missing one stops the sheet before any work."""
    _stripped, calls = strip_extra_networks(request.positive)
    hint = "fix the name or the folder (--lora-dir)"
    networks = resolve_networks(tuple(calls), missing_hint=hint).networks if calls else ()
    return PreviewRequest(
        positive=request.positive,
        negative=request.negative,
        seed=request.seed,
        sampler=request.sampler,
        steps=request.steps,
        cfg_scale=request.cfg_scale,
        width=request.width,
        height=request.height,
        emphasis=request.emphasis,
        networks=networks,
    )


def check_settings(request: CellRequest, model: ModelInfo) -> tuple[str, ...]:
    """The engine's checks (sampler, emphasis, size, steps, CFG by `kb.settings`) before any work.

    Raises the engine's error for a value the model cannot take; returns the warnings.
    """
    from kb.generate.encode import check_emphasis
    from kb.generate.validation import check_settings as check_request

    sampler_named(request.sampler)
    check_emphasis(request.emphasis)
    return tuple(check_request(_preview_request(request), small_sizes_allowed=model.random_weights))


def cached_cell(request: CellRequest, model: ModelInfo) -> CellResult | None:
    """The cell's verified cache entry, or None (a damaged entry is removed and counts as missing)."""
    entry = cache.lookup(preview_key(_preview_request(request), model.identity).digest())
    if entry is None:
        return None
    return CellResult(request=request, path=entry.png_path, parameters=entry.parameters, cached=True)


def default_batch_size(device: str) -> int:
    return CUDA_BATCH_SIZE if device == "cuda" else CPU_BATCH_SIZE


def generate_cells(
    requests: Sequence[CellRequest],
    model: ModelInfo,
    *,
    on_cell: Callable[[CellResult], None] | None = None,
    should_cancel: Callable[[], bool] | None = None,
    batch_size: int | None = None,
    allow_cpu: bool = True,
) -> list[CellResult]:
    """Generate (or take from the cache) each request, loading the model once; results in order.

    Cached cells are reported first; the missing ones are grouped by their shared settings and
    generated `batch_size` per denoising loop (None: `default_batch_size` of the device), each
    reported as soon as its loop has saved it.
    """
    from kb.generate.engine import BatchedPreview, generate_previews
    from kb.generate.loading import choose_device, load_model

    results: dict[int, CellResult] = {}

    def report(index: int, result: CellResult) -> None:
        results[index] = result
        if on_cell is not None:
            on_cell(result)

    groups: dict[BatchSettings, list[int]] = {}
    for index, request in enumerate(requests):
        found = cached_cell(request, model)
        if found is None:
            groups.setdefault(batch_settings(_preview_request(request)), []).append(index)
        else:
            report(index, found)
    if not groups:
        return [results[index] for index in range(len(requests))]

    loaded = load_model(model.source, choose_device(model.source, allow_cpu=allow_cpu), model.identity)
    size = batch_size if batch_size is not None else default_batch_size(loaded.device.device)
    for indices in groups.values():

        def on_preview(item: BatchedPreview, indices: list[int] = indices) -> None:
            index = indices[item.index]
            report(
                index,
                CellResult(
                    request=requests[index],
                    path=item.preview.png_path,
                    parameters=item.preview.parameters,
                    cached=item.cached,
                    batch_size=item.batch_size,
                ),
            )

        generate_previews(
            loaded,
            [_preview_request(requests[index]) for index in indices],
            batch_size=size,
            should_cancel=should_cancel,
            on_preview=on_preview,
        )
    return [results[index] for index in range(len(requests))]


def device_name(model: ModelInfo) -> str:
    """Where this model's cells are generated here: `cuda` or `cpu` (the tiny model: always the CPU)."""
    if model.random_weights:
        return "cpu"
    try:
        import torch

        return "cuda" if torch.cuda.is_available() else "cpu"
    except ImportError:
        return "cpu"


def estimate_seconds_per_cell(steps: int, width: int, height: int, model: ModelInfo) -> tuple[float, str]:
    """(seconds per cell, device name) on this machine; a rough guide for `--dry-run`."""
    if model.random_weights:
        return _TINY_SECONDS_PER_CELL * max(1, steps) / 2 * max(1.0, width * height / (64 * 64)), "cpu"
    device = device_name(model)
    area_scale = width * height / (1024 * 1024)
    return _SECONDS_PER_STEP_1024[device] * steps * area_scale + (0.2 if device == "cuda" else 8.0), device


def png_with_parameters(image: Any, parameters: str) -> bytes:
    """PNG bytes carrying the web UI's `parameters` text chunk."""
    return png_bytes(image, parameters)


def format_parameters(prompt: str, negative: str, fields: Sequence[tuple[str, str]]) -> str:
    """A1111 infotext (values with `,` `:` or newlines JSON-quoted, as the web UI does)."""
    return format_infotext(prompt, negative, list(fields))


def parse_parameters(text: str) -> tuple[str, str, dict[str, str]]:
    """(prompt, negative prompt, settings fields) as the web UI's PNG Info splits infotext."""
    infotext = parse_infotext(text)
    return infotext.prompt, infotext.negative_prompt, dict(infotext.settings)


def sampler_infotext_fields(name: str) -> list[tuple[str, str]]:
    """`Sampler` and `Schedule type` as the web UI (1.9+) writes them for this sampler."""
    spec = sampler_named(name)
    return [("Sampler", spec.infotext_sampler), ("Schedule type", spec.schedule_type)]


def sampler_from_fields(fields: dict[str, str]) -> str:
    return sampler_from_infotext(fields["Sampler"], fields.get("Schedule type")).name


def emphasis_infotext_name(mode: str) -> str:
    return EMPHASIS_INFOTEXT_NAMES.get(mode, mode)


def emphasis_from_infotext(name: str) -> str:
    return next((mode for mode, shown in EMPHASIS_INFOTEXT_NAMES.items() if shown == name), name)
