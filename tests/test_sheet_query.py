"""Sheet rows from a catalog query (built here with kb.schema), with the recognition verdict filter."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest

from kb.recognition import Recognition, record_recognitions
from kb.schema import DDL, SCHEMA_VERSION
from kb.sheets.query import RowQuery, parse_row_query, styles_from_catalog

# (trigger text, kind, verified, Danbooru post count or None for no tag)
TRIGGERS = [
    ("by chi4", "artist_style", True, 1500),
    ("by ask", "artist_style", True, 4000),
    ("by ikky", "artist_style", True, 800),
    ("by someone", "artist_style", False, 9000),
    ("by modare", "artist_style", True, None),
    ("flat color", "painting_style", True, 20000),
    ("lucy (cyberpunk)", "character", False, 3000),
]


@pytest.fixture
def catalog(tmp_path: Path) -> Path:
    path = tmp_path / "catalog.duckdb"
    connection = duckdb.connect(str(path))
    for statement in DDL:
        connection.execute(statement)
    connection.execute("INSERT INTO meta VALUES ('schema_version', ?)", [str(SCHEMA_VERSION)])
    for number, (text, kind, verified, count) in enumerate(TRIGGERS, start=1):
        tag_id = number if count is not None else None
        if count is not None:
            connection.execute("INSERT INTO tags VALUES (?, ?, ?, 1, ?)", [number, text, text, count])
        connection.execute(
            "INSERT INTO triggers (trigger_id, text, kind, tag_id, verified, tier, source_id) "
            "VALUES (?, ?, ?, ?, ?, ?, 1)",
            [number, text, kind, tag_id, verified, "verified" if verified else "danbooru"],
        )
    connection.close()
    return path


def test_words_query_gives_verified_styles_above_the_count_most_posted_first(catalog: Path) -> None:
    rows = styles_from_catalog(parse_row_query("verified artist styles with count > 1000"), catalog)
    assert rows == ("by ask", "by chi4")


def test_structured_query_limit_and_prompt_form(catalog: Path) -> None:
    assert styles_from_catalog(RowQuery(kind="artist_style", limit=2), catalog) == (
        "by someone",
        "by ask",
    )
    assert styles_from_catalog(RowQuery(kind="character"), catalog) == (r"lucy \(cyberpunk\)",)


def test_verdict_filter_reads_the_recognition_store(catalog: Path, tmp_path: Path) -> None:
    store = tmp_path / "recognition.sqlite3"
    when = "2026-01-01T00:00:00+00:00"
    record_recognitions(
        [
            Recognition("by ask", 1.0, "m1", "model", "mad64/1", 0.2, "yes", 3, "s", when),
            Recognition("by chi4", 1.0, "m1", "model", "mad64/1", 0.01, "no", 3, "s", when),
            Recognition("by ikky", 1.0, "m2", "model", "mad64/1", 0.3, "yes", 3, "s", when),
        ],
        store_path=store,
    )
    query = RowQuery(kind="artist_style", verified=True, verdict="yes")
    assert styles_from_catalog(query, catalog, model_hash="m1", recognition_store=store) == ("by ask",)
    unmeasured = RowQuery(kind="artist_style", verified=True, verdict="unmeasured")
    assert styles_from_catalog(unmeasured, catalog, model_hash="m1", recognition_store=store) == (
        "by ikky",
        "by modare",
    )


def test_discovered_query_takes_the_best_ranked_candidates_of_the_model(
    catalog: Path, tmp_path: Path
) -> None:
    from kb.discover.store import StoredEvidence, record_evidence

    store = tmp_path / "recognition.sqlite3"

    def found(trigger: str, rank: int, model_hash: str = "m1") -> StoredEvidence:
        return StoredEvidence(trigger, model_hash, "aidxl", "base", 2, 2, 0.1, 1.1, None, rank, 4, "t")

    record_evidence(
        [found("by ikky", 1), found("by modare", 2), found("by chi4", 3), found("by ask", 1, "m2")],
        store_path=store,
    )
    query = parse_row_query("discovered artist styles top 2")
    assert query.discovered and query.limit == 2
    assert styles_from_catalog(query, catalog, model_hash="m1", recognition_store=store) == (
        "by ikky",
        "by modare",
    )
    assert styles_from_catalog(query, catalog, model_hash="m3", recognition_store=store) == ()
