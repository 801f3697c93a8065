"""Pasting long messy prompts: `aidxl prompt import`'s cut and rebuild stays linear.

Run: .venv/bin/python bench/import_prompts.py [--sizes 100,1000,5000] [--repeats 3]

The prompts are seeded mixes of every construct a paste meets (plain and underscored tags, `(x:w)`,
`[x]`, `((x))`, shared brackets `(a, b:1.2)`, prompt editing, alternation, extra networks, `BREAK`,
emoticons with open brackets, escaped qualifiers). For each size it prints, best of --repeats:
  parse     the baseline, measured in the same run: one attention parse of the prompt
            (`kb.prompt.attention.attention_pieces`);
  entries   `kb.workbench.importing.prompt_entries` (the cut into segments, each checked, plus the
            whole prompt's attention vector compared with the rebuilt one's);
  import    `kb.workbench.importing.import_prompt` without a catalog (entries, rendering and lint);
  builder   what the explorer's builder runs after a paste is taken (tui/screens/builder.py's render
            worker): `kb.workbench.rendering.render_draft` of the imported draft (positive, lint,
            token counts) plus `kb.workbench.fixes.lint_fixes_of_unknown_entries`;
each with its multiple of the baseline: flat multiples mean linear work. The trial's 100 KB paste is
about 6,000 tags here. Measured on the shared 2-core machine (2026-11-30, others' tests running):

    tags    KB  parse ms  entries ms  ×parse  import ms  ×parse  builder ms  ×parse
    1000    16       6.8        72.0      11      404.0      60       206.0      30
    4000    68      29.1       349.8      12     2248.3      77      1011.5      35
   10000   172      63.5       928.0      15     6428.4     101      2897.1      46

Before (same machine, same day): builder 4,940 ms at 1,000 tags and 23,530 ms at 2,000 (×parse 558
and 1,517: each lint finding scanned every entry span and split the whole prompt again).
"""

from __future__ import annotations

import argparse
import random
import sys
import time
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

if TYPE_CHECKING:
    from kb.workbench.draft import PromptDraft

SHAPES = (
    "tag{i}",
    "long_hair{i}",
    "(smile{i}:1.2)",
    "[frown{i}]",
    "((eyes{i}))",
    "(a{i}, b{i}:0.9)",
    "[day{i}:night{i}:0.5]",
    "[cat{i}|dog{i}]",
    "<lora:net_{i}:0.8>",
    "name{i} \\(series{i}\\)",
    "x{i} BREAK y{i}",
)


def messy_prompt(tags: int, seed: int = 7, shapes: tuple[str, ...] = SHAPES) -> str:
    chooser = random.Random(seed)
    parts = [chooser.choice(shapes).format(i=index) for index in range(tags)]
    parts.insert(tags // 2, ":(")  # an open bracket: the rest of the prompt is weighted by it
    return ", ".join(parts)


def best_ms(function: Callable[[], object], repeats: int) -> float:
    best = float("inf")
    for _ in range(repeats):
        started = time.perf_counter()
        function()
        best = min(best, time.perf_counter() - started)
    return best * 1000


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--sizes", default="100,1000,5000", help="tag counts, comma-separated")
    parser.add_argument("--repeats", type=int, default=3, help="best of this many runs")
    args = parser.parse_args(argv)
    from kb.prompt.attention import attention_pieces
    from kb.workbench.fixes import lint_fixes_of_unknown_entries
    from kb.workbench.importing import import_prompt, prompt_entries
    from kb.workbench.rendering import render_draft

    def builder_render(draft: PromptDraft) -> None:
        lint_fixes_of_unknown_entries(draft, render_draft(draft))

    print(
        f"{'tags':>6} {'KB':>5} {'parse ms':>9} {'entries ms':>11} {'×parse':>7} "
        f"{'import ms':>10} {'×parse':>7} {'builder ms':>11} {'×parse':>7}"
    )
    for size in (int(text) for text in args.sizes.split(",")):
        prompt = messy_prompt(size)
        parse = best_ms(partial(attention_pieces, prompt, strict=False), args.repeats)
        entries = best_ms(partial(prompt_entries, prompt), args.repeats)
        imported = best_ms(partial(import_prompt, prompt), args.repeats)
        builder = best_ms(partial(builder_render, import_prompt(prompt).draft()), args.repeats)
        print(
            f"{size:>6} {len(prompt.encode()) / 1024:>5.0f} {parse:>9.1f} "
            f"{entries:>11.1f} {entries / parse:>7.0f} {imported:>10.1f} {imported / parse:>7.0f} "
            f"{builder:>11.1f} {builder / parse:>7.0f}"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
