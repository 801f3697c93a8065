"""Where aidxl-kb keeps its files: the catalog, user state and the preview cache."""

from __future__ import annotations

import os
from pathlib import Path

CATALOG_ENV = "AIDXL_CATALOG"
STATE_DIR_ENV = "AIDXL_STATE_DIR"
CACHE_DIR_ENV = "AIDXL_CACHE_DIR"
CATALOG_FILE_NAME = "catalog.duckdb"


def _xdg_dir(env_name: str, fallback: str) -> Path:
    configured = os.environ.get(env_name)
    return Path(configured) if configured else Path.home() / fallback


def default_catalog_path(cwd: Path | None = None) -> Path:
    """The catalog used when neither `--catalog` nor `AIDXL_CATALOG` is given.

    Inside a checkout (a directory holding `catalog.duckdb.dvc`) it is the DVC-tracked
    `catalog.duckdb` there; elsewhere `$XDG_DATA_HOME/aidxl-kb/catalog.duckdb`.
    """
    here = cwd if cwd is not None else Path.cwd()
    if (here / f"{CATALOG_FILE_NAME}.dvc").is_file():
        return here / CATALOG_FILE_NAME
    return _xdg_dir("XDG_DATA_HOME", ".local/share") / "aidxl-kb" / CATALOG_FILE_NAME


def resolve_catalog_path(flag_value: str | os.PathLike[str] | None) -> Path:
    """`--catalog` wins over `AIDXL_CATALOG`, which wins over the default."""
    if flag_value:
        return Path(flag_value)
    from_env = os.environ.get(CATALOG_ENV)
    if from_env:
        return Path(from_env)
    return default_catalog_path()


def state_dir() -> Path:
    """User state (history, favourites, blends, usage counts): never inside the catalog file."""
    configured = os.environ.get(STATE_DIR_ENV)
    if configured:
        return Path(configured)
    return _xdg_dir("XDG_STATE_HOME", ".local/state") / "aidxl-kb"


def cache_dir() -> Path:
    """Generated previews and sheet cells."""
    configured = os.environ.get(CACHE_DIR_ENV)
    if configured:
        return Path(configured)
    return _xdg_dir("XDG_CACHE_HOME", ".cache") / "aidxl-kb"
