"""The sources an existing catalog was built from, as specs to read again: what makes `aidxl ingest
--add` and `--fetch` add to a catalog instead of replacing it.

Each non-curated row of the catalog's `sources` table becomes a spec: a local path that still
exists, or the Hub file at the commit that was read (`hub:REPO@COMMIT/FILE`, read from the Hub
cache). A source whose file is gone cannot be kept: it is reported, never silently dropped.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb

from ingest.specs import SourceSpec, parse_trigger_kind
from kb.catalog import open_catalog
from kb.errors import CatalogError, DamagedCatalogError, IngestError


@dataclass(frozen=True)
class CatalogSources:
    specs: tuple[SourceSpec, ...]  # in the catalog's source order
    gone: tuple[str, ...]  # locations that can no longer be read: `PATH (danbooru-tags)`


def parse_hub_location(location: str) -> tuple[str, str, str] | None:
    """`hub:OWNER/NAME@COMMIT/FILE` (as ingest/hub.py records it) → (repo, commit, file)."""
    if not location.startswith("hub:"):
        return None
    repo, at, rest = location.removeprefix("hub:").partition("@")
    commit, slash, file_name = rest.partition("/")
    if not at or not slash or repo.count("/") != 1 or not all(repo.split("/")) or not commit or not file_name:
        return None
    return repo, commit, file_name


_SOURCES_SQL = (
    "SELECT kind, name, location, list_kind FROM sources WHERE kind <> 'curated' ORDER BY source_id"
)


def _sources_of_damaged(catalog_path: Path) -> list[Any] | None:
    """The source rows of a catalog that failed its content check, when its blocks still read (the
    damage is elsewhere): `--add` then keeps them while the rebuild repairs the file."""
    try:
        with duckdb.connect(str(catalog_path.absolute()), read_only=True) as connection:
            return connection.execute(_SOURCES_SQL).fetchall()
    except duckdb.Error:
        return None


def catalog_sources(catalog_path: Path) -> CatalogSources:
    """The sources of the catalog at `catalog_path` (none when there is no readable catalog)."""
    try:
        connection = open_catalog(catalog_path)
    except DamagedCatalogError as error:
        rows = _sources_of_damaged(catalog_path)
        if rows is None:
            raise IngestError(
                f"{catalog_path}: the catalog is damaged ({error.reason}) and its list of sources cannot "
                "be read; give the sources again (e.g. `aidxl ingest --config sources.toml`)"
            ) from error
    except CatalogError:
        return CatalogSources((), ())
    else:
        try:
            rows = connection.execute(_SOURCES_SQL).fetchall()
        finally:
            connection.close()
    specs: list[SourceSpec] = []
    gone: list[str] = []
    for kind, name, location, list_kind in rows:
        label = f"{location} ({name})" if name else str(location)
        hub = parse_hub_location(str(location))
        kind_of_list = parse_trigger_kind(str(list_kind), label) if list_kind else None
        if hub is not None:
            repo, commit, file_name = hub
            specs.append(
                SourceSpec(str(kind), hub_repo=repo, revision=commit, hub_file=file_name, registry_name=name)
            )
        elif Path(location).is_file():
            specs.append(
                SourceSpec(str(kind), path=Path(location), list_kind=kind_of_list, registry_name=name)
            )
        else:
            gone.append(label)
    return CatalogSources(tuple(specs), tuple(gone))
