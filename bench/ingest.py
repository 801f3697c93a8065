"""Benchmark of `aidxl ingest`: the full build from ../shared/data and the unchanged-sources no-op.

    .venv/bin/python bench/ingest.py [--repeat 3]

Sources: the eva02 tagger file, danbooru.csv and the curated lists; then everything sources.toml lists
(the two vocabularies, the trigger fragments, the author's implication, caption-order and alias tables,
the chants). Targets on the 2-core dev machine: full build <= 3 s (both), no-op <= 0.3 s. Baselines
measured in the same run: DuckDB's own read_csv of the two files (no checks, no merge: the floor), and
Python's csv module reading them. The no-op of the sources.toml catalog includes its content check
(the whole file hashed against the digest record, kb.catalog_digest), printed on its own beside the
reader's check (size and mtime) and the no-op of a catalog without a record (every block read).
"""

from __future__ import annotations

import argparse
import csv
import os
import shutil
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

# This script is named like the `ingest` package it measures: drop its own folder from the path.
sys.path[:] = [entry for entry in sys.path if Path(entry or ".").resolve() != Path(__file__).resolve().parent]

import duckdb  # noqa: E402

from ingest.build import ingest_catalog  # noqa: E402
from ingest.specs import SourceSpec, load_sources_config  # noqa: E402
from kb.catalog_digest import check_catalog_content, digest_path  # noqa: E402

REPO_ROOT = Path(__file__).resolve().parents[1]
SHARED_DATA = REPO_ROOT.parent / "shared" / "data"
TAGGER = SHARED_DATA / "selected_tags.wd-eva02-large-tagger-v3.csv"
TAGCOMPLETE = SHARED_DATA / "danbooru.csv"


def timed(action: Callable[[], object], repeat: int) -> tuple[float, float, object]:
    """(min wall seconds, median wall seconds, last result); also records the min CPU seconds."""
    seconds = []
    cpu_seconds = []
    result: object = None
    for _ in range(repeat):
        started, cpu_started = time.perf_counter(), time.process_time()
        result = action()
        seconds.append(time.perf_counter() - started)
        cpu_seconds.append(time.process_time() - cpu_started)
    CPU_SECONDS.append(min(cpu_seconds))
    return min(seconds), statistics.median(seconds), result


# Min CPU seconds (all threads) of each measurement, in order: a loaded machine inflates wall time more.
CPU_SECONDS: list[float] = []


def duckdb_read_csv_baseline() -> int:
    connection = duckdb.connect()
    connection.execute(
        f"""CREATE TABLE tagger AS SELECT * FROM read_csv('{TAGGER}', header = true, delim = ',',
            quote = '"', escape = '"', auto_detect = false,
            columns = {{'tag_id': 'BIGINT', 'name': 'VARCHAR', 'category': 'TINYINT', 'count': 'BIGINT'}})"""
    )
    connection.execute(
        f"""CREATE TABLE tagcomplete AS SELECT * FROM read_csv('{TAGCOMPLETE}', header = false, delim = ',',
            quote = '"', escape = '"', auto_detect = false,
            columns = {{'name': 'VARCHAR', 'category': 'TINYINT', 'count': 'BIGINT',
                        'aliases': 'VARCHAR'}})"""
    )
    row = connection.execute(
        "SELECT (SELECT count(*) FROM tagger) + (SELECT count(*) FROM tagcomplete)"
    ).fetchone()
    connection.close()
    return int(row[0]) if row else 0


def csv_module_baseline() -> int:
    rows = 0
    for path in (TAGGER, TAGCOMPLETE):
        with path.open(newline="", encoding="utf-8") as handle:
            rows += sum(1 for _ in csv.reader(handle))
    return rows


def _loads(load: tuple[float, float, float]) -> str:
    return "/".join(f"{value:.1f}" for value in load)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--repeat", type=int, default=3, help="runs of each measurement (min and median shown)"
    )
    args = parser.parse_args()
    load_before = os.getloadavg()
    specs = [SourceSpec("tagger", path=TAGGER), SourceSpec("tagcomplete", path=TAGCOMPLETE)]
    folder = Path(tempfile.mkdtemp(prefix="aidxl-bench-"))
    catalog = folder / "catalog.duckdb"
    try:

        def full_build() -> object:
            catalog.unlink(missing_ok=True)
            return ingest_catalog(specs, catalog)

        build_min, build_median, built = timed(full_build, args.repeat)
        noop_min, noop_median, kept = timed(lambda: ingest_catalog(specs, catalog), args.repeat)

        def config_build() -> object:
            catalog.unlink(missing_ok=True)
            return ingest_catalog(config_specs, catalog)

        config_specs = load_sources_config(REPO_ROOT / "sources.toml")
        config_min, config_median, config_built = timed(config_build, args.repeat)
        # The no-op of the full catalog: its content check hashes the whole file (kb.catalog_digest).
        catalog_bytes = catalog.stat().st_size
        config_noop_min, config_noop_median, config_kept = timed(
            lambda: ingest_catalog(config_specs, catalog), args.repeat
        )
        check_min, check_median, _ = timed(lambda: check_catalog_content(catalog, full=True), args.repeat)
        reader_min, reader_median, _ = timed(lambda: check_catalog_content(catalog, full=False), args.repeat)

        def unrecorded_noop() -> object:
            digest_path(catalog).unlink(missing_ok=True)  # as after `dvc pull`: a full block read
            return ingest_catalog(config_specs, catalog)

        unrecorded_min, unrecorded_median, _ = timed(unrecorded_noop, args.repeat)
        floor_min, floor_median, floor_rows = timed(duckdb_read_csv_baseline, args.repeat)
        csv_min, csv_median, csv_rows = timed(csv_module_baseline, args.repeat)
    finally:
        shutil.rmtree(folder)
    counts = getattr(built, "counts")  # noqa: B009 - IngestResult, typed loosely by timed()
    assert getattr(kept, "rebuilt") is False  # noqa: B009
    load_after = os.getloadavg()
    print(f"sources: {TAGGER.name}, {TAGCOMPLETE.name}, curated lists")
    print(
        f"runs: {args.repeat}; wall seconds min / median, then min CPU seconds (all threads); "
        f"{os.cpu_count()} CPUs, load average 1/5/15 min before {_loads(load_before)}, "
        f"after {_loads(load_after)} (CPU seconds stay comparable on a busy machine, wall seconds do not)"
    )
    print(
        f"full build            {build_min:6.3f} s / {build_median:6.3f} s  cpu {CPU_SECONDS[0]:6.3f} s  "
        "target <= 3 s    "
        f"{counts.tags} tags, {counts.tag_sources} tag_sources, {counts.aliases} aliases, "
        f"{counts.triggers} triggers, {counts.characters} characters"
    )
    print(
        f"unchanged no-op       {noop_min:6.3f} s / {noop_median:6.3f} s  cpu {CPU_SECONDS[1]:6.3f} s  "
        "target <= 0.3 s"
    )
    config_counts = getattr(config_built, "counts")  # noqa: B009
    print(
        f"sources.toml build    {config_min:6.3f} s / {config_median:6.3f} s  cpu {CPU_SECONDS[2]:6.3f} s  "
        f"target <= 3 s    {len(config_specs)} sources + curated: {config_counts.implications} implications, "
        f"{config_counts.caption_order} caption_order, "
        f"{config_counts.character_features} character_features, {config_counts.character_genders} "
        "character_genders"
    )
    assert getattr(config_kept, "rebuilt") is False  # noqa: B009
    print(
        f"sources.toml no-op    {config_noop_min:6.3f} s / {config_noop_median:6.3f} s  "
        f"cpu {CPU_SECONDS[3]:6.3f} s  target <= 0.3 s  catalog {catalog_bytes / 1e6:.1f} MB, content check "
        "included:"
    )
    print(
        f"  content check       {check_min:6.3f} s / {check_median:6.3f} s  cpu {CPU_SECONDS[4]:6.3f} s  "
        f"sha256 of the whole file ({catalog_bytes / 1e6 / max(check_min, 1e-9):.0f} MB/s)"
    )
    print(
        f"  reader's check      {reader_min * 1e3:6.3f} ms / {reader_median * 1e3:6.3f} ms  "
        f"cpu {CPU_SECONDS[5] * 1e3:6.3f} ms  "
        "size and mtime against the record (hashes only when they changed)"
    )
    print(
        f"no-op without record  {unrecorded_min:6.3f} s / {unrecorded_median:6.3f} s  "
        f"cpu {CPU_SECONDS[6]:6.3f} s  every block read by DuckDB (a catalog from `dvc pull`), record written"
    )
    print(
        f"baseline duckdb read  {floor_min:6.3f} s / {floor_median:6.3f} s  cpu {CPU_SECONDS[7]:6.3f} s  "
        f"{floor_rows} rows, no checks, no merge"
    )
    print(
        f"baseline csv module   {csv_min:6.3f} s / {csv_median:6.3f} s  cpu {CPU_SECONDS[8]:6.3f} s  "
        f"{csv_rows} rows, parse only"
    )


if __name__ == "__main__":
    main()
