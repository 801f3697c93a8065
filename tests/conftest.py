"""Shared fixtures: the real data files beside the checkout, isolated user folders, and one
temp folder per test run that every pytest-xdist worker shares (see catalog_fixture.py)."""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

import pytest
from catalog_fixture import SESSION_DIR_ENV

REPO_ROOT = Path(__file__).resolve().parents[1]
SHARED_DATA = REPO_ROOT.parent / "shared" / "data"
# The run's shared temp folder (SESSION_DIR_ENV): the process that starts the run (the xdist
# controller, or the only pytest process) makes it before any worker starts; workers inherit the
# variable and find it there.
_owned_session_dir = pytest.StashKey[Path]()


def pytest_configure(config: pytest.Config) -> None:
    if os.environ.get(SESSION_DIR_ENV):  # an xdist worker: the controller made the folder
        return
    session_dir = Path(tempfile.mkdtemp(prefix="aidxl-tests-"))
    os.environ[SESSION_DIR_ENV] = str(session_dir)
    config.stash[_owned_session_dir] = session_dir


def pytest_unconfigure(config: pytest.Config) -> None:
    """The owner removes the folder once every worker has finished."""
    session_dir = config.stash.get(_owned_session_dir, None)
    if session_dir is not None:
        shutil.rmtree(session_dir, ignore_errors=True)
        os.environ.pop(SESSION_DIR_ENV, None)


@pytest.fixture(scope="session")
def shared_data() -> Path:
    """`../shared/data` (see its PROVENANCE.md); tests that need it skip only when it is absent."""
    if not SHARED_DATA.is_dir():
        pytest.skip(f"real data folder {SHARED_DATA} is absent")
    return SHARED_DATA


@pytest.fixture(autouse=True)
def isolated_user_dirs(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> None:
    """No test reads or writes the developer's own catalog, state or cache."""
    home = tmp_path_factory.mktemp("home")
    monkeypatch.setenv("XDG_DATA_HOME", str(home / "data"))
    monkeypatch.setenv("XDG_STATE_HOME", str(home / "state"))
    monkeypatch.setenv("XDG_CACHE_HOME", str(home / "cache"))
    # Nor the developer's model choice: the explorer shows it (status, settings line, snapshots).
    monkeypatch.setenv("XDG_CONFIG_HOME", str(home / "config"))
    for name in ("AIDXL_MODEL", "AIDXL_VAE", "AIDXL_MODEL_CONFIG"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.delenv("AIDXL_CATALOG", raising=False)
    monkeypatch.delenv("AIDXL_STATE_DIR", raising=False)
    monkeypatch.delenv("AIDXL_CACHE_DIR", raising=False)
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
