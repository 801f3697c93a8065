"""Extra networks: `<lora:name:w>` in a prompt, resolved to a file before any work, then applied.

The web UI cuts `<kind:arguments>` out of the positive prompt before parsing it
(`extra_networks.parse_prompts`) and keeps the prompt verbatim in the infotext. For `lora` (and
its alias `lyco`) the arguments are `name[:te[:unet]]` or `te=`/`unet=` named values: the text
encoder multiplier defaults to 1, the UNet's to the text encoder's (extensions-builtin/Lora).

Resolution (no torch): the LoRA folder is `--lora-dir`, else `$AIDXL_LORA_DIR`, else `lora_dir`
under `[generate]` in the config file; `name` is a `.safetensors` file's name without extension,
anywhere under it (the web UI's network name; the first in path order when several share it).
A missing file or an unsupported kind (`<hypernet:...>`) is a `NetworkNotFoundError` naming it,
or, when the user asked (`--ignore-missing-networks`), one warning line and the preview goes on
without it. The same network mentioned twice adds up (the web UI applies each mention).

`Lora hashes` in the infotext is the web UI's: `name: <12 hex>` per mentioned name, the hash
being the safetensors `sshs_model_hash` metadata, else the kohya/AddNet hash (SHA-256 of the
file after its header). The cache key uses the whole file's SHA-256.

Applying (diffusers' LoRA loader, peft backend): `activate_networks(pipeline, networks)` loads
each file once as an adapter named by its hash and sets the request's adapters and weights
(`{"unet": unet, "text_encoder": te, "text_encoder_2": te}`); with none, LoRA layers are
disabled, so the base model runs unchanged.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from kb.errors import AidxlError
from kb.generate.config import config_file_path, pick_setting
from kb.generate.remembered_hashes import file_or_folder_sha256, remembered_hash
from kb.prompt.schedule import ExtraNetworkCall

LORA_DIR_ENV = "AIDXL_LORA_DIR"
LORA_KINDS = ("lora", "lyco")
LORA_SUFFIX = ".safetensors"
SHORT_HASH_LENGTH = 12  # the web UI's `shorthash`
LORA_HASH_RECORD_FILE = "lora-hashes.json"


class NetworkNotFoundError(AidxlError):
    """A prompt names an extra network that cannot be found or is not supported."""


class NetworkLoadError(AidxlError):
    """A LoRA file that diffusers' loader cannot read (another model family, a damaged file)."""


class NetworkArgumentError(AidxlError):
    """An extra network's multiplier is not a number."""


@dataclass(frozen=True)
class ResolvedNetwork:
    """A LoRA file a request applies, with the multipliers its mentions add up to."""

    mentioned_name: str  # as written in the prompt (the infotext's `Lora hashes` name)
    path: Path
    file_sha256: str  # the whole file: part of the cache key
    short_hash: str  # the web UI's 12-hex LoRA hash: written to `Lora hashes`
    te_multiplier: float
    unet_multiplier: float

    @property
    def adapter_name(self) -> str:
        return f"lora_{self.file_sha256[:16]}"


@dataclass(frozen=True)
class NetworkResolution:
    networks: tuple[ResolvedNetwork, ...]
    warnings: tuple[str, ...]  # one line per network skipped with --ignore-missing-networks


def lora_folder(flag: str | None) -> tuple[Path | None, str]:
    """The LoRA folder and where the choice came from (`--lora-dir`, the environment, the config)."""
    value, origin = pick_setting(flag, LORA_DIR_ENV, "lora_dir")
    return (Path(value).expanduser(), origin) if value else (None, "")


def multipliers(call: ExtraNetworkCall) -> tuple[float, float]:
    """(text encoder, UNet) multipliers of a `<lora:...>` call, read as the web UI reads them."""
    positional = [item for item in call.items if "=" not in item]
    named = dict(item.split("=", 1) for item in call.items if "=" in item)
    try:
        te = float(positional[1]) if len(positional) > 1 else 1.0
        te = float(named.get("te", te))
        unet = float(positional[2]) if len(positional) > 2 else te
        unet = float(named.get("unet", unet))
    except ValueError:
        raise NetworkArgumentError(
            f"prompt position {call.start}: <{call.name}:{':'.join(call.items)}>: a multiplier is not a "
            "number; write it like <lora:name:0.8>."
        ) from None
    return te, unet


IGNORE_MISSING_HINT = "or pass --ignore-missing-networks to generate without it"
# Where the explorer asks: it has no --lora-dir or --ignore-missing-networks, so its message names
# only what works there (the environment, the config file, or taking the network out).
EXPLORER_MISSING_HINT = "or take it out of the builder (ctrl+z undoes a paste)"


def resolve_networks(
    calls: tuple[ExtraNetworkCall, ...],
    *,
    lora_dir: str | None = None,
    ignore_missing: bool = False,
    missing_hint: str = IGNORE_MISSING_HINT,
    lora_dir_flag: bool = True,
) -> NetworkResolution:
    """Find every network's file (no torch); a missing one raises (its message ending with
    `missing_hint`) unless `ignore_missing`. `lora_dir_flag`: the caller has a `--lora-dir`
    option to suggest."""
    folder, origin = lora_folder(lora_dir) if calls else (None, "")
    files = _lora_files(folder) if folder is not None and folder.is_dir() else {}
    merged: dict[Path, ResolvedNetwork] = {}
    warnings: list[str] = []
    for call in calls:
        written = f"<{call.name}:{':'.join(call.items)}>"
        problem = _problem(call, folder, origin, files, lora_dir_flag)
        if problem is not None:
            if not ignore_missing:
                raise NetworkNotFoundError(
                    f"prompt position {call.start}: {written}: {problem}; {missing_hint}."
                )
            warnings.append(f"prompt position {call.start}: {written}: {problem}; generating without it.")
            continue
        te, unet = multipliers(call)
        path = files[call.items[0]]
        known = merged.get(path)
        if known is not None:
            merged[path] = ResolvedNetwork(
                known.mentioned_name, path, known.file_sha256, known.short_hash,
                known.te_multiplier + te, known.unet_multiplier + unet,
            )  # fmt: skip
            continue
        merged[path] = ResolvedNetwork(
            call.items[0], path, file_or_folder_sha256(path), lora_short_hash(path), te, unet
        )
    return NetworkResolution(tuple(merged.values()), tuple(warnings))


def _problem(
    call: ExtraNetworkCall, folder: Path | None, origin: str, files: dict[str, Path], lora_dir_flag: bool
) -> str | None:
    if call.name not in LORA_KINDS:
        return f"extra network kind {call.name!r} is not supported (only lora)"
    if not call.items or not call.items[0]:
        return "the LoRA has no name"
    if folder is None:
        return (
            "no LoRA folder is configured; "
            + ("pass --lora-dir DIR, " if lora_dir_flag else "")
            + f"set {LORA_DIR_ENV}, "
            f'or set `lora_dir = "DIR"` under [generate] in {config_file_path()}'
        )
    if not folder.is_dir():
        return f"the LoRA folder {folder} (from {origin}) does not exist"
    if call.items[0] not in files:
        return f"no LoRA file {call.items[0]}{LORA_SUFFIX} under {folder} (from {origin})"
    return None


def _lora_files(folder: Path) -> dict[str, Path]:
    """Network name (file name without extension) -> file, the first in path order per name."""
    found: dict[str, Path] = {}
    for path in sorted(folder.rglob(f"*{LORA_SUFFIX}")):
        if path.is_file():
            found.setdefault(path.name[: -len(LORA_SUFFIX)], path)
    return found


def lora_short_hash(path: Path) -> str:
    """The web UI's LoRA hash: `sshs_model_hash` metadata, else SHA-256 after the safetensors header.

    Remembered in the cache folder by path, size and modification time (LoRA files are large)."""
    stat = path.stat()
    return remembered_hash(
        LORA_HASH_RECORD_FILE, path, [stat.st_size, stat.st_mtime_ns], lambda: _read_lora_short_hash(path)
    )


def _read_lora_short_hash(path: Path) -> str:
    size = path.stat().st_size
    with open(path, "rb") as handle:
        header_length = int.from_bytes(handle.read(8), "little")
        if size < 8 or header_length > size - 8:
            raise NetworkLoadError(
                f"{path}: is not a safetensors file (its header length is {header_length})."
            )
        try:
            header = json.loads(handle.read(header_length).decode("utf-8"))
        except (UnicodeDecodeError, ValueError):
            raise NetworkLoadError(f"{path}: is not a safetensors file (its header is not JSON).") from None
        metadata = header.get("__metadata__", {}) if isinstance(header, dict) else {}
        stored = metadata.get("sshs_model_hash") if isinstance(metadata, dict) else None
        if isinstance(stored, str) and stored:
            return stored[:SHORT_HASH_LENGTH]
        digest = hashlib.sha256()
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()[:SHORT_HASH_LENGTH]


def lora_hashes_infotext(networks: tuple[ResolvedNetwork, ...]) -> str:
    """`name: hash, name: hash`: the web UI's `Lora hashes` value (`:` and `,` dropped from names)."""
    by_name = {
        network.mentioned_name.replace(":", "").replace(",", ""): network.short_hash for network in networks
    }
    return ", ".join(f"{name}: {short_hash}" for name, short_hash in by_name.items())


def activate_networks(pipeline: Any, networks: tuple[ResolvedNetwork, ...]) -> None:
    """Make `networks` (and nothing else) active on the pipeline, loading files not loaded before."""
    loaded = _loaded_adapters(pipeline)
    if not networks:
        if loaded:
            pipeline.disable_lora()
        return
    for network in networks:
        if network.adapter_name not in loaded:
            _load_lora(pipeline, network)
    components = pipeline.get_list_adapters()  # {"unet": [adapters], "text_encoder": [...], ...}
    multiplier_of = {
        "unet": "unet_multiplier",
        "text_encoder": "te_multiplier",
        "text_encoder_2": "te_multiplier",
    }
    pipeline.enable_lora()
    pipeline.set_adapters(
        [network.adapter_name for network in networks],
        adapter_weights=[
            {
                component: getattr(network, multiplier_of[component])
                for component, adapters in components.items()
                if network.adapter_name in adapters and component in multiplier_of
            }
            for network in networks
        ],
    )


def _load_lora(pipeline: Any, network: ResolvedNetwork) -> None:
    from diffusers.utils import logging as diffusers_logging
    from safetensors import SafetensorError
    from transformers.utils import logging as transformers_logging

    # diffusers logs a notice for each text encoder a LoRA has no weights for (most UNet-only LoRAs)
    # and transformers draws a progress bar per text encoder: neither belongs on the CLI's stderr.
    verbosity = diffusers_logging.get_verbosity()
    bars = transformers_logging.is_progress_bar_enabled()
    diffusers_logging.set_verbosity_error()
    transformers_logging.disable_progress_bar()
    try:
        pipeline.load_lora_weights(str(network.path), adapter_name=network.adapter_name)
    except (OSError, ValueError, KeyError, RuntimeError, SafetensorError) as error:
        raise NetworkLoadError(
            f"{network.path}: cannot be loaded as an SDXL LoRA ({_first_line(error)})."
        ) from error
    finally:
        diffusers_logging.set_verbosity(verbosity)
        if bars:
            transformers_logging.enable_progress_bar()


def _loaded_adapters(pipeline: Any) -> set[str]:
    if not hasattr(pipeline, "get_list_adapters"):
        return set()
    try:
        listed = pipeline.get_list_adapters()
    except ValueError:  # no peft backend: nothing can have been loaded
        return set()
    return {name for names in listed.values() for name in names}


def _first_line(error: BaseException) -> str:
    text = str(error).strip()
    return text.splitlines()[0] if text else type(error).__name__
