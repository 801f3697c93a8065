"""How the denoising loop runs the UNet: eager, whole-UNet CUDA graphs, or regional torch.compile.

`bench/generate.py` measured the three on an H100 (docs/generation.md): CUDA graphs
(`torch.compile(mode="reduce-overhead")` of the whole UNet) was the fastest at batch 1 (2.19x a
plain diffusers call) and at batch 4 (1.19x), so `auto` picks `graphs` on CUDA. CUDA graphs
exist only on CUDA and compiling only pays off there, so on the CPU every mode runs eager (an
explicit `graphs` or `compiled` says so once). The choice: `--unet-mode`, else `$AIDXL_UNET_MODE`,
else `unet_mode` under `[generate]` in the config file, else `auto` (eager for `tiny-random`: a test
model, compiling it would cost more than it saves).

The compiled UNet is a wrapper around the same module (no second copy of the weights). A request
with LoRA networks runs the eager module: peft swaps layers in and out, which a captured graph
would not see.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from kb.errors import AidxlError
from kb.generate.config import pick_setting

UNET_MODE_ENV = "AIDXL_UNET_MODE"
UNET_MODES = ("auto", "eager", "graphs", "compiled")
AUTO_CUDA_MODE = "graphs"  # the fastest measured (bench/generate.py, H100, batch 1 and 4)
COMPILED_BLOCK_CLASSES = ("BasicTransformerBlock", "ResnetBlock2D")


class UnetModeError(AidxlError):
    """An unknown UNet mode name."""


@dataclass(frozen=True)
class UnetModeChoice:
    requested: str  # what the user asked for (`auto` when nothing was set)
    mode: str  # what runs: eager, graphs or compiled
    note: str | None  # one line when the request could not be honoured (CPU)


def requested_unet_mode(flag: str | None = None) -> str:
    """The mode asked for by the flag, the environment or the config file; `auto` by default."""
    value, origin = pick_setting(flag, UNET_MODE_ENV, "unet_mode")
    if value is None:
        return "auto"
    mode = value.strip().lower()
    if mode not in UNET_MODES:
        raise UnetModeError(f"UNet mode {value!r} (from {origin}) is not one of: {', '.join(UNET_MODES)}.")
    return mode


def choose_unet_mode(requested: str, device: str, *, test_model: bool = False) -> UnetModeChoice:
    """What runs on `device` for the requested mode: eager on the CPU, `auto` = graphs on CUDA
    (eager for the tiny test model, whose compile would take longer than its every use in a test)."""
    if requested == "auto" and test_model:
        return UnetModeChoice(requested, "eager", None)
    if device != "cuda":
        note = None
        if requested in ("graphs", "compiled"):
            note = f"warning: UNet mode {requested} needs a CUDA GPU; running the UNet eager on the {device}."
        return UnetModeChoice(requested, "eager", note)
    return UnetModeChoice(requested, AUTO_CUDA_MODE if requested == "auto" else requested, None)


def accelerated_unet(unet: Any, mode: str) -> Any | None:
    """The UNet to call for `mode` (None for eager: the pipeline's own module)."""
    if mode == "eager":
        return None
    import torch

    if mode == "graphs":
        # Static shapes: one captured graph per row count (1 or 2 rows a request, times the batch).
        return torch.compile(unet, mode="reduce-overhead", fullgraph=True, dynamic=False)
    import torch._dynamo

    # One code object (e.g. ResnetBlock2D.forward) serves blocks of several widths: each width is
    # its own graph, more than dynamo's default limit of 8 per code object.
    torch._dynamo.config.recompile_limit = 64
    torch._dynamo.config.accumulated_recompile_limit = 1024
    for module in unet.modules():
        if module.__class__.__name__ in COMPILED_BLOCK_CLASSES:
            module.compile(fullgraph=True)
    return None  # compiled in place: the pipeline's module is the compiled one
