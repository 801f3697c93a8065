"""A1111-parity weighted prompt encoding on the tiny-random SDXL pipeline (real encoders, random weights)."""

from __future__ import annotations

from typing import Any

import pytest

torch = pytest.importorskip("torch")

from kb.generate.encode import (  # noqa: E402
    CLIP_SEQUENCE_LENGTH,
    PromptEncodingError,
    encode_chunks,
    prompt_chunks,
)
from kb.generate.tiny import build_tiny_pipeline  # noqa: E402

PLAIN_PROMPT = "by chi4, 1girl, solo"
WEIGHTED_PROMPT = "by chi4, (1girl:1.5), solo"
# [start] by chi 4 , 1 girl , solo [end]: "1girl" is rows 5 and 6 of the chunk.
WEIGHTED_ROWS = slice(5, 7)


@pytest.fixture(scope="module")
def pipeline() -> Any:
    previous = torch.get_num_threads()
    torch.set_num_threads(1)  # tiny matrices: threads only spin on a shared CI machine
    yield build_tiny_pipeline()
    torch.set_num_threads(previous)


def encode(pipeline: Any, prompt: str, emphasis: str = "original") -> Any:
    return encode_chunks(pipeline, prompt_chunks(prompt), emphasis)


def test_unweighted_prompt_equals_the_pipelines_own_encode_prompt(pipeline: Any) -> None:
    positive = encode(pipeline, PLAIN_PROMPT)
    negative = encode(pipeline, "lowres, bad anatomy")
    with torch.no_grad():
        embeds, negative_embeds, pooled, negative_pooled = pipeline.encode_prompt(
            PLAIN_PROMPT,
            negative_prompt="lowres, bad anatomy",
            device="cpu",
            do_classifier_free_guidance=True,
        )
    assert positive.embeddings.shape == (1, 77, 64)
    torch.testing.assert_close(positive.embeddings, embeds, rtol=1e-5, atol=1e-6)
    torch.testing.assert_close(negative.embeddings, negative_embeds, rtol=1e-5, atol=1e-6)
    torch.testing.assert_close(positive.pooled, pooled, rtol=1e-5, atol=1e-6)
    torch.testing.assert_close(negative.pooled, negative_pooled, rtol=1e-5, atol=1e-6)


def test_weighted_prompt_has_the_same_tokens_as_the_plain_one(pipeline: Any) -> None:
    plain = prompt_chunks(PLAIN_PROMPT)
    weighted = prompt_chunks(WEIGHTED_PROMPT)
    assert weighted[0].tokens == plain[0].tokens == (638, 4039, 275, 267, 272, 1611, 267, 5797)
    assert weighted[0].weights == (1.0, 1.0, 1.0, 1.0, 1.5, 1.5, 1.0, 1.0)


def test_no_norm_multiplies_exactly_the_weighted_rows(pipeline: Any) -> None:
    plain = encode(pipeline, PLAIN_PROMPT, "no_norm").embeddings
    weighted = encode(pipeline, WEIGHTED_PROMPT, "no_norm").embeddings
    torch.testing.assert_close(weighted[:, WEIGHTED_ROWS], plain[:, WEIGHTED_ROWS] * 1.5)
    torch.testing.assert_close(weighted[:, :5], plain[:, :5], rtol=0, atol=0)
    torch.testing.assert_close(weighted[:, 7:], plain[:, 7:], rtol=0, atol=0)


def test_original_emphasis_restores_each_encoders_mean(pipeline: Any) -> None:
    plain = encode(pipeline, PLAIN_PROMPT, "original").embeddings
    weighted = encode(pipeline, WEIGHTED_PROMPT, "original").embeddings
    for features in (slice(0, 32), slice(32, 64)):  # encoder 1, encoder 2
        torch.testing.assert_close(weighted[..., features].mean(), plain[..., features].mean())
        rescale = weighted[0, 0, features] / plain[0, 0, features]  # the start row has weight 1
        torch.testing.assert_close(
            weighted[0, WEIGHTED_ROWS, features], plain[0, WEIGHTED_ROWS, features] * 1.5 * rescale
        )
    assert not torch.equal(weighted, plain)


def test_pooled_embedding_ignores_weights(pipeline: Any) -> None:
    torch.testing.assert_close(
        encode(pipeline, WEIGHTED_PROMPT).pooled, encode(pipeline, PLAIN_PROMPT).pooled, rtol=0, atol=0
    )


def test_200_token_prompt_gives_three_chunks_of_77(pipeline: Any) -> None:
    prompt = " ".join(["red"] * 200)
    chunks = prompt_chunks(prompt)
    assert [len(chunk.tokens) for chunk in chunks] == [75, 75, 50]
    assert encode(pipeline, prompt).embeddings.shape == (1, 3 * 77, 64)


def test_comma_backtrack_moves_the_last_tag_to_the_next_chunk(pipeline: Any) -> None:
    # 36 x "red, " = 72 tokens; the next tag crosses 75, so everything after the last comma moves on.
    prompt = "red, " * 36 + "aaa bbb ccc ddd"
    chunks = prompt_chunks(prompt)
    assert len(chunks[0].tokens) == 72
    assert chunks[0].tokens[-1] == 267


def test_break_starts_a_new_chunk(pipeline: Any) -> None:
    chunks = prompt_chunks("by chi4 BREAK 1girl")
    assert [chunk.tokens for chunk in chunks] == [(638, 4039, 275), (272, 1611)]
    assert encode(pipeline, "by chi4 BREAK 1girl").embeddings.shape == (1, 2 * CLIP_SEQUENCE_LENGTH, 64)


def test_empty_prompt_is_one_chunk_of_start_and_end(pipeline: Any) -> None:
    chunks = prompt_chunks("")
    assert [chunk.tokens for chunk in chunks] == [()]


def test_unknown_emphasis_is_refused(pipeline: Any) -> None:
    with pytest.raises(PromptEncodingError, match="emphasis 'loud' is not supported"):
        encode(pipeline, PLAIN_PROMPT, "loud")


def test_each_encoder_reads_the_text_with_its_own_tokenizer(pipeline: Any) -> None:
    """The web UI's OpenCLIP bigG tokenizer unescapes HTML (twice); CLIP-L's ftfy does not when the
    text has a `<` (it may be HTML), so `a < b &amp; c` reads differently to the two."""
    from kb.generate.encode import encode_prompt_text, encoder_chunks

    clip_l, big_g = encoder_chunks("a < b &amp; c")
    assert clip_l[0].tokens != big_g[0].tokens
    assert big_g[0].tokens == prompt_chunks("a < b & c")[0].tokens
    escaped = encode_prompt_text(pipeline, "a < b &amp; c", "original")
    plain = encode_prompt_text(pipeline, "a < b & c", "original")
    width_1 = pipeline.text_encoder.config.hidden_size
    assert torch.equal(
        escaped.embeddings[..., width_1:][:, : len(big_g[0].tokens) + 2],
        plain.embeddings[..., width_1:][:, : len(big_g[0].tokens) + 2],
    )
    assert not torch.equal(escaped.embeddings[..., :width_1], plain.embeddings[..., :width_1])
    assert torch.equal(escaped.pooled, plain.pooled)  # the pooled vector is encoder 2's


def test_a_prompt_whose_encoders_disagree_on_chunks_is_refused(pipeline: Any) -> None:
    from kb.generate.encode import encoder_chunks

    prompt = "< " + "a " * 70 + "&amp;" * 2  # 77 CLIP-L tokens (two chunks), 73 to bigG (one chunk)
    first = prompt_chunks(prompt)
    second = prompt_chunks(prompt, for_open_clip=True)
    assert (len(first), len(second)) == (2, 1)
    with pytest.raises(PromptEncodingError, match=r"2 chunks to CLIP-L but 1 to OpenCLIP bigG"):
        encoder_chunks(prompt)
