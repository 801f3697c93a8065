"""The preview engine: check_inputs → encode → denoise → decode → save, each an explicit stage.

`encode` activates the request's LoRA networks and encodes every text its plan conditions on
(`kb.generate.prompt_plan`, `kb.generate.conditioning`); `denoise` runs the one denoising loop
(`kb.generate.loop`). The caller chooses model, device and dtype (`kb.generate.loading`); the
engine owns nothing global. `on_step` is called after every denoising step; `should_cancel` is
polled before the run and after every step, so a cancel stops within one step and nothing is written. A CUDA
out-of-memory error is retried once with memory savers (VAE tiling and slicing, attention
slicing), then reported in one sentence. `generate_previews` runs several requests that share
their settings in one denoising loop (batch), each image saved as its single request saves it.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import partial
from typing import Any

from kb.errors import AidxlError
from kb.generate import cache
from kb.generate.conditioning import PlanEncoding, encode_empty_prompt, encode_plan
from kb.generate.encode import check_emphasis
from kb.generate.loading import LoadedModel
from kb.generate.loop import denoise_loop
from kb.generate.networks import ResolvedNetwork, activate_networks
from kb.generate.pngmeta import png_bytes, sidecar_record, thumbnail_png_bytes
from kb.generate.prompt_plan import plan_conditioning
from kb.generate.random_label import stamp_random_weights
from kb.generate.request import PreviewRequest, batch_settings, preview_key, request_infotext
from kb.generate.samplers import build_scheduler
from kb.generate.validation import check_settings
from kb.settings import sampler_named

RANDOM_WEIGHTS_WARNING = "RANDOM WEIGHTS: this image comes from the built-in tiny test model, not from AIDXL."


class GenerationCancelled(AidxlError):
    """The run was cancelled; nothing was written."""


class GenerationOutOfMemory(AidxlError):
    """The GPU ran out of memory even with memory savers on."""


@dataclass(frozen=True)
class StepProgress:
    step: int  # 1-based count of finished denoising steps
    total: int
    images: int = 1  # images denoised together in this step (the batch size)


@dataclass(frozen=True)
class BatchedPreview:
    """One request's outcome in `generate_previews`."""

    index: int  # position in the requests given
    request: PreviewRequest
    preview: cache.CachedPreview
    cached: bool  # served from the cache (or made earlier in the same call for an equal request)
    batch_size: int  # images denoised together to make it; 0 when cached


StepCallback = Callable[[StepProgress], None]
CancelCheck = Callable[[], bool]
PreviewCallback = Callable[[BatchedPreview], None]


def check_inputs(model: LoadedModel, request: PreviewRequest) -> None:
    """Validate every setting before any work; errors quote the bad value."""
    sampler_named(request.sampler)
    check_emphasis(request.emphasis)
    check_settings(request, small_sizes_allowed=model.identity.random_weights)


def encode(model: LoadedModel, request: PreviewRequest) -> PlanEncoding:
    """Every text the request's loop conditions on, encoded once with its networks active."""
    empty_prompt = prepare_networks(model, request.networks)
    plan = plan_conditioning(request.positive, request.negative, request.steps)
    return encode_plan(
        model.pipeline, plan, request.emphasis, empty_prompt=empty_prompt, pad_conds=request.pad_conds
    )


def prepare_networks(model: LoadedModel, networks: tuple[ResolvedNetwork, ...]) -> Any:
    """Activate exactly `networks` on the pipeline; returns the empty prompt's encoding made with
    no network active (what the web UI pads with), computed once per loaded model."""
    if model.empty_prompt is None:
        activate_networks(model.pipeline, ())
        model.empty_prompt = encode_empty_prompt(model.pipeline)
    activate_networks(model.pipeline, networks)
    return model.empty_prompt


def denoise(
    model: LoadedModel,
    request: PreviewRequest,
    encoded: PlanEncoding,
    on_step: StepCallback | None = None,
    should_cancel: CancelCheck | None = None,
) -> Any:
    """Latents after `request.steps` steps of the chosen sampler with CFG, seeded on the CPU."""
    return denoise_batch(model, [request], [encoded], on_step, should_cancel, "nothing was saved.")


def denoise_batch(
    model: LoadedModel,
    requests: Sequence[PreviewRequest],
    encoded: Sequence[PlanEncoding],
    on_step: StepCallback | None = None,
    should_cancel: CancelCheck | None = None,
    cancel_note: str = "the previews in progress were not saved.",
) -> Any:
    """Latents [N, C, h, w] of N requests with equal `batch_settings` in ONE denoising loop
    (`kb.generate.loop`): item i gets exactly its single request's noise and conditioning."""
    first = requests[0]

    def after_step(step: int) -> None:
        if on_step is not None:
            on_step(StepProgress(step, first.steps, len(requests)))
        if should_cancel is not None and should_cancel():
            raise GenerationCancelled(f"cancelled after step {step} of {first.steps}; {cancel_note}")

    return denoise_loop(
        model.pipeline,
        build_scheduler(first.sampler, model.base_scheduler_config),
        encoded,
        [request.seed for request in requests],
        steps=first.steps,
        cfg_scale=float(first.cfg_scale),
        width=first.width,
        height=first.height,
        after_step=after_step,
        # A compiled UNet serves requests without LoRA; peft's layer swaps need the eager module.
        unet=model.fast_unet if not first.networks else None,
    )


def decode(model: LoadedModel, latents: Any) -> Any:
    """The VAE's picture of the latents as a PIL image (in fp32 when the VAE is upcast)."""
    import torch

    vae = model.pipeline.vae
    latents = latents.to(vae.dtype)
    latents_mean = getattr(vae.config, "latents_mean", None)
    latents_std = getattr(vae.config, "latents_std", None)
    if latents_mean is not None and latents_std is not None:
        mean = torch.tensor(latents_mean).view(1, -1, 1, 1).to(latents.device, latents.dtype)
        std = torch.tensor(latents_std).view(1, -1, 1, 1).to(latents.device, latents.dtype)
        latents = latents * std / vae.config.scaling_factor + mean
    else:
        latents = latents / vae.config.scaling_factor
    with torch.inference_mode():
        image = vae.decode(latents, return_dict=False)[0]
    return model.pipeline.image_processor.postprocess(image.float(), output_type="pil")[0]


def save(model: LoadedModel, request: PreviewRequest, image: Any) -> cache.CachedPreview:
    """Write PNG (with `parameters`), thumbnail and sidecar into the cache, atomically. A random-weight
    model's image carries the RANDOM WEIGHTS label in its pixels (`kb.generate.random_label`)."""
    if model.identity.random_weights:
        image = stamp_random_weights(image)
    parameters = request_infotext(request, model.identity)
    record: dict[str, Any] = {
        "triggers": list(request.triggers),
        "model": model.identity.label,
        "model_hash": model.identity.model_hash,
        "random_weights": model.identity.random_weights,
        "device": model.device.device,
        "dtype": model.device.dtype_name,
        "emphasis": request.emphasis,
    }
    if model.identity.random_weights:
        record["warning"] = RANDOM_WEIGHTS_WARNING
        record[cache.RANDOM_WEIGHTS_STAMP_KEY] = True
    digest = preview_key(request, model.identity).digest()
    return cache.store(
        digest, png_bytes(image, parameters), thumbnail_png_bytes(image), sidecar_record(parameters, record)
    )


def generate_preview(
    model: LoadedModel,
    request: PreviewRequest,
    on_step: StepCallback | None = None,
    should_cancel: CancelCheck | None = None,
) -> cache.CachedPreview:
    """All stages; the result is a verified cache entry."""
    check_inputs(model, request)
    if should_cancel is not None and should_cancel():
        raise GenerationCancelled("cancelled before the first step; nothing was saved.")
    encoded = encode(model, request)
    latents = _retry_out_of_memory(
        model, request, lambda: denoise(model, request, encoded, on_step, should_cancel)
    )
    image = _retry_out_of_memory(model, request, lambda: decode(model, latents))
    return save(model, request, image)


def generate_previews(
    model: LoadedModel,
    requests: Sequence[PreviewRequest],
    *,
    batch_size: int = 1,
    on_step: StepCallback | None = None,
    should_cancel: CancelCheck | None = None,
    on_preview: PreviewCallback | None = None,
) -> list[BatchedPreview]:
    """Previews of requests that differ only in prompts and seed, up to `batch_size` per denoising loop.

    Cache hits are served first and equal requests made once. The rest are denoised
    `batch_size` at a time (`kb.generate.loop`: rows of other lengths get UNet passes of their
    own, nothing is padded to another request's length); each image of a finished
    loop is decoded alone and saved exactly as `generate_preview` saves it, before the next loop
    starts, and reported to `on_preview`. `on_step` reports each step of a loop once, with the
    loop's image count. A cancel stops within one step: the loop in progress saves nothing.
    CUDA out of memory turns the memory savers on and halves the batch, down to one image, which
    is tried once more before `GenerationOutOfMemory`. Results come back in request order.
    """
    import torch

    if batch_size < 1:
        raise ValueError(f"batch_size must be at least 1, not {batch_size}")
    for request in requests:
        check_inputs(model, request)
    if len({batch_settings(request) for request in requests}) > 1:
        raise ValueError("generate_previews needs requests that differ only in prompts, seeds and triggers")

    results: dict[int, BatchedPreview] = {}
    indices_of: dict[str, list[int]] = {}  # digest of each missing preview -> its request indices

    def report(digest: str, preview: cache.CachedPreview, cached: bool, images: int) -> None:
        for position, index in enumerate(indices_of.get(digest, [])):
            made_here = not cached and position == 0
            item = BatchedPreview(index, requests[index], preview, not made_here, images if made_here else 0)
            results[index] = item
            if on_preview is not None:
                on_preview(item)

    for index, request in enumerate(requests):
        digest = preview_key(request, model.identity).digest()
        if digest in indices_of:
            indices_of[digest].append(index)
            continue
        found = cache.lookup(digest)
        if found is None:
            indices_of[digest] = [index]
        else:
            item = BatchedPreview(index, request, found, True, 0)
            results[index] = item
            if on_preview is not None:
                on_preview(item)

    queue = list(indices_of)
    size = batch_size
    savers_on = False
    while queue:
        if should_cancel is not None and should_cancel():
            raise GenerationCancelled("cancelled between batches; the previews not yet made were not saved.")
        batch: list[str] = []
        while queue and len(batch) < size:
            digest = queue.pop(0)
            found = cache.lookup(digest)  # another process may have made it meanwhile
            if found is None:
                batch.append(digest)
            else:
                report(digest, found, True, 0)
        if not batch:
            continue
        batch_requests = [requests[indices_of[digest][0]] for digest in batch]
        encoded = [encode(model, request) for request in batch_requests]
        try:
            latents = denoise_batch(model, batch_requests, encoded, on_step, should_cancel)
        except torch.OutOfMemoryError as error:
            if len(batch) == 1 and savers_on:
                raise GenerationOutOfMemory(_out_of_memory_message(batch_requests[0])) from error
            if not savers_on:
                enable_memory_savers(model)
                savers_on = True
            size = max(1, (len(batch) + 1) // 2)
            queue[:0] = batch
            continue
        for position, digest in enumerate(batch):
            request = batch_requests[position]
            decode_one = partial(decode, model, latents[position : position + 1])
            image = _retry_out_of_memory(model, request, decode_one)
            report(digest, save(model, request, image), False, len(batch))
    return [results[index] for index in range(len(requests))]


def _out_of_memory_message(request: PreviewRequest) -> str:
    return (
        f"The GPU ran out of memory for a {request.width}x{request.height} preview even with VAE tiling, "
        "VAE slicing and attention slicing on; choose a smaller --size or free GPU memory."
    )


def _retry_out_of_memory(model: LoadedModel, request: PreviewRequest, stage: Callable[[], Any]) -> Any:
    import torch

    try:
        return stage()
    except torch.OutOfMemoryError:
        enable_memory_savers(model)
    try:
        return stage()
    except torch.OutOfMemoryError as error:
        raise GenerationOutOfMemory(_out_of_memory_message(request)) from error


def enable_memory_savers(model: LoadedModel) -> None:
    import torch

    if torch.cuda.is_available():
        torch.cuda.empty_cache()
    model.pipeline.vae.enable_tiling()
    model.pipeline.vae.enable_slicing()
    model.pipeline.enable_attention_slicing()
