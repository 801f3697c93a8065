"""Does the model know a trigger? Recognition scores and verdicts, stored per trigger and model hash.

A score is measured from a style sheet (see kb/sheets/recognize.py for the measure): how far each
style cell moves from the baseline cell of the same seed and base prompt, averaged over them.
Scores and verdicts live in a small SQLite file, `recognition.sqlite3` under `kb.paths.state_dir()`,
and NOT in the DuckDB catalog: `aidxl ingest` replaces the catalog file atomically (a score
stored there would vanish with every rebuild) and the explorer opens the catalog read-only.
Keyed by the trigger's unescaped text (as in `triggers.text`), its weight, the model hash and the
measure's name, so the same trigger can be known by one checkpoint and not by another.

Records measured on a random-weight model (the built-in `tiny-random`) are stored marked as such
and are never read as knowledge: `read_verdicts` leaves them out unless asked, so search filters and
the explorer show such triggers as unmeasured. Control triggers are never stored.

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
    measure     TEXT NOT NULL,     -- name and version of the distance and verdict rule, e.g. mad64/2
    score       REAL NOT NULL,     -- mean distance to the baseline, 0..1
    verdict     TEXT NOT NULL,     -- yes | unsure | no
    samples     INTEGER NOT NULL,  -- (seed, base prompt) pairs averaged
    sheet       TEXT NOT NULL,     -- spec hash of the sheet it was measured on
    measured_at TEXT NOT NULL,     -- ISO 8601 UTC
    p_value     REAL,              -- against the sheet's control triggers (mad64/2); NULL before
    random_weights INTEGER NOT NULL DEFAULT 0,  -- 1: measured on a random-weight model, not knowledge
    PRIMARY KEY (trigger, weight, model_hash, measure)
)
"""
# Columns added after the first stores were written: (name, declaration) for ALTER TABLE.
_ADDED_COLUMNS = (("p_value", "REAL"), ("random_weights", "INTEGER NOT NULL DEFAULT 0"))
_COLUMNS = (
    "trigger, weight, model_hash, model_name, measure, score, verdict, samples, sheet, measured_at, "
    "p_value, random_weights"
)


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
    p_value: float | None = None  # one-sided, against the sheet's controls (kb/sheets/recognize.py)
    control: bool = False  # a made-up control trigger: reported beside the styles, never stored
    random_weights: bool = False  # measured on a random-weight model: a test of the tool, not knowledge


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
        present = {row[1] for row in connection.execute("PRAGMA table_info(recognition)")}
        for name, declaration in _ADDED_COLUMNS:
            if name not in present:  # a store written before the column existed
                connection.execute(f"ALTER TABLE recognition ADD COLUMN {name} {declaration}")
        with connection:
            connection.executemany(
                f"INSERT OR REPLACE INTO recognition ({_COLUMNS}) VALUES ({', '.join('?' * 12)})",
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
                        record.p_value,
                        int(record.random_weights),
                    )
                    for record in records
                    if not record.control
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
    include_random_weights: bool = True,
) -> list[Recognition]:
    """Every stored record for these triggers (all when None), newest first; [] without a store."""
    path = store_path if store_path is not None else recognition_store_path()
    if not path.is_file():
        return []
    connection = sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=30)
    try:
        try:
            present = {row[1] for row in connection.execute("PRAGMA table_info(recognition)")}
        except sqlite3.DatabaseError:  # not a SQLite file
            return []
        # A store written before p_value / random_weights existed reads them as NULL / 0.
        added = ", ".join(
            name if name in present else ("NULL" if name == "p_value" else "0") for name, _ in _ADDED_COLUMNS
        )
        sql = f"SELECT {_COLUMNS.rsplit(', p_value', 1)[0]}, {added} FROM recognition WHERE 1 = 1"
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
        if not include_random_weights and "random_weights" in present:
            sql += " AND random_weights = 0"
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
            p_value=row[10],
            random_weights=bool(row[11]),
        )
        for row in rows
    ]


def read_verdicts(
    triggers: Iterable[str] | None = None,
    *,
    model_hash: str | None = None,
    store_path: Path | None = None,
    include_random_weights: bool = False,
) -> dict[str, Recognition]:
    """trigger text -> its most telling record: measured at weight 1 if any, else the newest.

    Without `model_hash` every model counts (newest wins); triggers never measured are absent, and
    so are triggers measured only on random weights unless `include_random_weights`.
    """
    best: dict[str, Recognition] = {}
    records = read_recognitions(
        triggers, model_hash=model_hash, store_path=store_path, include_random_weights=include_random_weights
    )
    for record in records:
        current = best.get(record.trigger)
        if current is None or (current.weight != 1.0 and record.weight == 1.0):
            best[record.trigger] = record
    return best
