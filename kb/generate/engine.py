"""The preview engine: check_inputs → encode → denoise → decode → save, each an explicit stage.

The caller chooses model, device and dtype (`kb.generate.loading`); the engine owns nothing
global. `on_step` is called after every denoising step; `should_cancel` is polled before the
run and after every step, so a cancel stops within one step and nothing is written. A CUDA
out-of-memory error is retried once with memory savers (VAE tiling and slicing, attention
slicing), then reported in one sentence.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from kb.errors import AidxlError
from kb.generate import cache
from kb.generate.encode import EncodedPair, check_emphasis, encode_prompt_pair, prompt_chunks
from kb.generate.loading import LoadedModel
from kb.generate.pngmeta import png_bytes, sidecar_record, thumbnail_png_bytes
from kb.generate.request import PreviewRequest, preview_key, request_infotext
from kb.generate.samplers import build_scheduler, sampler_spec
from kb.generate.validation import check_settings

RANDOM_WEIGHTS_WARNING = "RANDOM WEIGHTS: this image comes from the built-in tiny test model, not from AIDXL."


class GenerationCancelled(AidxlError):
    """The run was cancelled; nothing was written."""


class GenerationOutOfMemory(AidxlError):
    """The GPU ran out of memory even with memory savers on."""


@dataclass(frozen=True)
class StepProgress:
    step: int  # 1-based count of finished denoising steps
    total: int


StepCallback = Callable[[StepProgress], None]
CancelCheck = Callable[[], bool]


def check_inputs(model: LoadedModel, request: PreviewRequest) -> None:
    """Validate every setting before any work; errors quote the bad value."""
    sampler_spec(request.sampler)
    check_emphasis(request.emphasis)
    check_settings(request, small_sizes_allowed=model.identity.random_weights)


def encode(model: LoadedModel, request: PreviewRequest) -> EncodedPair:
    return encode_prompt_pair(
        model.pipeline,
        prompt_chunks(request.positive),
        prompt_chunks(request.negative),
        request.emphasis,
    )


def denoise(
    model: LoadedModel,
    request: PreviewRequest,
    encoded: EncodedPair,
    on_step: StepCallback | None = None,
    should_cancel: CancelCheck | None = None,
) -> Any:
    """Latents after `request.steps` steps of the chosen sampler with CFG, seeded on the CPU."""
    import torch

    pipeline = model.pipeline
    pipeline.scheduler = build_scheduler(request.sampler, model.base_scheduler_config)
    # A CPU generator gives the same starting noise on every device.
    generator = torch.Generator("cpu").manual_seed(request.seed)

    def after_step(
        _pipe: Any, step_index: int, _timestep: Any, callback_kwargs: dict[str, Any]
    ) -> dict[str, Any]:
        if on_step is not None:
            on_step(StepProgress(step_index + 1, request.steps))
        if should_cancel is not None and should_cancel():
            raise GenerationCancelled(
                f"cancelled after step {step_index + 1} of {request.steps}; nothing was saved."
            )
        return callback_kwargs

    with torch.inference_mode():
        output = pipeline(
            prompt_embeds=encoded.positive.embeddings,
            negative_prompt_embeds=encoded.negative.embeddings,
            pooled_prompt_embeds=encoded.positive.pooled,
            negative_pooled_prompt_embeds=encoded.negative.pooled,
            width=request.width,
            height=request.height,
            num_inference_steps=request.steps,
            guidance_scale=request.cfg_scale,
            generator=generator,
            output_type="latent",
            callback_on_step_end=after_step,
        )
    return output.images


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
    """Write PNG (with `parameters`), thumbnail and sidecar into the cache, atomically."""
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


def _retry_out_of_memory(model: LoadedModel, request: PreviewRequest, stage: Callable[[], Any]) -> Any:
    import torch

    try:
        return stage()
    except torch.OutOfMemoryError:
        enable_memory_savers(model)
    try:
        return stage()
    except torch.OutOfMemoryError as error:
        raise GenerationOutOfMemory(
            f"The GPU ran out of memory for a {request.width}x{request.height} preview even with VAE tiling, "
            "VAE slicing and attention slicing on; choose a smaller --size or free GPU memory."
        ) from error


def enable_memory_savers(model: LoadedModel) -> None:
    import torch

    if torch.cuda.is_available():
        torch.cuda.empty_cache()
    model.pipeline.vae.enable_tiling()
    model.pipeline.vae.enable_slicing()
    model.pipeline.enable_attention_slicing()
