"""`aidxl prompt import`: what the explorer's builder would hold after pasting a prompt, an infotext
or a PNG. A thin layer over `kb.workbench.importing.import_source`, the explorer's paste path."""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from tui.commands.help_format import ProseAndExamplesFormatter
from tui.commands.text_input import read_text_argument

EXAMPLES = """\
examples:
  aidxl prompt import "(by ask:1.2, white_dress, <lora:ganyu_v2:0.8>"
  aidxl prompt import --json "[cat|dog], ((smile)), [day:night:0.5] BREAK 1girl" | jq .positive
  aidxl prompt import ~/Pictures/00012-1234.png   # the web UI's parameters, or ComfyUI's graph
  pbpaste | aidxl prompt import -                  # a whole infotext: prompt, negative, settings
"""


def register_prompt_subcommands(prompt_subparsers: Any, common: argparse.ArgumentParser) -> None:
    """Add `import` under `aidxl prompt`."""
    parser = prompt_subparsers.add_parser(
        "import",
        parents=[common],
        help="import a prompt, infotext or PNG as the explorer's builder would (lossless)",
        description="Read a prompt as the explorer's paste does and print what the builder would hold: "
        "its entries (tags with their weights; syntax such as prompt editing, alternation, extra networks, "
        "BREAK and brackets left open kept verbatim), the positive prompt it renders (read by the web UI "
        "exactly as the input, tag by tag), the negative prompt and settings of an infotext, and the lint "
        "findings of the rendered prompt (the same as `aidxl prompt lint`). Traps are reported with "
        "fixes, never changed. A PNG path reads the web UI's `parameters` chunk, or a ComfyUI graph with "
        "one sampler.",
        epilog=EXAMPLES,
        formatter_class=ProseAndExamplesFormatter,
    )
    parser.add_argument(
        "text",
        nargs="?",
        default="-",
        metavar="TEXT|IMAGE.png",
        help="the prompt or infotext, or a PNG file's path; read from stdin when omitted or '-'",
    )
    parser.add_argument(
        "--json",
        action="store_true",
        help="print {source, entries, positive, negative, settings, fields, findings, notes}",
    )
    parser.set_defaults(run=run_import)


def run_import(args: argparse.Namespace) -> int:
    from kb.errors import CatalogError
    from kb.workbench.importing import import_source
    from kb.workbench.linting import lint_context

    text = read_text_argument(args.text, "TEXT")
    connection = None
    try:
        from kb.catalog import open_catalog
        from kb.paths import resolve_catalog_path

        connection = open_catalog(resolve_catalog_path(getattr(args, "catalog", None)))
    except CatalogError as error:
        print(f"aidxl: note: {error}; importing without it (entry kinds unknown)", file=sys.stderr)
    try:
        imported = import_source(text, lint_context(connection))
    finally:
        if connection is not None:
            connection.close()
    if args.json:
        print(json.dumps(imported.to_json(), ensure_ascii=False))
        return 0
    print(f"source: {imported.source}")
    print(f"entries ({len(imported.entries)}):")
    for entry in imported.entries:
        weight = "     —" if entry.is_syntax else f"{entry.weight:6.2f}"
        known = "" if entry.known else "  ?"
        print(f"  {weight}  {entry.kind:<14} {entry.prompt_text()}{known}")
    print(f"positive: {imported.positive}")
    if imported.negative is not None:
        print(f"negative: {imported.negative}")
    if imported.settings is not None:
        settings = imported.settings
        print(
            f"settings: {settings.width}x{settings.height}, {settings.sampler}, {settings.steps} steps, "
            f"CFG {settings.cfg_scale:g}, seed {settings.seed}, clip skip {settings.clip_skip}"
        )
    for note in imported.notes:
        print(f"aidxl: note: {note}", file=sys.stderr)
    for finding in imported.findings:
        fix = f"  fix: `{finding.fix}`" if finding.fix is not None else ""
        print(f"lint {finding.start}-{finding.end} {finding.severity} {finding.code}: {finding.message}{fix}")
    return 0
