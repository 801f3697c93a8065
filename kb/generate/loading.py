"""Which model to load, how to identify it without loading it, and loading it offline.

Resolution order: `--model`, then `$AIDXL_MODEL`, then `model = ...` under `[generate]` in
`$XDG_CONFIG_HOME/aidxl-kb/config.toml` (same for the VAE: `--vae`, `$AIDXL_VAE`, `vae = ...`;
the single-file config folder: `--model-config`, `$AIDXL_MODEL_CONFIG`, `model_config = ...`).
A model is `tiny-random` (built-in test model), an SDXL single-file `.safetensors` checkpoint
(loaded with `from_single_file`), a diffusers folder (`model_index.json`) or the Hub id of a
diffusers model already in the local Hugging Face cache (`owner/name`: its snapshot folder is
loaded like any diffusers folder). Loading never touches the network (`local_files_only=True`):
whatever is missing is named in one sentence.
"""

from __future__ import annotations

import importlib
import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from kb.errors import AidxlError
from kb.generate.config import config_file_path as config_file_path  # re-exported: named here before
from kb.generate.config import pick_setting as pick_setting
from kb.generate.extra import require_generation_extra
from kb.generate.remembered_hashes import file_or_folder_sha256 as file_or_folder_sha256
from kb.generate.request import OWN_VAE_NAME, ModelIdentity
from kb.generate.tiny import TINY_MODEL_HASH, TINY_MODEL_LABEL, TINY_MODEL_NAME

MODEL_ENV = "AIDXL_MODEL"
VAE_ENV = "AIDXL_VAE"
MODEL_CONFIG_ENV = "AIDXL_MODEL_CONFIG"
SDXL_BASE_REPO = "stabilityai/stable-diffusion-xl-base-1.0"
HOW_TO_NAME_MODEL = (
    f"pass --model PATH (an SDXL .safetensors file or a diffusers folder), set {MODEL_ENV}, "
    'or set `model = "PATH"` under [generate] in {config}'
)
# The same advice for a program without a --model flag (the explorer): the environment or the config.
HOW_TO_NAME_MODEL_WITHOUT_FLAGS = (
    f"set {MODEL_ENV}=PATH (an SDXL .safetensors file or a diffusers folder) before starting, "
    'or set `model = "PATH"` under [generate] in {config}'
)


class ModelNotFoundError(AidxlError):
    """No model configured, or a configured file is missing or of the wrong kind.

    `without_flags` is the same sentence for a program that takes no --model / --vae flags (the
    explorer): it names only the environment variables and the config file.
    """

    def __init__(self, message: str, *, without_flags: str | None = None) -> None:
        super().__init__(message)
        self.without_flags = without_flags or message

    def __reduce__(self) -> tuple[Any, ...]:  # picklable with its keyword argument
        return (type(self), (str(self),), {"without_flags": self.without_flags})


class NoModelConfigured(ModelNotFoundError):
    """No --model, no $AIDXL_MODEL and no `model` in the config file."""


class DeviceError(AidxlError):
    """No GPU for a full-size model and no `--allow-cpu`."""


@dataclass(frozen=True)
class ModelSource:
    """A resolved model: what it is, where it is and where the choice came from."""

    kind: str  # "tiny", "single_file" or "diffusers_folder"
    path: Path | None
    vae_path: Path | None
    config_path: Path | None  # diffusers-layout SDXL config folder for single-file loading
    origin: str
    hub_id: str | None = None  # `owner/name` when `path` is that Hub model's cached snapshot folder

    @property
    def is_full_size(self) -> bool:
        return self.kind != "tiny"

    @property
    def label(self) -> str:
        """The infotext `Model:` value: the checkpoint's name without extension, as the web UI writes it."""
        if self.path is None:
            return TINY_MODEL_LABEL
        if self.hub_id is not None:
            return self.hub_id
        return self.path.stem if self.kind == "single_file" else self.path.name


@dataclass(frozen=True)
class DeviceChoice:
    device: str
    dtype_name: str  # "float32", "bfloat16" or "float16"
    upcast_vae: bool
    warning: str | None


@dataclass
class LoadedModel:
    """A ready pipeline with the identity its outputs are labelled and cached with."""

    pipeline: Any
    identity: ModelIdentity
    device: DeviceChoice
    base_scheduler_config: dict[str, Any]  # the model's own scheduler config, every sampler's base
    empty_prompt: Any = None  # the empty prompt's encoding with no LoRA active (engine.prepare_networks)
    unet_mode: str = "eager"  # how the loop runs the UNet (kb.generate.acceleration)
    fast_unet: Any = None  # the compiled UNet for requests without LoRA; None: the pipeline's own
    unet_note: str | None = None  # one line when the requested UNet mode could not be used


def resolve_model_source(
    model_flag: str | None, vae_flag: str | None = None, model_config_flag: str | None = None
) -> ModelSource:
    """Find and check the model files (no torch); the error names what is missing and the fix."""
    how_to = HOW_TO_NAME_MODEL.format(config=config_file_path())
    how_to_without_flags = HOW_TO_NAME_MODEL_WITHOUT_FLAGS.format(config=config_file_path())
    model_value, origin = pick_setting(model_flag, MODEL_ENV, "model")
    if model_value is None:
        raise NoModelConfigured(
            f"No model is configured; {how_to} (or use --model {TINY_MODEL_NAME} to test).",
            without_flags=f"No model is configured; {how_to_without_flags} "
            f"(or {MODEL_ENV}={TINY_MODEL_NAME} to test).",
        )
    vae_value, vae_origin = pick_setting(vae_flag, VAE_ENV, "vae")
    vae_path = _checked_vae_path(Path(vae_value).expanduser(), vae_origin) if vae_value else None
    if model_value == TINY_MODEL_NAME:
        return ModelSource("tiny", None, vae_path, None, origin)
    model_path = Path(model_value).expanduser()
    if not model_path.exists() and looks_like_hub_id(model_value):
        snapshot = cached_hub_snapshot(model_value)
        if snapshot is None:
            raise ModelNotFoundError(
                f"{model_value} (from {origin}) is neither a file or folder here nor a diffusers model in "
                f"the local Hugging Face cache ({hub_cache_dir()}); download it once with "
                f"`hf download {model_value}` or name a local file.",
            )
        return ModelSource("diffusers_folder", snapshot, vae_path, None, origin, hub_id=model_value)
    if model_path.is_dir():
        if not (model_path / "model_index.json").is_file():
            raise ModelNotFoundError(
                f"{model_path} (from {origin}) is not a diffusers model folder: model_index.json is missing; "
                "point it at a folder saved by diffusers or at an SDXL .safetensors file."
            )
        return ModelSource("diffusers_folder", model_path, vae_path, None, origin)
    if not model_path.is_file():
        raise ModelNotFoundError(
            f"Model file {model_path} (from {origin}) does not exist; {how_to}.",
            without_flags=f"Model file {model_path} (from {origin}) does not exist; {how_to_without_flags}.",
        )
    if model_path.suffix != ".safetensors":
        raise ModelNotFoundError(
            f"Model file {model_path} is not a .safetensors checkpoint; convert it or use a diffusers folder."
        )
    return ModelSource("single_file", model_path, vae_path, _single_file_config(model_config_flag), origin)


_HUB_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]*/[A-Za-z0-9][A-Za-z0-9._-]*")


def looks_like_hub_id(text: str) -> bool:
    """`owner/name` as the Hub spells repository ids (no leading `.`, `/` or `~`, one slash)."""
    return _HUB_ID.fullmatch(text) is not None and ".." not in text


def hub_cache_dir() -> Path:
    """The Hugging Face hub cache as huggingface_hub finds it: $HF_HUB_CACHE, else $HF_HOME/hub."""
    if os.environ.get("HF_HUB_CACHE"):
        return Path(os.environ["HF_HUB_CACHE"]).expanduser()
    home = os.environ.get("HF_HOME") or str(
        Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "huggingface"
    )
    return Path(home).expanduser() / "hub"


def cached_hub_snapshot(repo_id: str) -> Path | None:
    """The cached snapshot folder of a diffusers model on the Hub (its `model_index.json` present
    locally), or None; reads the cache only, never the network."""
    from huggingface_hub import try_to_load_from_cache

    found = try_to_load_from_cache(repo_id, "model_index.json", cache_dir=hub_cache_dir())
    return Path(found).parent if isinstance(found, str) else None


def _checked_vae_path(vae_path: Path, origin: str) -> Path:
    if vae_path.is_dir() and (vae_path / "config.json").is_file():
        return vae_path
    if vae_path.is_file() and vae_path.suffix == ".safetensors":
        return vae_path
    problem = (
        f"VAE {vae_path} (from {origin}) is neither a .safetensors file nor a diffusers VAE folder with "
        "config.json"
    )
    raise ModelNotFoundError(
        f"{problem}; pass --vae PATH or set {VAE_ENV}, or leave it unset to use the model's own VAE.",
        without_flags=f"{problem}; set {VAE_ENV}=PATH, or leave it unset to use the model's own VAE.",
    )


def _single_file_config(model_config_flag: str | None) -> Path | None:
    """The SDXL config folder single-file loading needs; None means the Hugging Face cache holds it."""
    config_value, origin = pick_setting(model_config_flag, MODEL_CONFIG_ENV, "model_config")
    if config_value is not None:
        config_path = Path(config_value).expanduser()
        if not (config_path / "model_index.json").is_file():
            raise ModelNotFoundError(
                f"{config_path / 'model_index.json'} (from {origin}) does not exist; the SDXL config folder "
                f"must be laid out like {SDXL_BASE_REPO} (model_index.json and each component's config)."
            )
        return config_path
    from huggingface_hub import try_to_load_from_cache

    cached = try_to_load_from_cache(SDXL_BASE_REPO, "model_index.json")
    if not isinstance(cached, str):
        problem = (
            "Loading a single-file SDXL checkpoint needs the SDXL base config "
            f"({SDXL_BASE_REPO}/model_index.json and the component configs), which is not in the "
            "Hugging Face cache; fetch it once with "
            f"`hf download {SDXL_BASE_REPO} --exclude '*.safetensors' '*.bin' '*.onnx*' '*.msgpack'` "
        )
        raise ModelNotFoundError(
            f"{problem}or point --model-config / {MODEL_CONFIG_ENV} at a folder holding it.",
            without_flags=f"{problem}or point {MODEL_CONFIG_ENV} at a folder holding it.",
        )
    return None


def model_identity(source: ModelSource) -> ModelIdentity:
    """Label and hashes of a resolved model, without loading it (file hashes are remembered)."""
    if source.kind == "tiny":
        model_hash = TINY_MODEL_HASH
    else:
        assert source.path is not None
        model_hash = file_or_folder_sha256(source.path)
    vae_label = source.vae_path.name if source.vae_path is not None else OWN_VAE_NAME
    vae_hash = file_or_folder_sha256(source.vae_path) if source.vae_path is not None else ""
    return ModelIdentity(source.label, model_hash, vae_label, vae_hash, source.kind == "tiny")


def choose_device(source: ModelSource, *, allow_cpu: bool) -> DeviceChoice:
    """CUDA when present (bf16 where supported, else fp16 with the VAE in fp32); CPU fp32 otherwise.

    The first step of every generation (CLI, explorer, sheets): without the gpu extra it raises
    GenerationExtraMissing, one line, before anything is loaded."""
    require_generation_extra()
    import torch

    if torch.cuda.is_available():
        if source.kind == "tiny":
            return DeviceChoice("cuda", "float32", False, None)
        if torch.cuda.is_bf16_supported():
            return DeviceChoice("cuda", "bfloat16", False, None)
        return DeviceChoice("cuda", "float16", True, None)
    if source.kind == "tiny":
        return DeviceChoice("cpu", "float32", False, None)
    if not allow_cpu:
        raise DeviceError(
            "No CUDA GPU is available to torch, and a full-size SDXL preview needs one; "
            "pass --allow-cpu to generate on the CPU anyway (several minutes per image)."
        )
    return DeviceChoice(
        "cpu",
        "float32",
        False,
        "warning: generating on the CPU in float32; expect several minutes per image.",
    )


def load_model(
    source: ModelSource,
    device: DeviceChoice,
    identity: ModelIdentity | None = None,
    *,
    unet_mode: str | None = None,
) -> LoadedModel:
    """Load the pipeline offline onto the chosen device and dtype, with the UNet mode asked for
    (`unet_mode`, else the environment or config, else `auto`: `kb.generate.acceleration`)."""
    require_generation_extra()
    import torch

    from kb.generate.acceleration import accelerated_unet, choose_unet_mode, requested_unet_mode

    choice = choose_unet_mode(
        unet_mode or requested_unet_mode(), device.device, test_model=source.kind == "tiny"
    )

    dtype = getattr(torch, device.dtype_name)
    if source.kind == "tiny":
        from kb.generate.tiny import build_tiny_pipeline

        # Toy-sized layers: on a CPU, thread hand-offs cost more than the work (4x slower on 2
        # busy cores), and one thread gives the same floats in every process of a split sheet.
        torch.set_num_threads(1)
        pipeline = build_tiny_pipeline()
    else:
        pipeline = _load_full_pipeline(source, dtype)
    if source.vae_path is not None:
        pipeline.vae = _load_vae(source, dtype)
    if device.dtype_name != "float32":
        pipeline.to(device.device, dtype)
    else:
        pipeline.to(device.device)
    if device.upcast_vae:
        pipeline.vae.to(torch.float32)
    pipeline.set_progress_bar_config(disable=True)
    return LoadedModel(
        pipeline,
        identity if identity is not None else model_identity(source),
        device,
        dict(pipeline.scheduler.config),
        unet_mode=choice.mode,
        fast_unet=accelerated_unet(pipeline.unet, choice.mode),
        unet_note=choice.note,
    )


def _load_full_pipeline(source: ModelSource, dtype: Any) -> Any:
    StableDiffusionXLPipeline: Any = importlib.import_module("diffusers").StableDiffusionXLPipeline

    assert source.path is not None
    try:
        if source.kind == "diffusers_folder":
            return StableDiffusionXLPipeline.from_pretrained(
                source.path, torch_dtype=dtype, local_files_only=True
            )
        return StableDiffusionXLPipeline.from_single_file(
            str(source.path),
            config=str(source.config_path) if source.config_path is not None else SDXL_BASE_REPO,
            torch_dtype=dtype,
            local_files_only=True,
        )
    except (OSError, ValueError, KeyError) as error:
        raise ModelNotFoundError(
            f"{source.path} could not be loaded as an SDXL model offline ({_first_line(error)})."
        ) from error


def _load_vae(source: ModelSource, dtype: Any) -> Any:
    AutoencoderKL: Any = importlib.import_module("diffusers").AutoencoderKL

    vae_path = source.vae_path
    assert vae_path is not None
    try:
        if vae_path.is_dir():
            return AutoencoderKL.from_pretrained(vae_path, torch_dtype=dtype, local_files_only=True)
        config = str(source.config_path) if source.config_path is not None else SDXL_BASE_REPO
        return AutoencoderKL.from_single_file(
            str(vae_path), config=config, subfolder="vae", torch_dtype=dtype, local_files_only=True
        )
    except (OSError, ValueError, KeyError) as error:
        raise ModelNotFoundError(
            f"VAE {vae_path} could not be loaded offline ({_first_line(error)})."
        ) from error


def _first_line(error: BaseException) -> str:
    text = str(error).strip()
    return text.splitlines()[0] if text else type(error).__name__
