"""`aidxl sources`: every public source the project knows, and whether a usable copy is here."""

from __future__ import annotations

import argparse
import json
from typing import Any

from ingest.fetch import MIRROR_ENV, SourceState, SourceStatus, mirror_dir, source_status
from ingest.registry import registry


def register(subparsers: Any, common: argparse.ArgumentParser) -> None:
    sources = subparsers.add_parser(
        "sources",
        parents=[common],
        help="list the public sources aidxl knows and their state (cached, missing, local path, ...)",
        description="Every source of the registry: what it feeds, where it comes from, its license and "
        f"whether a usable copy is here (the download cache, the Hugging Face cache, or ${MIRROR_ENV}). "
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


def run_sources(args: argparse.Namespace) -> int:
    statuses = [source_status(source) for source in registry()]
    if args.json:
        print(json.dumps([status_json(status) for status in statuses], indent=2))
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
        print(f"{source.name:<{name_width}}  {state:<{state_width}}  {source.feeds:<12}  {source.title}")
        print(f"{indent}from {source.location}")
        print(f"{indent}{status.detail}; license: {source.license}")
    missing = sum(status.path is None for status in statuses)
    if missing:
        print(f"\n{missing} of {len(statuses)} missing: `aidxl ingest --fetch` gets the downloadable ones.")
    return 0
