"""The web UI's conditioning per step on the tiny-random pipeline: editing, alternation, AND, extra
networks cut out, the all-zero empty negative, unpadded (or padded) cond/uncond.

Every expectation is built independently of `kb.generate.conditioning`: the text the web UI reads
at each step is written out by hand from its rules (`reconstruct_cond_batch`: at 0-based step s
the first schedule entry with end >= s), encoded alone, and compared with max |diff| == 0 in both
emphasis modes. Guidance is checked against UNet calls made here in the web UI's row order.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

torch = pytest.importorskip("torch")

from kb.generate.conditioning import (  # noqa: E402
    encode_empty_prompt,
    encode_plan,
    pads_at_some_step,
    step_conditioning,
)
from kb.generate.encode import encode_chunks, prompt_chunks  # noqa: E402
from kb.generate.loop import guided_noise, time_ids  # noqa: E402
from kb.generate.prompt_plan import plan_conditioning  # noqa: E402
from kb.generate.tiny import build_tiny_pipeline  # noqa: E402
from kb.settings import EMPHASIS_MODES  # noqa: E402

CFG = 7.0


@pytest.fixture(scope="module")
def pipeline() -> Iterator[Any]:
    previous = torch.get_num_threads()
    torch.set_num_threads(1)
    yield build_tiny_pipeline()
    torch.set_num_threads(previous)


def encoded_text(pipeline: Any, text: str, emphasis: str) -> Any:
    return encode_chunks(pipeline, prompt_chunks(text), emphasis)


def plan_encoding(
    pipeline: Any, positive: str, negative: str, steps: int, emphasis: str, *, pad_conds: bool = False
) -> Any:
    return encode_plan(
        pipeline,
        plan_conditioning(positive, negative, steps),
        emphasis,
        empty_prompt=encode_empty_prompt(pipeline),
        pad_conds=pad_conds,
    )


def max_difference(left: Any, right: Any) -> float:
    assert left.shape == right.shape
    return float((left - right).abs().max())


@pytest.mark.parametrize("emphasis", EMPHASIS_MODES)
@pytest.mark.parametrize("when", ["2", "0.5"])
def test_prompt_editing_switches_at_the_web_uis_step(pipeline: Any, emphasis: str, when: str) -> None:
    # 4 steps: `2` and `0.5` (= int(0.5 * 4)) both end `cat` at step 2; the sampler's steps 0, 1, 2
    # read `cat`, step 3 reads `dog`. Not the literal text `[cat:dog:0.5]` weighted 1/1.1.
    encoding = plan_encoding(pipeline, f"1girl, [cat:dog:{when}], (solo:1.2)", "lowres", 4, emphasis)
    expected_texts = ["1girl, cat, (solo:1.2)"] * 3 + ["1girl, dog, (solo:1.2)"]
    for step, text in enumerate(expected_texts):
        expected = encoded_text(pipeline, text, emphasis)
        conditioning = step_conditioning(encoding, step)
        assert max_difference(conditioning.cond, expected.embeddings) == 0
        assert max_difference(conditioning.cond_pooled, expected.pooled) == 0
    literal = encoded_text(pipeline, f"1girl, [cat:dog:{when}], (solo:1.2)", emphasis)
    assert max_difference(step_conditioning(encoding, 0).cond, literal.embeddings) > 0


@pytest.mark.parametrize("emphasis", EMPHASIS_MODES)
def test_alternation_takes_one_option_per_step(pipeline: Any, emphasis: str) -> None:
    # Schedule [[1, cat], [2, dog], [3, cat], [4, dog], [5, cat]]: steps 0..4 read cat, cat, dog, cat, dog.
    encoding = plan_encoding(pipeline, "[cat|dog] (girl:1.3)", "lowres", 5, emphasis)
    for step, animal in enumerate(["cat", "cat", "dog", "cat", "dog"]):
        expected = encoded_text(pipeline, f"{animal} (girl:1.3)", emphasis)
        assert max_difference(step_conditioning(encoding, step).cond, expected.embeddings) == 0


@pytest.mark.parametrize("emphasis", EMPHASIS_MODES)
def test_each_distinct_text_is_encoded_once(pipeline: Any, emphasis: str) -> None:
    # 6 steps x 2 parts + 6 negatives read 5 texts (the second part keeps its leading blank, as in
    # the web UI, whose cache is keyed by the text too).
    encoding = plan_encoding(pipeline, "[cat|dog] girl AND [cat|dog] girl:0.5", "lowres", 6, emphasis)
    assert sorted(encoding.encodings) == [" cat girl", " dog girl", "cat girl", "dog girl", "lowres"]


@pytest.mark.parametrize("emphasis", EMPHASIS_MODES)
def test_extra_networks_are_cut_out_before_parsing(pipeline: Any, emphasis: str) -> None:
    encoding = plan_encoding(pipeline, "(cat:1.2) <lora:style:0.8>, girl", "lowres", 3, emphasis)
    assert [(call.name, call.items) for call in encoding.plan.networks] == [("lora", ("style", "0.8"))]
    expected = encoded_text(pipeline, "(cat:1.2) , girl", emphasis)
    assert max_difference(step_conditioning(encoding, 0).cond, expected.embeddings) == 0


@pytest.mark.parametrize("emphasis", EMPHASIS_MODES)
def test_empty_negative_is_all_zero_conditioning(pipeline: Any, emphasis: str) -> None:
    encoding = plan_encoding(pipeline, "cat, girl", "", 3, emphasis)
    conditioning = step_conditioning(encoding, 0)
    assert conditioning.uncond.shape == (1, 77, 64)
    assert float(conditioning.uncond.abs().max()) == 0
    assert conditioning.uncond_pooled.shape == (1, 32) and float(conditioning.uncond_pooled.abs().max()) == 0
    # A negative whose schedule has text at some step is encoded (the web UI zeroes only all-empty ones).
    edited = plan_encoding(pipeline, "cat", "[lowres:2]", 4, emphasis)
    for step, text in ((0, ""), (3, "lowres")):
        expected = encoded_text(pipeline, text, emphasis).embeddings
        assert max_difference(step_conditioning(edited, step).uncond, expected) == 0


def one_step_inputs(pipeline: Any) -> tuple[Any, Any, Any]:
    generator = torch.Generator("cpu").manual_seed(3)
    latents = torch.randn((1, 4, 8, 8), generator=generator)
    return latents, torch.tensor(500), time_ids(64, 64, torch.float32, "cpu")


def unet_rows(pipeline: Any, latents: Any, timestep: Any, ids: Any, rows: list[tuple[Any, Any]]) -> Any:
    """One UNet call on rows of (token embeddings, pooled), each on the same latents."""
    with torch.inference_mode():
        return pipeline.unet(
            latents.repeat(len(rows), 1, 1, 1),
            timestep,
            encoder_hidden_states=torch.cat([embeddings for embeddings, _ in rows]),
            added_cond_kwargs={
                "text_embeds": torch.cat([pooled for _, pooled in rows]),
                "time_ids": ids.repeat(len(rows), 1),
            },
            return_dict=False,
        )[0]


@pytest.mark.parametrize("emphasis", EMPHASIS_MODES)
def test_and_is_the_weighted_sum_of_each_parts_guidance(pipeline: Any, emphasis: str) -> None:
    encoding = plan_encoding(pipeline, "cat AND (dog:1.2):0.5 AND girl:-0.3", "lowres", 3, emphasis)
    conditioning = step_conditioning(encoding, 0)
    assert conditioning.weights == (1.0, 0.5, -0.3)
    parts = [encoded_text(pipeline, text, emphasis) for text in ("cat", " (dog:1.2)", " girl")]
    negative = encoded_text(pipeline, "lowres", emphasis)
    for index, part in enumerate(parts):
        assert max_difference(conditioning.cond[index : index + 1], part.embeddings) == 0
    latents, timestep, ids = one_step_inputs(pipeline)
    # The web UI's CFGDenoiser: one call on [cond parts..., uncond], then combine_denoised.
    out = unet_rows(pipeline, latents, timestep, ids, [(p.embeddings, p.pooled) for p in [*parts, negative]])
    expected = out[3:4].clone()
    for index, weight in enumerate((1.0, 0.5, -0.3)):
        expected += (out[index : index + 1] - out[3:4]) * (weight * CFG)
    with torch.inference_mode():
        ours = guided_noise(pipeline.unet, latents, timestep, [conditioning], ids, CFG)
    assert max_difference(ours, expected) == 0


@pytest.mark.parametrize("emphasis", EMPHASIS_MODES)
def test_and_parts_of_other_lengths_repeat_their_last_row(pipeline: Any, emphasis: str) -> None:
    encoding = plan_encoding(pipeline, "cat BREAK girl AND dog", "lowres", 2, emphasis)
    cond = step_conditioning(encoding, 0).cond
    long_part = encoded_text(pipeline, "cat BREAK girl", emphasis).embeddings
    short_part = encoded_text(pipeline, " dog", emphasis).embeddings
    lengthened = torch.cat([short_part, short_part[:, -1:].repeat(1, 77, 1)], dim=1)  # stack_conds
    assert max_difference(cond, torch.cat([long_part, lengthened])) == 0


@pytest.mark.parametrize("emphasis", EMPHASIS_MODES)
def test_cond_and_uncond_of_other_lengths_run_unpadded(pipeline: Any, emphasis: str) -> None:
    encoding = plan_encoding(pipeline, "cat BREAK (girl:1.2)", "lowres", 3, emphasis)
    conditioning = step_conditioning(encoding, 0)
    positive = encoded_text(pipeline, "cat BREAK (girl:1.2)", emphasis)
    negative = encoded_text(pipeline, "lowres", emphasis)
    assert max_difference(conditioning.cond, positive.embeddings) == 0
    assert max_difference(conditioning.uncond, negative.embeddings) == 0
    assert not conditioning.padded
    latents, timestep, ids = one_step_inputs(pipeline)
    cond_out = unet_rows(pipeline, latents, timestep, ids, [(positive.embeddings, positive.pooled)])
    uncond_out = unet_rows(pipeline, latents, timestep, ids, [(negative.embeddings, negative.pooled)])
    with torch.inference_mode():
        ours = guided_noise(pipeline.unet, latents, timestep, [conditioning], ids, CFG)
    assert max_difference(ours, uncond_out + (cond_out - uncond_out) * (1.0 * CFG)) == 0


@pytest.mark.parametrize("emphasis", EMPHASIS_MODES)
def test_pad_conds_pads_the_shorter_with_empty_prompt_chunks(pipeline: Any, emphasis: str) -> None:
    encoding = plan_encoding(pipeline, "cat BREAK (girl:1.2)", "", 3, emphasis, pad_conds=True)
    conditioning = step_conditioning(encoding, 0)
    empty = encoded_text(pipeline, "", emphasis).embeddings
    # The zero negative (one chunk) lengthened with the empty prompt's encoding (not zeros).
    assert conditioning.padded
    assert max_difference(conditioning.uncond, torch.cat([torch.zeros_like(empty), empty], dim=1)) == 0
    assert pads_at_some_step(encoding.plan, 3)
    assert not pads_at_some_step(plan_conditioning("cat", "", 3), 3)
    # Editing can make the lengths differ at some steps only.
    assert pads_at_some_step(plan_conditioning("cat [BREAK girl:2]", "lowres", 4), 4)


def test_the_loop_reads_each_steps_text_at_the_web_uis_boundaries(pipeline: Any) -> None:
    from kb.generate.loop import denoise_loop
    from kb.generate.samplers import build_scheduler
    from kb.generate.tiny import SDXL_SCHEDULER_CONFIG

    encoding = plan_encoding(pipeline, "[cat:dog:2] girl", "lowres", 4, "original")
    seen: list[Any] = []

    def record(_module: Any, _args: Any, kwargs: Any) -> None:
        seen.append(kwargs["encoder_hidden_states"].clone())

    handle = pipeline.unet.register_forward_pre_hook(record, with_kwargs=True)
    try:
        denoise_loop(
            pipeline,
            build_scheduler("Euler a", SDXL_SCHEDULER_CONFIG),
            [encoding],
            [1],
            steps=4,
            cfg_scale=CFG,
            width=64,
            height=64,
        )
    finally:
        handle.remove()
    cat, dog, lowres = (
        encoded_text(pipeline, text, "original").embeddings for text in ("cat girl", "dog girl", "lowres")
    )
    assert len(seen) == 4  # one pass a step: cond and uncond have the same length
    for step, expected in enumerate([cat, cat, cat, dog]):
        assert max_difference(seen[step], torch.cat([expected, lowres])) == 0
