"""Long prompts: lint and tokens at 1k to 10k tags; the five prompt commands on 1 KB to 100 KB of odd text.

Run: .venv/bin/python bench/long_prompts.py [--catalog PATH] [--sizes 1000,2000,5000,10000]

The prompts are tags drawn (seeded) from the catalog's 20,000 most used names, written as Danbooru
names (underscores, bare qualifier brackets: the linter has something to say about most of them),
with commas between. Without a catalog, synthetic tags of the same shapes are used.

For each size it prints, best of --repeats, in-process (the vocabulary and catalog loaded once):
  parse     the baseline, measured in the same run: one attention parse of the whole prompt
            (`kb.prompt.attention.attention_pieces`), the least any check of the prompt has to do;
  tokens    `kb.prompt.tokens.count_prompt_tokens` (what `aidxl prompt tokens` computes);
  lint      `kb.prompt.lint.lint_prompt` with the catalog matcher and suggester (what `aidxl prompt lint`
            computes);
each with its multiple of the baseline. Linear work keeps those multiples flat as the prompt grows;
quadratic work makes them grow with it. Measured on the shared 2-core machine (2026-11-29):

    before (per-tag re-parsing, per-token tag scans)      after
    tags   tokens ms ×parse   lint ms  ×parse              tokens ms ×parse   lint ms ×parse
    1000       272     96        626     221                     46     35       132    101
    2000       571    184      1,862     600                     96     35       259     96
    5000     3,998    408     11,842   1,208                    303     41       663     90
    10000   19,971  1,179     54,876   3,239                    620     41     1,565    104

Then (skip with --no-sizes) hostile text at 1 KB, 10 KB and 100 KB (--byte-sizes): tags, a run of
blanks, NULs, nested brackets, unclosed `(a:` and `<a:` openers, each through the five prompt
commands in-process (parse: attention + structure; render: normalise; assemble; lint; tokens),
best of --repeats, beside the baseline of the same run: one Python pass over the text's characters
(`sum(character == "," for character in text)`, the least a reader of tags does). Linear commands keep their
multiple of the baseline roughly flat from 1 KB to 100 KB (the machine is shared: read the columns,
not single cells). Measured 2026-11-29 on the shared 2-core machine, ms:

    100 KB               parse   render  assemble     lint   tokens
    blanks  before    (16 KB, whole CLI: 4,240    3,860     7,240   25,920   12,450; 100 KB: over 60 s)
            after         20      325       347      670      360
    NULs    after         57      488       465    1,899    1,289   (before: lint --json 39 s, 1.6 GB out)
    (a:     after      1,301    1,309       956    8,221    2,716
"""

from __future__ import annotations

import argparse
import random
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

SYNTHETIC_SHAPES = (
    "tag{i}",
    "name{i} (series{i})",
    "long_hair_{i}",
    "(smile{i}:1.2)",
    "char{i} \\(series\\)",
    ":(",
    "by artist{i}",
)


def catalog_names(catalog: Path, limit: int = 20_000) -> list[str] | None:
    """The catalog's most used tag names, or None without a readable catalog."""
    from kb.catalog import open_catalog
    from kb.errors import CatalogError

    try:
        connection = open_catalog(catalog)
    except CatalogError as error:
        print(f"note: {error}; using synthetic tags", file=sys.stderr)
        return None
    try:
        rows = connection.execute("SELECT name FROM tags ORDER BY count DESC LIMIT ?", [limit]).fetchall()
    finally:
        connection.close()
    return [str(row[0]) for row in rows]


def long_prompt(tag_count: int, names: list[str] | None, seed: int = 0) -> str:
    if names is None:
        return ", ".join(
            SYNTHETIC_SHAPES[index % len(SYNTHETIC_SHAPES)].format(i=index) for index in range(tag_count)
        )
    chooser = random.Random(seed)
    return ", ".join(chooser.choice(names) for _ in range(tag_count))


def best_seconds(work: Callable[[], Any], repeats: int) -> float:
    best = float("inf")
    for _ in range(repeats):
        started = time.perf_counter()
        work()
        best = min(best, time.perf_counter() - started)
    return best


# Hostile text of a given size: (name, unit repeated to the size).
HOSTILE_SHAPES = (
    ("tags", "long hair, by chi4, "),
    ("blanks", " "),
    ("NULs", "\0"),
    ("nested (", None),
    ("(a: open", "(a:"),
    ("<a: open", "<a:"),
)
BYTE_SIZES = "1000,10000,100000"


def hostile_text(unit: str | None, size: int) -> str:
    if unit is None:  # nested brackets around one word, `size` long in all
        depth = (size - 1) // 2
        return "(" * depth + "x" + ")" * depth
    return (unit * (size // len(unit) + 1))[:size]


def print_hostile_sizes(sizes: list[int], repeats: int) -> None:
    from kb.prompt.assemble import assemble_prompt
    from kb.prompt.attention import parse_prompt_attention, parse_prompt_structure
    from kb.prompt.lint import lint_prompt
    from kb.prompt.segments import normalise_prompt
    from kb.prompt.tagview import split_tags
    from kb.prompt.tokens import count_prompt_tokens

    commands: tuple[tuple[str, Callable[[str], object]], ...] = (
        ("parse", lambda text: (parse_prompt_attention(text), parse_prompt_structure(text))),
        ("render", normalise_prompt),
        ("assemble", lambda text: assemble_prompt(split_tags(text))),
        ("lint", lint_prompt),
        ("tokens", count_prompt_tokens),
    )
    print(f"\nhostile text, no catalog, best of {repeats}: ms (× baseline: one Python pass over the text)")
    print(f"{'shape':<10} {'chars':>7} {'baseline':>9} " + " ".join(f"{name:>16}" for name, _ in commands))
    for shape, unit in HOSTILE_SHAPES:
        for size in sizes:
            text = hostile_text(unit, size)
            baseline = best_seconds(lambda text=text: sum(character == "," for character in text), repeats)
            cells = []
            for _, command in commands:
                seconds = best_seconds(lambda text=text, command=command: command(text), repeats)
                cells.append(f"{seconds * 1000:>8.1f} ×{seconds / max(baseline, 1e-7):<6.0f}")
            print(f"{shape:<10} {len(text):>7} {baseline * 1000:>9.3f} " + " ".join(cells), flush=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--catalog", metavar="PATH", help="catalog (default: as `aidxl`)")
    parser.add_argument("--sizes", default="1000,2000,5000,10000", help="tag counts, comma-separated")
    parser.add_argument("--repeats", type=int, default=3, help="runs per figure, the best is shown")
    parser.add_argument("--byte-sizes", default=BYTE_SIZES, help="hostile text sizes in characters")
    parser.add_argument("--no-sizes", action="store_true", help="skip the hostile-text table")
    parser.add_argument("--no-tags", action="store_true", help="skip the catalog-tags table")
    args = parser.parse_args(argv)
    if args.no_tags:
        if not args.no_sizes:
            print_hostile_sizes([int(size) for size in args.byte_sizes.split(",")], args.repeats)
        return 0

    from kb.catalog import open_catalog
    from kb.paths import resolve_catalog_path
    from kb.prompt.attention import attention_pieces
    from kb.prompt.lint import catalog_suggester, lint_prompt
    from kb.prompt.tagview import CatalogMatcher
    from kb.prompt.tokens import count_prompt_tokens

    catalog = resolve_catalog_path(args.catalog)
    names = catalog_names(catalog)
    connection = open_catalog(catalog) if names is not None else None
    matcher = CatalogMatcher(connection) if connection is not None else None
    suggester = catalog_suggester(connection) if connection is not None else None
    lint_prompt("warm up, long_hair", matcher, suggester)  # vocabulary, tables, search index
    source = f"names from {catalog}" if names is not None else "synthetic tags"
    print(f"long prompts ({source}), best of {args.repeats}")
    header = ("tags", "chars", "parse ms", "tokens ms", "×parse", "lint ms", "×parse")
    print(" ".join(f"{title:>{width}}" for title, width in zip(header, (6, 8, 9, 10, 7, 9, 7), strict=True)))
    try:
        for tag_count in (int(size) for size in args.sizes.split(",")):
            prompt = long_prompt(tag_count, names)
            parse = best_seconds(lambda prompt=prompt: attention_pieces(prompt, strict=False), args.repeats)
            tokens = best_seconds(lambda prompt=prompt: count_prompt_tokens(prompt), args.repeats)
            lint = best_seconds(lambda prompt=prompt: lint_prompt(prompt, matcher, suggester), args.repeats)
            print(
                f"{tag_count:>6} {len(prompt):>8} {parse * 1000:>9.1f} {tokens * 1000:>10.1f} "
                f"{tokens / parse:>7.1f} {lint * 1000:>9.1f} {lint / parse:>7.1f}"
            )
    finally:
        if connection is not None:
            connection.close()
    if not args.no_sizes:
        print_hostile_sizes([int(size) for size in args.byte_sizes.split(",")], args.repeats)
    return 0


if __name__ == "__main__":
    sys.exit(main())
