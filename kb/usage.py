"""The usage-bias store: how often the user assembled or copied each trigger.

A small SQLite file under `kb.paths.state_dir()` (`usage.sqlite3`), never inside the catalog that
`aidxl ingest` replaces. WAL mode: a writer (the explorer recording a copy) never blocks a reader
(a search loading the counts), and a reader never blocks a writer. Search reads the counts once when
it loads its index (`SearchIndex.set_usage` refreshes them) and ranks with
ln(1 + count) + k·ln(1 + uses), capped (see kb.search.index).

Table `uses`: `key` (the trigger in normalized form: lower case, unescaped, spaces — any pasted form
of a tag counts for the same key), `text` (the form last recorded), `assembled`, `copied`
(counts), `last_used` (UTC ISO time).
"""

from __future__ import annotations

import re
import sqlite3
from collections.abc import Iterable
from datetime import UTC, datetime
from pathlib import Path

from kb.errors import UsageStoreError
from kb.paths import state_dir
from kb.search.normalize import normalize

USAGE_FILE_NAME = "usage.sqlite3"
_BUSY_TIMEOUT_S = 5.0
# `(by xxx:0.6)` → `by xxx`: a weight wrapper is not part of the trigger.
_WEIGHTED = re.compile(r"^\((?P<text>.+):\s*-?[0-9.]+\)$")

_SCHEMA = """
CREATE TABLE IF NOT EXISTS uses (
    key       TEXT PRIMARY KEY,
    text      TEXT NOT NULL,
    assembled INTEGER NOT NULL DEFAULT 0,
    copied    INTEGER NOT NULL DEFAULT 0,
    last_used TEXT NOT NULL
)
"""


def usage_store_path() -> Path:
    return state_dir() / USAGE_FILE_NAME


def usage_key(text: str) -> str:
    """The key a trigger is counted under: `(Lucy \\(Cyberpunk\\):1.2)` → `lucy (cyberpunk)`."""
    stripped = text.strip()
    weighted = _WEIGHTED.match(stripped)
    if weighted is not None:
        stripped = weighted.group("text")
    return normalize(stripped)


def _connect(path: Path) -> sqlite3.Connection:
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        connection = sqlite3.connect(path, timeout=_BUSY_TIMEOUT_S)
        connection.execute("PRAGMA journal_mode=WAL")
        connection.execute("PRAGMA synchronous=NORMAL")
        connection.execute(_SCHEMA)
    except (OSError, sqlite3.Error) as error:
        raise UsageStoreError(f"{path}: cannot open the usage store ({error})") from error
    return connection


def _record(texts: Iterable[str], column: str, path: Path | None) -> int:
    counts: dict[str, tuple[str, int]] = {}
    for text in texts:
        key = usage_key(text)
        if key:
            _, seen = counts.get(key, (text, 0))
            counts[key] = (text.strip(), seen + 1)
    if not counts:
        return 0
    store_path = path if path is not None else usage_store_path()
    now = datetime.now(UTC).isoformat(timespec="seconds")
    connection = _connect(store_path)
    try:
        with connection:
            connection.executemany(
                f"""
                INSERT INTO uses (key, text, {column}, last_used) VALUES (?, ?, ?, ?)
                ON CONFLICT (key) DO UPDATE SET
                    text = excluded.text, {column} = {column} + excluded.{column},
                    last_used = excluded.last_used
                """,
                [(key, text, count, now) for key, (text, count) in counts.items()],
            )
    except sqlite3.Error as error:
        raise UsageStoreError(f"{store_path}: cannot record usage ({error})") from error
    finally:
        connection.close()
    return len(counts)


def record_prompt(tags: Iterable[str], *, path: Path | None = None) -> int:
    """Count one use of each tag of an assembled prompt; returns how many distinct tags were counted."""
    return _record(tags, "assembled", path)


def record_copy(texts: Iterable[str], *, path: Path | None = None) -> int:
    """Count one copy of each trigger the user copied to the clipboard."""
    return _record(texts, "copied", path)


def read_usage_counts(path: Path | None = None) -> dict[str, int]:
    """key → assembled + copied; {} when nothing was recorded yet (the file is not created)."""
    store_path = path if path is not None else usage_store_path()
    if not store_path.exists():
        return {}
    try:
        connection = sqlite3.connect(f"{store_path.as_uri()}?mode=ro", uri=True, timeout=_BUSY_TIMEOUT_S)
        try:
            rows = connection.execute("SELECT key, assembled + copied FROM uses").fetchall()
        finally:
            connection.close()
    except sqlite3.Error as error:
        raise UsageStoreError(f"{store_path}: cannot read the usage store ({error})") from error
    return {str(key): int(total) for key, total in rows}
