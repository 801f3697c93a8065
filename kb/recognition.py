"""Does the model know a trigger? Recognition scores and verdicts, stored per trigger and model hash.

A score is measured from a style sheet (see kb/sheets/recognize.py for the measure): how far each
style cell moves from the baseline cell of the same seed and base prompt, averaged over them.
Scores and verdicts live in a small SQLite file, `recognition.sqlite3` under `kb.paths.state_dir()`,
and NOT in the DuckDB catalog: `aidxl ingest` replaces the catalog file atomically (a score
stored there would vanish with every rebuild) and the explorer opens the catalog read-only.
Keyed by the trigger's unescaped text (as in `triggers.text`), its weight, the model hash and the
measure's name, so the same trigger can be known by one checkpoint and not by another.

Reading (`read_verdicts`) needs only sqlite3: search and the TUI call it without torch.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from kb.paths import state_dir

STORE_FILE_NAME = "recognition.sqlite3"
VERDICTS = ("yes", "unsure", "no")
UNMEASURED = "unmeasured"

_SCHEMA = """
CREATE TABLE IF NOT EXISTS recognition (
    trigger     TEXT NOT NULL,     -- unescaped trigger text, as triggers.text: by yoneyama mai
    weight      REAL NOT NULL,     -- the weight it was measured at: 0.9 for (by yoneyama mai:0.9)
    model_hash  TEXT NOT NULL,     -- the engine's model hash (A1111 `Model hash`)
    model_name  TEXT NOT NULL,
    measure     TEXT NOT NULL,     -- name and version of the distance, e.g. mad64/1
    score       REAL NOT NULL,     -- mean distance to the baseline, 0..1
    verdict     TEXT NOT NULL,     -- yes | unsure | no
    samples     INTEGER NOT NULL,  -- (seed, base prompt) pairs averaged
    sheet       TEXT NOT NULL,     -- spec hash of the sheet it was measured on
    measured_at TEXT NOT NULL,     -- ISO 8601 UTC
    PRIMARY KEY (trigger, weight, model_hash, measure)
)
"""


@dataclass(frozen=True)
class Recognition:
    """One measured answer to "does this model know this trigger?"."""

    trigger: str
    weight: float
    model_hash: str
    model_name: str
    measure: str
    score: float
    verdict: str
    samples: int
    sheet: str
    measured_at: str


def recognition_store_path() -> Path:
    return state_dir() / STORE_FILE_NAME


def record_recognitions(records: Sequence[Recognition], *, store_path: Path | None = None) -> Path:
    """Insert or replace the records (one transaction); returns the store's path."""
    path = store_path if store_path is not None else recognition_store_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    connection = sqlite3.connect(path, timeout=30)
    try:
        connection.execute("PRAGMA journal_mode=WAL")  # readers never wait for a sheet writing scores
        connection.execute(_SCHEMA)
        with connection:
            connection.executemany(
                "INSERT OR REPLACE INTO recognition VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                [
                    (
                        record.trigger,
                        record.weight,
                        record.model_hash,
                        record.model_name,
                        record.measure,
                        record.score,
                        record.verdict,
                        record.samples,
                        record.sheet,
                        record.measured_at,
                    )
                    for record in records
                ],
            )
    finally:
        connection.close()
    return path


def read_recognitions(
    triggers: Iterable[str] | None = None,
    *,
    model_hash: str | None = None,
    store_path: Path | None = None,
) -> list[Recognition]:
    """Every stored record for these triggers (all when None), newest first; [] without a store."""
    path = store_path if store_path is not None else recognition_store_path()
    if not path.is_file():
        return []
    connection = sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=30)
    try:
        sql = "SELECT * FROM recognition WHERE 1 = 1"
        parameters: list[str] = []
        if triggers is not None:
            wanted = sorted(set(triggers))
            if not wanted:
                return []
            sql += f" AND trigger IN ({', '.join('?' for _ in wanted)})"
            parameters.extend(wanted)
        if model_hash is not None:
            sql += " AND model_hash = ?"
            parameters.append(model_hash)
        sql += " ORDER BY measured_at DESC, trigger, weight"
        try:
            rows = connection.execute(sql, parameters).fetchall()
        except sqlite3.OperationalError:  # a store created by a newer or broken writer: no answers
            return []
    finally:
        connection.close()
    return [
        Recognition(
            trigger=row[0],
            weight=row[1],
            model_hash=row[2],
            model_name=row[3],
            measure=row[4],
            score=row[5],
            verdict=row[6],
            samples=row[7],
            sheet=row[8],
            measured_at=row[9],
        )
        for row in rows
    ]


def read_verdicts(
    triggers: Iterable[str] | None = None,
    *,
    model_hash: str | None = None,
    store_path: Path | None = None,
) -> dict[str, Recognition]:
    """trigger text -> its most telling record: measured at weight 1 if any, else the newest.

    Without `model_hash` every model counts (newest wins); triggers never measured are absent.
    """
    best: dict[str, Recognition] = {}
    for record in read_recognitions(triggers, model_hash=model_hash, store_path=store_path):
        current = best.get(record.trigger)
        if current is None or (current.weight != 1.0 and record.weight == 1.0):
            best[record.trigger] = record
    return best
