"""Speed of the CLIP token counter: `aidxl prompt tokens` wall time and in-process counting.

Run: .venv/bin/python bench/tokens.py
Prints the wall time of a bare interpreter (baseline), of the token command's own imports and
work (`tui.commands.prompt_check.run_tokens`), and of the whole `aidxl prompt tokens`, each the
best of 5; then the in-process time to count a long prompt once the vocabulary is loaded.
"""

from __future__ import annotations

import statistics
import subprocess
import sys
import time
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]
PROMPT = (
    "(by yoneyama mai:0.9), (by chi4:0.8), by ask, ganyu \\(genshin impact\\), 1girl, solo, cowboy shot, "
    "impasto, fantasy theme, in the forest, at day, gradient background, sitting on ground, expressionless, "
    "white hair, twintails, green eyes, parted lips, white dress, frills, holding a magic wand, grass, "
    "sunshine, beautiful color, detailed, (amazing quality:1.5), birds, cloud"
)
RUNS = 5


def best_wall(command: list[str]) -> float:
    times = []
    for _ in range(RUNS):
        started = time.perf_counter()
        subprocess.run(command, cwd=REPO_ROOT, check=True, capture_output=True)
        times.append(time.perf_counter() - started)
    return min(times)


def main() -> None:
    python = sys.executable
    baseline = best_wall([python, "-c", "pass"])
    own = best_wall(
        [
            python,
            "-c",
            "import argparse, sys; from tui.commands.prompt_check import run_tokens; "
            "run_tokens(argparse.Namespace(text=sys.argv[1], json=True))",
            PROMPT,
        ]
    )
    whole = best_wall([python, "-m", "tui.cli", "prompt", "tokens", PROMPT])
    print(f"bare interpreter (baseline):        {baseline * 1000:6.0f} ms")
    print(f"prompt_check.run_tokens, cold:      {own * 1000:6.0f} ms")
    print(f"aidxl prompt tokens (whole CLI):    {whole * 1000:6.0f} ms   target < 500 ms")

    from kb.prompt.tokens import count_prompt_tokens

    count_prompt_tokens(PROMPT)
    samples = []
    for _ in range(50):
        started = time.perf_counter()
        report = count_prompt_tokens(PROMPT)
        samples.append(time.perf_counter() - started)
    median_ms = statistics.median(samples) * 1000
    print(f"count_prompt_tokens, warm, {report.count}/{report.target}: {median_ms:.2f} ms median")


if __name__ == "__main__":
    main()
