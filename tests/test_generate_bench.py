"""`bench/generate.py --tiny` is the CI smoke test of the GPU benchmark's code paths."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[1]


@pytest.mark.slow  # a subprocess running the benchmark on the tiny model
def test_tiny_benchmark_prints_its_table() -> None:
    pytest.importorskip("torch")
    result = subprocess.run(
        [sys.executable, "bench/generate.py", "--tiny", "--steps", "2", "--batches", "1", "--repeats", "1"],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0].startswith("device: CPU; float32; 64x64; 2 steps")
    assert "RANDOM WEIGHTS" in lines[1]
    header = next(index for index, line in enumerate(lines) if line.startswith("variant"))
    assert [line.split()[:2] for line in lines[header + 1 :]] == [["baseline", "1"], ["eager", "1"]]
