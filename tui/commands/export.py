"""`aidxl export tagcomplete|styles|wildcards` and `aidxl import styles`: the catalog and the user's
blends and saved prompts in the formats of the tools AIDXL users already have (docs/bridges.md)."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from kb import __version__
from kb.catalog import open_catalog
from kb.errors import AidxlError, CatalogError
from kb.export.entries import DEFAULT_KINDS, TIER_CHOICES, export_entries, parse_kinds, tiers_of
from kb.export.files import write_export_file
from kb.export.provenance import catalog_provenance, sidecar_path, sidecar_text
from kb.export.styles import (
    ImportedBlend,
    ImportedPrompt,
    StyleRow,
    blend_style,
    comment_row,
    prompt_style,
    read_styles,
    write_styles,
)
from kb.export.tagcomplete import CompleterFormat, TagcompleteTarget, export_completer_csv
from kb.export.wildcards import build_wildcards, write_wildcards
from kb.paths import resolve_catalog_path
from kb.userdata import BlendStyle, UserData, default_user_data_path, load_user_data
from tui.commands.help_format import ProseAndExamplesFormatter

EXPORT_DESCRIPTION = """\
Write what aidxl knows in the formats of the tools you already use: tag-autocomplete and
ComfyUI-Autocomplete-Plus CSVs, the web UI's styles.csv, Dynamic Prompts wildcard files.
Each export is deterministic (the same catalog gives the same bytes) and names its source.
docs/bridges.md says where each file goes.
"""

TAGCOMPLETE_DESCRIPTION = """\
A CSV of AIDXL's triggers for a prompt completer: style triggers as `by xxx` (artist colour),
characters in the form AIDXL was trained on, painting-style, quality and aesthetic tags, with
post counts and aliases where the catalog knows them, best tier first. The catalog, its build and
the tool version go in a sidecar FILE.source.txt (the format has no comments).

--format tagcomplete (default): a1111-sd-webui-tagcomplete's `name,category,count,"aliases"`. Put
it in the extension's tags folder and pick it under Settings > Tag Autocomplete > "Extra filename"
(--target extra, the default: names in A1111 form, inserted as they are), or as the "Tag filename"
with --target main (the completer escapes brackets itself then):
  stable-diffusion-webui/extensions/a1111-sd-webui-tagcomplete/tags/aidxl.csv

--format autocomplete-plus: ComfyUI-Autocomplete-Plus's user CSV (header tag,category,count,alias;
Danbooru form). Name it danbooru_tags_<anything>.csv in its data folder, then reload the browser:
  ComfyUI/custom_nodes/ComfyUI-Autocomplete-Plus/data/danbooru_tags_aidxl.csv

examples:
  aidxl export tagcomplete --out aidxl.csv
  aidxl export tagcomplete --out aidxl.csv --tier verified --kinds style,painting,quality
  aidxl export tagcomplete --format autocomplete-plus --out danbooru_tags_aidxl.csv
"""

STYLES_DESCRIPTION = """\
Write your saved blends and saved prompts (the explorer's `b` and `S`) into the web UI's
styles.csv: a blend as `AIDXL blend: NAME` whose prompt puts the blend before yours
(`(by a:0.9), by b, {prompt}`), a saved prompt as `AIDXL prompt: NAME` with its negative prompt.
An existing file keeps every other row where it was; rows of ours are replaced in place; the file
is replaced atomically and the old one kept as styles.csv.bak (only when something changed).
Use the web UI's own styles.csv, next to webui.py, then press the styles list's refresh button:
  stable-diffusion-webui/styles.csv

examples:
  aidxl export styles --out ~/stable-diffusion-webui/styles.csv
  aidxl export styles --out styles.csv --dry-run --json
"""

WILDCARDS_DESCRIPTION = """\
Write Dynamic Prompts wildcard files into DIR/aidxl/: styles-verified, styles-author,
painting-styles, quality, aesthetic, and characters/<copyright> for each --copyright. Use them as
__aidxl/styles-verified__ in a prompt, for random style mixes ({2$$__aidxl/styles-verified__}) or
an X/Y/Z grid. Each file starts with `#` comment lines naming the catalog. DIR is the extension's
wildcards folder:
  stable-diffusion-webui/extensions/sd-dynamic-prompts/wildcards

examples:
  aidxl export wildcards ~/stable-diffusion-webui/extensions/sd-dynamic-prompts/wildcards
  aidxl export wildcards wildcards/ --copyright "genshin impact" --copyright hololive
"""

IMPORT_DESCRIPTION = """\
Read styles from a web UI styles.csv into your saved blends and prompts (the explorer's `l` and `L`).
A row named `AIDXL blend: NAME`, or any style whose prompt is only `by ...` style triggers (and
{prompt}) with no negative prompt, becomes a blend; any other style a saved prompt, its tags matched
against the catalog like a paste. A name you already have with different content is kept unless
--replace. Rows the web UI skips (blank, names starting with #) are skipped too.

examples:
  aidxl import styles ~/stable-diffusion-webui/styles.csv
  aidxl import styles styles.csv --replace --json
"""


def register(subparsers: Any, common: argparse.ArgumentParser) -> None:
    export = subparsers.add_parser(
        "export",
        parents=[common],
        help="write triggers, blends and prompts for tag-autocomplete, ComfyUI, styles.csv, wildcards",
        description=EXPORT_DESCRIPTION,
        formatter_class=ProseAndExamplesFormatter,
    )
    export_subparsers = export.add_subparsers(dest="export_command", metavar="FORMAT", required=True)

    tagcomplete = export_subparsers.add_parser(
        "tagcomplete",
        parents=[common],
        help="a completer CSV of AIDXL's triggers (tag-autocomplete, ComfyUI-Autocomplete-Plus)",
        description=TAGCOMPLETE_DESCRIPTION,
        formatter_class=ProseAndExamplesFormatter,
    )
    tagcomplete.add_argument("--out", required=True, metavar="FILE", help="the CSV to write")
    tagcomplete.add_argument(
        "--tier",
        choices=tuple(TIER_CHOICES),
        default="author",
        help="verified: AIDXL's own triggers only; author (default): also the model author's "
        "vocabulary; all: also every Danbooru artist and character",
    )
    tagcomplete.add_argument(
        "--kinds",
        metavar="K,K",
        default=",".join(str(kind) for kind in DEFAULT_KINDS),
        help="trigger kinds, comma-separated: artist_style (style), character, painting_style "
        "(painting), quality, aesthetic, copyright (default: all but copyright)",
    )
    tagcomplete.add_argument(
        "--format",
        choices=[str(choice) for choice in CompleterFormat],
        default=str(CompleterFormat.TAGCOMPLETE),
        help="tagcomplete (default): a1111-sd-webui-tagcomplete; "
        "autocomplete-plus: ComfyUI-Autocomplete-Plus",
    )
    tagcomplete.add_argument(
        "--target",
        choices=[str(choice) for choice in TagcompleteTarget],
        default=str(TagcompleteTarget.EXTRA),
        help="tagcomplete only: extra (default) for the 'Extra filename' setting, main for 'Tag filename'",
    )
    tagcomplete.add_argument("--json", action="store_true", help="print a JSON summary to stdout")
    tagcomplete.set_defaults(run=run_export_tagcomplete)

    styles = export_subparsers.add_parser(
        "styles",
        parents=[common],
        help="saved blends and prompts into the web UI's styles.csv (merged, atomic, with a backup)",
        description=STYLES_DESCRIPTION,
        formatter_class=ProseAndExamplesFormatter,
    )
    styles.add_argument("--out", required=True, metavar="FILE", help="the styles.csv to write or merge into")
    styles.add_argument("--dry-run", action="store_true", help="say what would change; write nothing")
    styles.add_argument("--json", action="store_true", help="print a JSON summary to stdout")
    styles.set_defaults(run=run_export_styles)

    wildcards = export_subparsers.add_parser(
        "wildcards",
        parents=[common],
        help="Dynamic Prompts wildcard files: styles, painting styles, quality, aesthetic, characters",
        description=WILDCARDS_DESCRIPTION,
        formatter_class=ProseAndExamplesFormatter,
    )
    wildcards.add_argument("dir", metavar="DIR", help="the wildcards folder; files go to DIR/aidxl/")
    wildcards.add_argument(
        "--copyright",
        action="append",
        default=[],
        metavar="NAME",
        help="also write the characters of this copyright (any form: 'genshin impact'); repeatable",
    )
    wildcards.add_argument("--json", action="store_true", help="print a JSON summary to stdout")
    wildcards.set_defaults(run=run_export_wildcards)

    import_parser = subparsers.add_parser(
        "import",
        parents=[common],
        help="read a web UI styles.csv back into saved blends and prompts",
        description="Bring what other tools hold into aidxl. `aidxl import styles FILE` reads a web "
        "UI styles.csv into your saved blends and prompts.",
    )
    import_subparsers = import_parser.add_subparsers(dest="import_command", metavar="FORMAT", required=True)
    import_styles = import_subparsers.add_parser(
        "styles",
        parents=[common],
        help="styles.csv rows → saved blends and saved prompts",
        description=IMPORT_DESCRIPTION,
        formatter_class=ProseAndExamplesFormatter,
    )
    import_styles.add_argument("file", metavar="FILE", help="a styles.csv")
    import_styles.add_argument("--replace", action="store_true", help="replace same-named blends and prompts")
    import_styles.add_argument("--dry-run", action="store_true", help="say what would change; save nothing")
    import_styles.add_argument("--json", action="store_true", help="print a JSON summary to stdout")
    import_styles.set_defaults(run=run_import_styles)


# ------------------------------------------------------------------ export tagcomplete


def run_export_tagcomplete(args: argparse.Namespace) -> int:
    kinds = parse_kinds(args.kinds)
    tiers = tiers_of(args.tier)
    export_format = CompleterFormat(args.format)
    target = TagcompleteTarget(args.target)
    catalog_path = resolve_catalog_path(getattr(args, "catalog", None))
    connection = open_catalog(catalog_path)
    try:
        provenance = catalog_provenance(connection, catalog_path)
        entries = export_entries(connection, kinds=kinds, tiers=tiers)
    finally:
        connection.close()
    export = export_completer_csv(entries, export_format, target)
    out_path = Path(args.out)
    details = [
        f"format: {export_format}"
        + (f", target {target}" if export_format is CompleterFormat.TAGCOMPLETE else ""),
        f"tiers: {', '.join(str(tier) for tier in tiers)}",
        f"kinds: {', '.join(str(kind) for kind in kinds)}",
        f"rows: {len(export.rows)}",
    ]
    side = sidecar_path(out_path)
    _write_text(out_path, export.text)
    _write_text(
        side, sidecar_text(provenance, f"{out_path.name}: AIDXL triggers for a prompt completer", details)
    )
    per_kind = {str(kind): sum(1 for entry in entries if entry.kind is kind) for kind in kinds}
    if args.json:
        summary = {
            "path": str(out_path),
            "sidecar": str(side),
            "format": str(export_format),
            "rows": len(export.rows),
            "rows_per_kind": per_kind,
            "verified_styles": list(export.verified_styles),
        }
        print(json.dumps(summary, indent=2, ensure_ascii=False))
        return 0
    counts = ", ".join(f"{count} {kind}" for kind, count in per_kind.items())
    print(f"wrote {len(export.rows)} rows to {out_path} ({counts})")
    print(f"verified style triggers: {len(export.verified_styles)}, each as `by xxx`")
    print(f"source: {side}")
    return 0


# ------------------------------------------------------------------ export styles


def style_rows(user_data: UserData) -> list[StyleRow]:
    """Blends, then saved prompts, each sorted by name: the rows `aidxl export styles` writes."""
    rows = [
        blend_style(name, [(style.text, style.weight) for style in user_data.blends[name]])
        for name in sorted(user_data.blends)
    ]
    for name in sorted(user_data.saved_prompts):
        positive, negative = rendered_saved_prompt(user_data.saved_prompts[name])
        rows.append(prompt_style(name, positive, negative))
    return rows


def rendered_saved_prompt(builder_json: dict[str, Any]) -> tuple[str, str]:
    """A saved prompt as the explorer's builder renders it (one rendering: tui.state.rendering)."""
    from kb.workbench.draft import PromptDraft
    from kb.workbench.rendering import assemble_draft

    positive, negative, _ = assemble_draft(PromptDraft.from_json(builder_json))
    return positive, negative


def run_export_styles(args: argparse.Namespace) -> int:
    user_data = load_user_data()
    rows = style_rows(user_data)
    comment = comment_row(f"{__version__} export: AIDXL blends and saved prompts from {user_data.path}")
    out_path = Path(args.out)
    report = write_styles(out_path, rows, comment, dry_run=args.dry_run)
    if args.json:
        summary = {
            "path": str(out_path),
            "written": report.changed and not args.dry_run,
            "blends": len(user_data.blends),
            "saved_prompts": len(user_data.saved_prompts),
            "added": report.added,
            "replaced": report.replaced,
            "unchanged": report.unchanged,
            "other_rows_kept": report.kept,
            "backup": str(report.backup) if report.backup is not None else None,
        }
        print(json.dumps(summary, indent=2, ensure_ascii=False))
        return 0
    verb = "would write" if args.dry_run else "wrote"
    if not report.changed:
        verb = "unchanged:"
    print(
        f"{verb} {out_path}: {len(user_data.blends)} blends and {len(user_data.saved_prompts)} saved prompts "
        f"({len(report.added)} added, {len(report.replaced)} replaced, {len(report.unchanged)} unchanged); "
        f"{report.kept} other rows kept"
    )
    if report.backup is not None:
        print(f"previous file: {report.backup}")
    return 0


# ------------------------------------------------------------------ export wildcards


def run_export_wildcards(args: argparse.Namespace) -> int:
    catalog_path = resolve_catalog_path(getattr(args, "catalog", None))
    connection = open_catalog(catalog_path)
    try:
        provenance = catalog_provenance(connection, catalog_path)
        export = build_wildcards(connection, provenance, copyrights=args.copyright)
    finally:
        connection.close()
    folder = Path(args.dir)
    write_wildcards(export, folder)
    if args.json:
        files = [
            {
                "path": str(folder / item.relative_path),
                "wildcard": item.wildcard,
                "values": item.values,
                "left_out": list(item.left_out),
            }
            for item in export.files
        ]
        print(json.dumps({"dir": str(folder), "files": files}, indent=2, ensure_ascii=False))
        return 0
    for item in export.files:
        left_out = f" ({len(item.left_out)} left out: Dynamic Prompts syntax)" if item.left_out else ""
        print(f"{item.wildcard:<45} {item.values:>6} values  {folder / item.relative_path}{left_out}")
    return 0


# ------------------------------------------------------------------ import styles


def run_import_styles(args: argparse.Namespace) -> int:
    notes: list[str] = []
    imported = read_styles(Path(args.file), notes)
    user_data = load_user_data()
    prompts = [item for item in imported if isinstance(item, ImportedPrompt)]
    builder_states = saved_prompt_states(prompts, getattr(args, "catalog", None)) if prompts else {}
    outcome: dict[str, list[str]] = {"added": [], "replaced": [], "unchanged": [], "kept": []}
    for item in imported:
        if isinstance(item, ImportedBlend):
            styles = [BlendStyle(text, weight) for text, weight in item.styles]
            verdict = _apply(user_data.blends, item.name, styles, args.replace)
            outcome[verdict].append(f"blend {item.name}")
        else:
            state = builder_states[item.name]
            verdict = _apply(user_data.saved_prompts, item.name, state, args.replace)
            outcome[verdict].append(f"prompt {item.name}")
            if item.placeholder_dropped:
                notes.append(
                    f"{args.file}:{item.line}: `{{prompt}}` dropped from {item.name!r}: a saved "
                    "prompt is the whole prompt"
                )
    changed = bool(outcome["added"] or outcome["replaced"])
    if changed and not args.dry_run:
        user_data.save()
    for note in notes:
        print(f"aidxl: {note}", file=sys.stderr)
    if args.json:
        print(
            json.dumps(
                {"file": args.file, "saved": changed and not args.dry_run, **outcome},
                indent=2,
                ensure_ascii=False,
            )
        )
        return 0
    blends = sum(1 for item in imported if isinstance(item, ImportedBlend))
    print(
        f"read {len(imported)} styles from {args.file}: {blends} blends, {len(prompts)} saved prompts; "
        f"{len(outcome['added'])} added, {len(outcome['replaced'])} replaced, "
        f"{len(outcome['unchanged'])} unchanged, {len(outcome['kept'])} kept"
        + ("" if args.dry_run else f" ({user_data.path})")
    )
    if outcome["kept"]:
        print(f"kept yours (different content; --replace takes the file's): {', '.join(outcome['kept'])}")
    return 0


def _apply(store: dict[str, Any], name: str, value: Any, replace: bool) -> str:
    if name not in store:
        store[name] = value
        return "added"
    if store[name] == value:
        return "unchanged"
    if replace:
        store[name] = value
        return "replaced"
    return "kept"


def saved_prompt_states(prompts: list[ImportedPrompt], catalog_flag: str | None) -> dict[str, dict[str, Any]]:
    """Each style's prompt as the explorer's builder holds a pasted prompt (kb.workbench.importing:
    written as it is, syntax verbatim), the style's order kept (auto-order and quality toggles off).
    A style is a prompt, never a whole infotext, so it is split as one."""
    from kb.prompt.tagview import CatalogMatcher
    from kb.workbench.draft import PromptDraft
    from kb.workbench.importing import prompt_entries

    try:
        connection = open_catalog(resolve_catalog_path(catalog_flag))
    except CatalogError as error:
        raise AidxlError(f"saved prompts need the catalog to match their tags: {error}") from error
    try:
        matcher = CatalogMatcher(connection)
        states: dict[str, dict[str, Any]] = {}
        for prompt in prompts:
            entries = prompt_entries(prompt.positive.strip(), matcher)
            state = PromptDraft(
                entries=entries,
                auto_order=False,
                include_quality=False,
                include_aesthetic=False,
                negative=prompt.negative,
            )
            states[prompt.name] = state.to_json()
        return states
    finally:
        connection.close()


def _write_text(path: Path, text: str) -> None:
    write_export_file(path, text.encode("utf-8"))


__all__ = ["default_user_data_path", "register"]
