"""A1111-exact weighted prompt encoding for SDXL's two CLIP text encoders.

The prompt is parsed by `kb.prompt.attention` and cut into 75-token chunks by `kb.prompt.tokens` (comma
backtrack and BREAK included); nothing here re-parses prompt text. Per chunk and per encoder,
as the web UI's `sd_hijack_clip.FrozenCLIPEmbedderWithCustomWordsBase.process_tokens` does:

1. ids = [start] + chunk tokens + [end], padded to 77 with the encoder's pad id
   (CLIP ViT-L pads with the end token 49407, OpenCLIP bigG with "!" = 0);
2. the penultimate hidden state (`hidden_states[-2]`, SDXL's layer for both encoders);
3. each token row multiplied by its weight (start, end and padding weigh 1);
4. emphasis `original` then rescales the chunk so its mean equals the mean before weighting
   (one mean per encoder and chunk, as each web UI embedder applies emphasis on its own);
   `no_norm` stops after the multiplication.

The two encoders' rows are concatenated on the feature axis (768 + 1280 = 2048 in SDXL) and the
chunks on the token axis. The pooled embedding is encoder 2's projected `text_embeds` of the
FIRST chunk, unweighted. Each text is encoded alone: which text at which step, AND parts, the
all-zero empty negative and (optional) cond/uncond padding are `kb.generate.conditioning`'s.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from kb.errors import AidxlError
from kb.settings import EMPHASIS_MODES

# Bump when the encoding maths change: it is part of every preview's cache key.
WEIGHTING_VERSION = "a1111-2"
# Names the web UI writes in its `Emphasis:` infotext field.
EMPHASIS_INFOTEXT_NAMES = {"original": "Original", "no_norm": "No norm"}
CHUNK_TOKEN_COUNT = 75
CLIP_SEQUENCE_LENGTH = CHUNK_TOKEN_COUNT + 2
CLIP_START_ID = 49406
CLIP_END_ID = 49407


class PromptEncodingError(AidxlError):
    """A prompt cannot be encoded (bad emphasis mode, a chunk longer than 75 tokens)."""


class TokenChunkLike(Protocol):
    """What the encoder needs of `kb.prompt.tokens.TokenChunk`: ≤ 75 ids, no start/end, one weight each."""

    @property
    def tokens(self) -> tuple[int, ...]: ...

    @property
    def weights(self) -> tuple[float, ...]: ...


@dataclass(frozen=True)
class EmptyChunk:
    """A chunk with no tokens: the empty prompt's one chunk (start and end tokens only)."""

    tokens: tuple[int, ...] = ()
    weights: tuple[float, ...] = ()


@dataclass(frozen=True)
class EncodedPrompt:
    """Token embeddings [1, 77 x chunks, dim1 + dim2] and pooled embedding [1, projection_dim]."""

    embeddings: Any
    pooled: Any


def prompt_chunks(prompt: str, *, for_open_clip: bool = False) -> list[TokenChunkLike]:
    """The kb parser's segments and weights cut into CLIP chunks by `kb.prompt.tokens` (at least one).

    Each encoder's tokenizer cleans text its own way in the web UI: CLIP-L with ftfy and blank
    folding, OpenCLIP bigG also unescaping HTML twice (`&amp;` is `&` to it). `for_open_clip`
    gives encoder 2's chunks."""
    from kb.prompt.attention import parse_prompt_attention
    from kb.prompt.clip_bpe import TextCleaning, get_tokenizer
    from kb.prompt.tokens import chunk_segments

    cleaning = TextCleaning.OPEN_CLIP if for_open_clip else TextCleaning.CLIP_L
    segments = parse_prompt_attention(prompt)
    chunks: list[TokenChunkLike] = list(chunk_segments(segments, tokenizer=get_tokenizer(cleaning)))
    return chunks if chunks else [EmptyChunk()]


def encoder_chunks(prompt: str) -> tuple[list[TokenChunkLike], list[TokenChunkLike]]:
    """(CLIP-L's chunks, OpenCLIP bigG's chunks) of a prompt; they must be as many, as in the web UI,
    which concatenates the two encoders' outputs on the feature axis."""
    first, second = prompt_chunks(prompt), prompt_chunks(prompt, for_open_clip=True)
    if len(first) != len(second):
        raise PromptEncodingError(
            f"the prompt is {len(first)} chunks to CLIP-L but {len(second)} to OpenCLIP bigG (HTML "
            "entities such as `&amp;` read as one character by bigG move a 75-token border); the web UI "
            "cannot encode it either: write the characters themselves"
        )
    return first, second


def check_emphasis(emphasis: str) -> None:
    if emphasis not in EMPHASIS_MODES:
        raise PromptEncodingError(
            f"emphasis {emphasis!r} is not supported; choose one of: {', '.join(EMPHASIS_MODES)}."
        )


def chunk_ids_and_weights(chunk: TokenChunkLike, pad_id: int) -> tuple[list[int], list[float]]:
    """[start] + tokens + [end] padded to 77 with `pad_id`, and the matching per-token weights."""
    if len(chunk.tokens) > CHUNK_TOKEN_COUNT or len(chunk.tokens) != len(chunk.weights):
        raise PromptEncodingError(
            f"a prompt chunk has {len(chunk.tokens)} tokens and {len(chunk.weights)} weights; "
            f"each chunk needs at most {CHUNK_TOKEN_COUNT} tokens with one weight per token."
        )
    ids = [CLIP_START_ID, *chunk.tokens, CLIP_END_ID]
    weights = [1.0, *chunk.weights, 1.0]
    padding = CLIP_SEQUENCE_LENGTH - len(ids)
    return ids + [pad_id] * padding, weights + [1.0] * padding


def apply_emphasis(hidden: Any, weights: Any, emphasis: str) -> Any:
    """Multiply each token row by its weight; `original` then restores the chunk's mean."""
    weighted = hidden * weights.reshape(1, -1, 1)
    if emphasis == "no_norm":
        return weighted
    original_mean = hidden.float().mean()
    weighted_mean = weighted.float().mean()
    return (weighted * (original_mean / weighted_mean)).to(hidden.dtype)


def encode_chunks(
    pipeline: Any,
    chunks: Sequence[TokenChunkLike],
    emphasis: str,
    chunks_2: Sequence[TokenChunkLike] | None = None,
) -> EncodedPrompt:
    """Encode chunks with both SDXL text encoders (see the module docstring for the maths);
    `chunks_2`: encoder 2's own chunks (`encoder_chunks`), else the same as encoder 1's."""
    import torch

    check_emphasis(emphasis)
    per_encoder_chunks = (chunks, chunks if chunks_2 is None else chunks_2)
    if len(per_encoder_chunks[0]) != len(per_encoder_chunks[1]):
        raise PromptEncodingError("the two encoders' chunk lists differ in length; see encoder_chunks")
    encoders = (
        (pipeline.text_encoder, _pad_id(pipeline.tokenizer)),
        (pipeline.text_encoder_2, _pad_id(pipeline.tokenizer_2)),
    )
    chunk_embeddings = []
    pooled = None
    with torch.no_grad():
        for chunk_index in range(len(chunks)):
            per_encoder = []
            for encoder_index, (encoder, pad_id) in enumerate(encoders):
                chunk = per_encoder_chunks[encoder_index][chunk_index]
                ids, weights = chunk_ids_and_weights(chunk, pad_id)
                device = encoder.device
                output = encoder(
                    torch.tensor([ids], dtype=torch.long, device=device), output_hidden_states=True
                )
                hidden = output.hidden_states[-2]
                weight_tensor = torch.tensor(weights, dtype=hidden.dtype, device=device)
                per_encoder.append(apply_emphasis(hidden, weight_tensor, emphasis))
                if encoder_index == 1 and chunk_index == 0:
                    pooled = output.text_embeds
            chunk_embeddings.append(torch.cat(per_encoder, dim=-1))
    return EncodedPrompt(embeddings=torch.cat(chunk_embeddings, dim=1), pooled=pooled)


def encode_prompt_text(pipeline: Any, prompt: str, emphasis: str) -> EncodedPrompt:
    """One text encoded as the web UI encodes it: each encoder with its own tokenizer's chunks."""
    first, second = encoder_chunks(prompt)
    return encode_chunks(pipeline, first, emphasis, second)


def _pad_id(tokenizer: Any) -> int:
    pad_id = tokenizer.pad_token_id
    return int(pad_id) if pad_id is not None else CLIP_END_ID
