"""Benchmark kb.search on long queries: time against query length, beside the old abbreviation tier.

    .venv/bin/python bench/long_queries.py [--catalog PATH] [--lengths 1000,10000,100000]

For each length, a query of random letters and digits (one word: every split of it is an
abbreviation candidate) and one of random catalog words: `SearchIndex.search` (limit 20) and
`count_matches`, and, as the baseline measured in the same run, the abbreviation splits the way
the tier looked them up before (one full suffix-range lookup per split: 5 s at 100,000 characters here)
against `SearchIndex.abbreviation_heads` (each head inside the last, stopping at the first head no
string starts with). Linear means ten times the length costs about ten times the time.
Without --catalog it uses ./catalog.duckdb (build it with `aidxl ingest --config sources.toml`).
"""

from __future__ import annotations

import argparse
import random
import string
import time
from collections.abc import Callable
from pathlib import Path

from kb.catalog import open_catalog
from kb.search import SearchIndex
from kb.search.counting import count_matches
from kb.search.index import ABBREVIATION_MIN_HEAD, ABBREVIATION_MIN_TAIL
from kb.search.normalize import loosen, normalize


def seconds(work: Callable[[str], object], argument: str) -> float:
    started = time.perf_counter()
    work(argument)
    return time.perf_counter() - started


def per_split_lookups(index: SearchIndex, loose: str) -> int:
    """The tier's old loop: a full lookup for every split of the query (the baseline)."""
    found = 0
    for split in range(ABBREVIATION_MIN_HEAD, len(loose) - ABBREVIATION_MIN_TAIL + 1):
        low, high = index._suffix_range(loose[:split])
        found += low < high
    return found


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--catalog", type=Path, default=Path("catalog.duckdb"))
    parser.add_argument("--lengths", default="1000,10000,100000")
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args(argv)
    connection = open_catalog(args.catalog)
    index = SearchIndex.load(connection)
    generator = random.Random(args.seed)
    words = [text for text in index.entry_texts[:5000] if text.isascii()]
    print(f"catalog {args.catalog}: {len(index.entry_texts):,} entries; seconds per call")
    print(f"{'query':<14}{'length':>8}{'search':>9}{'count':>9}{'old splits':>12}{'new splits':>12}")
    for length in (int(part) for part in args.lengths.split(",")):
        random_word = "".join(generator.choice(string.ascii_lowercase + string.digits) for _ in range(length))
        catalog_words = " ".join(generator.choice(words) for _ in range(length // 4))[:length]
        for name, query in (("random word", random_word), ("catalog words", catalog_words)):
            loose = loosen(normalize(query))
            old = seconds(lambda text: per_split_lookups(index, text), loose)
            new = seconds(lambda text: list(index.abbreviation_heads(text)), loose)
            searched = seconds(lambda text: index.search(text, limit=20), query)
            counted = seconds(lambda text: count_matches(index, text), query)
            print(f"{name:<14}{length:>8}{searched:>9.3f}{counted:>9.3f}{old:>12.3f}{new:>12.4f}")
    connection.close()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
