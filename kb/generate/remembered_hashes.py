"""Hashes of large files remembered across runs, by path and a stamp of size and modification time.

Hashing a 7 GB checkpoint or a LoRA takes a while; the model hash and the LoRA hash are both kept
in a small JSON record in the cache folder and computed again only when the file changed.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

from kb.outpath import atomic_write_bytes
from kb.paths import cache_dir


def remembered_hash(record_file: str, path: Path, stamp: object, compute: Callable[[], str]) -> str:
    """The hash remembered for `path` under `stamp` in `record_file`, else `compute()` (then remembered).

    `stamp` is anything JSON can hold that changes with the file (size and mtime, per file of a folder)."""
    record_path = cache_dir() / record_file
    try:
        records: dict[str, Any] = json.loads(record_path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        records = {}
    key = str(path.resolve())
    remembered = records.get(key)
    stamp_as_stored = json.loads(json.dumps(stamp))  # tuples read back as lists
    if isinstance(remembered, dict) and remembered.get("stamp") == stamp_as_stored and "hash" in remembered:
        return str(remembered["hash"])
    value = compute()
    records[key] = {"stamp": stamp_as_stored, "hash": value}
    record_path.parent.mkdir(parents=True, exist_ok=True)
    atomic_write_bytes(record_path, json.dumps(records, indent=1, sort_keys=True).encode("utf-8"))
    return value
