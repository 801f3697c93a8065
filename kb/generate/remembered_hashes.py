"""Hashes of large files remembered across runs, by path and a stamp of size and modification time.

Hashing a 7 GB checkpoint or a LoRA takes a while; the model hash and the LoRA hash are both kept
in a small JSON record in the cache folder and computed again only when the file changed.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

from kb.outpath import atomic_write_bytes
from kb.paths import cache_dir

HASH_RECORD_FILE = "model-hashes.json"  # models' and LoRAs' SHA-256


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


def file_or_folder_sha256(path: Path) -> str:
    """SHA-256 of a file (the web UI's model hash), or of a folder's files in path order.

    Hashing a 7 GB checkpoint takes a while, so results are remembered in the cache folder by
    path, size and modification time.
    """
    files = (
        [path]
        if path.is_file()
        else sorted(p for p in path.rglob("*") if p.is_file() and ".cache" not in p.parts)
    )
    stamp = [
        [str(p.relative_to(path) if p != path else p.name), p.stat().st_size, p.stat().st_mtime_ns]
        for p in files
    ]

    def compute() -> str:
        if path.is_file():
            return _sha256_file(path)
        folder_digest = hashlib.sha256()
        for file_path in files:
            folder_digest.update(f"{file_path.relative_to(path)}\0{_sha256_file(file_path)}\n".encode())
        return folder_digest.hexdigest()

    return remembered_hash(HASH_RECORD_FILE, path, stamp, compute)


def _sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()
