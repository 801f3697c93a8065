"""What the web UI conditions each denoising step on, worked out from the prompt text (no torch).

The web UI's order (modules/processing.py, prompt_parser.py):

1. extra networks (`<lora:name:0.8>`) are cut out of the positive prompt before anything else
   reads it (`extra_networks.parse_prompts`); the negative prompt keeps them as text;
2. the positive prompt is split at `AND` into weighted sub-prompts (`get_multicond_prompt_list`),
   each with its own schedule; the negative prompt is never split;
3. each (sub-)prompt becomes a schedule `[(end_step, text)]` of plain prompts for prompt editing
   `[a:b:when]` and alternation `[a|b]` (`get_learned_conditioning_prompt_schedules`);
4. at sampler step `step` (0-based: the CFG denoiser's call counter, which starts at 0), each
   schedule gives the first entry whose `end_step >= step` (`reconstruct_cond_batch`): with
   `[[3, 'a '], [10, 'a b']]` steps 0..3 use `a ` and steps 4..9 use `a b`;
5. SDXL zeroes the negative's conditioning (token embeddings and pooled) when every text of its
   schedule is empty (`sd_models_xl.get_learned_conditioning`, `force_zero_negative_prompt`).

The schedule syntax itself belongs to `kb.prompt.schedule` (one implementation for the token
counter, the linter and generation); this module only arranges its answers per step.
"""

from __future__ import annotations

from dataclasses import dataclass

from kb.prompt.schedule import ExtraNetworkCall, prompt_schedule, split_and, strip_extra_networks


@dataclass(frozen=True)
class ScheduledText:
    """A plain prompt used up to and including sampler step `end_step` (the web UI's numbering)."""

    end_step: int
    text: str


@dataclass(frozen=True)
class SubPromptPlan:
    """One `AND` part of the positive prompt: its guidance weight and its schedule."""

    weight: float
    schedule: tuple[ScheduledText, ...]


@dataclass(frozen=True)
class ConditioningPlan:
    """Every text a request's denoising loop conditions on, and when."""

    subprompts: tuple[SubPromptPlan, ...]
    negative: tuple[ScheduledText, ...]
    zero_negative: bool  # every negative text is empty: all-zero conditioning (SDXL in the web UI)
    networks: tuple[ExtraNetworkCall, ...]  # cut out of the positive prompt, in prompt order

    @property
    def texts(self) -> tuple[str, ...]:
        """Each distinct text to encode once (positive parts first, then the negative's)."""
        seen = dict.fromkeys(entry.text for part in self.subprompts for entry in part.schedule)
        if not self.zero_negative:
            seen.update(dict.fromkeys(entry.text for entry in self.negative))
        return tuple(seen)


def entry_at_step(schedule: tuple[ScheduledText, ...], step: int) -> ScheduledText:
    """The web UI's `reconstruct_cond_batch`: the first entry with `step <= end_step`, else the first."""
    for entry in schedule:
        if step <= entry.end_step:
            return entry
    return schedule[0]


def plan_conditioning(positive: str, negative: str, steps: int) -> ConditioningPlan:
    """The plan for a positive and negative prompt sampled in `steps` steps."""
    stripped, networks = strip_extra_networks(positive)
    subprompts = tuple(SubPromptPlan(weight, _scheduled(text, steps)) for text, weight in split_and(stripped))
    negative_schedule = _scheduled(negative, steps)
    return ConditioningPlan(
        subprompts=subprompts,
        negative=negative_schedule,
        zero_negative=all(entry.text == "" for entry in negative_schedule),
        networks=tuple(networks),
    )


def _scheduled(prompt: str, steps: int) -> tuple[ScheduledText, ...]:
    return tuple(ScheduledText(end_step, text) for end_step, text in prompt_schedule(prompt, steps))
