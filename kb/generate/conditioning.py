"""A request's conditioning at each denoising step, as the web UI's CFG denoiser builds it.

`encode_plan` encodes every distinct text of a `ConditioningPlan` once (`kb.generate.encode`);
`step_conditioning` picks, for sampler step `step`, each sub-prompt's and the negative's entry
(`prompt_plan.entry_at_step`) and arranges them as `CFGDenoiser.forward` does:

- the `AND` parts are stacked as one cond batch; a part with fewer chunks is lengthened by
  repeating its last token row (`prompt_parser.stack_conds`), each keeps its own pooled vector;
- an all-empty negative is all zeros, token rows and pooled (SDXL's `force_zero_negative_prompt`);
- cond and uncond of different lengths stay unpadded (the loop runs them in separate UNet
  passes), unless `pad_conds` (the web UI's "Pad prompt/negative prompt" option): then the
  shorter is lengthened with chunks of the empty prompt's encoding (`pad_cond`, token rows only),
  and the infotext says `Pad conds: True`.

Torch is imported inside the functions, as everywhere in `kb.generate`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from kb.generate.encode import (
    CLIP_SEQUENCE_LENGTH,
    EncodedPrompt,
    encode_chunks,
    encode_prompt_text,
    prompt_chunks,
)
from kb.generate.prompt_plan import ConditioningPlan, entry_at_step


@dataclass(frozen=True)
class PlanEncoding:
    """A plan with each of its texts encoded once, and what padding takes."""

    plan: ConditioningPlan
    encodings: dict[str, EncodedPrompt]
    zero_negative: EncodedPrompt | None  # the all-zero negative when the plan asks for it
    empty_prompt: EncodedPrompt  # the empty prompt's encoding: what `pad_conds` pads with
    pad_conds: bool


@dataclass(frozen=True)
class StepConditioning:
    """One request's tensors for one step: cond [parts, T_c, D], uncond [1, T_u, D] and pooled."""

    cond: Any
    cond_pooled: Any  # [parts, P]
    weights: tuple[float, ...]  # each AND part's guidance weight
    uncond: Any
    uncond_pooled: Any  # [1, P]
    padded: bool  # `pad_conds` lengthened cond or uncond at this step


def encode_plan(
    pipeline: Any, plan: ConditioningPlan, emphasis: str, *, empty_prompt: EncodedPrompt, pad_conds: bool
) -> PlanEncoding:
    """Encode each distinct text of `plan` once (with the text encoders as they are now, LoRA included).

    `empty_prompt` is the empty prompt's encoding made with no network active, which is what the
    web UI pads with (`cond_stage_model_empty_prompt`, computed when the model loads).
    """
    import torch

    encodings = {text: encode_prompt_text(pipeline, text, emphasis) for text in plan.texts}
    zero_negative = None
    if plan.zero_negative:
        zero_negative = EncodedPrompt(
            embeddings=torch.zeros_like(empty_prompt.embeddings), pooled=torch.zeros_like(empty_prompt.pooled)
        )
    return PlanEncoding(plan, encodings, zero_negative, empty_prompt, pad_conds)


def encode_empty_prompt(pipeline: Any) -> EncodedPrompt:
    """The empty prompt's encoding (one chunk of start and end tokens); the emphasis mode is moot."""
    return encode_chunks(pipeline, prompt_chunks(""), "original")


def step_conditioning(encoding: PlanEncoding, step: int) -> StepConditioning:
    """The conditioning the web UI's denoiser uses at sampler step `step` (0-based call count)."""
    import torch

    plan = encoding.plan
    parts = [encoding.encodings[entry_at_step(part.schedule, step).text] for part in plan.subprompts]
    if encoding.zero_negative is not None:
        negative = encoding.zero_negative
    else:
        negative = encoding.encodings[entry_at_step(plan.negative, step).text]
    cond = stack_parts([part.embeddings for part in parts])
    uncond = negative.embeddings
    padded = False
    if encoding.pad_conds and cond.shape[1] != uncond.shape[1]:
        cond, uncond = pad_to_equal_length(cond, uncond, encoding.empty_prompt.embeddings)
        padded = True
    return StepConditioning(
        cond=cond,
        cond_pooled=torch.cat([part.pooled for part in parts]),
        weights=tuple(part.weight for part in plan.subprompts),
        uncond=uncond,
        uncond_pooled=negative.pooled,
        padded=padded,
    )


def stack_parts(embeddings: list[Any]) -> Any:
    """[1, T_i, D] tensors as one [n, max T, D] batch, the shorter lengthened by repeating their
    last row (the web UI's `stack_conds` for AND parts of different lengths)."""
    import torch

    longest = max(int(tensor.shape[1]) for tensor in embeddings)
    rows = []
    for tensor in embeddings:
        missing = longest - int(tensor.shape[1])
        if missing:
            tensor = torch.cat([tensor, tensor[:, -1:].repeat(1, missing, 1)], dim=1)
        rows.append(tensor)
    return torch.cat(rows)


def pad_to_equal_length(cond: Any, uncond: Any, empty: Any) -> tuple[Any, Any]:
    """The shorter of cond and uncond lengthened with whole empty-prompt chunks (`pad_cond`)."""
    import torch

    repeats = (int(cond.shape[1]) - int(uncond.shape[1])) // CLIP_SEQUENCE_LENGTH
    if repeats > 0:
        uncond = torch.cat([uncond, empty.repeat(uncond.shape[0], repeats, 1)], dim=1)
    elif repeats < 0:
        cond = torch.cat([cond, empty.repeat(cond.shape[0], -repeats, 1)], dim=1)
    return cond, uncond


def pads_at_some_step(plan: ConditioningPlan, steps: int) -> bool:
    """Whether cond and uncond differ in chunk count at any step (what `pad_conds` would pad).

    Known from the text alone (token counts, no torch), so the infotext and cache key do not
    wait for the encoders.
    """
    chunk_counts: dict[str, int] = {}

    def chunks(text: str) -> int:
        if text not in chunk_counts:
            chunk_counts[text] = len(prompt_chunks(text))
        return chunk_counts[text]

    for step in range(steps):
        cond_chunks = max(chunks(entry_at_step(part.schedule, step).text) for part in plan.subprompts)
        uncond_chunks = 1 if plan.zero_negative else chunks(entry_at_step(plan.negative, step).text)
        if cond_chunks != uncond_chunks:
            return True
    return False
