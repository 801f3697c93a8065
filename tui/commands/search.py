"""`aidxl search`: a thin command over kb.search."""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from kb.catalog import open_catalog
from kb.paths import resolve_catalog_path
from kb.schema import TriggerKind
from kb.search import SearchHit, SearchIndex, parse_kinds

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
        "--json",
        action="store_true",
        help="print a JSON array of hits, best first (prompt, tag, kind, count, match, ...)",
    )
    search.set_defaults(run=run_search)


def run_search(args: argparse.Namespace) -> int:
    kinds = parse_kinds(args.kind)
    connection = open_catalog(resolve_catalog_path(getattr(args, "catalog", None)))
    try:
        index = SearchIndex.load(connection)
    finally:
        connection.close()
    hits = index.search(
        args.query,
        limit=max(args.limit, 0),
        kinds=kinds,
        min_count=args.min_count,
        verified_only=args.verified,
    )
    if args.json:
        json.dump([hit.to_json() for hit in hits], sys.stdout, ensure_ascii=False, indent=1)
        sys.stdout.write("\n")
        return 0
    if not hits:
        print(f"aidxl: nothing matches {args.query!r}", file=sys.stderr)
        return 1
    for line in format_hits(hits):
        print(line)
    return 0


def format_hits(hits: list[SearchHit]) -> list[str]:
    """One aligned line per hit: text to paste (alias hits as `alias → tag`), kind, count, match."""
    displays = [hit.display for hit in hits]
    width = min(max(len(display) for display in displays), 60)
    kind_width = max(len(hit.kind) for hit in hits)
    lines = []
    for hit, display in zip(hits, displays, strict=True):
        mark = "✓" if hit.verified else " "
        match = str(hit.match) if hit.via.value in ("trigger", "tag") else f"{hit.via.value} {hit.match}"
        lines.append(f"{display:<{width}}  {mark} {hit.kind:<{kind_width}}  {hit.count:>9,}  {match}")
    return lines
