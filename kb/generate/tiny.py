"""The built-in `tiny-random` SDXL pipeline: SDXL's layout at toy size with random weights.

Built from configs written here (no download) for tests and CPU demos. Its text encoders use
the real CLIP BPE vocabulary (`kb.prompt.clip_bpe`, from any `kb.prompt.clip_vocab` provider), so
token ids and chunking match the real model; only the weights are random, and every output says so.
"""

from __future__ import annotations

import importlib
import tempfile
from pathlib import Path
from typing import Any

TINY_MODEL_NAME = "tiny-random"
TINY_MODEL_LABEL = "tiny-random (RANDOM WEIGHTS, not AIDXL)"
TINY_MODEL_HASH = "tinyrand"
TINY_WEIGHTS_SEED = 0
CLIP_VOCAB_SIZE = 49408
CLIP_START_ID = 49406
CLIP_END_ID = 49407
# The real SDXL `tokenizer_2` (OpenCLIP bigG) pads with "!" (id 0); `tokenizer` pads with the end token.
OPENCLIP_PAD_TOKEN = "!"

# SDXL base 1.0 `scheduler/scheduler_config.json`, the config every sampler is built from.
SDXL_SCHEDULER_CONFIG: dict[str, Any] = {
    "_class_name": "EulerDiscreteScheduler",
    "beta_end": 0.012,
    "beta_schedule": "scaled_linear",
    "beta_start": 0.00085,
    "clip_sample": False,
    "interpolation_type": "linear",
    "num_train_timesteps": 1000,
    "prediction_type": "epsilon",
    "sample_max_value": 1.0,
    "set_alpha_to_one": False,
    "skip_prk_steps": True,
    "steps_offset": 1,
    "timestep_spacing": "leading",
    "trained_betas": None,
    "use_karras_sigmas": False,
}


def build_clip_tokenizers() -> tuple[Any, Any]:
    """(CLIP-L tokenizer padding with the end token, OpenCLIP-bigG tokenizer padding with "!")."""
    from transformers import CLIPTokenizer

    from kb.prompt.clip_bpe import write_hf_tokenizer_files

    with tempfile.TemporaryDirectory(prefix="aidxl-clip-") as folder:
        write_hf_tokenizer_files(Path(folder))
        vocab_file = str(Path(folder) / "vocab.json")
        merges_file = str(Path(folder) / "merges.txt")
        tokenizer = CLIPTokenizer(vocab=vocab_file, merges=merges_file, model_max_length=77)
        tokenizer_2 = CLIPTokenizer(
            vocab=vocab_file, merges=merges_file, model_max_length=77, pad_token=OPENCLIP_PAD_TOKEN
        )
    return tokenizer, tokenizer_2


def build_tiny_pipeline() -> Any:
    """A StableDiffusionXLPipeline with toy-sized random weights (fp32, CPU), seeded for repeatability."""
    import torch

    # Typed as Any: diffusers ships no type information for these constructors.
    diffusers: Any = importlib.import_module("diffusers")
    from transformers import CLIPTextConfig, CLIPTextModel, CLIPTextModelWithProjection

    torch.manual_seed(TINY_WEIGHTS_SEED)
    text_hidden_size = 32
    unet = diffusers.UNet2DConditionModel(
        block_out_channels=(32, 64),
        layers_per_block=1,
        sample_size=8,
        in_channels=4,
        out_channels=4,
        down_block_types=("DownBlock2D", "CrossAttnDownBlock2D"),
        up_block_types=("CrossAttnUpBlock2D", "UpBlock2D"),
        attention_head_dim=(2, 4),
        use_linear_projection=True,
        addition_embed_type="text_time",
        addition_time_embed_dim=8,
        transformer_layers_per_block=(1, 2),
        # six size/crop numbers x addition_time_embed_dim + the pooled embedding of encoder 2
        projection_class_embeddings_input_dim=6 * 8 + text_hidden_size,
        cross_attention_dim=2 * text_hidden_size,
        norm_num_groups=8,
    )
    # Four blocks: SDXL's 8x downscale, so a 64x64 image is an 8x8 latent as in the real model.
    vae = diffusers.AutoencoderKL(
        block_out_channels=(8, 16, 16, 16),
        in_channels=3,
        out_channels=3,
        down_block_types=("DownEncoderBlock2D",) * 4,
        up_block_types=("UpDecoderBlock2D",) * 4,
        latent_channels=4,
        layers_per_block=1,
        norm_num_groups=8,
        sample_size=64,
        scaling_factor=0.13025,
        force_upcast=False,
    )
    text_config = CLIPTextConfig(
        bos_token_id=CLIP_START_ID,
        eos_token_id=CLIP_END_ID,
        hidden_size=text_hidden_size,
        intermediate_size=37,
        layer_norm_eps=1e-05,
        num_attention_heads=4,
        num_hidden_layers=3,
        pad_token_id=1,
        vocab_size=CLIP_VOCAB_SIZE,
        hidden_act="gelu",
        projection_dim=text_hidden_size,
    )
    text_encoder = CLIPTextModel(text_config)
    text_encoder_2 = CLIPTextModelWithProjection(text_config)
    tokenizer, tokenizer_2 = build_clip_tokenizers()
    scheduler = diffusers.EulerDiscreteScheduler.from_config(SDXL_SCHEDULER_CONFIG)
    pipeline = diffusers.StableDiffusionXLPipeline(
        vae=vae,
        text_encoder=text_encoder,
        text_encoder_2=text_encoder_2,
        tokenizer=tokenizer,
        tokenizer_2=tokenizer_2,
        unet=unet,
        scheduler=scheduler,
        force_zeros_for_empty_prompt=True,
        add_watermarker=False,
    )
    pipeline.set_progress_bar_config(disable=True)
    return pipeline
