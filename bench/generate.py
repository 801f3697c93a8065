"""Benchmark: seconds per SDXL image, our preview path against a plain diffusers call.

GPU mode (default): a full-size SDXL UNet + VAE (+ both CLIP text encoders) with random weights
from the SDXL-base configuration written below (no download), 1024x1024, 28 steps `Euler a`
with CFG, batch 1 and 4:

  baseline   a plain `StableDiffusionXLPipeline(...)(prompt)` call (its default scheduler, CFG 5,
             bf16 weights, diffusers' default SDPA attention), measured in the same run;
  eager      our product path (kb.generate.loop, the previews' one denoising loop): bf16 + SDPA,
             fused QKV projections, prompt encoded once;
  graphs     the same with the whole UNet compiled with CUDA graphs (`mode="reduce-overhead"`), made by
             the product's `kb.generate.acceleration` (what `auto` picks on CUDA);
  compiled   the eager path with regional `torch.compile` (every transformer and ResNet block).

It prints s/image, images/s, the ratio to the baseline, and the utilisation against the FLOP
budget of 13.5 TFLOP per CFG step + 10.5 TFLOP per VAE decode at the card's measured bf16 matmul
peak (plus the FLOPs counted by torch's FlopCounterMode on this model, as a check on those constants).

`--tiny` runs every stage on the CPU with the built-in tiny-random pipeline at 64x64 (fp32, no
compile unless `--compile`): the CI smoke test. Its figures say nothing about a GPU.

    .venv/bin/python bench/generate.py            # on a CUDA machine
    .venv/bin/python bench/generate.py --tiny     # anywhere, a few seconds
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

TFLOP_PER_CFG_STEP = 13.5  # two SDXL UNet passes at 1024x1024 (cond + uncond)
TFLOP_PER_DECODE = 10.5  # one SDXL VAE decode at 1024x1024
PROMPT = "by chi4, 1girl, solo, upper body, looking at viewer, beautiful color, detailed, (best quality:1.2)"

SDXL_UNET_CONFIG: dict[str, Any] = {
    "act_fn": "silu",
    "addition_embed_type": "text_time",
    "addition_embed_type_num_heads": 64,
    "addition_time_embed_dim": 256,
    "attention_head_dim": [5, 10, 20],
    "block_out_channels": [320, 640, 1280],
    "center_input_sample": False,
    "cross_attention_dim": 2048,
    "down_block_types": ["DownBlock2D", "CrossAttnDownBlock2D", "CrossAttnDownBlock2D"],
    "downsample_padding": 1,
    "flip_sin_to_cos": True,
    "freq_shift": 0,
    "in_channels": 4,
    "layers_per_block": 2,
    "mid_block_scale_factor": 1,
    "norm_eps": 1e-05,
    "norm_num_groups": 32,
    "out_channels": 4,
    "projection_class_embeddings_input_dim": 2816,
    "resnet_time_scale_shift": "default",
    "sample_size": 128,
    "transformer_layers_per_block": [1, 2, 10],
    "up_block_types": ["CrossAttnUpBlock2D", "CrossAttnUpBlock2D", "UpBlock2D"],
    "use_linear_projection": True,
}
SDXL_VAE_CONFIG: dict[str, Any] = {
    "act_fn": "silu",
    "block_out_channels": [128, 256, 512, 512],
    "down_block_types": ["DownEncoderBlock2D"] * 4,
    "in_channels": 3,
    "latent_channels": 4,
    "layers_per_block": 2,
    "norm_num_groups": 32,
    "out_channels": 3,
    "sample_size": 1024,
    "scaling_factor": 0.13025,
    "up_block_types": ["UpDecoderBlock2D"] * 4,
    "force_upcast": True,
}
CLIP_L_CONFIG: dict[str, Any] = {
    "hidden_size": 768,
    "intermediate_size": 3072,
    "num_attention_heads": 12,
    "num_hidden_layers": 12,
    "projection_dim": 768,
    "hidden_act": "quick_gelu",
}
OPENCLIP_BIGG_CONFIG: dict[str, Any] = {
    "hidden_size": 1280,
    "intermediate_size": 5120,
    "num_attention_heads": 20,
    "num_hidden_layers": 32,
    "projection_dim": 1280,
    "hidden_act": "gelu",
}
COMPILED_BLOCK_CLASSES = ("BasicTransformerBlock", "ResnetBlock2D")


@dataclass(frozen=True)
class BenchSetup:
    device: str
    dtype: Any
    width: int
    height: int
    steps: int
    batches: tuple[int, ...]
    repeats: int
    compile: bool
    tiny: bool


@dataclass(frozen=True)
class Row:
    variant: str
    batch: int
    seconds_per_image: float


def build_full_size_pipeline(device: str, dtype: Any) -> Any:
    """SDXL base at full size with random weights, from the configs above (no download)."""
    import torch
    from diffusers import (
        AutoencoderKL,
        EulerDiscreteScheduler,
        StableDiffusionXLPipeline,
        UNet2DConditionModel,
    )
    from transformers import CLIPTextConfig, CLIPTextModel, CLIPTextModelWithProjection

    from kb.generate.tiny import SDXL_SCHEDULER_CONFIG, build_clip_tokenizers

    torch.manual_seed(0)
    with torch.device(device):
        unet = UNet2DConditionModel(**SDXL_UNET_CONFIG).to(dtype)
        vae = AutoencoderKL(**SDXL_VAE_CONFIG).to(dtype)
        common = {
            "vocab_size": 49408,
            "max_position_embeddings": 77,
            "bos_token_id": 49406,
            "eos_token_id": 49407,
        }
        text_encoder = CLIPTextModel(CLIPTextConfig(**CLIP_L_CONFIG, **common)).to(dtype)
        text_encoder_2 = CLIPTextModelWithProjection(CLIPTextConfig(**OPENCLIP_BIGG_CONFIG, **common)).to(
            dtype
        )
    tokenizer, tokenizer_2 = build_clip_tokenizers()
    pipeline = StableDiffusionXLPipeline(
        vae=vae,
        text_encoder=text_encoder,
        text_encoder_2=text_encoder_2,
        tokenizer=tokenizer,
        tokenizer_2=tokenizer_2,
        unet=unet,
        scheduler=EulerDiscreteScheduler.from_config(SDXL_SCHEDULER_CONFIG),
        add_watermarker=False,
    )
    pipeline.set_progress_bar_config(disable=True)
    return pipeline


def build_tiny_pipeline() -> Any:
    from kb.generate.tiny import build_tiny_pipeline as build

    return build()


def synchronize(device: str) -> None:
    import torch

    if device == "cuda":
        torch.cuda.synchronize()


def seconds_per_image(setup: BenchSetup, batch: int, run: Callable[[], Any]) -> float:
    run()  # warm-up (and compilation)
    synchronize(setup.device)
    started = time.perf_counter()
    for _ in range(setup.repeats):
        run()
    synchronize(setup.device)
    return (time.perf_counter() - started) / (setup.repeats * batch)


def plain_call(pipeline: Any, setup: BenchSetup, batch: int) -> Callable[[], Any]:
    """What a user of diffusers writes: the pipeline's defaults, prompt text in, images out."""
    import torch

    def run() -> Any:
        return pipeline(
            PROMPT,
            height=setup.height,
            width=setup.width,
            num_inference_steps=setup.steps,
            num_images_per_prompt=batch,
            generator=torch.Generator("cpu").manual_seed(0),
            output_type="np",
        ).images

    return run


def preview_path(pipeline: Any, setup: BenchSetup, batch: int, unet: Any = None) -> Callable[[], Any]:
    """Our product path: the prompt's plan encoded once, the previews' denoising loop
    (`kb.generate.loop`, `Euler a` + CFG 7, one seed per image), VAE decode."""
    import torch

    from kb.generate.conditioning import encode_empty_prompt, encode_plan
    from kb.generate.loop import denoise_loop
    from kb.generate.prompt_plan import plan_conditioning
    from kb.generate.samplers import build_scheduler

    plan = plan_conditioning(PROMPT, "lowres", setup.steps)
    with torch.inference_mode():
        encoding = encode_plan(
            pipeline, plan, "original", empty_prompt=encode_empty_prompt(pipeline), pad_conds=False
        )
    base_config = dict(pipeline.scheduler.config)
    vae = pipeline.vae

    def run() -> Any:
        latents = denoise_loop(
            pipeline,
            build_scheduler("Euler a", base_config),
            [encoding] * batch,
            list(range(batch)),
            steps=setup.steps,
            cfg_scale=7.0,
            width=setup.width,
            height=setup.height,
            unet=unet,
        )
        with torch.inference_mode():
            images = vae.decode(latents.to(vae.dtype) / vae.config.scaling_factor, return_dict=False)[0]
        return images

    return run


def optimise_eager(pipeline: Any, setup: BenchSetup) -> None:
    """bf16 + SDPA (diffusers' default processor), fused QKV projections."""

    if setup.tiny:
        return
    # No channels-last: measured on an H100 it made the eager path slower (GroupNorm converts back).
    pipeline.unet.fuse_qkv_projections()
    pipeline.vae.fuse_qkv_projections()


def compile_regions(pipeline: Any) -> None:
    """Regional torch.compile: each repeated block once, not the whole graph (fast to compile)."""
    import torch._dynamo

    # One code object (e.g. ResnetBlock2D.forward) serves blocks of several widths: each width is
    # its own graph, more than dynamo's default limit of 8 per code object.
    torch._dynamo.config.recompile_limit = 64
    torch._dynamo.config.accumulated_recompile_limit = 1024
    for model in (pipeline.unet, pipeline.vae.decoder):
        for module in model.modules():
            if module.__class__.__name__ in COMPILED_BLOCK_CLASSES:
                module.compile(fullgraph=True)


def matmul_peak_tflops(device: str, dtype: Any) -> float:
    """Measured dense matmul throughput of this device in this dtype."""
    import torch

    size = 8192 if device == "cuda" else 512
    left = torch.randn(size, size, device=device, dtype=dtype)
    right = torch.randn(size, size, device=device, dtype=dtype)
    for _ in range(3):
        left @ right
    synchronize(device)
    repeats = 50 if device == "cuda" else 5
    started = time.perf_counter()
    for _ in range(repeats):
        left @ right
    synchronize(device)
    return 2 * size**3 * repeats / (time.perf_counter() - started) / 1e12


def counted_tflop(pipeline: Any, setup: BenchSetup) -> tuple[float, float]:
    """(TFLOP per CFG step, TFLOP per decode) counted by FlopCounterMode on this model, batch 1."""
    import torch
    from torch.utils.flop_counter import FlopCounterMode

    unet, vae = pipeline.unet, pipeline.vae
    latent_h, latent_w = setup.height // 8, setup.width // 8
    cross_dim = unet.config.cross_attention_dim
    pooled_dim = unet.config.projection_class_embeddings_input_dim - 6 * unet.config.addition_time_embed_dim
    params = {"device": setup.device, "dtype": setup.dtype}
    with torch.inference_mode():
        latents = torch.randn(2, 4, latent_h, latent_w, **params)
        conditions = {
            "text_embeds": torch.randn(2, pooled_dim, **params),
            "time_ids": torch.tensor(
                [[setup.height, setup.width, 0, 0, setup.height, setup.width]] * 2, **params
            ),
        }
        with FlopCounterMode(display=False) as step_counter:
            unet(
                latents,
                500,
                encoder_hidden_states=torch.randn(2, 77, cross_dim, **params),
                added_cond_kwargs=conditions,
            )
        with FlopCounterMode(display=False) as decode_counter:
            vae.decode(latents[:1])
    return step_counter.get_total_flops() / 1e12, decode_counter.get_total_flops() / 1e12


def run_benchmark(setup: BenchSetup) -> None:
    import torch

    pipeline = build_tiny_pipeline() if setup.tiny else build_full_size_pipeline(setup.device, setup.dtype)
    pipeline.to(setup.device)
    card = torch.cuda.get_device_name() if setup.device == "cuda" else "CPU"
    dtype_name = str(setup.dtype).removeprefix("torch.")
    print(
        f"device: {card}; {dtype_name}; {setup.width}x{setup.height}; {setup.steps} steps; "
        f"torch {torch.__version__}; threads {torch.get_num_threads()}"
    )
    if setup.tiny:
        print("tiny-random pipeline (RANDOM WEIGHTS): a smoke test of the code path, not a GPU figure")
    peak = matmul_peak_tflops(setup.device, setup.dtype)
    step_tflop, decode_tflop = counted_tflop(pipeline, setup)
    print(
        f"measured matmul peak: {peak:.3g} TFLOP/s; counted on this model: {step_tflop:.4g} TFLOP per CFG "
        f"step, {decode_tflop:.4g} TFLOP per decode"
    )
    budget_step, budget_decode = (
        (step_tflop, decode_tflop) if setup.tiny else (TFLOP_PER_CFG_STEP, TFLOP_PER_DECODE)
    )
    flop_limit = (setup.steps * budget_step + budget_decode) / peak  # seconds per image at 100 %

    rows: list[Row] = []
    for batch in setup.batches:
        rows.append(
            Row("baseline", batch, seconds_per_image(setup, batch, plain_call(pipeline, setup, batch)))
        )
        print(f"measured: {rows[-1]}", flush=True)
    optimise_eager(pipeline, setup)
    for batch in setup.batches:
        rows.append(
            Row("eager", batch, seconds_per_image(setup, batch, preview_path(pipeline, setup, batch)))
        )
        print(f"measured: {rows[-1]}", flush=True)
    if setup.compile and not setup.tiny:
        # Whole-UNet compile with CUDA graphs, as the product makes it (`kb.generate.acceleration`,
        # what `auto` picks on CUDA): at batch 1 the eager UNet is launch-bound.
        from kb.generate.acceleration import accelerated_unet, choose_unet_mode

        print(f"product UNet mode (auto) on {setup.device}: {choose_unet_mode('auto', setup.device).mode}")
        graphs_unet = accelerated_unet(pipeline.unet, "graphs")
        for batch in setup.batches:
            run = preview_path(pipeline, setup, batch, unet=graphs_unet)
            rows.append(Row("graphs", batch, seconds_per_image(setup, batch, run)))
            print(f"measured: {rows[-1]}", flush=True)
        import torch._dynamo

        torch._dynamo.reset()
    if setup.compile:
        compile_regions(pipeline)
        for batch in setup.batches:
            rows.append(
                Row("compiled", batch, seconds_per_image(setup, batch, preview_path(pipeline, setup, batch)))
            )
            print(f"measured: {rows[-1]}", flush=True)

    baseline = {row.batch: row.seconds_per_image for row in rows if row.variant == "baseline"}
    print(f"FLOP limit at the measured peak: {flop_limit:.4g} s/image")
    print(f"{'variant':<10}{'batch':>6}{'s/image':>12}{'images/s':>12}{'vs baseline':>13}{'utilisation':>13}")
    for row in rows:
        speedup = baseline[row.batch] / row.seconds_per_image
        utilisation = flop_limit / row.seconds_per_image
        print(
            f"{row.variant:<10}{row.batch:>6}{row.seconds_per_image:>12.4f}{1 / row.seconds_per_image:>12.2f}"
            f"{speedup:>12.2f}x{utilisation:>12.1%}"
        )


def parse_args(argv: list[str] | None) -> BenchSetup:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--tiny", action="store_true", help="CPU smoke test with the tiny-random model at 64x64"
    )
    parser.add_argument("--steps", type=int, help="denoising steps (default: 28; 4 with --tiny)")
    parser.add_argument("--size", type=int, help="square image side (default: 1024; 64 with --tiny)")
    parser.add_argument(
        "--batches", default=None, help="comma-separated batch sizes (default: 1,4; 1,2 with --tiny)"
    )
    parser.add_argument(
        "--repeats", type=int, default=None, help="timed runs per row (default: 3; 2 with --tiny)"
    )
    parser.add_argument(
        "--compile",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="include the regional torch.compile rows (default: on GPU only)",
    )
    args = parser.parse_args(argv)
    from kb.errors import GenerationExtraMissing
    from kb.generate.extra import require_generation_extra

    try:
        require_generation_extra()  # the CLI's one line, not a traceback, without the gpu extra
    except GenerationExtraMissing as error:
        parser.exit(2, f"{parser.prog}: {error}\n")
    import torch

    if args.tiny:
        torch.set_num_threads(1)  # toy matrices: threads only spin on a shared CI machine
        device, dtype = "cpu", torch.float32
    elif torch.cuda.is_available():
        device, dtype = "cuda", torch.bfloat16
    else:
        parser.error("no CUDA GPU is available to torch; run with --tiny for the CPU smoke test")
    side = args.size or (64 if args.tiny else 1024)
    return BenchSetup(
        device=device,
        dtype=dtype,
        width=side,
        height=side,
        steps=args.steps or (4 if args.tiny else 28),
        batches=tuple(int(b) for b in (args.batches or ("1,2" if args.tiny else "1,4")).split(",")),
        repeats=args.repeats or (2 if args.tiny else 3),
        compile=args.compile if args.compile is not None else not args.tiny,
        tiny=args.tiny,
    )


def main(argv: list[str] | None = None) -> int:
    run_benchmark(parse_args(argv))
    return 0


if __name__ == "__main__":
    sys.exit(main())
