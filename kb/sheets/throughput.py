"""Measured sheet throughput: seconds per cell on this machine, for the next estimate.

Every sheet run that generated at least two cells records how long a cell took (between the first
and the last cell it generated, so loading the model is left out) for its model hash, device,
size and steps, in `sheet-throughput.json` in the cache folder. `--dry-run` then estimates a sweep
from the closest measurement: the same settings as measured; other steps or sizes scaled by
steps x pixels from the same model; else the rough built-in guess, and it says which.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from kb.outpath import atomic_write_bytes
from kb.paths import cache_dir

THROUGHPUT_FILE = "sheet-throughput.json"


@dataclass(frozen=True)
class Throughput:
    seconds_per_cell: float
    basis: str  # "measured …" or "rough guess"


def _path() -> Path:
    return cache_dir() / THROUGHPUT_FILE


def _read() -> dict[str, Any]:
    try:
        document = json.loads(_path().read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return document if isinstance(document, dict) else {}


def _key(model_hash: str, device: str, width: int, height: int, steps: int) -> str:
    return f"{model_hash}|{device}|{width}x{height}|{steps}"


def record_throughput(
    model_hash: str, device: str, width: int, height: int, steps: int, seconds_per_cell: float, cells: int
) -> None:
    """Remember one run's figure (the newest run for the same settings wins)."""
    document = _read()
    document[_key(model_hash, device, width, height, steps)] = {
        "seconds_per_cell": round(seconds_per_cell, 4),
        "cells": cells,
        "measured_at": datetime.now(UTC).isoformat(timespec="seconds"),
    }
    path = _path()
    path.parent.mkdir(parents=True, exist_ok=True)
    atomic_write_bytes(path, json.dumps(document, indent=1, sort_keys=True).encode("utf-8"))


def measured_throughput(model_hash: str, width: int, height: int, steps: int) -> Throughput | None:
    """The closest measurement for these settings on any device of this machine, or None."""
    exact: list[tuple[str, dict[str, Any]]] = []
    scaled: list[tuple[float, dict[str, Any]]] = []
    for key, entry in _read().items():
        parts = key.split("|")
        if len(parts) != 4 or parts[0] != model_hash or not isinstance(entry, dict):
            continue
        try:
            measured_width, measured_height = (int(side) for side in parts[2].split("x"))
            measured_steps = int(parts[3])
            seconds = float(entry["seconds_per_cell"])
        except (KeyError, ValueError, TypeError):
            continue
        if (measured_width, measured_height, measured_steps) == (width, height, steps):
            exact.append((parts[1], entry))
        else:
            work = (width * height * steps) / max(measured_width * measured_height * measured_steps, 1)
            scaled.append((seconds * work, entry))
    if exact:
        device, entry = exact[0]
        when = str(entry.get("measured_at", "?"))[:10]
        return Throughput(
            float(entry["seconds_per_cell"]),
            f"measured on {device} over {entry.get('cells', '?')} cells on {when}",
        )
    if scaled:
        seconds, entry = scaled[0]
        return Throughput(seconds, "scaled by steps x pixels from a measured run of this model")
    return None
