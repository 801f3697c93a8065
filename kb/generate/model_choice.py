"""The model a user picks (explorer settings, `aidxl explore --model`, the config): checked offline.

A choice is `tiny-random`, a local SDXL `.safetensors` checkpoint, a diffusers folder
(`model_index.json`), or the Hub id of a diffusers model already in the local Hugging Face cache.
`check_model_choice` says in one sentence what is wrong with anything else, before any loading
and without the network or torch. An empty choice leaves the decision to `$AIDXL_MODEL` and
`model = ...` under `[generate]` in the config file (`kb.generate.loading.pick_setting`).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from kb.errors import AidxlError
from kb.generate.loading import (
    MODEL_ENV,
    ModelNotFoundError,
    NoModelConfigured,
    cached_hub_snapshot,
    config_file_path,
    hub_cache_dir,
    looks_like_hub_id,
    resolve_model_source,
)
from kb.generate.tiny import TINY_MODEL_LABEL, TINY_MODEL_NAME

WHAT_A_MODEL_IS = (
    f"an SDXL .safetensors file, a diffusers folder, a Hub id in the local cache, or {TINY_MODEL_NAME}"
)
RANDOM_WEIGHTS_SHORT = "RANDOM WEIGHTS"


class ModelChoiceError(AidxlError):
    """A model choice that cannot be loaded: what is wrong and what a model can be, in one sentence."""


@dataclass(frozen=True)
class ModelChoice:
    """A checked choice: what the settings hold and what the explorer shows for it."""

    value: str | None  # as typed (stripped); None: $AIDXL_MODEL or the config file decides
    label: str  # the model's name as the infotext writes it (`tiny-random (RANDOM WEIGHTS, not AIDXL)`)
    random_weights: bool
    origin: str  # where it came from: `settings`, `$AIDXL_MODEL`, the config file, or "" when none is set
    problem: str | None = None  # why it cannot be loaded (`describe_model` of a broken choice)

    @property
    def short_label(self) -> str:
        """The status line's name: `tiny-random · RANDOM WEIGHTS`, a checkpoint's stem, a Hub id."""
        return f"{TINY_MODEL_NAME} · {RANDOM_WEIGHTS_SHORT}" if self.random_weights else self.label


NO_MODEL = ModelChoice(None, "no model set", False, "")


def check_model_choice(text: str | None) -> ModelChoice:
    """The choice checked offline (no torch, no network); raises ModelChoiceError in one sentence.

    An empty choice reports what `$AIDXL_MODEL` / the config file name (NO_MODEL when neither does;
    a preview then says how to set one), and raises when what they name cannot be loaded."""
    value = (text or "").strip()
    if not value:
        return _configured_choice()
    if value == TINY_MODEL_NAME:
        return ModelChoice(value, TINY_MODEL_LABEL, True, "settings")
    path = Path(value).expanduser()
    if path.is_dir():
        if not (path / "model_index.json").is_file():
            raise ModelChoiceError(
                f"model {value}: this folder has no model_index.json, so it is not a diffusers model; "
                f"choose {WHAT_A_MODEL_IS}."
            )
    elif path.is_file():
        if path.suffix != ".safetensors":
            raise ModelChoiceError(f"model {value}: not a .safetensors checkpoint; choose {WHAT_A_MODEL_IS}.")
    elif looks_like_hub_id(value):
        if cached_hub_snapshot(value) is None:
            raise ModelChoiceError(
                f"model {value}: no such file here and no diffusers model of that id in the local Hugging "
                f"Face cache ({hub_cache_dir()}); fetch it once with `hf download {value}` or choose a local "
                "file."
            )
    else:
        raise ModelChoiceError(f"model {value}: no such file or folder; choose {WHAT_A_MODEL_IS}.")
    try:
        source = resolve_model_source(value)
    except ModelNotFoundError as error:  # e.g. a checkpoint whose SDXL base config is not cached
        raise ModelChoiceError(f"model {value}: {error.without_flags}") from error
    return ModelChoice(value, source.label, source.kind == "tiny", "settings")


def _configured_choice() -> ModelChoice:
    try:
        source = resolve_model_source(None)
    except NoModelConfigured:
        return NO_MODEL
    except ModelNotFoundError as error:  # $AIDXL_MODEL or the config names something unusable
        raise ModelChoiceError(error.without_flags) from error
    return ModelChoice(None, source.label, source.kind == "tiny", source.origin)


def describe_model(value: str | None) -> ModelChoice:
    """The choice for display; never raises (a broken choice says why in `problem`)."""
    try:
        return check_model_choice(value)
    except AidxlError as error:
        return ModelChoice(value, value or "the configured model", False, "settings", problem=str(error))


def how_to_choose_a_model() -> str:
    """Where the explorer's model comes from, for its messages."""
    return (
        "choose one in the settings (s in the builder), start with `aidxl explore --model PATH`, set "
        f'{MODEL_ENV}=PATH, or set `model = "PATH"` under [generate] in {config_file_path()} '
        f"({MODEL_ENV}={TINY_MODEL_NAME} or the settings' {TINY_MODEL_NAME} test without weights)"
    )
