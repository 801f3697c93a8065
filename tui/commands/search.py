"""`aidxl search`: a thin command over kb.search."""

from __future__ import annotations

import argparse
import json
import sqlite3
import sys
from collections.abc import Iterable, Mapping
from dataclasses import asdict
from typing import TYPE_CHECKING, Any

from kb.catalog import open_catalog
from kb.paths import resolve_catalog_path
from kb.recognition import Recognition, read_verdicts
from kb.schema import TriggerKind
from kb.search import SearchHit, SearchIndex, parse_kinds
from kb.search.filters import VERDICT_CHOICES, parse_verdicts, search_by_verdict

if TYPE_CHECKING:
    import duckdb

KIND_HELP = (
    "only this kind (repeatable, or comma-separated): "
    + ", ".join(str(kind) for kind in TriggerKind)
    + "; also style/artist, painting, char, series"
)


def register(subparsers: Any, common: argparse.ArgumentParser) -> None:
    """Add this group's commands to `aidxl`."""
    search = subparsers.add_parser(
        "search",
        parents=[common],
        help="find triggers and tags by a half-remembered, partial or misspelt name",
        description="Search every trigger, tag, alias and character name of the catalog. Ranks exact "
        "matches, then prefixes and word starts, substrings, abbreviations (detco → detached collar) "
        "and typos (hatsne miku), each by popularity; verified AIDXL triggers first.",
    )
    search.add_argument(
        "query", metavar="QUERY", help="what you remember: `yoneyama`, `hatsne miku`, `detco`"
    )
    search.add_argument("--kind", action="append", metavar="K", help=KIND_HELP)
    search.add_argument("--limit", type=int, default=20, metavar="N", help="at most N hits (default 20)")
    search.add_argument(
        "--min-count", type=int, default=0, metavar="N", help="only tags with N or more posts"
    )
    search.add_argument("--verified", action="store_true", help="only verified AIDXL triggers")
    search.add_argument(
        "--verdict",
        action="append",
        metavar="V",
        help="only triggers with this recognition verdict from style sheets (repeatable, or "
        f"comma-separated): {', '.join(VERDICT_CHOICES)}",
    )
    search.add_argument(
        "--model-hash",
        metavar="HASH",
        help="recognition verdicts measured on this model only (default: any model, newest)",
    )
    search.add_argument(
        "--json",
        action="store_true",
        help="print a JSON array of hits, best first (prompt, tag, kind, count, match, ..., verdict)",
    )
    search.set_defaults(run=run_search)


def load_index_showing_progress(connection: duckdb.DuckDBPyConnection) -> SearchIndex:
    """SearchIndex.load, with a progress bar on stderr (a terminal only) when it has to build the index."""
    from ingest.progress import Progress
    from kb.search.persist import INDEX_BUILD_STAGES

    with Progress(title="search index") as progress:
        progress.begin(len(INDEX_BUILD_STAGES))
        return SearchIndex.load(connection, on_stage=progress.step)


def run_search(args: argparse.Namespace) -> int:
    kinds = parse_kinds(args.kind)
    wanted_verdicts = parse_verdicts(args.verdict)
    connection = open_catalog(resolve_catalog_path(getattr(args, "catalog", None)))
    try:
        index = load_index_showing_progress(connection)
    finally:
        connection.close()
    filters: dict[str, Any] = {"kinds": kinds, "min_count": args.min_count, "verified_only": args.verified}
    if wanted_verdicts is None:
        hits = index.search(args.query, limit=max(args.limit, 0), **filters)
        verdicts = _read_verdicts({hit.text for hit in hits}, args.model_hash)
    else:
        verdicts = _read_verdicts(None, args.model_hash)  # the store is small: every measured trigger
        hits = search_by_verdict(
            index, args.query, verdicts, wanted_verdicts, limit=max(args.limit, 0), **filters
        )
    if args.json:
        rows = [{**hit.to_json(), "verdict": verdict_json(verdicts.get(hit.text))} for hit in hits]
        json.dump(rows, sys.stdout, ensure_ascii=False, indent=1)
        sys.stdout.write("\n")
        return 0
    if not hits:
        print(f"aidxl: nothing matches {args.query!r}", file=sys.stderr)
        return 1
    for line in format_hits(hits, verdicts):
        print(line)
    return 0


def _read_verdicts(triggers: Iterable[str] | None, model_hash: str | None) -> dict[str, Recognition]:
    """Stored recognition verdicts; a damaged store costs the verdicts, not the search."""
    try:
        return read_verdicts(triggers, model_hash=model_hash)
    except sqlite3.DatabaseError as error:
        print(f"aidxl: recognition verdicts unavailable: {error}", file=sys.stderr)
        return {}


def verdict_json(record: Recognition | None) -> dict[str, Any] | None:
    """`verdict` of a `--json` hit: the stored record without its trigger, or None if never measured."""
    if record is None:
        return None
    fields = asdict(record)
    del fields["trigger"]
    return fields


def format_hits(hits: list[SearchHit], verdicts: Mapping[str, Recognition] | None = None) -> list[str]:
    """One aligned line per hit: text to paste (alias hits as `alias → tag`), kind, count, match, and,
    when any hit has one, its recognition verdict (`yes 0.231 model-name`)."""
    displays = [hit.display for hit in hits]
    width = min(max(len(display) for display in displays), 60)
    kind_width = max(len(hit.kind) for hit in hits)
    matches = [
        str(hit.match) if hit.via.value in ("trigger", "tag") else f"{hit.via.value} {hit.match}"
        for hit in hits
    ]
    records = [(verdicts or {}).get(hit.text) for hit in hits]
    match_width = max(len(match) for match in matches) if any(records) else 0
    lines = []
    for hit, display, match, record in zip(hits, displays, matches, records, strict=True):
        mark = "✓" if hit.verified else " "
        line = f"{display:<{width}}  {mark} {hit.kind:<{kind_width}}  {hit.count:>9,}  {match:<{match_width}}"
        if record is not None:
            line += f"  {record.verdict:<6} {record.score:.3f} {record.model_name}"
        lines.append(line.rstrip())
    return lines
