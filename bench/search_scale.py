"""`bench/search.py --scale`: a generated catalog of a million tags beside today's, built and searched.

The generated sources are in the formats our readers take: a tag-autocomplete CSV (`danbooru.csv`
layout: `name,category,count,"alias1,alias2"`, no header) holding every tag and the aliases, and a
WD tagger CSV (`tag_id,name,category,count`) holding the most posted general and character tags
and the four ratings, as the real sources overlap. Names are made of syllables (`karoshi`,
`mar_etane_(shio_no_kito)`): characters carry a copyright qualifier, artists and general tags have
one to three words, aliases are spelling variants or other names. Post counts follow a power law.

Each catalog is measured the same way, each step in a child process that reports its own rusage:
`aidxl ingest` (catalog + search index, as a user runs it: wall and CPU time, peak RSS), then the
index build alone (`build_arrays` over the catalog: time, the build's peak RSS above the process's
RSS before it), then, in this process, loading the saved index (with and without the checksum
verification), its memory, and the search timings.
"""

from __future__ import annotations

import csv
import random
import re
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

_SYLLABLE_TEXT = (
    "a i u e o ka ki ku ke ko sa shi su se so ta chi tsu te to na ni nu ne no ha hi fu he ho ma mi mu "
    "me mo ya yu yo ra ri ru re ro wa n ga gi gu ge go za ji zu ze zo da de do ba bi bu be bo pa pi "
    "pu pe po ryu kyo sho cha el an mar bel dor ven lis tor fen gor ith"
)
SYLLABLES = tuple(_SYLLABLE_TEXT.split(" "))
# Share of each danbooru.csv category among the generated tags (the real file's, roughly).
CATEGORY_SHARES = ((0, 0.22), (1, 0.42), (3, 0.065), (4, 0.29), (5, 0.005))
TAGGER_ROWS = 20_000
RATINGS = ("general", "sensitive", "questionable", "explicit")

# Child that runs a command and reports its rusage: peak RSS (KiB), user and system seconds.
RUSAGE_WRAPPER = """
import resource, subprocess, sys, time
started = time.perf_counter()
result = subprocess.run(sys.argv[1:], capture_output=True, text=True)
wall = time.perf_counter() - started
usage = resource.getrusage(resource.RUSAGE_CHILDREN)
sys.stderr.write(result.stdout + result.stderr)
print(f"{result.returncode} {wall:.3f} {usage.ru_maxrss} {usage.ru_utime:.3f} {usage.ru_stime:.3f}")
"""
# Child that builds the index arrays of a catalog (no cache) and reports time and memory.
INDEX_BUILD_SCRIPT = """
import resource, sys, time
from pathlib import Path
from kb.catalog import open_catalog
from kb.search.arrays import build_arrays
from kb.search.rows import read_catalog_rows
connection = open_catalog(Path(sys.argv[1]))
with open("/proc/self/statm") as handle:
    before = int(handle.read().split()[1]) * resource.getpagesize()
started, cpu = time.perf_counter(), time.process_time()
arrays = build_arrays(read_catalog_rows(connection))
wall, cpu = time.perf_counter() - started, time.process_time() - cpu
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
print(f"{wall:.3f} {cpu:.3f} {before} {peak} {arrays.nbytes}")
"""


@dataclass(frozen=True)
class BuildFigures:
    ingest_wall: float
    ingest_cpu: float
    ingest_peak_rss: int
    catalog_seconds: float  # as `aidxl ingest` reports the catalog build
    index_seconds: float  # as `aidxl ingest` reports the search index
    index_build_wall: float
    index_build_cpu: float
    index_build_peak_above_start: int
    index_arrays_bytes: int


def generate_sources(folder: Path, tag_count: int, alias_count: int, seed: int = 13) -> list[str]:
    """Write the generated tag-autocomplete and tagger CSVs; the `aidxl ingest` flags that read them."""
    rng = random.Random(seed)
    names: set[str] = set()

    def word() -> str:
        return "".join(rng.choice(SYLLABLES) for _ in range(rng.choice((1, 2, 2, 3, 3, 4))))

    def fresh(make: object) -> str:
        assert callable(make)
        while True:
            name = str(make())
            if name not in names:
                names.add(name)
                return name

    def words(low: int, high: int) -> str:
        return "_".join(word() for _ in range(rng.randint(low, high)))

    counts = {category: round(share * tag_count) for category, share in CATEGORY_SHARES}
    counts[1] += tag_count - sum(counts.values())
    copyrights = [fresh(lambda: words(1, 4)) for _ in range(counts[3])]
    rows: list[tuple[str, int]] = [(name, 3) for name in copyrights]
    for category in (0, 1, 5):
        rows += [(fresh(lambda: words(1, 3)), category) for _ in range(counts[category])]
    rows += [(fresh(lambda: f"{words(1, 2)}_({rng.choice(copyrights)})"), 4) for _ in range(counts[4])]
    rng.shuffle(rows)
    aliases: list[list[str]] = [[] for _ in rows]
    for _ in range(alias_count):
        owner = rng.randrange(len(rows))
        base = rows[owner][0]
        if rng.random() < 0.4:
            stem = re.sub(r"_\(.*\)$", "", base)
            alias = fresh(lambda stem=stem: f"{stem.replace('_', '')}{rng.choice(('', '_'))}{word()}")
        else:
            alias = fresh(lambda: words(1, 3))
        aliases[owner].append(alias)
    tagcomplete = folder / "danbooru-generated.csv"
    with tagcomplete.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        for rank, ((name, category), alias_list) in enumerate(zip(rows, aliases, strict=True)):
            writer.writerow((name, category, int(4_000_000 / (rank + 1) ** 0.85), ",".join(alias_list)))
    tagger = folder / "selected_tags-generated.csv"
    with tagger.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(("tag_id", "name", "category", "count"))
        for tag_id, rating in enumerate(RATINGS):
            writer.writerow((9_000_000 + tag_id, rating, 9, 1_000_000))
        picked = [(rank, name, category) for rank, (name, category) in enumerate(rows) if category in (0, 4)]
        for rank, name, category in picked[:TAGGER_ROWS]:
            writer.writerow((rank + 1, name, category, int(4_000_000 / (rank + 1) ** 0.85)))
    return ["--tagger", str(tagger), "--tagcomplete", str(tagcomplete)]


def measure_build(
    repo_root: Path, catalog: Path, ingest_arguments: list[str], env: dict[str, str]
) -> BuildFigures:
    """`aidxl ingest` into `catalog` (catalog + index), then the index build alone, each in a child."""
    aidxl = str(Path(sys.executable).with_name("aidxl"))
    command = [
        sys.executable,
        "-c",
        RUSAGE_WRAPPER,
        aidxl,
        "ingest",
        "--catalog",
        str(catalog),
        *ingest_arguments,
    ]
    finished = subprocess.run(command, cwd=repo_root, env=env, capture_output=True, text=True, check=True)
    status, wall, peak_kib, user, system = finished.stdout.splitlines()[-1].split()
    if status != "0":
        raise SystemExit(f"aidxl ingest failed:\n{finished.stderr}")
    catalog_seconds = float(re.search(r"built in ([\d.]+) s", finished.stderr).group(1))  # type: ignore[union-attr]
    index_seconds = float(re.search(r"search index: ready in ([\d.]+) s", finished.stderr).group(1))  # type: ignore[union-attr]
    built = (
        subprocess.run(
            [sys.executable, "-c", INDEX_BUILD_SCRIPT, str(catalog)],
            cwd=repo_root,
            env=env,
            capture_output=True,
            text=True,
            check=True,
        )
        .stdout.splitlines()[-1]
        .split()
    )  # the last line: DuckDB may draw a progress bar before it
    return BuildFigures(
        ingest_wall=float(wall),
        ingest_cpu=float(user) + float(system),
        ingest_peak_rss=int(peak_kib) * 1024,
        catalog_seconds=catalog_seconds,
        index_seconds=index_seconds,
        index_build_wall=float(built[0]),
        index_build_cpu=float(built[1]),
        index_build_peak_above_start=int(built[3]) - int(built[2]),
        index_arrays_bytes=int(built[4]),
    )
