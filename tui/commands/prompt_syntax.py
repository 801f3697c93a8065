"""`aidxl prompt parse|render|assemble`, `aidxl char` and `aidxl size`: thin shells over kb."""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import asdict
from typing import Any

from kb.display_text import quoted
from kb.errors import AidxlError, CatalogError, CharacterNotFoundError
from kb.prompt.assemble import AddedTag, assemble_prompt, parse_blend
from kb.prompt.attention import parse_prompt_attention
from kb.prompt.render import render_tags
from kb.prompt.segments import normalise_prompt
from kb.settings import (
    GenerationSettings,
    check_size,
    parse_aspect,
    parse_size,
    size_for_aspect,
)
from tui.commands.text_input import read_prompt_argument, read_text_argument, utf8_text

TEXT_HELP = "prompt text; read from stdin when omitted or '-'"


def print_json(value: object) -> None:
    print(json.dumps(value, ensure_ascii=False))


def register_prompt_subcommands(prompt_subparsers: Any, common: argparse.ArgumentParser) -> None:
    """Add `parse`, `render` and `assemble` under `aidxl prompt`."""
    parse = prompt_subparsers.add_parser(
        "parse",
        parents=[common],
        help="show what the A1111 web UI reads: text segments and their weights",
        description="Parse a prompt exactly like the A1111 web UI's attention parser. "
        "--json prints an array of [text, weight] pairs.",
    )
    parse.add_argument("text", nargs="?", metavar="TEXT", help=TEXT_HELP)
    parse.add_argument("--json", action="store_true", help="print a JSON array of [text, weight]")
    parse.set_defaults(run=run_parse)

    render = prompt_subparsers.add_parser(
        "render",
        parents=[common],
        help="render tags with weights as prompt text (or normalise a prompt)",
        description="Input is either a JSON array of [tag, weight] pairs (plain tag text, escaped on "
        "output) or a prompt, which is re-rendered one tag per comma: bare at weight 1, (tag:w) otherwise.",
    )
    render.add_argument(
        "text",
        nargs="?",
        metavar="TEXT",
        help="JSON [[tag, weight], ...] or prompt text; read from stdin when omitted or '-'",
    )
    render.add_argument("--json", action="store_true", help='print {"prompt": ...}')
    render.set_defaults(run=run_render)

    assemble = prompt_subparsers.add_parser(
        "assemble",
        parents=[common],
        help="order tags the AIDXL way, with a style blend, quality weights and the negative prompt",
        description="Place each tag in the model card's recommended order (art style first, quality late), "
        "merge duplicates, weight quality tags and add the model page's negative prompt. Uses the catalog "
        "when one is found (with the model author's caption order inside each slot), the curated lists "
        "otherwise. --with-features and --outfit-of add a character's tags and need the catalog.",
    )
    assemble.add_argument(
        "text", nargs="?", metavar="TEXT", help="comma-separated tags; read from stdin when omitted or '-'"
    )
    assemble.add_argument(
        "--blend",
        metavar="STYLES",
        type=utf8_text("--blend"),
        help='style blend, e.g. "by yoneyama mai:0.9, by chi4:0.8, by ask"',
    )
    assemble.add_argument(
        "--append-style", action="store_true", help="put the blend at the end (gentler) instead of first"
    )
    assemble.add_argument(
        "--quality",
        action="append",
        default=[],
        metavar="TAG",
        type=utf8_text("--quality"),
        help="add a quality tag when none is given",
    )
    assemble.add_argument(
        "--negative",
        metavar="TEXT",
        type=utf8_text("--negative"),
        help="negative prompt (default: the model page's)",
    )
    assemble.add_argument("--aspect", metavar="W:H", help="aspect ratio for the size in the settings")
    assemble.add_argument(
        "--with-features",
        action="store_true",
        help="add each character's appearance (main characteristics) from the catalog, in its slots",
    )
    assemble.add_argument(
        "--outfit-of",
        metavar="CHARACTER",
        type=utf8_text("--outfit-of"),
        help="dress the prompt's character in CHARACTER's outfit (character triggers carry no clothing)",
    )
    assemble.add_argument(
        "--json", action="store_true", help="print positive, negative, settings and tags (with added_by)"
    )
    assemble.set_defaults(run=run_assemble)


def register_top_level(subparsers: Any, common: argparse.ArgumentParser) -> None:
    """Add `aidxl char` and `aidxl size`."""
    char = subparsers.add_parser(
        "char",
        parents=[common],
        help="every prompt form of a character (A1111, plain, sentence, 1-prefixed), its copyright, "
        "gender and features",
        description="Look a character up in the catalog (tag, any pasted form, alias, bare name or a "
        "misspelling) and print the forms AIDXL was trained on (the model author's caption form when "
        "known: `frieren \\(sousou no frieren\\)`), its copyright and gender, and where each comes from. "
        "The sentence says `a girl`/`a boy` as the sources give the gender (girl when none does).",
    )
    char.add_argument(
        "name",
        nargs="?",
        metavar="NAME",
        help="character tag, alias or name; read from stdin when omitted or '-'",
    )
    noun = char.add_mutually_exclusive_group()
    noun.add_argument(
        "--boy", action="store_true", help="sentence form with 'a boy named', whatever the sources say"
    )
    noun.add_argument(
        "--girl", action="store_true", help="sentence form with 'a girl named', whatever the sources say"
    )
    char.add_argument(
        "--features",
        action="store_true",
        help="also print its main characteristics (appearance) and outfit, in the author's caption order",
    )
    char.add_argument("--json", action="store_true", help="print a JSON object (always with features)")
    char.set_defaults(run=run_char)

    size = subparsers.add_parser(
        "size",
        parents=[common],
        help="a generation size for an aspect ratio, or check a size",
        description="Print the AIDXL size for an aspect ratio (--aspect), or check one (--check). AIDXL "
        "sizes have an area within 10% of 1024x1024 and sides that are multiples of 32, at least 256.",
    )
    mode = size.add_mutually_exclusive_group(required=True)
    mode.add_argument("--aspect", metavar="W:H", help="aspect ratio, e.g. 2:3, 16:9 or 1.5")
    mode.add_argument("--check", metavar="WxH", help="check a size, e.g. 1024x1536")
    size.add_argument("--tiny", action="store_true", help="allow the tiny test model's small sizes")
    size.add_argument("--json", action="store_true", help='print {"width", "height", "warnings"}')
    size.set_defaults(run=run_size)


def run_parse(args: argparse.Namespace) -> int:
    segments = parse_prompt_attention(read_text_argument(args.text))
    if args.json:
        print_json([[text, weight] for text, weight in segments])
    else:
        for text, weight in segments:
            print(f"{weight:<8g} {json.dumps(text, ensure_ascii=False)}")
    return 0


def run_render(args: argparse.Namespace) -> int:
    text = read_text_argument(args.text)
    tags = _json_tag_list(text)
    prompt = render_tags(tags) if tags is not None else normalise_prompt(text)
    if args.json:
        print_json({"prompt": prompt})
    else:
        print(prompt)
    return 0


def _json_tag_list(text: str) -> list[tuple[str, float]] | None:
    if not text.lstrip().startswith("[["):
        return None
    try:
        value = json.loads(text)
    except (json.JSONDecodeError, RecursionError):  # RecursionError: `[[[[...`, a prompt of brackets
        return None
    if not isinstance(value, list) or not all(
        isinstance(pair, list)
        and len(pair) == 2
        and isinstance(pair[0], str)
        and isinstance(pair[1], int | float)
        and not isinstance(pair[1], bool)
        for pair in value
    ):
        raise AidxlError('render input: a JSON list must hold [tag, weight] pairs, e.g. [["long hair", 1.2]]')
    return [(pair[0], float(pair[1])) for pair in value]


def run_assemble(args: argparse.Namespace) -> int:
    from kb.catalog import open_catalog
    from kb.paths import resolve_catalog_path
    from kb.prompt.tagview import CatalogMatcher, TagMatcher, split_tags

    text, infotext = read_prompt_argument(args.text)
    settings = GenerationSettings()
    if args.aspect:
        width, height = size_for_aspect(*parse_aspect(args.aspect))
        settings = GenerationSettings(width=width, height=height)
    connection = None
    matcher: TagMatcher | None = None
    adds_features = args.with_features or args.outfit_of is not None
    try:
        connection = open_catalog(resolve_catalog_path(getattr(args, "catalog", None)))
        matcher = CatalogMatcher(connection)
    except CatalogError as error:
        if adds_features:
            raise CatalogError(f"{error}; --with-features and --outfit-of need the catalog") from error
        print(f"aidxl: note: {error}; placing tags by the curated lists only", file=sys.stderr)
    try:
        tags = split_tags(text, matcher)
        added: tuple[AddedTag, ...] = ()
        if connection is not None and adds_features:
            from kb.knowledge.features import character_additions

            additions = character_additions(
                connection, tags, with_features=args.with_features, outfit_of=args.outfit_of, matcher=matcher
            )
            for character in additions.without_features:
                print(f"aidxl: note: no features known for {character}", file=sys.stderr)
            added = additions.tags
        result = assemble_prompt(
            text,  # the text, not `tags`: syntax (editing, alternation, extra networks) stays verbatim
            blend=parse_blend(args.blend) if args.blend else None,
            append_blend=args.append_style,
            add_quality=args.quality,
            # a pasted infotext's own negative prompt, unless --negative says otherwise
            negative=args.negative or (infotext.negative_prompt if infotext is not None else None) or None,
            settings=settings,
            matcher=matcher,
            added=added,
        )
    finally:
        if connection is not None:
            connection.close()
    if args.json:
        print_json(
            {
                "positive": result.positive,
                "negative": result.negative,
                "settings": result.settings.to_json(),
                "tags": [asdict(tag) for tag in result.tags],
            }
        )
    else:
        s = result.settings
        print(f"positive: {result.positive}")
        print(f"negative: {result.negative}")
        print(f"settings: {s.width}x{s.height}, {s.sampler}, {s.steps} steps, CFG {s.cfg_scale:g}, ", end="")
        print(f"clip skip {s.clip_skip}")
        reasons: dict[str, list[str]] = {}
        for tag in result.tags:
            if tag.added_by is not None:
                reasons.setdefault(tag.added_by, []).append(tag.text)
        for reason, texts in reasons.items():
            print(f"added ({reason}): {', '.join(texts)}")
    return 0


def run_char(args: argparse.Namespace) -> int:
    from kb.catalog import open_catalog
    from kb.knowledge.character_info import character_info
    from kb.knowledge.characters import lookup_character
    from kb.paths import resolve_catalog_path

    query = read_text_argument(args.name, "NAME").strip()
    noun = "boy" if args.boy else "girl" if args.girl else None
    connection = open_catalog(resolve_catalog_path(getattr(args, "catalog", None)))
    try:
        match = lookup_character(connection, query)
        info = character_info(connection, match.tag, noun=noun) if match is not None else None
    finally:
        connection.close()
    if match is None or info is None:
        raise CharacterNotFoundError(f"{quoted(query)}: no character tag or alias in the catalog matches")
    forms = info.forms
    fields: dict[str, Any] = {
        "tag": info.tag,
        "match": str(match.kind),
        "a1111": forms.a1111,
        "plain": forms.plain,
        "sentence": forms.sentence,
        "prefixed": forms.prefixed,
        "copyright": forms.copyright,
        "gender": info.gender,
    }
    if args.json:
        print_json({**fields, "features": info.features.to_json(), "sources": info.sources_json()})
        return 0
    fields["gender"] = info.gender or f"unknown (sentence says {info.noun})"
    fields["copyright"] = forms.copyright or "(none known)"
    if info.form_source is not None:
        fields["form from"] = info.form_source.label
    for key, value in fields.items():
        print(f"{key + ':':<11}{'' if value is None else value}")
    if args.features:
        features = info.features
        if features.source is None:
            print("features:  none known (add a chants source: `aidxl ingest --add --chants PATH`)")
        else:
            print(f"appearance: {', '.join(features.appearance)}")
            print(f"outfit:     {', '.join(features.outfit)}")
            print(f"features from {features.source.label}")
    return 0


def run_size(args: argparse.Namespace) -> int:
    if args.aspect:
        width, height = size_for_aspect(*parse_aspect(args.aspect))
        warnings = []
    else:
        width, height = parse_size(args.check)
        warnings = check_size(width, height, small_sizes_allowed=args.tiny)
    for warning in warnings:
        print(f"aidxl: warning: {warning.message}", file=sys.stderr)
    if args.json:
        print_json({"width": width, "height": height, "warnings": [warning.message for warning in warnings]})
    else:
        print(f"{width}x{height}" + ("" if warnings else (" ok" if args.check else "")))
    return 0
