"""The one table of samplers (`kb.settings.SAMPLERS`): names in every spelling the tools read, and
every sampler the settings accept is one the generator can build."""

from __future__ import annotations

import pytest

from kb.errors import SettingsError
from kb.settings import (
    DEFAULT_SAMPLER,
    SAMPLERS,
    GenerationSettings,
    check_steps,
    sampler_from_comfyui,
    sampler_from_infotext,
    sampler_named,
)


def test_sampler_names_and_their_infotext_forms() -> None:
    assert sampler_named("dpm++ 2m karras").name == "DPM++ 2M Karras"
    assert sampler_named(" Euler A ").name == "Euler a"
    assert sampler_from_infotext("DPM++ 2M", "Karras").name == "DPM++ 2M Karras"
    assert sampler_from_infotext("DPM++ 2M Karras", None).name == "DPM++ 2M Karras"
    assert sampler_from_infotext("Euler a", "Automatic").name == "Euler a"
    with pytest.raises(SettingsError, match="sampler 'DDIM' is not available; choose one of: Euler a, DPM"):
        sampler_named("DDIM")
    with pytest.raises(SettingsError, match="sampler 'DPM\\+\\+ 2M' is not available"):
        sampler_from_infotext("DPM++ 2M", "Exponential")  # another schedule is another sampler


def test_comfyui_names_map_to_the_same_samplers() -> None:
    assert sampler_from_comfyui("euler_ancestral", "normal") == SAMPLERS["Euler a"]
    assert sampler_from_comfyui("dpmpp_2m", "karras") == SAMPLERS["DPM++ 2M Karras"]
    assert sampler_from_comfyui("dpmpp_2m", "normal") is None
    assert len({sampler.comfyui for sampler in SAMPLERS.values()}) == len(SAMPLERS)


def test_the_settings_default_is_in_the_table_with_the_cards_steps() -> None:
    assert GenerationSettings().sampler == DEFAULT_SAMPLER in SAMPLERS
    assert GenerationSettings().steps == SAMPLERS[DEFAULT_SAMPLER].default_steps == 28
    assert SAMPLERS["DPM++ 2M Karras"].default_steps == 35
    for name, sampler in SAMPLERS.items():
        assert sampler.name == name
        assert check_steps(name, sampler.default_steps) == []


@pytest.mark.parametrize("name", list(SAMPLERS))
def test_every_sampler_the_settings_accept_is_built_by_the_generator(name: str) -> None:
    pytest.importorskip("diffusers", reason="the scheduler comes from the gpu extra's diffusers")
    from kb.generate.samplers import build_scheduler
    from kb.generate.tiny import SDXL_SCHEDULER_CONFIG

    sampler = sampler_named(name)
    scheduler = build_scheduler(name.upper(), SDXL_SCHEDULER_CONFIG)
    assert type(scheduler).__name__ == sampler.scheduler_class
    for key, value in sampler.scheduler_overrides:
        assert scheduler.config[key] == value
    scheduler.set_timesteps(sampler.default_steps)
    assert len(scheduler.timesteps) == sampler.default_steps
