"""A preview request, its cache key and its web UI infotext: plain data, no torch."""

from __future__ import annotations

from dataclasses import dataclass
from importlib import metadata
from typing import TYPE_CHECKING

from kb.generate.cache import PreviewKey
from kb.generate.encode import EMPHASIS_INFOTEXT_NAMES, WEIGHTING_VERSION
from kb.prompt.infotext import format_infotext
from kb.settings import DEFAULT_EMPHASIS, sampler_named

if TYPE_CHECKING:
    from kb.generate.networks import ResolvedNetwork

OWN_VAE_NAME = "Automatic"  # the web UI's name for "the checkpoint's own VAE"
# Where the noise comes from: a CPU `torch.Generator` per image on every device. The web UI writes
# `RNG` unless it is its default GPU noise, and assumes GPU noise when the field is absent.
NOISE_SOURCE = "CPU"


@dataclass(frozen=True)
class PreviewRequest:
    """One preview: the rendered A1111 prompts and every setting that changes the pixels."""

    positive: str
    negative: str
    seed: int
    sampler: str
    steps: int
    cfg_scale: float
    width: int
    height: int
    emphasis: str = DEFAULT_EMPHASIS
    triggers: tuple[str, ...] = ()
    # The web UI's "Pad prompt/negative prompt": cond and uncond of different lengths padded with
    # empty-prompt chunks instead of running unpadded in separate UNet passes.
    pad_conds: bool = False
    networks: tuple[ResolvedNetwork, ...] = ()  # the prompt's `<lora:...>`, resolved to files


@dataclass(frozen=True)
class ModelIdentity:
    """What the cache key and the infotext say about the model (known before loading it)."""

    label: str  # the infotext `Model:` value
    model_hash: str  # full SHA-256 (or a fixed id for the built-in test model)
    vae_label: str  # `Automatic` or the separate VAE's file name
    vae_hash: str  # "" for the model's own VAE
    random_weights: bool

    @property
    def short_hash(self) -> str:
        """The web UI's `Model hash`: the first 10 hex digits of the file's SHA-256."""
        return self.model_hash[:10]


@dataclass(frozen=True)
class BatchSettings:
    """What requests must share to be denoised in one batch: every pixel setting but prompts and seed."""

    sampler: str
    steps: int
    cfg_scale: float
    width: int
    height: int
    emphasis: str
    pad_conds: bool = False
    networks: tuple[tuple[str, float, float], ...] = ()  # (file SHA-256, te, unet): LoRA changes the weights


def network_key(request: PreviewRequest) -> tuple[tuple[str, float, float], ...]:
    return tuple(
        (network.file_sha256, network.te_multiplier, network.unet_multiplier) for network in request.networks
    )


def batch_settings(request: PreviewRequest) -> BatchSettings:
    return BatchSettings(
        sampler=sampler_named(request.sampler).name,
        steps=request.steps,
        cfg_scale=float(request.cfg_scale),
        width=request.width,
        height=request.height,
        emphasis=request.emphasis,
        pad_conds=request.pad_conds,
        networks=network_key(request),
    )


def preview_key(request: PreviewRequest, model: ModelIdentity) -> PreviewKey:
    return PreviewKey(
        model_hash=model.model_hash,
        vae_hash=model.vae_hash,
        positive=request.positive,
        negative=request.negative,
        sampler=sampler_named(request.sampler).name,
        steps=request.steps,
        cfg_scale=float(request.cfg_scale),
        width=request.width,
        height=request.height,
        seed=request.seed,
        emphasis=request.emphasis,
        weighting_version=WEIGHTING_VERSION,
        pad_conds=request.pad_conds,
        networks=network_key(request),
    )


def package_version() -> str:
    try:
        return f"aidxl-kb {metadata.version('aidxl-kb')}"
    except metadata.PackageNotFoundError:
        return "aidxl-kb"


def request_infotext(request: PreviewRequest, model: ModelIdentity) -> str:
    """The `parameters` text the web UI's PNG Info and civitai read back."""
    spec = sampler_named(request.sampler)
    settings = [
        ("Steps", str(request.steps)),
        ("Sampler", spec.infotext_sampler),
        ("Schedule type", spec.schedule_type),
        ("CFG scale", f"{request.cfg_scale:g}"),
        ("Seed", str(request.seed)),
        ("Size", f"{request.width}x{request.height}"),
        ("Model hash", model.short_hash),
        ("Model", model.label),
        ("VAE", model.vae_label),
    ]
    if model.vae_hash:
        settings.append(("VAE hash", model.vae_hash[:10]))
    settings.append(("RNG", NOISE_SOURCE))
    if request.networks:
        from kb.generate.networks import lora_hashes_infotext

        settings.append(("Lora hashes", lora_hashes_infotext(request.networks)))
    if request.pad_conds and request_pads_conds(request):
        settings.append(("Pad conds", "True"))
    settings += [
        ("Emphasis", EMPHASIS_INFOTEXT_NAMES.get(request.emphasis, request.emphasis)),
        ("Version", package_version()),
    ]
    return format_infotext(request.positive, request.negative, settings)


def request_pads_conds(request: PreviewRequest) -> bool:
    """Whether cond and uncond differ in length at some step, so `pad_conds` pads them."""
    from kb.generate.conditioning import pads_at_some_step
    from kb.generate.prompt_plan import plan_conditioning

    plan = plan_conditioning(request.positive, request.negative, request.steps)
    return pads_at_some_step(plan, request.steps)
