"""The real catalog for tests, built at most once per test session and copied where a test wants it.

    from catalog_fixture import build_real_catalog
    catalog_path = build_real_catalog(tmp_path / "catalog.duckdb")

Sources: ../shared/data's eva02 tagger file, danbooru.csv, the waifuset vocabulary and the trigger
fragments list (exactly sources.toml), plus the curated lists. Skips the test when the data is absent.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[1]
SHARED_DATA = REPO_ROOT.parent / "shared" / "data"

_built_once: dict[str, Path] = {}


def real_source_specs() -> list[object]:
    from ingest.specs import load_sources_config

    return list(load_sources_config(REPO_ROOT / "sources.toml"))


def build_real_catalog(target: Path) -> Path:
    """A copy of the session's real catalog at `target` (a file path; a directory gets catalog.duckdb)."""
    if not SHARED_DATA.is_dir():
        pytest.skip(f"real data folder {SHARED_DATA} is absent")
    if target.is_dir():
        target = target / "catalog.duckdb"
    if "path" not in _built_once:
        from ingest.build import ingest_catalog
        from ingest.specs import load_sources_config

        build_dir = Path(__import__("tempfile").mkdtemp(prefix="aidxl-real-catalog-"))
        built = build_dir / "catalog.duckdb"
        ingest_catalog(load_sources_config(REPO_ROOT / "sources.toml"), built)
        _built_once["path"] = built
    target.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(_built_once["path"], target)
    return target
