"""`aidxl sources`: every public source the project knows, and whether a usable copy is here."""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

from ingest.fetch import MIRROR_ENV, SourceState, SourceStatus, mirror_dir, source_status
from ingest.registry import catalog_source_locations, registry
from kb.catalog import open_catalog
from kb.errors import CatalogError
from kb.paths import resolve_catalog_path


def register(subparsers: Any, common: argparse.ArgumentParser) -> None:
    sources = subparsers.add_parser(
        "sources",
        parents=[common],
        help="list the public sources aidxl knows and their state (cached, missing, local path, ...)",
        description="Every source of the registry: what it feeds, where it comes from, its license, "
        f"whether a usable copy is here (the download cache, the Hugging Face cache, or ${MIRROR_ENV}) "
        "and whether the catalog holds it. "
        "Nothing is downloaded: `aidxl ingest --fetch` gets what is missing.",
    )
    sources.add_argument("--json", action="store_true", help="print a JSON list to stdout")
    sources.set_defaults(run=run_sources)


def status_json(status: SourceStatus) -> dict[str, Any]:
    source = status.source
    return {
        "name": source.name,
        "title": source.title,
        "feeds": source.feeds,
        "state": status.state.value,
        "path": str(status.path) if status.path is not None else None,
        "detail": status.detail,
        "location": source.location,
        "sha256": source.sha256,
        "file": source.file_name,
        "license": source.license,
        "flag": source.flag,
    }


def catalog_locations(args: argparse.Namespace) -> dict[str, str] | None:
    """Registry name -> where the catalog read it; None without a readable catalog."""
    try:
        connection = open_catalog(resolve_catalog_path(getattr(args, "catalog", None)))
    except CatalogError:
        return None
    try:
        return catalog_source_locations(connection)
    finally:
        connection.close()


def with_catalog_copy(status: SourceStatus, location: str | None) -> SourceStatus:
    """A source with no copy in the caches or the mirror, whose file the catalog was built from is
    still there: that file is its copy (a local path)."""
    if status.path is not None or location is None or not Path(location).is_file():
        return status
    return SourceStatus(status.source, SourceState.LOCAL, Path(location), f"{location} (the catalog's copy)")


def run_sources(args: argparse.Namespace) -> int:
    locations = catalog_locations(args)
    in_catalog = frozenset(locations) if locations is not None else None
    statuses = [
        with_catalog_copy(source_status(source), (locations or {}).get(source.name)) for source in registry()
    ]

    def held(status: SourceStatus) -> bool | None:
        return None if in_catalog is None else status.source.name in in_catalog

    if args.json:
        print(
            json.dumps([{**status_json(status), "in_catalog": held(status)} for status in statuses], indent=2)
        )
        return 0
    name_width = max(len(status.source.name) for status in statuses)
    state_width = max(len(state.value) for state in SourceState)
    mirror = mirror_dir()
    if mirror is not None:
        print(f"mirror: {mirror} (${MIRROR_ENV})")
    indent = " " * (name_width + state_width + 4)
    for status in statuses:
        source = status.source
        state = status.state.value
        mark = {True: "in catalog", False: "not in catalog", None: ""}[held(status)]
        print(f"{source.name:<{name_width}}  {state:<{state_width}}  {source.feeds:<12}  {source.title}")
        print(f"{indent}from {source.location}")
        print(f"{indent}{status.detail}; license: {source.license}" + (f"; {mark}" if mark else ""))
    without_copy = sum(status.path is None for status in statuses)
    print()
    if in_catalog is not None:
        lacking = [status.source.name for status in statuses if not held(status)]
        print(
            f"the catalog holds {len(statuses) - len(lacking)} of {len(statuses)} sources"
            + (f"; not: {', '.join(lacking)}" if lacking else "")
        )
    else:
        print("no catalog yet: `aidxl ingest --fetch` builds one from these")
    if without_copy:
        print(
            f"{without_copy} of {len(statuses)} have no copy here (states above); "
            "`aidxl ingest --fetch` gets the downloadable ones and adds them to the catalog"
        )
    return 0
