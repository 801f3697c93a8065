"""Discovery evidence per trigger, checkpoint and base, in the recognition store (sqlite3 only).

The table sits in `recognition.sqlite3` beside the sheet verdicts (kb/recognition.py): both are
answers about one model, kept across catalog rebuilds, read without torch by search and the
explorer.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from kb.recognition import recognition_store_path

_SCHEMA = """
CREATE TABLE IF NOT EXISTS discovery (
    trigger       TEXT NOT NULL,     -- as written: by yoneyama mai
    model_hash    TEXT NOT NULL,     -- SHA-256 of the fine-tune (the web UI's model hash, in full)
    model_name    TEXT NOT NULL,
    base_hash     TEXT NOT NULL,     -- SHA-256 of the base it was compared with
    tokens        INTEGER NOT NULL,  -- CLIP tokens of the name
    rows_changed  INTEGER NOT NULL,  -- of them, token rows that moved in either encoder
    row_drift     REAL NOT NULL,     -- mean relative change of those rows
    row_score     REAL NOT NULL,     -- rows_changed / tokens + min(row_drift, 1)
    output_drift  REAL,              -- CLIP-L hidden-state drift; NULL when not measured
    rank          INTEGER NOT NULL,  -- 1 = strongest evidence among `candidates`
    candidates    INTEGER NOT NULL,  -- how many were ranked together
    measured_at   TEXT NOT NULL,     -- ISO 8601 UTC
    PRIMARY KEY (trigger, model_hash, base_hash)
)
"""


@dataclass(frozen=True)
class StoredEvidence:
    trigger: str
    model_hash: str
    model_name: str
    base_hash: str
    tokens: int
    rows_changed: int
    row_drift: float
    row_score: float
    output_drift: float | None
    rank: int
    candidates: int
    measured_at: str


def record_evidence(records: Sequence[StoredEvidence], *, store_path: Path | None = None) -> Path:
    path = store_path if store_path is not None else recognition_store_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    connection = sqlite3.connect(path, timeout=30)
    try:
        connection.execute("PRAGMA journal_mode=WAL")
        connection.execute(_SCHEMA)
        with connection:
            connection.executemany(
                f"INSERT OR REPLACE INTO discovery VALUES ({', '.join('?' * 12)})",
                [
                    (
                        record.trigger,
                        record.model_hash,
                        record.model_name,
                        record.base_hash,
                        record.tokens,
                        record.rows_changed,
                        record.row_drift,
                        record.row_score,
                        record.output_drift,
                        record.rank,
                        record.candidates,
                        record.measured_at,
                    )
                    for record in records
                ],
            )
    finally:
        connection.close()
    return path


def read_evidence(
    triggers: Iterable[str] | None = None, *, model_hash: str | None = None, store_path: Path | None = None
) -> dict[str, StoredEvidence]:
    """trigger -> its newest evidence (of `model_hash` when given); {} without a store or table."""
    path = store_path if store_path is not None else recognition_store_path()
    if not path.is_file():
        return {}
    connection = sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=30)
    try:
        sql = "SELECT * FROM discovery WHERE 1 = 1"
        parameters: list[str] = []
        if triggers is not None:
            wanted = sorted(set(triggers))
            if not wanted:
                return {}
            sql += f" AND trigger IN ({', '.join('?' for _ in wanted)})"
            parameters.extend(wanted)
        if model_hash is not None:
            sql += " AND model_hash = ?"
            parameters.append(model_hash)
        sql += " ORDER BY measured_at ASC"
        try:
            rows = connection.execute(sql, parameters).fetchall()
        except sqlite3.DatabaseError:  # no discovery run yet, or not a store
            return {}
    finally:
        connection.close()
    return {row[0]: StoredEvidence(*row) for row in rows}  # newest last, so newest wins
