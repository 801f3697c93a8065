"""The diffusers scheduler of a sampler in `kb.settings.SAMPLERS`, from the model's own config.

The table (names, steps, infotext and ComfyUI names, scheduler class and overrides) lives in
`kb.settings`, which every front end reads without torch; diffusers is imported here, when a
scheduler is built.
"""

from __future__ import annotations

from typing import Any

from kb.settings import sampler_named


def build_scheduler(name: str, model_scheduler_config: Any) -> Any:
    """A fresh scheduler for the sampler `name` from the model's scheduler config."""
    import diffusers

    sampler = sampler_named(name)
    scheduler_class = getattr(diffusers, sampler.scheduler_class)
    return scheduler_class.from_config(model_scheduler_config, **dict(sampler.scheduler_overrides))
