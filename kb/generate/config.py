"""Generation settings from the user's config file: `[generate]` in
`$XDG_CONFIG_HOME/aidxl-kb/config.toml` (model, vae, model_config, lora_dir, unet_mode).

`pick_setting` is the one resolution order every such setting follows: the flag, else the
environment variable, else the config file. Model loading, LoRA lookup and the UNet mode all read
their setting through it (and import nothing else from each other for it).
"""

from __future__ import annotations

import os
import tomllib
from pathlib import Path
from typing import Any

from kb.errors import AidxlError


class ConfigFileError(AidxlError):
    """The config file exists but cannot be read as TOML."""


def config_file_path() -> Path:
    configured = os.environ.get("XDG_CONFIG_HOME")
    base = Path(configured) if configured else Path.home() / ".config"
    return base / "aidxl-kb" / "config.toml"


def _config_values() -> dict[str, Any]:
    path = config_file_path()
    if not path.is_file():
        return {}
    try:
        section = tomllib.loads(path.read_text(encoding="utf-8")).get("generate", {})
    except (OSError, tomllib.TOMLDecodeError) as error:
        raise ConfigFileError(f"{path}: cannot be read as TOML ({error}).") from error
    return section if isinstance(section, dict) else {}


def pick_setting(flag: str | None, env_name: str, config_key: str) -> tuple[str | None, str]:
    """A setting and where it came from: the flag, else the environment, else [generate] in the config."""
    if flag:
        return flag, f"--{config_key.replace('_', '-')}"
    if os.environ.get(env_name):
        return os.environ[env_name], f"${env_name}"
    value = _config_values().get(config_key)
    if isinstance(value, str) and value:
        return value, f"{config_file_path()} [generate] {config_key}"
    return None, ""
