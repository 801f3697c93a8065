"""`aidxl discover`: rank candidate triggers by what a fine-tune changed in its text encoders."""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path
from typing import Any

from tui.commands.help_format import ProseAndExamplesFormatter

EPILOG = """\
examples:
  aidxl discover --model aidxl-v0.8.safetensors --base sd_xl_base_1.0.safetensors
  aidxl discover --model AIDXL/ --base sdxl-base/ --candidates danbooru --top 1000 --json
  aidxl discover --model aidxl.safetensors --base base.safetensors --candidates names.txt

Candidates: `author` (default: the artist styles of the author's vocabulary, about 25,000),
`danbooru` (every artist style in the catalog) or a file with one trigger per line (`by name`,
or just `name`). Every candidate is scored by its token rows; the best --top also by CLIP-L's
output drift (needs the gpu extra). The evidence is stored per trigger and model hash beside the
recognition verdicts; `aidxl search --json` shows it as `evidence`. A moved row is a necessary
condition, not recognition: sheets measure recognition (docs/discover.md).
"""


def register(subparsers: Any, common: argparse.ArgumentParser) -> None:
    parser = subparsers.add_parser(
        "discover",
        parents=[common],
        help="rank candidate triggers by what a fine-tune changed in its text encoders",
        description="Compare a checkpoint's two text encoders with its base's, token row by token row, "
        "and rank candidate triggers by how much of their names the fine-tune moved. Only the token "
        "embeddings (and CLIP-L for the best) are read, never the whole checkpoint.",
        epilog=EPILOG,
        formatter_class=ProseAndExamplesFormatter,
    )
    parser.add_argument(
        "--model",
        required=True,
        metavar="CHECKPOINT",
        help="the fine-tune: a .safetensors file or a diffusers folder",
    )
    parser.add_argument(
        "--base", required=True, metavar="BASE", help="the model it was trained from, same layout"
    )
    parser.add_argument(
        "--candidates",
        default="author",
        metavar="author|danbooru|FILE",
        help="which triggers to rank (default: author)",
    )
    parser.add_argument(
        "--top",
        type=_top,
        default=None,
        metavar="N|all",
        help="measure CLIP-L output drift for the best N (default 256; 0: rows only; all: every "
        "candidate, about 37 ms each on 2 CPU cores)",
    )
    parser.add_argument("--limit", type=_positive, default=20, metavar="N", help="rows to print (default 20)")
    parser.add_argument("--json", action="store_true", help="print the whole ranking as JSON")
    parser.add_argument("--no-record", action="store_true", help="do not store the evidence")
    parser.set_defaults(run=run_discover)


def _count(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
    if value < 0:
        raise argparse.ArgumentTypeError(f"{value} is below 0")
    return value


def _top(text: str) -> int:
    return sys.maxsize if text.strip().lower() == "all" else _count(text)


def _positive(text: str) -> int:
    value = _count(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"{value} is below 1")
    return value


def run_discover(args: argparse.Namespace) -> int:
    from kb.discover.candidates import CANDIDATE_SETS, catalog_candidates, file_candidates
    from kb.discover.run import DEFAULT_TOP, discover
    from kb.discover.store import record_evidence
    from kb.paths import resolve_catalog_path

    if args.candidates in CANDIDATE_SETS:
        candidates = catalog_candidates(resolve_catalog_path(getattr(args, "catalog", None)), args.candidates)
    else:
        candidates = file_candidates(Path(args.candidates))
    started = time.perf_counter()
    found = discover(
        Path(args.model),
        Path(args.base),
        candidates,
        top=DEFAULT_TOP if args.top is None else args.top,
        on_progress=lambda message: print(f"aidxl discover: {message}", file=sys.stderr),
    )
    seconds = time.perf_counter() - started
    if not args.no_record:
        record_evidence(found.stored())
    print(
        f"aidxl discover: {len(found.ranked)} candidates in {seconds:.1f} s "
        f"({len(found.ranked) / max(seconds, 1e-9):,.0f}/s), output drift for {found.output_measured}",
        file=sys.stderr,
    )
    if args.json:
        print(
            json.dumps(
                {
                    "model": str(found.checkpoint),
                    "model_hash": found.model_hash,
                    "base": str(found.base),
                    "base_hash": found.base_hash,
                    "candidates": len(found.ranked),
                    "ranking": [
                        {
                            "rank": rank,
                            "trigger": item.trigger,
                            "tokens": item.tokens,
                            "rows_changed": item.rows_changed,
                            "row_drift": round(item.row_drift, 6),
                            "row_score": round(item.row_score, 6),
                            "output_drift": None
                            if item.output_drift is None
                            else round(item.output_drift, 6),
                        }
                        for rank, item in enumerate(found.ranked, start=1)
                    ],
                },
                ensure_ascii=False,
            )
        )
        return 0
    print(f"{'rank':>5}  {'rows':>5}  {'drift':>8}  {'output':>8}  trigger")
    for rank, item in enumerate(found.ranked[: args.limit], start=1):
        output = "-" if item.output_drift is None else f"{item.output_drift:.4f}"
        rows = f"{item.rows_changed:>2}/{item.tokens:<2}"
        print(f"{rank:>5}  {rows}  {item.row_drift:>8.4f}  {output:>8}  {item.trigger}")
    return 0
