"""`aidxl search`: a thin command over kb.search."""

from __future__ import annotations

import argparse
import json
import sqlite3
import sys
from collections.abc import Iterable, Mapping
from dataclasses import asdict
from typing import TYPE_CHECKING, Any

from kb.catalog import SourceRef, open_catalog, trigger_sources
from kb.discover.store import StoredEvidence, read_evidence
from kb.display_text import quoted
from kb.errors import SearchError
from kb.knowledge.copyrights import (
    CopyrightCharacters,
    CopyrightMatch,
    CopyrightMatchKind,
    character_tags_of_copyright,
    characters_of_copyright,
    resolve_copyright,
)
from kb.paths import resolve_catalog_path
from kb.recognition import Recognition, read_verdicts
from kb.schema import TriggerKind, TriggerTier
from kb.search import SearchHit, SearchIndex, parse_kinds
from kb.search.filters import VERDICT_CHOICES, parse_tiers, parse_verdicts, search_kept, verdict_of
from tui.commands.text_input import utf8_text
from tui.widgets.marks import AUTHOR_MARK, TIER_MARKS, VERIFIED_MARK

if TYPE_CHECKING:
    import duckdb

KIND_HELP = (
    "only this kind (repeatable, or comma-separated): "
    + ", ".join(str(kind) for kind in TriggerKind)
    + "; also style/artist, painting, char, series"
)
# The tier mark of a human line (docs/search.md) is the explorer's: tui/widgets/marks.py.


def positive_int(text: str) -> int:
    """An argparse `type=` for a count of at least 1 (`--limit 0` is refused by the parser)."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, got {value}")
    return value


def register(subparsers: Any, common: argparse.ArgumentParser) -> None:
    """Add this group's commands to `aidxl`."""
    search = subparsers.add_parser(
        "search",
        parents=[common],
        help="find triggers and tags by a half-remembered, partial or misspelt name",
        description="Search every trigger, tag, alias and character name of the catalog. Ranks exact "
        "matches, then prefixes and word starts, substrings, abbreviations (detco → detached collar) "
        "and typos (hatsne miku); inside each, verified AIDXL triggers first, then the model author's "
        "vocabulary, then Danbooru tags, each by popularity. "
        f"Marks: {VERIFIED_MARK} verified, {AUTHOR_MARK} author. "
        "--copyright C lists a copyright's characters, most posted first (or searches them).",
    )
    search.add_argument(
        "query",
        metavar="QUERY",
        nargs="?",
        type=utf8_text("QUERY"),
        help="what you remember: `yoneyama`, `hatsne miku`, `detco` (optional with --copyright)",
    )
    search.add_argument(
        "--copyright",
        metavar="C",
        type=utf8_text("--copyright"),
        help="only characters of this copyright, in any form: `genshin_impact`, `genshin impact`, an "
        "alias, a typo; without QUERY, list them all, most posted first",
    )
    search.add_argument("--kind", action="append", metavar="K", help=KIND_HELP)
    search.add_argument(
        "--limit", type=positive_int, default=20, metavar="N", help="at most N hits, N >= 1 (default 20)"
    )
    search.add_argument(
        "--min-count", type=int, default=0, metavar="N", help="only tags with N or more posts"
    )
    search.add_argument("--verified", action="store_true", help="only verified AIDXL triggers")
    search.add_argument(
        "--tier",
        action="append",
        metavar="T",
        help="only triggers of this tier (repeatable, or comma-separated): "
        f"verified (curated, {VERIFIED_MARK}), author (the model author's vocabulary, {AUTHOR_MARK}), "
        "danbooru (other tags)",
    )
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


def _sources_of(args: argparse.Namespace, hits: list[SearchHit]) -> dict[tuple[str, str], SourceRef]:
    """Where each hit's trigger comes from (a tag without a trigger of its own has none)."""
    connection = open_catalog(resolve_catalog_path(getattr(args, "catalog", None)))
    try:
        return trigger_sources(connection, ((hit.text, hit.kind) for hit in hits))
    finally:
        connection.close()


def _source_json(source: SourceRef | None) -> dict[str, Any] | None:
    return source.to_json() if source is not None else None


def load_index_showing_progress(connection: duckdb.DuckDBPyConnection) -> SearchIndex:
    """SearchIndex.load, with a progress bar on stderr (a terminal only) when it has to build the index."""
    from ingest.progress import Progress
    from kb.search.persist import INDEX_BUILD_STAGES

    with Progress(title="search index") as progress:
        progress.begin(len(INDEX_BUILD_STAGES))
        return SearchIndex.load(connection, on_stage=progress.step)


def run_search(args: argparse.Namespace) -> int:
    kinds = parse_kinds(args.kind)
    tiers = parse_tiers(args.tier)
    wanted_verdicts = parse_verdicts(args.verdict)
    if args.query is not None and not args.query.strip():
        args.query = None  # `aidxl search ""` is `aidxl search`: nothing to look for
    if args.query is None and args.copyright is None:
        raise SearchError("give a QUERY, or --copyright C to list a copyright's characters")
    if args.query is None and (kinds is not None or wanted_verdicts is not None):
        raise SearchError("--kind and --verdict narrow a search: give a QUERY with --copyright")
    members: frozenset[str] | None = None
    connection = open_catalog(resolve_catalog_path(getattr(args, "catalog", None)))
    try:
        index = load_index_showing_progress(connection)
        if args.copyright is not None:
            copyright = resolve_copyright(connection, args.copyright, index=index)
            _say_how_copyright_matched(args.copyright, copyright)
            if args.query is None:
                listing = characters_of_copyright(
                    connection,
                    copyright.tag,
                    limit=max(args.limit, 0),
                    min_count=args.min_count,
                    tiers=_listing_tiers(tiers, args.verified),
                    index=index,
                )
                return print_listing(listing, as_json=args.json)
            members = character_tags_of_copyright(connection, copyright.tag)
    finally:
        connection.close()
    filters: dict[str, Any] = {
        "kinds": kinds if kinds is not None or members is None else {str(TriggerKind.CHARACTER)},
        "min_count": args.min_count,
        "verified_only": args.verified,
        "tiers": tiers,
    }
    if wanted_verdicts is None and members is None:
        hits = index.search(args.query, limit=max(args.limit, 0), **filters)
        verdicts = _read_verdicts({hit.text for hit in hits}, args.model_hash)
    else:
        verdicts = (
            _read_verdicts(None, args.model_hash)  # the store is small: every measured trigger
            if wanted_verdicts is not None
            else {}
        )

        def keep(hit: SearchHit) -> bool:
            if members is not None and hit.tag not in members:
                return False
            return wanted_verdicts is None or verdict_of(hit, verdicts) in wanted_verdicts

        hits = search_kept(index, args.query, keep, limit=max(args.limit, 0), **filters)
        if wanted_verdicts is None:
            verdicts = _read_verdicts({hit.text for hit in hits}, args.model_hash)
    if args.json:
        sources = _sources_of(args, hits)
        evidence = read_evidence({hit.text for hit in hits}, model_hash=args.model_hash)
        rows = [
            {
                **hit.to_json(),
                "verdict": verdict_json(verdicts.get(hit.text)),
                "evidence": evidence_json(evidence.get(hit.text)),
                "source": _source_json(sources.get((hit.text, hit.kind))),
            }
            for hit in hits
        ]
        json.dump(rows, sys.stdout, ensure_ascii=False, indent=1)
        sys.stdout.write("\n")
        return 0
    if not hits:
        print(f"aidxl: {nothing_matches_message(args, wanted_verdicts, verdicts)}", file=sys.stderr)
        return 1
    for line in format_hits(hits, verdicts):
        print(line)
    return 0


def nothing_matches_message(
    args: argparse.Namespace, wanted_verdicts: frozenset[str] | None, verdicts: Mapping[str, Recognition]
) -> str:
    """Why a search found nothing, when we know more than "nothing matches": no verdict is recorded
    for a --verdict filter to find, or the catalog holds only the curated triggers."""
    if wanted_verdicts is not None and "unmeasured" not in wanted_verdicts and not verdicts:
        model = f" for model {args.model_hash}" if args.model_hash else ""
        return (
            f"no recognition verdicts are recorded{model}: `aidxl sheet` measures them (a style sheet "
            "records a verdict per style; see `aidxl sheet --help`), and `--verdict unmeasured` lists "
            "triggers without one"
        )
    from tui.state.sources import FETCH_COMMAND, check_sources  # only when nothing matched

    message = f"nothing matches {quoted(args.query)}"
    connection = open_catalog(resolve_catalog_path(getattr(args, "catalog", None)))
    try:
        sources = check_sources(connection)
    finally:
        connection.close()
    if sources.curated_only:
        return (
            f"{message}; this catalog holds only the {sources.triggers} curated triggers: "
            f"`{FETCH_COMMAND}` adds the Danbooru tags, characters and the author's vocabulary "
            "(`aidxl sources` lists them and how to add a local copy)"
        )
    return message


def _listing_tiers(tiers: frozenset[TriggerTier] | None, verified_only: bool) -> frozenset[str] | None:
    wanted = {str(tier) for tier in tiers} if tiers is not None else None
    if verified_only:
        wanted = {str(TriggerTier.VERIFIED)} & wanted if wanted is not None else {str(TriggerTier.VERIFIED)}
    return frozenset(wanted) if wanted is not None else None


def _say_how_copyright_matched(typed: str, copyright: CopyrightMatch) -> None:
    """A note on stderr when the copyright was not typed as its tag: `genshin → genshin_impact`."""
    if copyright.kind is not CopyrightMatchKind.EXACT:
        guessed = " (closest match)" if copyright.kind is CopyrightMatchKind.SEARCH else ""
        print(f"aidxl: copyright {quoted(typed)} → {copyright.tag}{guessed}", file=sys.stderr)


def print_listing(listing: CopyrightCharacters, *, as_json: bool) -> int:
    """`aidxl search --copyright C` without a query: the characters, most posted first."""
    if as_json:
        json.dump(
            [character.to_json() for character in listing.characters],
            sys.stdout,
            ensure_ascii=False,
            indent=1,
        )
        sys.stdout.write("\n")
        return 0
    tag = listing.copyright.tag
    if not listing.characters:
        print(
            f"aidxl: no characters of {tag} (a character belongs to the series its tag names)",
            file=sys.stderr,
        )
        return 1
    shown = len(listing.characters)
    print(f"aidxl: {tag}: {listing.total:,} characters, most posted first; {shown:,} shown", file=sys.stderr)
    width = min(max(len(character.prompt) for character in listing.characters), 60)
    for character in listing.characters:
        mark = TIER_MARKS.get(character.tier, " ")
        print(f"{character.prompt:<{width}}  {mark} {character.count:>9,}")
    return 0


def _read_verdicts(triggers: Iterable[str] | None, model_hash: str | None) -> dict[str, Recognition]:
    """Stored recognition verdicts; a damaged store costs the verdicts, not the search."""
    try:
        return read_verdicts(triggers, model_hash=model_hash)
    except sqlite3.DatabaseError as error:
        print(f"aidxl: recognition verdicts unavailable: {error}", file=sys.stderr)
        return {}


def evidence_json(record: StoredEvidence | None) -> dict[str, Any] | None:
    """`evidence` of a `--json` hit: what `aidxl discover` found in the weights, or None."""
    if record is None:
        return None
    fields = asdict(record)
    del fields["trigger"]
    return fields


def verdict_json(record: Recognition | None) -> dict[str, Any] | None:
    """`verdict` of a `--json` hit: the stored record without its trigger, or None if never measured.

    `control` and `random_weights` are left out: stored records are never controls, and records of
    random-weight models are not read as verdicts.
    """
    if record is None:
        return None
    fields = asdict(record)
    for internal in ("trigger", "control", "random_weights"):
        del fields[internal]
    return fields


def format_hits(hits: list[SearchHit], verdicts: Mapping[str, Recognition] | None = None) -> list[str]:
    """One aligned line per hit: text to paste (alias hits as `alias → tag`), tier mark (TIER_MARKS),
    kind, count, match, and, when any hit has one, its recognition verdict (`yes 0.231 model-name`)."""
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
        mark = TIER_MARKS.get(hit.tier, " ")
        line = f"{display:<{width}}  {mark} {hit.kind:<{kind_width}}  {hit.count:>9,}  {match:<{match_width}}"
        if record is not None:
            line += f"  {record.verdict:<6} {record.score:.3f} {record.model_name}"
        lines.append(line.rstrip())
    return lines
