"""`aidxl preview`: a picture of what a trigger does, from the cache when it has been made before."""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path
from typing import Any

from kb.generate.acceleration import UNET_MODES, requested_unet_mode
from kb.generate.preview import PreviewOptions, cached_preview, export_png, prepare_preview
from kb.generate.progress import ProgressClock
from kb.generate.tiny import TINY_MODEL_NAME
from kb.outpath import resolve_output_file
from kb.settings import (
    DEFAULT_BASE_PROMPT,
    DEFAULT_CFG,
    DEFAULT_EMPHASIS,
    DEFAULT_SAMPLER,
    DEFAULT_SEED,
    EMPHASIS_MODES,
    SAMPLERS,
    parse_size,
)
from tui.commands.help_format import sampler_help, steps_help
from tui.commands.text_input import utf8_text

PROGRESS_BAR_WIDTH = 30


def register(subparsers: Any, common: argparse.ArgumentParser) -> None:
    """Add this group's commands to `aidxl`."""
    parser = subparsers.add_parser(
        "preview",
        parents=[common],
        help="generate (or reuse) a preview image of a trigger",
        description="Generate a preview PNG of TRIGGER placed in a base prompt, with the model card's "
        "settings, or reuse the cached one made with the same settings. Prints the PNG's path and its "
        "A1111 parameters.",
    )
    parser.add_argument(
        "trigger", metavar="TRIGGER", type=utf8_text("TRIGGER"), help='the trigger to preview, e.g. "by chi4"'
    )
    parser.add_argument(
        "--base",
        metavar="PROMPT",
        type=utf8_text("--base"),
        help=f'base prompt the trigger is placed into (default: "{DEFAULT_BASE_PROMPT}")',
    )
    parser.add_argument(
        "--negative",
        metavar="PROMPT",
        type=utf8_text("--negative"),
        help="negative prompt (default: the model page's)",
    )
    parser.add_argument(
        "--seed", type=int, default=DEFAULT_SEED, metavar="N", help=f"random seed (default: {DEFAULT_SEED})"
    )
    parser.add_argument(
        "--sampler",
        default=DEFAULT_SAMPLER,
        choices=list(SAMPLERS),
        metavar="NAME",
        help=sampler_help(),
    )
    parser.add_argument(
        "--steps",
        type=int,
        metavar="N",
        help=steps_help(),
    )
    parser.add_argument(
        "--cfg", type=float, default=DEFAULT_CFG, metavar="X", help=f"CFG scale (default: {DEFAULT_CFG:g})"
    )
    parser.add_argument(
        "--size", metavar="WxH", help="image size (default: 1024x1024; 64x64 for tiny-random)"
    )
    parser.add_argument(
        "--model",
        metavar=f"PATH|{TINY_MODEL_NAME}",
        help="SDXL .safetensors file or diffusers folder (default: $AIDXL_MODEL or the config file); "
        f"{TINY_MODEL_NAME} is a built-in random-weight test model",
    )
    parser.add_argument("--vae", metavar="PATH", help="separate VAE (.safetensors or diffusers folder)")
    parser.add_argument(
        "--model-config", metavar="DIR", help="SDXL config folder for single-file checkpoints (offline)"
    )
    parser.add_argument(
        "--allow-cpu", action="store_true", help="generate on the CPU when no GPU is found (slow)"
    )
    parser.add_argument(
        "--emphasis",
        choices=EMPHASIS_MODES,
        default=DEFAULT_EMPHASIS,
        help="prompt weight normalisation (A1111's)",
    )
    parser.add_argument(
        "--pad-conds",
        action="store_true",
        help="pad prompt and negative prompt to the same chunk count with empty-prompt chunks (the web UI's "
        "'Pad prompt/negative prompt'; written as 'Pad conds: True'); default: run them unpadded",
    )
    parser.add_argument(
        "--lora-dir",
        metavar="DIR",
        help="folder of the LoRA files <lora:NAME:W> names (NAME.safetensors anywhere under it; default: "
        "$AIDXL_LORA_DIR or lora_dir under [generate] in the config file)",
    )
    parser.add_argument(
        "--ignore-missing-networks",
        action="store_true",
        help="generate without a <lora:...> whose file is not found (one warning) instead of stopping",
    )
    parser.add_argument(
        "--unet-mode",
        choices=UNET_MODES,
        help="how the UNet runs: auto (CUDA graphs on a GPU, eager on the CPU), eager, graphs (whole-UNet "
        "CUDA graphs) or compiled (regional torch.compile); default: $AIDXL_UNET_MODE, the config or auto",
    )
    parser.add_argument("--out", metavar="FILE", help="also write the PNG here")
    parser.add_argument("--json", action="store_true", help="print {path, cached, parameters} as JSON")
    parser.set_defaults(run=run_preview)


def run_preview(args: argparse.Namespace) -> int:
    unet_mode = requested_unet_mode(args.unet_mode)  # a bad name in the environment or config stops here
    if args.out:  # a directory, a FIFO or a device there: one sentence now, not after generating
        resolve_output_file(Path(args.out), what="preview PNG")
    options = PreviewOptions(
        trigger=args.trigger,
        base=args.base,
        negative=args.negative,
        seed=args.seed,
        sampler=args.sampler,
        steps=args.steps,
        cfg_scale=args.cfg,
        size=parse_size(args.size) if args.size else None,
        emphasis=args.emphasis,
        pad_conds=args.pad_conds,
        lora_dir=args.lora_dir,
        ignore_missing_networks=args.ignore_missing_networks,
    )
    prepared = prepare_preview(options, model=args.model, vae=args.vae, model_config=args.model_config)
    for warning in prepared.warnings:
        print(f"aidxl: warning: {warning}", file=sys.stderr)
    preview = cached_preview(prepared)
    cached = preview is not None
    if preview is None:
        preview = _generate(prepared, allow_cpu=args.allow_cpu, unet_mode=unet_mode)
    path = export_png(preview, Path(args.out)) if args.out else preview.png_path
    if preview.random_weights:
        print(
            f"aidxl: warning: {prepared.identity.label}: this picture shows nothing of AIDXL.",
            file=sys.stderr,
        )
    if args.json:
        print(
            json.dumps(
                {"path": str(path), "cached": cached, "parameters": preview.parameters}, ensure_ascii=False
            )
        )
    else:
        print(path)
        print(preview.parameters)
    return 0


def _generate(prepared: Any, *, allow_cpu: bool, unet_mode: str) -> Any:
    """Load the model and generate, drawing progress on stderr (imports torch)."""
    os.environ.setdefault("TRANSFORMERS_VERBOSITY", "error")  # keep optional-backend notices off stderr
    from kb.generate.engine import StepProgress, generate_preview
    from kb.generate.loading import choose_device, load_model

    device = choose_device(prepared.source, allow_cpu=allow_cpu)
    if prepared.source.kind == "tiny":
        import torch

        torch.set_num_threads(1)  # the toy model's matrices are too small to gain from threads
    if device.warning:
        print(f"aidxl: {device.warning}", file=sys.stderr)
    model = load_model(prepared.source, device, prepared.identity, unet_mode=unet_mode)
    if model.unet_note:
        print(f"aidxl: {model.unet_note}", file=sys.stderr)
    interactive = sys.stderr.isatty()
    clock = ProgressClock("step")  # the explorer's estimator too: `step 7/20 · 0.40 s/step · ETA 0:05`

    def show_progress(progress: StepProgress) -> None:
        label = clock.update(progress.step, progress.total).label
        if interactive:
            filled = PROGRESS_BAR_WIDTH * progress.step // progress.total
            bar = "#" * filled + "." * (PROGRESS_BAR_WIDTH - filled)
            end = "\n" if progress.step == progress.total else ""
            print(f"\r[{bar}] {label}", end=end, file=sys.stderr, flush=True)
        else:
            print(label, file=sys.stderr, flush=True)

    return generate_preview(model, prepared.request, on_step=show_progress)
