"""The one denoising loop, over diffusers components (scheduler, UNet), for previews and sheets.

Per step it does what the web UI's `CFGDenoiser.forward` does, in diffusers' noise space:

- each request's conditioning for this step (`conditioning.step_conditioning`: prompt editing,
  alternation, AND parts, the negative);
- UNet passes: every row (one per AND part of each request, then one uncond per request) goes
  into ONE pass when all have the same length; rows of another length get a pass of their own
  (the web UI runs cond and uncond of different lengths unpadded, in separate passes), so a
  batch never pads one request to another's length;
- guidance: `uncond + sum_j (cond_j - uncond) * (weight_j * cfg)` per request (`combine_denoised`,
  the composable-diffusion sum; one part of weight 1 is plain CFG);
- the scheduler step, with request i's own CPU generator for ancestral noise.

Starting noise: request i's latents come from `torch.Generator("cpu").manual_seed(seed_i)`, as a
single request's, whatever the batch (diffusers' `randn_tensor` with one generator per item).
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Sequence
from typing import Any

from kb.generate.conditioning import PlanEncoding, StepConditioning, step_conditioning


def initial_latents(pipeline: Any, generators: Sequence[Any], width: int, height: int, dtype: Any) -> Any:
    """Starting noise [N, C, h, w], item i drawn from `generators[i]` (not yet scaled by the scheduler)."""
    from diffusers.utils.torch_utils import randn_tensor

    scale = pipeline.vae_scale_factor
    shape = (len(generators), pipeline.unet.config.in_channels, height // scale, width // scale)
    return randn_tensor(shape, generator=list(generators), device=pipeline.unet.device, dtype=dtype)


def time_ids(width: int, height: int, dtype: Any, device: Any) -> Any:
    """SDXL's size conditioning: original size, crop (0, 0), target size, as (h, w) pairs."""
    import torch

    return torch.tensor([[height, width, 0, 0, height, width]], dtype=dtype, device=device)


def denoise_loop(
    pipeline: Any,
    scheduler: Any,
    encodings: Sequence[PlanEncoding],
    seeds: Sequence[int],
    *,
    steps: int,
    cfg_scale: float,
    width: int,
    height: int,
    after_step: Callable[[int], None] | None = None,
    unet: Any = None,
) -> Any:
    """Latents [N, C, h, w] of N requests after `steps` steps; `after_step(i)` after step i (1-based).

    `unet`: what to call for the UNet (a compiled wrapper, `kb.generate.acceleration`); by default
    the pipeline's own module."""
    import torch

    unet = unet if unet is not None else pipeline.unet
    device = pipeline.unet.device
    dtype = encodings[0].empty_prompt.embeddings.dtype
    scheduler.set_timesteps(steps, device=device)
    if hasattr(scheduler, "set_begin_index"):
        scheduler.set_begin_index(0)
    # One CPU generator per request: its starting noise, then (ancestral samplers) its step noise,
    # one stream as in diffusers' pipeline, so a request's noise does not depend on the batch.
    generators = [torch.Generator("cpu").manual_seed(seed) for seed in seeds]
    latents = initial_latents(pipeline, generators, width, height, dtype) * scheduler.init_noise_sigma
    step_kwargs: dict[str, Any] = {}
    if "generator" in inspect.signature(scheduler.step).parameters:
        step_kwargs["generator"] = generators
    size_ids = time_ids(width, height, dtype, device)
    with torch.inference_mode():
        for index, timestep in enumerate(scheduler.timesteps):
            conditioning = [step_conditioning(encoding, index) for encoding in encodings]
            model_input = scheduler.scale_model_input(latents, timestep)
            noise = guided_noise(unet, model_input, timestep, conditioning, size_ids, cfg_scale)
            latents = scheduler.step(noise, timestep, latents, **step_kwargs, return_dict=False)[0]
            if after_step is not None:
                after_step(index + 1)
    return latents


def guided_noise(
    unet: Any,
    model_input: Any,
    timestep: Any,
    conditioning: Sequence[StepConditioning],
    size_ids: Any,
    cfg_scale: float,
) -> Any:
    """The guided noise prediction [N, C, h, w] for one step (see the module docstring)."""
    import torch

    # Rows in the web UI's order: every request's cond parts, then every request's uncond.
    rows: list[tuple[int, Any, Any]] = []  # (request index, token embeddings [1, T, D], pooled [1, P])
    for index, step in enumerate(conditioning):
        for part in range(int(step.cond.shape[0])):
            rows.append((index, step.cond[part : part + 1], step.cond_pooled[part : part + 1]))
    for index, step in enumerate(conditioning):
        rows.append((index, step.uncond, step.uncond_pooled))

    by_length: dict[int, list[int]] = {}
    for position, (_, embeddings, _) in enumerate(rows):
        by_length.setdefault(int(embeddings.shape[1]), []).append(position)
    outputs: list[Any] = [None] * len(rows)
    for positions in by_length.values():
        members = [rows[position] for position in positions]
        prediction = unet(
            torch.cat([model_input[index : index + 1] for index, _, _ in members]),
            timestep,
            encoder_hidden_states=torch.cat([embeddings for _, embeddings, _ in members]),
            added_cond_kwargs={
                "text_embeds": torch.cat([pooled for _, _, pooled in members]),
                "time_ids": size_ids.repeat(len(members), 1),
            },
            return_dict=False,
        )[0]
        for offset, position in enumerate(positions):
            outputs[position] = prediction[offset : offset + 1]

    cond_count = len(rows) - len(conditioning)
    guided = []
    cond_position = 0
    for index, step in enumerate(conditioning):
        uncond_output = outputs[cond_count + index]
        denoised = uncond_output.clone()
        for weight in step.weights:
            denoised += (outputs[cond_position] - uncond_output) * (weight * cfg_scale)
            cond_position += 1
        guided.append(denoised)
    return torch.cat(guided)
