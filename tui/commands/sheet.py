"""`aidxl sheet`: labelled, resumable style preview sheets (library: kb/sheets, docs/sheets.md)."""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path
from typing import Any

from kb.display_text import quoted
from kb.errors import SheetSpecError
from kb.generate.progress import format_clock
from kb.sheets.spec import DEFAULT_CONTROLS, MAX_CONTROLS
from kb.workbench.defaults import DEFAULT_BASE_PROMPT as DEFAULT_BASE
from tui.commands.help_format import ProseAndExamplesFormatter
from tui.commands.text_input import utf8_text

DEFAULT_SEEDS = "1,2,3"

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
        "--seeds", metavar="LIST", help=f"seeds, e.g. 1,2,3 or 1-4 (default {DEFAULT_SEEDS})"
    )
    columns.add_argument(
        "--base",
        metavar="PROMPT",
        action="append",
        type=utf8_text("--base"),
        help="base prompt; repeat for more columns; "
        f'`{{style}}` marks the style\'s place (default: "{DEFAULT_BASE}")',
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
        "--sampler", metavar="NAME", help="sampler: 'Euler a' (default) or 'DPM++ 2M Karras'"
    )
    settings.add_argument(
        "--steps", type=int, metavar="N", help="denoising steps (default 28 Euler a, 35 DPM++ 2M Karras)"
    )
    settings.add_argument("--cfg", type=float, metavar="X", help="CFG scale (default 7)")
    settings.add_argument(
        "--size", metavar="WxH", help="image size (default 1024x1024; 64x64 for tiny-random)"
    )
    settings.add_argument("--emphasis", choices=("original", "no_norm"), help="weight emphasis mode")
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


def build_spec(args: argparse.Namespace) -> Any:
    """The spec from --spec and the flags (flags win), with catalog rows resolved."""
    from kb.knowledge.curated import load_negative_prompt
    from kb.paths import resolve_catalog_path
    from kb.sheets.query import describe_row_query, parse_row_query, rows_from_catalog
    from kb.sheets.render_cells import canonical_sampler, model_setting, resolve_model
    from kb.sheets.spec import (
        RowQuery,
        SheetRow,
        load_spec_file,
        parse_seeds,
        parse_size,
        spec_from_values,
        split_top_level,
    )

    file_spec = load_spec_file(Path(args.spec)) if args.spec else None
    settings: dict[str, Any] = dict(file_spec.settings) if file_spec else {}
    for field, value in (
        ("sampler", args.sampler),
        ("steps", args.steps),
        ("cfg", args.cfg),
        ("emphasis", args.emphasis),
        ("page_rows", args.page_size),
        ("cell_px", args.cell_px),
        ("title", args.title),
    ):
        if value is not None:
            settings[field] = value
    if args.size:
        settings["width"], settings["height"] = parse_size(args.size, where="--size")
    if args.no_baseline:
        settings["baseline"] = False
    if args.controls is not None:
        settings["controls"] = args.controls
    if args.append_styles:
        settings["style_position"] = "append"
    settings["model"] = model_setting(args.model or settings.get("model"))
    if "width" not in settings and resolve_model(settings["model"]).random_weights:
        from kb.generate.preview import TINY_DEFAULT_SIZE  # as --help says: 64x64 on tiny-random

        settings["width"], settings["height"] = TINY_DEFAULT_SIZE
    if "sampler" in settings:
        settings["sampler"] = canonical_sampler(settings["sampler"])

    rows = list(file_spec.rows) if file_spec else []
    flag_rows = [SheetRow(style=style) for style in split_top_level(args.styles or "")]
    if args.styles is not None and not flag_rows:
        raise SheetSpecError(
            f"--styles {quoted(args.styles)} names no trigger: give them comma-separated, "
            'e.g. --styles "by chi4,by ask"'
        )
    flag_rows += [SheetRow(style=style.strip()) for style in args.style if style.strip()]
    if args.styles_file:
        flag_rows += _rows_from_file(Path(args.styles_file))
    if flag_rows:
        rows = flag_rows

    query = file_spec.query if file_spec else None
    if args.query:
        query = parse_row_query(args.query)
    structured = {
        "kind": args.kind,
        "verified": args.verified,
        "discovered": args.discovered,
        "min_count": args.min_count,
        "limit": args.limit,
        "verdict": args.verdict,
    }
    if any(value is not None for value in structured.values()):
        base_query = query or RowQuery()
        query = RowQuery(
            **{
                **base_query.__dict__,
                **{key: value for key, value in structured.items() if value is not None},
            }
        )
    if query is not None:
        model = resolve_model(settings["model"])
        rows += [
            row
            for row in rows_from_catalog(
                query, resolve_catalog_path(getattr(args, "catalog", None)), model_hash=model.model_hash
            )
            if row.style not in {existing.style for existing in rows}
        ]
        if not rows:
            raise SheetSpecError(
                f"the catalog query found no triggers: {describe_row_query(query)}; "
                "widen it (lower --min-count, no --verified) or give --styles"
            )

    if not rows and query is None:  # a sheet of the baseline row alone compares nothing
        raise SheetSpecError(
            "no style rows: give --styles, --style, --styles-file, --query or a --spec with rows"
        )
    if args.seeds:
        seeds = parse_seeds(args.seeds, where="--seeds")
    elif file_spec and file_spec.seeds:
        seeds = file_spec.seeds
    else:
        seeds = parse_seeds(DEFAULT_SEEDS, where="default seeds")
    bases: list[Any] = (
        list(args.base)
        if args.base
        else list(file_spec.bases)
        if file_spec and file_spec.bases
        else [DEFAULT_BASE]
    )
    negative = args.negative if args.negative is not None else (file_spec.negative if file_spec else None)
    if negative is None:
        negative = load_negative_prompt().text
    return spec_from_values(
        rows=rows, seeds=seeds, bases=bases, negative=negative.strip(), query=query, **settings
    )


def _control_count(text: str) -> int:
    try:
        count = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
    if not 0 <= count <= MAX_CONTROLS:
        raise argparse.ArgumentTypeError(f"{count} is not in 0..{MAX_CONTROLS}")
    return count


def _rows_from_file(path: Path) -> list[Any]:
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
