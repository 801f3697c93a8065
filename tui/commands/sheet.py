"""`aidxl sheet`: labelled, resumable style preview sheets (library: kb/sheets, docs/sheets.md)."""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

from kb.display_text import quoted
from kb.errors import SheetSpecError
from kb.generate.progress import format_clock
from kb.settings import (
    DEFAULT_BASE_PROMPT,
    DEFAULT_CFG,
    DEFAULT_SHEET_SEEDS,
    EMPHASIS_MODES,
)
from kb.sheets.spec import DEFAULT_CONTROLS, MAX_CONTROLS
from tui.commands.help_format import ProseAndExamplesFormatter, sampler_help, steps_help
from tui.commands.text_input import utf8_text

if TYPE_CHECKING:  # kb.sheets is imported when a sheet is built: `aidxl --help` stays quick
    from kb.sheets.spec import SheetRow, SheetSpec

EPILOG = """\
examples:
  aidxl sheet --styles "by chi4,by ask,(by yoneyama mai:0.9)" --seeds 1,2,3 \\
              --base "1girl, solo, upper body" --out sheets/
  aidxl sheet --spec sheet.toml --dry-run
  aidxl sheet --query "verified artist styles with count > 1000 top 12" \\
              --model tiny-random --size 64x64
  # the cells split over 2 processes:
  accelerate launch --num_processes 2 -m tui.cli sheet --spec sheet.toml

Rows: --styles splits at top-level commas (one trigger per row); --style adds one row that may be
a blend ("(by a:0.9), by b"); --styles-file reads one row per line. Columns: every --base x every
seed. A baseline row (same prompt, no style) leads every page unless --no-baseline.
Re-running the same command generates only the cells not yet in the preview cache.
"""


def register(subparsers: Any, common: argparse.ArgumentParser) -> None:
    """Add this group's commands to `aidxl`."""
    parser = subparsers.add_parser(
        "sheet",
        parents=[common],
        help="generate a labelled style preview sheet (resumable, cached)",
        description="Generate a style preview sheet: one row per style trigger or blend, one column per "
        "seed x base prompt, plus a baseline row; pages as PNG with the settings in a footer and in the "
        "`parameters` chunk, a JSON sidecar, an HTML index, and a recognition score per style.",
        epilog=EPILOG,
        formatter_class=ProseAndExamplesFormatter,
    )
    source = parser.add_argument_group("rows (styles)")
    source.add_argument(
        "--spec", metavar="FILE", help="sheet spec TOML (flags given too override its values)"
    )
    source.add_argument(
        "--styles",
        metavar="LIST",
        type=utf8_text("--styles"),
        help='comma-separated triggers: "by chi4,(by ask:0.8)"',
    )
    source.add_argument(
        "--style",
        metavar="TEXT",
        action="append",
        default=[],
        type=utf8_text("--style"),
        help="one row, may be a blend",
    )
    source.add_argument("--styles-file", metavar="FILE", help="one row per line (# comments allowed)")
    source.add_argument(
        "--query",
        metavar="WORDS",
        type=utf8_text("--query"),
        help='rows from the catalog: "verified artist styles with count > 1000 top 20"',
    )
    source.add_argument("--kind", help="catalog query: trigger kind (artist_style, painting_style, ...)")
    source.add_argument(
        "--verified", action="store_true", default=None, help="catalog query: AIDXL's own only"
    )
    source.add_argument(
        "--discovered",
        action="store_true",
        default=None,
        help="catalog query: only triggers `aidxl discover` ranked for the model, best first",
    )
    source.add_argument("--min-count", type=int, metavar="N", help="catalog query: at least N posts")
    source.add_argument("--limit", type=int, metavar="N", help="catalog query: at most N rows (default 20)")
    source.add_argument(
        "--verdict",
        choices=("yes", "unsure", "no", "unmeasured"),
        help="catalog query: keep triggers with this recognition verdict for the model",
    )
    columns = parser.add_argument_group("columns")
    columns.add_argument(
        "--seeds",
        metavar="LIST",
        help=f"seeds, e.g. 1,2,3 or 1-4 (default {','.join(map(str, DEFAULT_SHEET_SEEDS))})",
    )
    columns.add_argument(
        "--base",
        metavar="PROMPT",
        action="append",
        type=utf8_text("--base"),
        help="base prompt; repeat for more columns; "
        f'`{{style}}` marks the style\'s place (default: "{DEFAULT_BASE_PROMPT}")',
    )
    columns.add_argument(
        "--negative",
        metavar="PROMPT",
        type=utf8_text("--negative"),
        help="negative prompt (default: the model page's)",
    )
    columns.add_argument("--no-baseline", action="store_true", help="leave out the baseline row")
    columns.add_argument(
        "--controls",
        type=_control_count,
        metavar="N",
        help=f"made-up control triggers measured beside the styles (default {DEFAULT_CONTROLS}; "
        "0 leaves them out and every verdict unsure)",
    )
    columns.add_argument(
        "--append-styles", action="store_true", help="put styles last (gentler) instead of first"
    )
    settings = parser.add_argument_group("generation")
    settings.add_argument(
        "--model",
        metavar="PATH|tiny-random",
        help="SDXL .safetensors file or diffusers folder, or the built-in random-weight tiny-random "
        "(default: $AIDXL_MODEL or the config file)",
    )
    settings.add_argument(
        "--sampler",
        metavar="NAME",
        help=sampler_help(),
    )
    settings.add_argument(
        "--steps",
        type=int,
        metavar="N",
        help=steps_help(),
    )
    settings.add_argument("--cfg", type=float, metavar="X", help=f"CFG scale (default {DEFAULT_CFG:g})")
    settings.add_argument(
        "--size", metavar="WxH", help="image size (default 1024x1024; 64x64 for tiny-random)"
    )
    settings.add_argument("--emphasis", choices=EMPHASIS_MODES, help="weight emphasis mode")
    settings.add_argument(
        "--lora-dir",
        metavar="DIR",
        help="folder of the LoRA files the prompts' <lora:NAME:W> name (default: $AIDXL_LORA_DIR or "
        "lora_dir under [generate] in the config file); a LoRA not found stops the sheet before any work",
    )
    layout = parser.add_argument_group("output")
    layout.add_argument("--out", metavar="DIR", default="sheets", help="output folder (default sheets/)")
    layout.add_argument("--page-size", type=int, metavar="ROWS", help="style rows per page (default 8)")
    layout.add_argument("--cell-px", type=int, metavar="PX", help="thumbnail side in the page (default 256)")
    layout.add_argument(
        "--title", type=utf8_text("--title"), help="sheet title (default: AIDXL style sheet HASH)"
    )
    layout.add_argument("--no-record", action="store_true", help="do not store recognition scores")
    layout.add_argument(
        "--dry-run", action="store_true", help="print cells, cached cells and a time estimate"
    )
    layout.add_argument("--json", action="store_true", help="print a JSON object on stdout")
    parser.set_defaults(run=run_sheet_command)


def build_spec(args: argparse.Namespace) -> SheetSpec:
    """The spec of the flags over --spec (merged by `kb.sheets.options`, the explorer's too)."""
    from kb.sheets.options import SheetValues, merged_spec
    from kb.sheets.query import parse_row_query
    from kb.sheets.spec import load_spec_file, parse_seeds, parse_size

    values = SheetValues(
        rows=tuple(_flag_rows(args)),
        query=parse_row_query(args.query) if args.query else None,
        query_fields={
            "kind": args.kind,
            "verified": args.verified,
            "discovered": args.discovered,
            "min_count": args.min_count,
            "limit": args.limit,
            "verdict": args.verdict,
        },
        seeds=parse_seeds(args.seeds, where="--seeds") if args.seeds else None,
        bases=tuple(args.base or ()),
        negative=args.negative,
        model=args.model,
        size=parse_size(args.size, where="--size") if args.size else None,
        settings={
            "sampler": args.sampler,
            "steps": args.steps,
            "cfg_scale": args.cfg,
            "emphasis": args.emphasis,
            "page_rows": args.page_size,
            "cell_px": args.cell_px,
            "title": args.title,
            "controls": args.controls,
            "baseline": False if args.no_baseline else None,
            "style_position": "append" if args.append_styles else None,
        },
    )
    spec_file = load_spec_file(Path(args.spec)) if args.spec else None
    catalog = getattr(args, "catalog", None)
    return merged_spec(values, spec_file, catalog_path=Path(catalog) if catalog else None)


def _flag_rows(args: argparse.Namespace) -> list[SheetRow]:
    """--styles (split at top-level commas), --style (one row each), --styles-file (a row a line)."""
    from kb.sheets.spec import SheetRow, split_top_level

    rows = [SheetRow(style=style) for style in split_top_level(args.styles or "")]
    if args.styles is not None and not rows:
        raise SheetSpecError(
            f"--styles {quoted(args.styles)} names no trigger: give them comma-separated, "
            'e.g. --styles "by chi4,by ask"'
        )
    rows += [SheetRow(style=style.strip()) for style in args.style if style.strip()]
    if args.styles_file:
        rows += _rows_from_file(Path(args.styles_file))
    return rows


def _control_count(text: str) -> int:
    try:
        count = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
    if not 0 <= count <= MAX_CONTROLS:
        raise argparse.ArgumentTypeError(f"{count} is not in 0..{MAX_CONTROLS}")
    return count


def _rows_from_file(path: Path) -> list[SheetRow]:
    from kb.sheets.spec import SheetRow
    from kb.utf8 import decode_utf8

    try:
        lines = decode_utf8(path.read_bytes(), str(path)).splitlines()
    except OSError as error:
        raise SheetSpecError(f"{path}: cannot read the styles file ({error.strerror})") from None
    return [
        SheetRow(style=line.strip()) for line in lines if line.strip() and not line.lstrip().startswith("#")
    ]


def _format_seconds(seconds: float) -> str:
    return format_clock(seconds)


def _progress_printer(is_tty: bool, process_index: int, process_count: int) -> Any:
    """A bar with ETA on a terminal (one process); else one line per finished cell."""
    process = f" [process {process_index + 1}/{process_count}]" if process_count > 1 else ""

    def show(progress: Any) -> None:
        eta = progress.reading.timing  # `2.1 s/cell · ETA 1:13` (kb.generate.progress)
        counts = f"({progress.generated} generated, {progress.cached} cached)"
        if is_tty and not process:
            filled = int(24 * progress.done / max(1, progress.total))
            bar = "#" * filled + "-" * (24 - filled)
            end = "\n" if progress.done == progress.total else ""
            print(
                f"\r[{bar}] {progress.done}/{progress.total} cells {counts} {eta}", end=end, file=sys.stderr
            )
        else:
            # One line per finished cell: what scripts (and the resume test) wait on.
            state = "cached" if progress.from_cache else "generated"
            print(
                f"cell {progress.done}/{progress.total} {progress.cell_id} {state} {counts} {eta}{process}",
                file=sys.stderr,
                flush=True,
            )

    return show


def run_sheet_command(args: argparse.Namespace) -> int:
    from kb.generate.networks import LORA_DIR_ENV
    from kb.sheets.run import dry_run, run_sheet
    from kb.sheets.split import current_share

    if args.lora_dir:
        # The engine reads the folder where every cell's request is built (and each process of a
        # split run parses the same flags): the environment is that setting's one channel.
        os.environ[LORA_DIR_ENV] = args.lora_dir
    spec = build_spec(args)
    if args.dry_run:
        estimate = dry_run(spec)
        for warning in estimate.warnings:
            print(f"aidxl: warning: {warning}", file=sys.stderr)
        if args.json:
            print(
                json.dumps(
                    {
                        "spec_hash": estimate.spec_hash,
                        "cells": estimate.cells,
                        "cached": estimate.cached,
                        "missing": estimate.missing,
                        "estimate_s": round(estimate.estimate_s, 1),
                        "seconds_per_cell": round(estimate.seconds_per_cell, 4),
                        "estimate_basis": estimate.basis,
                        "device": estimate.device,
                    }
                )
            )
        else:
            print(
                f"sheet {estimate.spec_hash}: {estimate.cells} cells, {estimate.cached} cached, "
                f"{estimate.missing} to generate; about {_format_seconds(estimate.estimate_s)} on "
                f"{estimate.device} ({estimate.seconds_per_cell:.2f} s per cell, {estimate.basis})"
            )
        return 0
    share = current_share()
    result = run_sheet(
        spec,
        Path(args.out),
        on_progress=_progress_printer(sys.stderr.isatty(), share.index, share.count),
        share=share,
        record_scores=not args.no_record,
    )
    if not result.is_main:
        return 0
    for warning in result.warnings:
        print(f"aidxl: warning: {warning}", file=sys.stderr)
    if args.json:
        print(
            json.dumps(
                {
                    "pages": [str(page) for page in result.pages],
                    "sidecar": str(result.sidecar),
                    "html": str(result.html),
                    "cells": result.cells,
                    "generated": result.generated,
                    "cached": result.cached,
                    "missing": list(result.missing),
                    "spec_hash": result.spec_hash,
                    "random_weights": any(record.random_weights for record in result.recognitions),
                    "recognition": [
                        {
                            "trigger": record.trigger,
                            "weight": record.weight,
                            "score": record.score,
                            "p_value": record.p_value,
                            "verdict": record.verdict,
                            "samples": record.samples,
                            "measure": record.measure,
                            "control": record.control,
                        }
                        for record in result.recognitions
                    ],
                }
            )
        )
    else:
        for page in result.pages:
            print(page)
        print(result.sidecar)
        print(result.html)
        if any(record.random_weights for record in result.recognitions):
            print(
                "recognition on RANDOM WEIGHTS: a test of the tool, never shown as knowledge",
                file=sys.stderr,
            )
        for record in result.recognitions:
            p_text = "   p  -  " if record.p_value is None else f"p {record.p_value:.3f}"
            print(
                f"  {record.verdict:<6} {record.score:.3f} {p_text}  {record.trigger}"
                + (f" (weight {record.weight:g})" if record.weight != 1.0 else "")
                + ("  [control]" if record.control else ""),
                file=sys.stderr,
            )
        print(f"{result.cells} cells: {result.generated} generated, {result.cached} cached", file=sys.stderr)
    if result.missing:
        print(
            f"aidxl: {len(result.missing)} cells missing (drawn as missing): {', '.join(result.missing)}; "
            "run the same command again to generate them",
            file=sys.stderr,
        )
        return 1
    return 0
