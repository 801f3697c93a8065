"""ingest.registry.missing_from_catalog: the registry sources a catalog was not built from."""

from __future__ import annotations

from pathlib import Path

from prompt_fixture import build_tiny_catalog

from ingest.registry import missing_from_catalog, missing_sources, registered_source, registry
from kb.catalog import open_catalog


def test_the_demo_build_lacks_only_the_hub_sources(tmp_path: Path) -> None:
    connection = open_catalog(build_tiny_catalog(tmp_path / "c.duckdb", knowledge=True))
    try:
        missing = missing_from_catalog(connection)
    finally:
        connection.close()
    assert [source.name for source in missing] == ["wd14-tagger", "aidxl-trigger-list"]


def test_a_catalog_without_registry_names_lacks_every_source_in_registry_order(tmp_path: Path) -> None:
    connection = open_catalog(build_tiny_catalog(tmp_path / "c.duckdb"))
    try:
        assert missing_from_catalog(connection) == registry()
    finally:
        connection.close()
    assert missing_sources([None, "danbooru-tags"]) == tuple(
        source for source in registry() if source.name != "danbooru-tags"
    )


def test_each_says_the_command_that_adds_it() -> None:
    tagger = registered_source("wd14-tagger")
    assert tagger.add_commands == ("aidxl ingest --fetch", "aidxl ingest --add --tagger PATH|hub")
    assert tagger.how_to_add == (
        "wd14-tagger — WD v1.4 ConvNeXt v2 tagger tag list (SmilingWolf): "
        "aidxl ingest --fetch, or aidxl ingest --add --tagger PATH|hub"
    )
    # No public download: the flag alone.
    assert registered_source("author-benchmark-triggers").add_commands == (
        "aidxl ingest --add --list PATH --kind artist_style",
    )
