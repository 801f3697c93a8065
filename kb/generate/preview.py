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
from kb.generate.networks import EXPLORER_MISSING_HINT, IGNORE_MISSING_HINT, resolve_networks
from kb.generate.request import ModelIdentity, PreviewRequest, preview_key
from kb.generate.validation import check_settings
from kb.outpath import atomic_write_bytes
from kb.prompt.assemble import assemble_prompt
from kb.prompt.schedule import strip_extra_networks


@dataclass(frozen=True)
class PreviewOptions:
    """What the user asked for; None means the default (`kb.settings`' defaults, as everywhere)."""

    trigger: str
    base: str | None = None
    negative: str | None = None
    seed: int = settings.DEFAULT_SEED
    sampler: str = settings.DEFAULT_SAMPLER
    steps: int | None = None
    cfg_scale: float = settings.DEFAULT_CFG
    size: tuple[int, int] | None = None
    emphasis: str = settings.DEFAULT_EMPHASIS
    pad_conds: bool = False  # the web UI's "Pad prompt/negative prompt"
    lora_dir: str | None = None  # None: $AIDXL_LORA_DIR or `lora_dir` under [generate] in the config
    ignore_missing_networks: bool = False  # a missing `<lora:...>` is a warning, not an error
    in_explorer: bool = False  # errors name the explorer's ways out, not the CLI's flags


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
    sampler = settings.sampler_named(options.sampler)
    width, height = options.size or (
        settings.TINY_MODEL_SIZE if identity.random_weights else settings.DEFAULT_SIZE
    )
    base = settings.DEFAULT_BASE_PROMPT if options.base is None else options.base
    positive, negative = assemble_preview_prompts(options.trigger, base, options.negative)
    _stripped, calls = strip_extra_networks(positive)
    resolution = resolve_networks(
        tuple(calls),
        lora_dir=options.lora_dir,
        ignore_missing=options.ignore_missing_networks,
        missing_hint=EXPLORER_MISSING_HINT if options.in_explorer else IGNORE_MISSING_HINT,
        lora_dir_flag=not options.in_explorer,
    )
    request = PreviewRequest(
        positive=positive,
        negative=negative,
        seed=options.seed,
        sampler=sampler.name,
        steps=options.steps if options.steps is not None else sampler.default_steps,
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
