"""The real catalog for tests, built once per test run and copied where a test wants it.

    from catalog_fixture import build_real_catalog
    catalog_path = build_real_catalog(tmp_path / "catalog.duckdb")

Sources: ../shared/data's eva02 tagger file, danbooru.csv, the waifuset vocabulary and the trigger
fragments list (exactly sources.toml), plus the curated lists. Skips the test when the data is absent.

Under pytest-xdist the workers share one build: it lives in the run's temp folder (conftest.py's
SESSION_DIR_ENV, removed when the run ends), and the first worker to need it builds it while holding
a lock file there; the others wait for the lock and copy. One build (~1.5 s) instead of one per worker.
"""

from __future__ import annotations

import fcntl
import os
import shutil
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[1]
SHARED_DATA = REPO_ROOT.parent / "shared" / "data"
# Set by conftest.py for the whole run (workers included); absent outside pytest (bench/tui.py).
SESSION_DIR_ENV = "AIDXL_TESTS_SESSION_DIR"


def real_source_specs() -> list[object]:
    from ingest.specs import load_sources_config

    return list(load_sources_config(REPO_ROOT / "sources.toml"))


def _ingest_real_sources(target: Path) -> None:
    from ingest.build import ingest_catalog
    from ingest.specs import load_sources_config

    ingest_catalog(load_sources_config(REPO_ROOT / "sources.toml"), target)


def session_real_catalog(session_dir: Path) -> Path:
    """The run's one real catalog (built now unless a worker already has); never write to it."""
    built = session_dir / "real-catalog" / "catalog.duckdb"
    with (session_dir / "real-catalog.lock").open("a") as lock_file:
        fcntl.flock(lock_file.fileno(), fcntl.LOCK_EX)  # blocks while another worker builds it
        if not built.is_file():  # ingest is atomic: the file is complete or absent
            _ingest_real_sources(built)
    return built


def build_real_catalog(target: Path) -> Path:
    """A copy of the run's real catalog at `target` (a file path; a directory gets catalog.duckdb)."""
    if not SHARED_DATA.is_dir():
        pytest.skip(f"real data folder {SHARED_DATA} is absent")
    if target.is_dir():
        target = target / "catalog.duckdb"
    target.parent.mkdir(parents=True, exist_ok=True)
    session_dir = os.environ.get(SESSION_DIR_ENV)
    if session_dir is None:
        _ingest_real_sources(target)
    else:
        shutil.copyfile(session_real_catalog(Path(session_dir)), target)
    return target
