"""(b) How far CLIP-L's outputs for a trigger moved from base's (torch: the gpu extra).

Only CLIP-L is run: its weights map one to one from both layouts, and it is the cheaper encoder
(123 M parameters against bigG's 695 M). Each trigger is encoded as `<start> by name <end>`; CLIP's
attention is causal, so padding after `<end>` changes nothing before it. The drift is the mean over
those positions of |h_tuned - h_base| / |h_base| of the last hidden states.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from kb.discover.weights import DIFFUSERS_FOLDERS, SINGLE_FILE_CLIP_L_PREFIX, CheckpointError
from kb.prompt.clip_bpe import get_tokenizer

CLIP_START_ID = 49406
CLIP_END_ID = 49407
MAX_TOKENS = 77
BATCH = 64
# OpenAI CLIP ViT-L/14's text tower, as SDXL's first encoder uses it (single files carry no config).
CLIP_L_CONFIG = {
    "hidden_size": 768,
    "intermediate_size": 3072,
    "num_attention_heads": 12,
    "num_hidden_layers": 12,
    "max_position_embeddings": 77,
    "hidden_act": "quick_gelu",
    "projection_dim": 768,
    "bos_token_id": CLIP_START_ID,
    "eos_token_id": CLIP_END_ID,
    "vocab_size": 49408,
}


def load_clip_l(checkpoint: Path) -> Any:
    """CLIP-L of a diffusers folder or a single file, float32 on the CPU, in eval mode."""
    import torch
    from transformers import CLIPTextConfig, CLIPTextModel

    if checkpoint.is_dir():
        model = CLIPTextModel.from_pretrained(
            checkpoint / DIFFUSERS_FOLDERS[0], local_files_only=True, torch_dtype=torch.float32
        )
        return model.eval()
    from safetensors import safe_open

    state: dict[str, Any] = {}
    with safe_open(str(checkpoint), framework="pt") as opened:
        for key in opened.keys():  # noqa: SIM118 - safe_open is not a Mapping
            if key.startswith(SINGLE_FILE_CLIP_L_PREFIX):
                state[key[len(SINGLE_FILE_CLIP_L_PREFIX) :]] = opened.get_tensor(key).float()
    if not state:
        raise CheckpointError(f"{checkpoint}: no CLIP-L weights ({SINGLE_FILE_CLIP_L_PREFIX}…)")
    model = CLIPTextModel(CLIPTextConfig(**CLIP_L_CONFIG))
    if not any(key.startswith("text_model.") for key in model.state_dict()):  # transformers >= 5
        state = {key.removeprefix("text_model."): value for key, value in state.items()}
    state = {key: value for key, value in state.items() if not key.endswith("position_ids")}
    missing, unexpected = model.load_state_dict(state, strict=False)
    if [name for name in missing if "position_ids" not in name] or unexpected:
        raise CheckpointError(f"{checkpoint}: CLIP-L weights do not match ViT-L/14's text tower")
    return model.eval()


def output_drifts(base_model: Any, tuned_model: Any, triggers: Sequence[str]) -> list[float]:
    """Per trigger, the mean relative drift of CLIP-L's last hidden states (in input order)."""
    import torch

    tokenizer = get_tokenizer()
    sequences = [
        [CLIP_START_ID, *tokenizer.encode(trigger)[: MAX_TOKENS - 2], CLIP_END_ID] for trigger in triggers
    ]
    drifts: list[float] = []
    with torch.inference_mode():
        for start in range(0, len(sequences), BATCH):
            batch = sequences[start : start + BATCH]
            width = max(len(sequence) for sequence in batch)
            ids = torch.tensor([sequence + [CLIP_END_ID] * (width - len(sequence)) for sequence in batch])
            base_hidden = base_model(input_ids=ids).last_hidden_state
            tuned_hidden = tuned_model(input_ids=ids).last_hidden_state
            change = (tuned_hidden - base_hidden).norm(dim=-1) / base_hidden.norm(dim=-1).clamp_min(1e-12)
            for row, sequence in enumerate(batch):
                drifts.append(float(change[row, : len(sequence)].mean()))
    return drifts
