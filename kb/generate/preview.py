"""`aidxl preview` as a library call: assemble the prompt, serve from the cache, else generate.

The cache lookup needs no torch: resolving the model, hashing it, assembling the prompt and
checking the settings are plain Python, so a cached preview returns without loading torch.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from kb import settings
from kb.generate import cache
from kb.generate.encode import check_emphasis
from kb.generate.loading import ModelSource, model_identity, resolve_model_source
from kb.generate.networks import resolve_networks
from kb.generate.request import DEFAULT_EMPHASIS, ModelIdentity, PreviewRequest, preview_key
from kb.generate.samplers import sampler_spec
from kb.generate.validation import check_settings
from kb.outpath import atomic_write_bytes
from kb.prompt.assemble import assemble_prompt
from kb.prompt.schedule import strip_extra_networks

DEFAULT_SAMPLER = settings.DEFAULT_SAMPLER
DEFAULT_CFG_SCALE = settings.DEFAULT_CFG
DEFAULT_SIZE = (1024, 1024)
TINY_DEFAULT_SIZE = (64, 64)
# What a trigger is shown on when no --base is given: one neutral subject, the card's aesthetic
# and quality tags late in the prompt.
DEFAULT_PREVIEW_BASE = (
    "1girl, solo, upper body, looking at viewer, beautiful color, detailed, (best quality:1.2)"
)


@dataclass(frozen=True)
class PreviewOptions:
    """What the user asked for; None means the default."""

    trigger: str
    base: str | None = None
    negative: str | None = None
    seed: int = 0
    sampler: str = DEFAULT_SAMPLER
    steps: int | None = None
    cfg_scale: float = DEFAULT_CFG_SCALE
    size: tuple[int, int] | None = None
    emphasis: str = DEFAULT_EMPHASIS
    pad_conds: bool = False  # the web UI's "Pad prompt/negative prompt"
    lora_dir: str | None = None  # None: $AIDXL_LORA_DIR or `lora_dir` under [generate] in the config
    ignore_missing_networks: bool = False  # a missing `<lora:...>` is a warning, not an error


@dataclass(frozen=True)
class PreparedPreview:
    """A request with its model, identity and cache digest: everything known before torch."""

    request: PreviewRequest
    source: ModelSource
    identity: ModelIdentity
    digest: str
    warnings: tuple[str, ...]  # settings the model takes badly (area, steps, CFG), networks left out


def assemble_preview_prompts(trigger: str, base: str, negative: str | None) -> tuple[str, str]:
    """(positive, negative): `kb.prompt.assemble` slots the trigger in; the negative defaults to the card."""
    assembled = assemble_prompt(f"{base}, {trigger}" if base.strip() else trigger, negative=negative)
    return assembled.positive, assembled.negative


def prepare_preview(
    options: PreviewOptions,
    *,
    model: str | None,
    vae: str | None = None,
    model_config: str | None = None,
) -> PreparedPreview:
    """Resolve the model and the prompt's networks, build and check the request and its cache digest
    (no torch): a missing network stops here, before any work, unless the user asked to skip it."""
    source = resolve_model_source(model, vae, model_config)
    identity = model_identity(source)
    spec = sampler_spec(options.sampler)
    width, height = options.size or (TINY_DEFAULT_SIZE if identity.random_weights else DEFAULT_SIZE)
    base = DEFAULT_PREVIEW_BASE if options.base is None else options.base
    positive, negative = assemble_preview_prompts(options.trigger, base, options.negative)
    _stripped, calls = strip_extra_networks(positive)
    resolution = resolve_networks(
        tuple(calls), lora_dir=options.lora_dir, ignore_missing=options.ignore_missing_networks
    )
    request = PreviewRequest(
        positive=positive,
        negative=negative,
        seed=options.seed,
        sampler=spec.name,
        steps=options.steps
        if options.steps is not None
        else settings.sampler_preset(spec.name).default_steps,
        cfg_scale=options.cfg_scale,
        width=width,
        height=height,
        emphasis=options.emphasis,
        triggers=(options.trigger,),
        pad_conds=options.pad_conds,
        networks=resolution.networks,
    )
    check_emphasis(request.emphasis)
    warnings = [*check_settings(request, small_sizes_allowed=identity.random_weights), *resolution.warnings]
    return PreparedPreview(
        request, source, identity, preview_key(request, identity).digest(), tuple(warnings)
    )


def cached_preview(prepared: PreparedPreview) -> cache.CachedPreview | None:
    return cache.lookup(prepared.digest)


def export_png(preview: cache.CachedPreview, out_path: Path) -> Path:
    """Copy the cached PNG to `out_path` atomically (the cache keeps its own copy)."""
    atomic_write_bytes(out_path, preview.png_path.read_bytes(), what="preview PNG")
    return out_path
