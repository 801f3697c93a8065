"""Benchmark kb.search on the real catalog against the two baselines, in one run.

    .venv/bin/python bench/search.py [--catalog PATH] [--queries-per-class N] [--baseline-queries N]
    .venv/bin/python bench/search.py --scale [--scale-only] [--scale-tags 1000000] [--scale-aliases 300000]

Without --catalog it builds the catalog from ../shared/data (sources.toml) into a temporary folder.
Prints: cold index build + save time; index-ready time in a fresh process (import, open the
catalog, load the saved index, answer one query); index memory (tracemalloc and RSS delta); then
p50/p95/max per query class for our search (limit 20) and, on the first --baseline-queries queries
of each class, for `rapidfuzz.process.extract(query, choices, scorer=fuzz.WRatio, limit=20)` and a
word-start regex scan in post-count order (the web-UI completer's method), with the ratios.
Single thread; the machine's other load shows in the figures, so compare within one run only.

--scale adds, after that, a generated catalog of --scale-tags tags with --scale-aliases aliases
(bench/search_scale.py) measured beside today's catalog the same way: `aidxl ingest` wall / CPU
time and peak RSS, the index build alone (time, peak memory), the saved index's load time with
and without its checksum verification, its memory once loaded and searched, and search p50/p95
over the same query classes (drawn from each catalog). Targets at 1M tags / 300k aliases: build
<= 60 s and <= 3 GB, search p95 <= 10 ms, index memory <= 1 GB. Heavy (a minute or more of both
cores): run it when the build or the index changes, never in a loop.
"""

from __future__ import annotations

import argparse
import gc
import os
import random
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import tracemalloc
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO_ROOT))

from kb.catalog import open_catalog  # noqa: E402
from kb.search import SearchIndex  # noqa: E402
from kb.search.arrays import IndexArrays, forget_verified_files  # noqa: E402
from kb.search.persist import index_file  # noqa: E402

CLASSES = ("prefix 1-3", "word", "typo", "alias", "multi-word")
READY_SCRIPT = """
import time
started = time.perf_counter()
from pathlib import Path
from kb.catalog import open_catalog
from kb.search import SearchIndex
connection = open_catalog(Path({catalog!r}))
index = SearchIndex.load(connection, usage={{}})
connection.close()
loaded = time.perf_counter()
index.search("hatsne miku")
print(f"{{loaded - started:.4f}} {{time.perf_counter() - started:.4f}} {{time.process_time():.4f}}")
"""


def build_catalog(target: Path) -> Path:
    from ingest.build import ingest_catalog
    from ingest.specs import load_sources_config

    ingest_catalog(load_sources_config(REPO_ROOT / "sources.toml"), target)
    return target


def rss_bytes() -> int:
    with open("/proc/self/statm") as handle:
        return int(handle.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


def make_queries(connection: object, per_class: int, seed: int) -> dict[str, list[str]]:
    """Realistic queries drawn from the catalog, most-posted tags weighted up."""
    rng = random.Random(seed)
    tags = connection.execute(  # type: ignore[attr-defined]
        "SELECT name, count FROM tags WHERE count >= 50 ORDER BY count DESC LIMIT 20000"
    ).fetchall()
    names = [name.replace("_", " ") for name, _ in tags if name.isascii()]
    weights = [1.0 / (rank + 50) for rank in range(len(names))]
    aliases = [
        alias.replace("_", " ")
        for (alias,) in connection.execute(  # type: ignore[attr-defined]
            "SELECT a.alias FROM aliases a JOIN tags t USING (tag_id) WHERE t.count >= 200 ORDER BY a.alias"
        ).fetchall()
        if alias.isascii() and len(alias) >= 3
    ]

    def pick() -> str:
        return rng.choices(names, weights)[0]

    def typo(text: str) -> str:
        position = rng.randrange(1, len(text) - 1)
        edit = rng.choice(("swap", "drop", "replace", "insert"))
        if edit == "swap":
            return text[:position] + text[position + 1] + text[position] + text[position + 2 :]
        if edit == "drop":
            return text[:position] + text[position + 1 :]
        letter = rng.choice("abcdefghijklmnopqrstuvwxyz")
        if edit == "replace":
            return text[:position] + letter + text[position + 1 :]
        return text[:position] + letter + text[position:]

    words = [word for name in names[:3000] for word in name.split(" ") if len(word) >= 3 and word.isalpha()]
    multi = [name for name in names if name.count(" ") >= 1 and "(" not in name]
    queries: dict[str, list[str]] = {name: [] for name in CLASSES}
    while len(queries["prefix 1-3"]) < per_class:
        queries["prefix 1-3"].append(pick()[: rng.choice((1, 2, 2, 3, 3, 3))].strip() or "a")
    queries["word"] = [rng.choice(words) for _ in range(per_class)]
    while len(queries["typo"]) < per_class:
        name = pick()
        if len(name) >= 6:
            queries["typo"].append(typo(name))
    queries["alias"] = rng.sample(aliases, per_class)
    for _ in range(per_class):
        name = rng.choice(multi[:5000])
        # Half typed in full, half with the last word cut short.
        queries["multi-word"].append(
            name if rng.random() < 0.5 else name[: max(name.rfind(" ") + 2, len(name) - 3)]
        )
    return queries


def time_queries(run: Callable[[str], object], queries: list[str]) -> tuple[list[float], list[float]]:
    """Wall-clock and this thread's CPU milliseconds per query (CPU time leaves out waiting for
    the other processes of a busy machine)."""
    wall, cpu = [], []
    for query in queries:
        started, started_cpu = time.perf_counter_ns(), time.thread_time_ns()
        run(query)
        cpu.append((time.thread_time_ns() - started_cpu) / 1e6)
        wall.append((time.perf_counter_ns() - started) / 1e6)
    return wall, cpu


def summary(timings: list[float]) -> tuple[float, float, float]:
    ordered = sorted(timings)
    p95 = ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]
    return statistics.median(ordered), p95, ordered[-1]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--catalog", type=Path, help="reuse this built catalog instead of ingesting ../shared/data"
    )
    parser.add_argument("--queries-per-class", type=int, default=100)
    parser.add_argument(
        "--baseline-queries", type=int, default=20, help="queries per class for the baselines"
    )
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument(
        "--scale", action="store_true", help="also build and search a generated catalog beside today's"
    )
    parser.add_argument(
        "--scale-only", action="store_true", help="--scale without the baselines on today's catalog"
    )
    parser.add_argument("--scale-tags", type=int, default=1_000_000)
    parser.add_argument("--scale-aliases", type=int, default=300_000)
    args = parser.parse_args(argv)

    workdir = Path(tempfile.mkdtemp(prefix="aidxl-bench-search-"))
    os.environ["AIDXL_CACHE_DIR"] = str(workdir / "cache")
    os.environ["AIDXL_STATE_DIR"] = str(workdir / "state")
    if args.scale_only:
        scale_report(args, workdir)
        return 0
    catalog = args.catalog
    if catalog is None:
        started = time.perf_counter()
        catalog = build_catalog(workdir / "catalog.duckdb")
        print(f"catalog built from ../shared/data in {time.perf_counter() - started:.1f} s: {catalog}")

    connection = open_catalog(catalog)
    started = time.perf_counter()
    SearchIndex.load(connection, usage={})  # no saved index yet: builds and saves it
    cold_build = time.perf_counter() - started
    saved = index_file(connection)

    ready_runs = []
    for _ in range(3):
        started = time.perf_counter()
        output = subprocess.run(
            [sys.executable, "-c", READY_SCRIPT.format(catalog=str(catalog))],
            cwd=REPO_ROOT,
            env=os.environ,
            capture_output=True,
            text=True,
            check=True,
        ).stdout.split()
        ready_runs.append(
            (float(output[0]), float(output[1]), float(output[2]), time.perf_counter() - started)
        )
    loaded, first_query, process_cpu, process_total = sorted(ready_runs)[1]

    gc.collect()
    rss_before = rss_bytes()
    tracemalloc.start()
    index = SearchIndex(IndexArrays.load(saved), usage={})
    traced, traced_peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    rss_delta = rss_bytes() - rss_before

    strings = list(index.string_normals)
    print(
        f"index: {len(strings):,} strings of {len(index.entry_texts):,} entries; "
        f"saved index {saved.stat().st_size / 1e6:.1f} MB"
    )
    print(f"cold build + save (in process, once per catalog build): {cold_build:.2f} s")
    print(
        f"ready in a fresh process (import + open catalog + load saved index): {loaded:.3f} s; "
        f"+ first query {first_query:.3f} s (CPU {process_cpu:.3f} s); "
        f"whole process incl. interpreter start {process_total:.3f} s (median of 3)"
    )
    print(
        f"index memory: tracemalloc {traced / 1e6:.1f} MB (peak {traced_peak / 1e6:.1f} MB), "
        f"RSS delta {rss_delta / 1e6:.1f} MB"
    )

    queries = make_queries(connection, args.queries_per_class, args.seed)
    connection.close()

    from rapidfuzz import fuzz, process

    count_of_entry = index.arrays.entry_count
    by_count = sorted(range(len(strings)), key=lambda i: -int(count_of_entry[index.string_entry[i]]))
    strings_by_count = [strings[i] for i in by_count]

    def ours(query: str) -> object:
        return index.search(query, limit=20)

    def rapidfuzz_wratio(query: str) -> object:
        return process.extract(query, strings, scorer=fuzz.WRatio, limit=20)

    def word_start_scan(query: str) -> object:
        pattern = re.compile(r"(?:^|[\s_(-])" + re.escape(query.lower()))
        found = []
        for text in strings_by_count:
            if pattern.search(text):
                found.append(text)
                if len(found) == 20:
                    break
        return found

    for warm in ("warm", "hatsne miku", "a"):
        ours(warm)
    header = (
        f"{'class':<12} {'n':>4} | {'ours p50':>8} {'p95':>6} {'max':>6} {'cpu p95':>7} | "
        f"{'WRatio p50':>10} {'p95':>6} {'max':>6} | {'regex p50':>9} {'p95':>6} {'max':>6} | "
        f"{'p95 ×WRatio':>11} {'p95 ×regex':>10}"
    )
    print(
        f"\nper-query wall times in ms (ours: {args.queries_per_class} queries per class, limit 20, "
        f"plus the p95 of this thread's CPU time; baselines: first {args.baseline_queries} of them; "
        f"{len(strings):,} choices)"
    )
    print(header)
    print("-" * len(header))
    all_ours: list[float] = []
    all_cpu: list[float] = []
    for name in CLASSES:
        class_queries = queries[name]
        ours_times, ours_cpu = time_queries(ours, class_queries)
        all_ours += ours_times
        all_cpu += ours_cpu
        base = class_queries[: args.baseline_queries]
        wratio_times, _ = time_queries(rapidfuzz_wratio, base)
        regex_times, _ = time_queries(word_start_scan, base)
        o, c, w, r = summary(ours_times), summary(ours_cpu), summary(wratio_times), summary(regex_times)
        print(
            f"{name:<12} {len(class_queries):>4} | {o[0]:>8.2f} {o[1]:>6.2f} {o[2]:>6.2f} {c[1]:>7.2f} | "
            f"{w[0]:>10.1f} {w[1]:>6.1f} {w[2]:>6.1f} | {r[0]:>9.1f} {r[1]:>6.1f} {r[2]:>6.1f} | "
            f"{w[1] / o[1]:>10.0f}× {r[1] / o[1]:>9.0f}×"
        )
    total, total_cpu = summary(all_ours), summary(all_cpu)
    print(
        f"{'all':<12} {len(all_ours):>4} | {total[0]:>8.2f} {total[1]:>6.2f} {total[2]:>6.2f} "
        f"{total_cpu[1]:>7.2f} |"
    )
    print(f"load average during the run: {os.getloadavg()[0]:.2f} on {os.cpu_count()} cores")
    print("\nexamples:", "; ".join(f"{name}: {queries[name][0]!r}" for name in CLASSES))
    if args.scale:
        scale_report(args, workdir)
    return 0


@dataclass(frozen=True)
class LoadedFigures:
    verified_load: float  # first load in this process: maps the file and checks every array's digest
    trusted_load: float  # a later load of the same file: maps it only (the cost before checksums)
    index_file_bytes: int
    rss_after_load: int
    rss_after_queries: int
    all_times: list[float]
    all_cpu_times: list[float]  # this thread's CPU time per query: what the load of the machine does not add
    class_p95: dict[str, float]


def measure_search(catalog: Path, cache: Path, per_class: int, seed: int) -> LoadedFigures:
    """Load the saved index of `catalog` from `cache` and time the query classes on it."""
    os.environ["AIDXL_CACHE_DIR"] = str(cache)
    connection = open_catalog(catalog)
    saved = index_file(connection)
    queries = make_queries(connection, per_class, seed)
    connection.close()
    forget_verified_files()
    gc.collect()
    rss_before = rss_bytes()
    started = time.perf_counter()
    arrays = IndexArrays.open(saved)
    verified_load = time.perf_counter() - started
    started = time.perf_counter()
    IndexArrays.open(saved)
    trusted_load = time.perf_counter() - started
    assert arrays is not None
    index = SearchIndex(arrays, usage={})
    rss_after_load = rss_bytes() - rss_before
    search = index.search
    for warm in ("warm", "hatsne miku", "a"):
        search(warm, limit=20)
    all_times: list[float] = []
    all_cpu_times: list[float] = []
    class_p95: dict[str, float] = {}
    for name in CLASSES:
        wall, cpu = time_queries(lambda query: search(query, limit=20), queries[name])
        all_times += wall
        all_cpu_times += cpu
        class_p95[name] = summary(wall)[1]
    figures = LoadedFigures(
        verified_load=verified_load,
        trusted_load=trusted_load,
        index_file_bytes=saved.stat().st_size,
        rss_after_load=rss_after_load,
        rss_after_queries=rss_bytes() - rss_before,
        all_times=all_times,
        all_cpu_times=all_cpu_times,
        class_p95=class_p95,
    )
    return figures


def scale_report(args: argparse.Namespace, workdir: Path) -> None:
    from search_scale import generate_sources, measure_build

    print(
        f"\n--scale: today's catalog (sources.toml) and a generated one of {args.scale_tags:,} tags "
        f"with {args.scale_aliases:,} aliases, each built by `aidxl ingest` in a child process"
    )
    started = time.perf_counter()
    generated = workdir / "generated"
    generated.mkdir()
    flags = generate_sources(generated, args.scale_tags, args.scale_aliases)
    print(f"generated sources in {time.perf_counter() - started:.1f} s: {', '.join(flags[1::2])}")
    columns: list[tuple[str, list[str]]] = [
        ("today", ["--config", str(REPO_ROOT / "sources.toml")]),
        (f"{args.scale_tags / 1e6:g}M tags", flags),
    ]
    rows: dict[str, list[str]] = {}

    def add(label: str, value: str) -> None:
        rows.setdefault(label, []).append(value)

    for _, flags_of_catalog in columns:
        folder = workdir / f"scale-{len(rows.get('tags', []))}"
        folder.mkdir()
        env = dict(os.environ, AIDXL_CACHE_DIR=str(folder / "cache"), AIDXL_STATE_DIR=str(folder / "state"))
        catalog = folder / "catalog.duckdb"
        built = measure_build(REPO_ROOT, catalog, flags_of_catalog, env)
        loaded = measure_search(catalog, folder / "cache", args.queries_per_class, args.seed)
        connection = open_catalog(catalog)
        tags, aliases = connection.execute(
            "SELECT (SELECT count(*) FROM tags), (SELECT count(*) FROM aliases)"
        ).fetchone() or (0, 0)
        connection.close()
        p50, p95, worst = summary(loaded.all_times)
        add("tags", f"{tags:,}")
        add("aliases", f"{aliases:,}")
        add("aidxl ingest wall (catalog + index)", f"{built.ingest_wall:.1f} s")
        add("aidxl ingest CPU (user + sys)", f"{built.ingest_cpu:.1f} s")
        add("  of which catalog / index (wall)", f"{built.catalog_seconds:.1f} / {built.index_seconds:.1f} s")
        add("aidxl ingest peak RSS", f"{built.ingest_peak_rss / 2**30:.2f} GiB")
        add("index build alone wall / CPU", f"{built.index_build_wall:.1f} / {built.index_build_cpu:.1f} s")
        add("index build peak memory (above start)", f"{built.index_build_peak_above_start / 2**30:.2f} GiB")
        add("saved index file", f"{loaded.index_file_bytes / 2**20:.0f} MiB")
        add("load: verify checksums (1st in process)", f"{loaded.verified_load * 1e3:.0f} ms")
        add("load: already verified (map only)", f"{loaded.trusted_load * 1e3:.1f} ms")
        add("index memory: RSS after load", f"{loaded.rss_after_load / 2**20:.0f} MiB")
        add("index memory: RSS after the queries", f"{loaded.rss_after_queries / 2**20:.0f} MiB")
        add(
            f"search p50 / p95 / max ({len(loaded.all_times)} queries)",
            f"{p50:.2f} / {p95:.2f} / {worst:.1f} ms",
        )
        cpu_p50, cpu_p95, cpu_worst = summary(loaded.all_cpu_times)
        add("search CPU p50 / p95 / max", f"{cpu_p50:.2f} / {cpu_p95:.2f} / {cpu_worst:.1f} ms")
        for class_name, class_p95 in loaded.class_p95.items():
            add(f"  p95 {class_name}", f"{class_p95:.2f} ms")
    # The generated sources and the catalogs built from them take a GB or more of the temp folder.
    for folder in [generated, *workdir.glob("scale-*")]:
        shutil.rmtree(folder, ignore_errors=True)
    width = max(map(len, rows))
    print(f"{'':<{width}} | " + " | ".join(f"{name:>22}" for name, _ in columns))
    for label, values in rows.items():
        print(f"{label:<{width}} | " + " | ".join(f"{value:>22}" for value in values))
    print(
        f"load average after the run: {os.getloadavg()[0]:.2f} on {os.cpu_count()} cores "
        "(wall times include waiting for the machine's other processes; CPU times do not)"
    )


if __name__ == "__main__":
    sys.exit(main())
