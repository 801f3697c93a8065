"""`aidxl ingest` and `aidxl stats`: thin commands over ingest.build and kb.catalog."""

from __future__ import annotations

import argparse
import json
import sys
import time
from dataclasses import replace
from pathlib import Path
from typing import Any

from ingest.build import IngestResult, ingest_catalog
from ingest.fetch import MIRROR_ENV
from ingest.problems import format_problems
from ingest.registry import missing_from_catalog, registry
from ingest.source_plan import keep_current_sources, missing_line, plan_fetch
from ingest.specs import (
    DEFAULT_TRIGGERS_REPO,
    TRIGGERS_FILE_NAME,
    SourceSpec,
    load_sources_config,
    parse_trigger_kind,
    source_spec_from_flag,
    with_revision,
)
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
        try:
            specs.append(source_spec_from_flag(self.dest, str(values)))
        except IngestError as error:
            parser.error(str(error))
        setattr(namespace, SPECS_DEST, specs)


class _ModifierAction(argparse.Action):
    """`--kind K` applies to the `--list` just before it; `--revision R` to the Hub source before it."""

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
            specs[-1] = replace(last, list_kind=kind)
        else:
            if last is None or last.hub_repo is None:
                parser.error(
                    "--revision must follow the --tagger hub, --triggers hub or other hub:OWNER/NAME source "
                    "it describes"
                )
            specs[-1] = with_revision(last, value)
        setattr(namespace, SPECS_DEST, specs)


def register(subparsers: Any, common: argparse.ArgumentParser) -> None:
    """Add `aidxl ingest` and `aidxl stats`."""
    ingest = subparsers.add_parser(
        "ingest",
        parents=[common],
        help="build the trigger catalog from tag files and trigger lists",
        description="Build the catalog from the sources in --config and the source flags (which may "
        "repeat), plus the curated lists shipped with aidxl-kb. The catalog is replaced atomically; "
        "with unchanged sources nothing is rebuilt. Bad rows are reported as path:line: reason. Every "
        "source flag also takes hub:OWNER/NAME:FILE (a file read through the Hugging Face cache).",
    )
    ingest.add_argument("--config", metavar="FILE", help="TOML file listing sources (see sources.toml)")
    ingest.add_argument(
        "--fetch",
        action="store_true",
        help="add every public source of the registry (`aidxl sources`) to the catalog's current ones: "
        f"use the download cache or ${MIRROR_ENV}, download what is missing (checksum-verified); "
        "offline, say what is missing and build from what is there",
    )
    ingest.add_argument(
        "--add",
        action="store_true",
        help="keep the sources the catalog was built from (read again from where they were) and add "
        "the ones given; without it (and without --fetch) the catalog is built from the given ones only",
    )
    ingest.add_argument(
        "--tagger",
        action=_SourceAction,
        metavar="FILE|hub|hub:REPO",
        help="a WD tagger selected_tags.csv, or `hub` (SmilingWolf/wd-v1-4-convnext-tagger-v2) / "
        "`hub:OWNER/NAME` to read it through the Hugging Face cache",
    )
    ingest.add_argument(
        "--revision",
        action=_ModifierAction,
        metavar="REV",
        help="Hub revision of the hub source just before it (--tagger hub, --triggers hub, hub:…)",
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
        help="the model author's caption vocabulary JSON (keys quality, aesthetic, style, and in the "
        "full vocabulary artist, character, game)",
    )
    ingest.add_argument(
        "--list",
        action=_SourceAction,
        metavar="FILE",
        help="a trigger list: one per line, or CSV trigger,kind,description (header optional)",
    )
    ingest.add_argument(
        "--implications",
        action=_SourceAction,
        metavar="FILE",
        help="the author's implication table JSON, tag -> [implied tags] (waifuset tag_implications.json)",
    )
    ingest.add_argument(
        "--priorities",
        action=_SourceAction,
        metavar="FILE",
        help="the author's caption-order table JSON, tag -> group index (waifuset tag_priorities.json)",
    )
    ingest.add_argument(
        "--aliases",
        action=_SourceAction,
        metavar="FILE",
        help="the author's alias table JSON, alias -> tag (waifuset tag_aliases.json)",
    )
    ingest.add_argument(
        "--chants",
        action=_SourceAction,
        metavar="FILE",
        help="a chants JSON (tag-autocomplete noob_characters-chants.json): characters' core tags",
    )
    ingest.add_argument(
        "--triggers",
        action=_SourceAction,
        metavar="FILE|hub|hub:OWNER/NAME:FILE",
        help=f"the model's trigger list (one artist per row; header artist/trigger/name/tag/style and "
        f"optional count, or one name per line), or `hub` ({DEFAULT_TRIGGERS_REPO}, {TRIGGERS_FILE_NAME})",
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
        help="show what the catalog holds: rows per source and category, triggers per kind and tier",
        description="Rows per source and Danbooru category, triggers per kind and tier, the catalog's "
        "path and age.",
    )
    stats.add_argument("--json", action="store_true", help="print one JSON object to stdout")
    stats.set_defaults(run=run_stats)


def run_ingest(args: argparse.Namespace) -> int:
    specs: list[SourceSpec] = []
    if args.config:
        specs.extend(load_sources_config(Path(args.config)))
    specs.extend(getattr(args, SPECS_DEST))
    catalog_path = resolve_catalog_path(getattr(args, "catalog", None))
    if args.add or args.fetch:
        specs = with_current_sources(catalog_path, given=specs)
    if args.fetch:
        specs.extend(fetched_specs(already_given=specs))
    result = ingest_catalog(specs, catalog_path, skip_bad=args.skip_bad, allow_curated_only=args.fetch)
    print_ingest_result(result)
    if result.rebuilt and not args.no_search_index:
        prebuild_search_index(catalog_path)
    return 0


def fetched_specs(already_given: list[SourceSpec]) -> list[SourceSpec]:
    """The registry's sources usable now (`ingest.source_plan.plan_fetch`), with one stderr line per
    download and per source that is missing."""
    plan = plan_fetch(already_given)
    for status in plan.downloaded:
        print(f"aidxl ingest: downloaded {status.source.name} to {status.path}", file=sys.stderr)
    if plan.missing and plan.offline_reason is not None:
        print(f"aidxl ingest: {plan.offline_line}; building from what is here", file=sys.stderr)
    for status in plan.missing:
        print(
            f"aidxl ingest: {missing_line(status, offline=plan.offline_reason is not None)}", file=sys.stderr
        )
    return list(plan.specs)


def with_current_sources(catalog_path: Path, given: list[SourceSpec]) -> list[SourceSpec]:
    """`ingest.source_plan.keep_current_sources`, saying on stderr which sources cannot be kept."""
    merged, gone = keep_current_sources(catalog_path, given)
    for label in gone:
        print(
            f"aidxl ingest: cannot keep {label}: its file is gone; give it again to keep it",
            file=sys.stderr,
        )
    return merged


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
    if result.repaired is not None:
        print(
            f"aidxl ingest: {result.catalog_path}: the catalog there was damaged ({result.repaired}); "
            "rebuilt it",
            file=sys.stderr,
        )
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
    for source in result.sources:
        for note in source.notes:
            print(f"  {source.file_name}: {note}")
    skipped = sum(source.skipped for source in result.sources)
    if skipped:
        print(f"{skipped} bad row(s) skipped (--skip-bad)")


def run_stats(args: argparse.Namespace) -> int:
    catalog_path = resolve_catalog_path(getattr(args, "catalog", None))
    connection = open_catalog(catalog_path)
    try:
        stats = catalog_stats(connection, catalog_path)
        missing = missing_from_catalog(connection)
    finally:
        connection.close()
    if args.json:
        document = {**stats.to_json(), "missing_sources": [source.name for source in missing]}
        print(json.dumps(document, indent=2))
    else:
        print(render_stats(stats))
        if missing:
            print(f"\nmissing sources ({len(missing)} of {len(registry())}; `aidxl sources` has details):")
            for source in missing:
                print(f"  {source.how_to_add}")
    return 0


def _age(seconds: float) -> str:
    for unit, size in (("d", 86400), ("h", 3600), ("min", 60)):
        if seconds >= size:
            return f"{seconds / size:.1f} {unit}"
    return f"{seconds:.0f} s"


STATS_ENTRIES_HEADER = (
    "entries and triggers per kind (entries: the rows the explorer and `aidxl search` list; triggers:\n"
    "every trigger text, as exports write them, by tier. A tag's other texts find its entry, so a kind\n"
    "has fewer entries than texts: `by dino (dinoartforame)` finds `by dino`, general `impasto` finds\n"
    "the painting style `impasto`; each verified trigger is an entry of its own):"
)


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
    lines.append(STATS_ENTRIES_HEADER)
    tiers = list(stats.triggers_per_tier)
    entries = stats.entries_per_kind
    kinds = sorted({*stats.triggers_per_kind_and_tier, *entries})
    rows = [["kind", "entries", "triggers", *tiers]]
    for kind in kinds:
        counts = stats.triggers_per_kind_and_tier.get(kind, {})
        per_tier = [str(counts.get(tier, 0)) for tier in tiers]
        rows.append([kind, str(entries.get(kind, 0)), str(sum(counts.values())), *per_tier])
    rows.append(
        [
            "all",
            str(sum(entries.values())),
            str(sum(stats.triggers_per_tier.values())),
            *map(str, stats.triggers_per_tier.values()),
        ]
    )
    widths = [max(len(row[column]) for row in rows) for column in range(len(rows[0]))]
    for row in rows:
        cells = [
            cell.ljust(widths[0]) if index == 0 else cell.rjust(widths[index])
            for index, cell in enumerate(row)
        ]
        lines.append("  " + "  ".join(cells))
    lines.append("")
    lines.append(
        "author tables: " + "  ".join(f"{table}: {count}" for table, count in stats.table_counts.items())
    )
    stored = [source for source in stats.sources if source.rows_per_table]
    if stored:
        lines.append("facts per source (table rows, character forms and copyrights):")
        width = max(len(source.file_name) for source in stored)
        for source in stored:
            facts = "  ".join(f"{table} {count}" for table, count in source.rows_per_table.items())
            lines.append(f"  {source.file_name:<{width}}  {facts}")
    return "\n".join(lines)
