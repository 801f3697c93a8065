"""The two text encoders' token-embedding rows of an SDXL checkpoint, read without loading the rest.

A checkpoint is a single safetensors file in the web UI's layout (keys `conditioner.embedders.0.
transformer.text_model.…` for CLIP-L and `conditioner.embedders.1.model.…` for OpenCLIP bigG) or
a diffusers folder (`text_encoder/`, `text_encoder_2/`). `safetensors.safe_open` maps the file and
reads one tensor at a time, so memory is the two embedding matrices (about 0.4 GB in float32),
not the 7 GB checkpoint.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from kb.errors import AidxlError

# Where each encoder's token embedding lives, per layout: (file inside the checkpoint, key).
SINGLE_FILE_KEYS = (
    "conditioner.embedders.0.transformer.text_model.embeddings.token_embedding.weight",
    "conditioner.embedders.1.model.token_embedding.weight",
)
# transformers before 5 saved CLIP text models under `text_model.`; 5 saves without it.
DIFFUSERS_KEYS = ("text_model.embeddings.token_embedding.weight", "embeddings.token_embedding.weight")
DIFFUSERS_FOLDERS = ("text_encoder", "text_encoder_2")
SINGLE_FILE_CLIP_L_PREFIX = "conditioner.embedders.0.transformer."


class CheckpointError(AidxlError):
    """A checkpoint that is missing, unreadable or not an SDXL checkpoint."""


@dataclass(frozen=True)
class TokenRows:
    """Each encoder's token-embedding matrix [vocabulary, width], float32."""

    path: Path
    encoders: tuple[np.ndarray, np.ndarray]


def _to_numpy(tensor: Any) -> np.ndarray:
    if isinstance(tensor, np.ndarray):
        return tensor.astype(np.float32, copy=False)
    return np.asarray(tensor.float().numpy(), dtype=np.float32)  # a torch tensor (bfloat16 files)


def _read_tensor(file: Path, keys: tuple[str, ...]) -> np.ndarray:
    """The first of `keys` present in the file."""
    try:
        from safetensors import SafetensorError, safe_open
    except ImportError:
        raise CheckpointError(
            "aidxl discover reads checkpoints with safetensors, part of the gpu extra: "
            "pip install 'aidxl-kb[gpu]' (in a checkout: .venv/bin/pip install -e '.[gpu]')"
        ) from None

    try:
        framework = "pt" if _torch_available() else "numpy"
        with safe_open(str(file), framework=framework) as opened:
            present = set(opened.keys())
            for key in keys:
                if key in present:
                    return _to_numpy(opened.get_tensor(key))
            raise CheckpointError(f"{file}: no tensor {keys[0]!r}; not an SDXL checkpoint")
    except CheckpointError:
        raise
    except (OSError, ValueError, RuntimeError, TypeError, SafetensorError) as error:
        raise CheckpointError(f"{file}: cannot read it as safetensors ({error})") from None


def _torch_available() -> bool:
    import importlib.util

    return importlib.util.find_spec("torch") is not None


def encoder_files(checkpoint: Path) -> tuple[tuple[Path, tuple[str, ...]], tuple[Path, tuple[str, ...]]]:
    """(file, key) of each encoder's token embedding in a single file or a diffusers folder."""
    if checkpoint.is_dir():
        found = []
        for folder in DIFFUSERS_FOLDERS:
            candidates = sorted((checkpoint / folder).glob("*.safetensors"))
            if not candidates:
                raise CheckpointError(f"{checkpoint}: no {folder}/*.safetensors; not a diffusers SDXL folder")
            found.append((candidates[0], DIFFUSERS_KEYS))
        return found[0], found[1]
    if not checkpoint.is_file():
        raise CheckpointError(f"{checkpoint}: no such checkpoint file or folder")
    return (checkpoint, (SINGLE_FILE_KEYS[0],)), (checkpoint, (SINGLE_FILE_KEYS[1],))


def read_token_rows(checkpoint: Path) -> TokenRows:
    first, second = encoder_files(checkpoint)
    rows = (_read_tensor(*first), _read_tensor(*second))
    return TokenRows(checkpoint, rows)
