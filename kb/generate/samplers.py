"""The samplers previews offer, built from the model's own scheduler config with `from_config`.

Names are the web UI's. `Euler a` is diffusers' Euler ancestral scheduler on the model's
schedule; `DPM++ 2M Karras` is the second-order multistep DPM-Solver++ on Karras sigmas. The
web UI runs k-diffusion's versions of the same samplers: pictures are alike, not bitwise equal.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from kb.errors import AidxlError


class SamplerError(AidxlError):
    """An unknown sampler name."""


@dataclass(frozen=True)
class SamplerSpec:
    """One sampler: its web UI name and schedule type, the diffusers class and config overrides."""

    name: str
    infotext_sampler: str  # the web UI's `Sampler:` value (1.9+ writes the schedule separately)
    schedule_type: str  # the web UI's `Schedule type:` value
    scheduler_class: str
    config_overrides: dict[str, Any] = field(default_factory=dict)


SAMPLERS: dict[str, SamplerSpec] = {
    "Euler a": SamplerSpec("Euler a", "Euler a", "Automatic", "EulerAncestralDiscreteScheduler"),
    "DPM++ 2M Karras": SamplerSpec(
        "DPM++ 2M Karras",
        "DPM++ 2M",
        "Karras",
        "DPMSolverMultistepScheduler",
        {"algorithm_type": "dpmsolver++", "solver_order": 2, "use_karras_sigmas": True},
    ),
}


def sampler_spec(name: str) -> SamplerSpec:
    """The sampler called `name` (web UI spelling, case-insensitive)."""
    for spec in SAMPLERS.values():
        if spec.name.lower() == name.strip().lower():
            return spec
    raise SamplerError(f"sampler {name!r} is not available; choose one of: {', '.join(SAMPLERS)}.")


def sampler_from_infotext(sampler: str, schedule_type: str | None) -> SamplerSpec:
    """Read back `Sampler: DPM++ 2M, Schedule type: Karras` or the older `Sampler: DPM++ 2M Karras`."""
    for spec in SAMPLERS.values():
        if sampler == spec.name or (sampler == spec.infotext_sampler and schedule_type == spec.schedule_type):
            return spec
    return sampler_spec(sampler)


def build_scheduler(name: str, model_scheduler_config: Any) -> Any:
    """A fresh scheduler for `name` from the model's scheduler config."""
    import diffusers

    spec = sampler_spec(name)
    scheduler_class = getattr(diffusers, spec.scheduler_class)
    return scheduler_class.from_config(model_scheduler_config, **spec.config_overrides)
