"""`aidxl ingest` and `aidxl stats`: thin commands over ingest.build and kb.catalog."""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path
from typing import Any

from ingest.build import IngestResult, ingest_catalog
from ingest.problems import format_problems
from ingest.specs import SourceSpec, load_sources_config, parse_trigger_kind, tagger_spec_from_flag
from kb.catalog import CatalogStats, catalog_stats, open_catalog
from kb.errors import IngestError
from kb.paths import resolve_catalog_path
from kb.schema import Category, TriggerKind

SPECS_DEST = "source_specs"


class _SourceAction(argparse.Action):
    """Appends a SourceSpec to one ordered list, so `--kind`/`--revision` can refer to the flag before."""

    def __call__(
        self, parser: argparse.ArgumentParser, namespace: argparse.Namespace, values: Any, option: Any = None
    ) -> None:
        specs: list[SourceSpec] = list(getattr(namespace, SPECS_DEST, None) or [])
        value = str(values)
        if self.dest == "tagger":
            try:
                specs.append(tagger_spec_from_flag(value))
            except IngestError as error:
                parser.error(str(error))
        else:
            specs.append(SourceSpec(self.dest, path=Path(value)))
        setattr(namespace, SPECS_DEST, specs)


class _ModifierAction(argparse.Action):
    """`--kind K` applies to the `--list` just before it; `--revision R` to the `--tagger hub…` before it."""

    def __call__(
        self, parser: argparse.ArgumentParser, namespace: argparse.Namespace, values: Any, option: Any = None
    ) -> None:
        specs: list[SourceSpec] = list(getattr(namespace, SPECS_DEST, None) or [])
        last = specs[-1] if specs else None
        value = str(values)
        if self.dest == "kind":
            if last is None or last.kind != "list":
                parser.error("--kind must follow the --list FILE it describes")
            try:
                kind = parse_trigger_kind(value, "--kind")
            except IngestError as error:
                parser.error(str(error))
            specs[-1] = SourceSpec("list", path=last.path, list_kind=kind)
        else:
            if last is None or last.hub_repo is None:
                parser.error("--revision must follow the --tagger hub or --tagger hub:REPO it describes")
            specs[-1] = SourceSpec("tagger", hub_repo=last.hub_repo, revision=value)
        setattr(namespace, SPECS_DEST, specs)


def register(subparsers: Any, common: argparse.ArgumentParser) -> None:
    """Add `aidxl ingest` and `aidxl stats`."""
    ingest = subparsers.add_parser(
        "ingest",
        parents=[common],
        help="build the trigger catalog from tag files and trigger lists",
        description="Build the catalog from the sources in --config and the source flags (which may "
        "repeat), plus the curated lists shipped with aidxl-kb. The catalog is replaced atomically; "
        "with unchanged sources nothing is rebuilt. Bad rows are reported as path:line: reason.",
    )
    ingest.add_argument("--config", metavar="FILE", help="TOML file listing sources (see sources.toml)")
    ingest.add_argument(
        "--tagger",
        action=_SourceAction,
        metavar="FILE|hub|hub:REPO",
        help="a WD tagger selected_tags.csv, or `hub` (SmilingWolf/wd-v1-4-convnext-tagger-v2) / "
        "`hub:OWNER/NAME` to read it through the Hugging Face cache",
    )
    ingest.add_argument(
        "--revision", action=_ModifierAction, metavar="REV", help="Hub revision of the --tagger hub before it"
    )
    ingest.add_argument(
        "--tagcomplete",
        action=_SourceAction,
        metavar="FILE",
        help='a tag-autocomplete CSV such as danbooru.csv (name,category,count,"aliases")',
    )
    ingest.add_argument(
        "--vocab",
        action=_SourceAction,
        metavar="FILE",
        help="the model author's caption vocabulary JSON (keys quality, aesthetic, style)",
    )
    ingest.add_argument(
        "--list",
        action=_SourceAction,
        metavar="FILE",
        help="a trigger list: one per line, or CSV trigger,kind,description (header optional)",
    )
    ingest.add_argument(
        "--kind",
        action=_ModifierAction,
        metavar="K",
        help="trigger kind of the --list before it when the file has none "
        f"({', '.join(kind.value for kind in TriggerKind)})",
    )
    ingest.add_argument(
        "--skip-bad", action="store_true", help="ingest the good rows, report the skipped ones"
    )
    ingest.add_argument(
        "--no-search-index",
        action="store_true",
        help="do not prebuild the search index (the first search then builds it, ~10 s)",
    )
    ingest.set_defaults(run=run_ingest, **{SPECS_DEST: []})

    stats = subparsers.add_parser(
        "stats",
        parents=[common],
        help="show what the catalog holds: rows per source and category, triggers per kind",
        description="Rows per source and Danbooru category, triggers per kind, the catalog's path and age.",
    )
    stats.add_argument("--json", action="store_true", help="print one JSON object to stdout")
    stats.set_defaults(run=run_stats)


def run_ingest(args: argparse.Namespace) -> int:
    specs: list[SourceSpec] = []
    if args.config:
        specs.extend(load_sources_config(Path(args.config)))
    specs.extend(getattr(args, SPECS_DEST))
    catalog_path = resolve_catalog_path(getattr(args, "catalog", None))
    result = ingest_catalog(specs, catalog_path, skip_bad=args.skip_bad)
    print_ingest_result(result)
    if result.rebuilt and not args.no_search_index:
        prebuild_search_index(catalog_path)
    return 0


def prebuild_search_index(catalog_path: Path) -> None:
    """Build and persist the search index now, so the first search or explorer start is instant."""
    from tui.commands.search import load_index_showing_progress

    started = time.perf_counter()
    connection = open_catalog(catalog_path)
    try:
        load_index_showing_progress(connection)
    finally:
        connection.close()
    print(f"search index: ready in {time.perf_counter() - started:.1f} s", file=sys.stderr)


def print_ingest_result(result: IngestResult) -> None:
    for removed in result.removed_temp_files:
        print(f"aidxl ingest: removed {removed} left by an interrupted build", file=sys.stderr)
    if not result.rebuilt:
        print(f"{result.catalog_path}: up to date (sources unchanged), nothing rebuilt")
        return
    for source in result.sources:
        if source.skipped:
            print(
                f"aidxl ingest: {source.location}: skipped {source.skipped} bad row(s):\n"
                + format_problems(source.problems),
                file=sys.stderr,
            )
    counts = result.counts
    print(
        f"{result.catalog_path}: built in {result.seconds:.2f} s: {counts.tags} tags, "
        f"{counts.aliases} aliases, "
        f"{counts.triggers} triggers, {counts.characters} characters from {counts.sources} sources"
    )
    skipped = sum(source.skipped for source in result.sources)
    if skipped:
        print(f"{skipped} bad row(s) skipped (--skip-bad)")


def run_stats(args: argparse.Namespace) -> int:
    catalog_path = resolve_catalog_path(getattr(args, "catalog", None))
    connection = open_catalog(catalog_path)
    try:
        stats = catalog_stats(connection, catalog_path)
    finally:
        connection.close()
    if args.json:
        print(json.dumps(stats.to_json(), indent=2))
    else:
        print(render_stats(stats))
    return 0


def _age(seconds: float) -> str:
    for unit, size in (("d", 86400), ("h", 3600), ("min", 60)):
        if seconds >= size:
            return f"{seconds / size:.1f} {unit}"
    return f"{seconds:.0f} s"


def render_stats(stats: CatalogStats) -> str:
    categories = [category for category in Category]
    header = ["source", "kind", "rows", "skipped", *(category.name.lower() for category in categories)]
    table = [header]
    for source in stats.sources:
        table.append(
            [source.file_name, source.kind, str(source.rows), str(source.skipped)]
            + [str(source.rows_per_category.get(int(category), "")) for category in categories]
        )
    widths = [max(len(row[column]) for row in table) for column in range(len(header))]
    lines = [
        f"catalog: {stats.path}",
        f"built:   {stats.built_at:%Y-%m-%d %H:%M:%S} UTC ({_age(stats.age_seconds())} ago), "
        f"schema {stats.schema_version}",
        f"tags: {stats.tag_count}  aliases: {stats.alias_count}  characters: {stats.character_count}",
        "",
    ]
    for row in table:
        cells = [
            cell.ljust(widths[0]) if index == 0 else cell.rjust(widths[index])
            for index, cell in enumerate(row)
        ]
        lines.append("  ".join(cells).rstrip())
    lines.append("")
    lines.append("triggers per kind (verified):")
    for kind, count in sorted(stats.triggers_per_kind.items()):
        lines.append(f"  {kind:<15} {count:>7}  ({stats.verified_triggers_per_kind.get(kind, 0)})")
    return "\n".join(lines)
