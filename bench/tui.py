"""Explorer responsiveness on the full catalog: start-up to search-ready, keystroke → results, and
keystroke → the first result's detail painted.

    .venv/bin/python bench/tui.py [--catalog PATH] [--keys-only]

Targets (issues 7, 12): start-up <= 1.0 s from process start to an interactive screen with the
search index ready; keystroke → updated results p95 <= 50 ms; keystroke → results and the
highlighted result's detail painted p95 <= 50 ms (details are read ahead and cached,
tui/state/detail_cache.py). Keystrokes are driven with Textual's Pilot at 80×24 (headless), each
after the last one's results and detail are shown. Baselines measured in the same run: the
start-up of a minimal Textual app (the floor any Textual program pays), and the same keystrokes
into a minimal app whose Input echoes each key into a Static (the Pilot round-trip floor).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO_ROOT))
import tui.app  # noqa: E402,F401  (before Textual: it sets the explorer's frame rate, as `aidxl` does)

QUERIES = ("hatsne miku", "ganyu", "by yoneyama", "impasto", "detco", "lucy cyberpunk", "frieren", "best qu")
STARTUP_RUNS = 3

# Started with `python -c`; goes the way `aidxl` goes (the CLI's parser, then the app), headless,
# and prints one line the moment the search index is ready.
STARTUP_PROBE = """
import time
started = time.perf_counter()
import asyncio, sys
from pathlib import Path
sys.path.insert(0, {repo!r})
if {through_cli!r}:
    from tui.cli import build_parser
    build_parser([]).parse_args([])  # exactly what `aidxl` with no command does first
from tui.app import start_explorer

async def main():
    app = start_explorer({catalog!r}, watch_catalog=False)
    async with app.run_test(size=(80, 24)) as pilot:
        while app.session.index is None and app.session.search_problem is None:
            await pilot.pause(0.005)
        print(time.perf_counter() - started, app.session.search_problem or "", flush=True)

asyncio.run(main())
"""

BASELINE_PROBE = """
import time
started = time.perf_counter()
import asyncio
from textual.app import App
from textual.widgets import Input, Footer

class Minimal(App):
    def compose(self):
        yield Input()
        yield Footer()

async def main():
    app = Minimal()
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        print(time.perf_counter() - started, "", flush=True)

asyncio.run(main())
"""


def run_probe(source: str) -> tuple[float, float, str]:
    """(seconds from spawn to the child's ready line, as the child measured it, problem)."""
    spawned = time.perf_counter()
    with subprocess.Popen(
        [sys.executable, "-c", source], cwd=REPO_ROOT, stdout=subprocess.PIPE, text=True
    ) as child:
        assert child.stdout is not None
        ready_line = child.stdout.readline()
        outside = time.perf_counter() - spawned  # the app's shutdown is not start-up
        child.communicate()
    if child.returncode != 0 or not ready_line:
        raise SystemExit(f"bench/tui.py: the start-up probe failed (exit {child.returncode})")
    inside_text, _, problem = ready_line.strip().partition(" ")
    return outside, float(inside_text), problem


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(fraction * (len(ordered) - 1)))]


CURSOR_MOVES_PER_QUERY = 6
CURSOR_CACHE = [0, 0]  # the cursor moves whose detail was not / was read ahead


async def keystroke_latencies(
    catalog: Path,
) -> tuple[list[float], list[float], list[float], list[float], list[float]]:
    """Per key: ms from the input changing to the refresh that paints its results (measured in the
    app); ms until Pilot returns with the results shown (includes Pilot's idle waits); the floor;
    ms from the input changing to the refresh that paints the first result's detail."""
    from textual.app import App, ComposeResult
    from textual.widgets import Input, Static

    from tui.app import ExplorerApp

    app = ExplorerApp(catalog, watch_catalog=False)
    pilot_latencies: list[float] = []
    cursor_latencies: list[float] = []  # cursor ↓ → the new row's detail painted
    cursor_cache = CURSOR_CACHE  # [not cached, cached] over the cursor moves
    async with app.run_test(size=(80, 24)) as pilot:
        while app.session.index is None and app.session.search_problem is None:
            await pilot.pause(0.01)
        if app.session.search_problem:
            raise SystemExit(f"bench/tui.py: {app.session.search_problem}")
        search_input = app.query_one("#search", Input)
        for query in QUERIES:
            search_input.value = ""
            await pilot.pause()
            for character in query:
                started = time.perf_counter()
                await pilot.press(character)
                while app.search_view.results_query != search_input.value:
                    await pilot.pause(0)
                pilot_latencies.append((time.perf_counter() - started) * 1000)
                waited_until = time.perf_counter() + 2.0
                while app.search_view.detail_wait is not None and time.perf_counter() < waited_until:
                    await pilot.pause(0)
            # Down the results as a reader does, a moment apart (the read-ahead's chance).
            await app.workers.wait_for_complete()
            moves_start = len(app.search_view.highlight_latencies_ms)
            misses, hits = app.search_view.detail_cache_hits
            for _ in range(CURSOR_MOVES_PER_QUERY):
                await pilot.press("down")
                waited_until = time.perf_counter() + 2.0
                while app.search_view.highlight_wait is not None and time.perf_counter() < waited_until:
                    await pilot.pause(0)
                await pilot.pause(0.05)
            await pilot.pause()
            cursor_latencies += app.search_view.highlight_latencies_ms[moves_start:]
            cursor_cache[0] += app.search_view.detail_cache_hits[0] - misses
            cursor_cache[1] += app.search_view.detail_cache_hits[1] - hits
        await pilot.pause()
        latencies = list(app.search_view.search_latencies_ms)
        detail_latencies = list(app.search_view.detail_latencies_ms)

    class PlainInput(App[None]):
        def compose(self) -> ComposeResult:
            yield Input()
            yield Static(id="echo")

        def on_input_changed(self, event: Input.Changed) -> None:
            self.query_one("#echo", Static).update(event.value)

    floor: list[float] = []
    plain = PlainInput()
    async with plain.run_test(size=(80, 24)) as pilot:
        for query in QUERIES:
            for character in query:
                started = time.perf_counter()
                await pilot.press(character)
                await pilot.pause(0)
                floor.append((time.perf_counter() - started) * 1000)
    return latencies, pilot_latencies, floor, detail_latencies, cursor_latencies


async def save_screenshot(catalog: Path, target: Path) -> None:
    """docs/explorer.svg: the search view over the real catalog, `ganyu` selected, a prompt in progress."""
    from tui.app import ExplorerApp

    app = ExplorerApp(catalog, watch_catalog=False, show_timings=False, detail_delay=0)
    async with app.run_test(size=(110, 32)) as pilot:
        while app.session.index is None and app.session.search_problem is None:
            await pilot.pause(0.01)
        for query in ("by yoneyama mai", "by chi4", "ganyu"):
            await pilot.press("ctrl+u", *query)
            while app.search_view.results_query != query:
                await pilot.pause(0.01)
            if query != "ganyu":
                await pilot.press("enter")
        await app.workers.wait_for_complete()
        await pilot.pause()
        app.query_one("#search").cursor_blink = False
        app.clear_notifications()
        await pilot.pause()
        target.write_text(app.export_screenshot(title="aidxl explorer"), encoding="utf-8")
    print(f"screenshot: {target}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--catalog", help="catalog file (default: the resolved catalog; else a fresh build)")
    parser.add_argument("--keys-only", action="store_true", help="keystroke figures only (no start-up runs)")
    parser.add_argument("--screenshot", metavar="SVG", help="only save the README screenshot to this file")
    args = parser.parse_args()
    from kb.paths import resolve_catalog_path

    catalog = resolve_catalog_path(args.catalog)
    if not catalog.is_file():
        sys.path.insert(0, str(REPO_ROOT / "tests"))
        from catalog_fixture import build_real_catalog  # type: ignore[import-not-found]

        catalog = build_real_catalog(Path(tempfile.mkdtemp()) / "catalog.duckdb")
    print(f"catalog: {catalog}")
    if args.screenshot:
        asyncio.run(save_screenshot(catalog, Path(args.screenshot)))
        return 0

    print(f"load average: {' '.join(f'{value:.2f}' for value in os.getloadavg())}")
    print(f"TEXTUAL_FPS: {os.environ.get('TEXTUAL_FPS')}")
    if args.keys_only:
        print_keystrokes(catalog)
        return 0

    def probe(through_cli: bool) -> str:
        return STARTUP_PROBE.format(repo=str(REPO_ROOT), catalog=str(catalog), through_cli=through_cli)

    startup = [run_probe(probe(True)) for _ in range(STARTUP_RUNS)]
    app_only = [run_probe(probe(False)) for _ in range(STARTUP_RUNS)]
    baseline = [run_probe(BASELINE_PROBE) for _ in range(STARTUP_RUNS)]
    problems = {problem for _, _, problem in startup if problem}
    if problems:
        print(f"start-up: search not ready: {'; '.join(sorted(problems))}")
        return 1
    best_startup = min(outside for outside, _, _ in startup)
    best_baseline = min(outside for outside, _, _ in baseline)
    print(
        f"start-up to search-ready (process spawn → index ready, best of {STARTUP_RUNS}): "
        f"{best_startup:.3f} s  (target <= 1.0 s)"
    )
    best_app_only = min(outside for outside, _, _ in app_only)
    print(
        f"  the explorer alone (no CLI parser, which for `aidxl` with no command registers only "
        f"`explore`): {best_app_only:.3f} s"
    )
    print(f"  baseline: minimal Textual app to first screen: {best_baseline:.3f} s")

    print_keystrokes(catalog)
    return 0


def print_keystrokes(catalog: Path) -> None:
    latencies, pilot_latencies, floor, detail_latencies, cursor_latencies = asyncio.run(
        keystroke_latencies(catalog)
    )
    print(
        f"keystroke → results painted (in-app) over {len(latencies)} keys: "
        f"p50 {statistics.median(latencies):.1f} ms, "
        f"p95 {percentile(latencies, 0.95):.1f} ms, max {max(latencies):.1f} ms  (target p95 <= 50 ms)"
    )
    print(
        f"  as Pilot sees it (press → results, incl. Pilot's idle waits): p50 "
        f"{statistics.median(pilot_latencies):.1f} ms, p95 {percentile(pilot_latencies, 0.95):.1f} ms"
    )
    if detail_latencies:
        print(
            f"keystroke → results and detail painted (in-app) over {len(detail_latencies)} keys: "
            f"p50 {statistics.median(detail_latencies):.1f} ms, "
            f"p95 {percentile(detail_latencies, 0.95):.1f} ms, max {max(detail_latencies):.1f} ms  "
            "(target p95 <= 50 ms)"
        )
    if cursor_latencies:
        print(
            f"cursor ↓ → the highlighted row's detail painted (in-app, read ahead) over "
            f"{len(cursor_latencies)} moves: p50 {statistics.median(cursor_latencies):.1f} ms, "
            f"p95 {percentile(cursor_latencies, 0.95):.1f} ms, max {max(cursor_latencies):.1f} ms; "
            f"read ahead for {CURSOR_CACHE[1]} of {sum(CURSOR_CACHE)}"
        )
    print(
        f"  baseline: Pilot press → minimal Textual app's Input echoed into a Static: p50 "
        f"{statistics.median(floor):.1f} ms, p95 {percentile(floor, 0.95):.1f} ms"
    )
    print(f"load average after: {' '.join(f'{value:.2f}' for value in os.getloadavg())}")


if __name__ == "__main__":
    sys.exit(main())
