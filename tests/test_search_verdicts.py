"""Recognition verdicts in `aidxl search`: shown per hit (human column, `verdict` in --json) and filtered."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from test_search import write_small_catalog

from kb.catalog import open_catalog
from kb.errors import SearchError
from kb.recognition import Recognition, record_recognitions
from kb.search import SearchIndex
from kb.search.filters import parse_verdicts, search_by_verdict
from tui.cli import main

YONEYAMA = Recognition(
    trigger="by yoneyama mai",
    weight=1.0,
    model_hash="abc123",
    model_name="tiny-sd",
    measure="mad64/1",
    score=0.2314,
    verdict="yes",
    samples=3,
    sheet="sheet1",
    measured_at="2025-01-02T00:00:00Z",
)
MODARE = Recognition(
    trigger="by modare",
    weight=1.0,
    model_hash="def456",
    model_name="aidxl-v0.8",
    measure="mad64/1",
    score=0.021,
    verdict="no",
    samples=2,
    sheet="sheet2",
    measured_at="2025-01-01T00:00:00Z",
)


@pytest.fixture(scope="module")
def small_catalog(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_small_catalog(tmp_path_factory.mktemp("verdicts") / "catalog.duckdb")


def search_json(capsys: pytest.CaptureFixture[str], catalog: Path, *argv: str) -> list[dict[str, object]]:
    assert main(["search", *argv, "--catalog", str(catalog), "--json"]) == 0
    hits: list[dict[str, object]] = json.loads(capsys.readouterr().out)
    return hits


def test_json_has_a_verdict_object_or_null(small_catalog: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert [hit["verdict"] for hit in search_json(capsys, small_catalog, "by")] == [None, None]
    record_recognitions([YONEYAMA, MODARE])  # the default store: $XDG_STATE_HOME/aidxl-kb
    hits = search_json(capsys, small_catalog, "by")
    assert [(hit["prompt"], hit["verdict"]) for hit in hits] == [
        (
            "by modare",
            {
                "weight": 1.0,
                "model_hash": "def456",
                "model_name": "aidxl-v0.8",
                "measure": "mad64/1",
                "score": 0.021,
                "verdict": "no",
                "samples": 2,
                "sheet": "sheet2",
                "measured_at": "2025-01-01T00:00:00Z",
                "p_value": None,
            },
        ),
        (
            "by yoneyama mai",
            {
                "weight": 1.0,
                "model_hash": "abc123",
                "model_name": "tiny-sd",
                "measure": "mad64/1",
                "score": 0.2314,
                "verdict": "yes",
                "samples": 3,
                "sheet": "sheet1",
                "measured_at": "2025-01-02T00:00:00Z",
                "p_value": None,
            },
        ),
    ]
    only_tiny = search_json(capsys, small_catalog, "by", "--model-hash", "abc123")
    assert [(hit["prompt"], hit["verdict"] is not None) for hit in only_tiny] == [
        ("by modare", False),
        ("by yoneyama mai", True),
    ]


def test_human_lines_show_verdict_score_and_model(
    small_catalog: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    record_recognitions([YONEYAMA, MODARE])
    assert main(["search", "by", "--catalog", str(small_catalog)]) == 0
    assert capsys.readouterr().out.splitlines() == [
        "by modare        ✓ artist_style        832  prefix  no     0.021 aidxl-v0.8",
        "by yoneyama mai  ✓ artist_style        259  prefix  yes    0.231 tiny-sd",
    ]
    # An alias hit shows its trigger's verdict.
    assert main(["search", "mossi", "--catalog", str(small_catalog)]) == 0
    assert capsys.readouterr().out.splitlines() == [
        "mossi → by modare  ✓ artist_style        832  alias exact  no     0.021 aidxl-v0.8"
    ]
    # No verdict among the hits: the lines are as before, without a column.
    assert main(["search", "witch", "--catalog", str(small_catalog)]) == 0
    assert capsys.readouterr().out.splitlines() == ["witch hat    general    100,830  prefix"]


def test_verdict_filter(small_catalog: Path, capsys: pytest.CaptureFixture[str]) -> None:
    record_recognitions([YONEYAMA, MODARE])
    assert [hit["prompt"] for hit in search_json(capsys, small_catalog, "by", "--verdict", "yes")] == [
        "by yoneyama mai"
    ]
    assert [hit["prompt"] for hit in search_json(capsys, small_catalog, "by", "--verdict", "yes,no")] == [
        "by modare",
        "by yoneyama mai",
    ]
    unmeasured = search_json(capsys, small_catalog, "hat", "--verdict", "unmeasured")
    assert [hit["prompt"] for hit in unmeasured] == [
        "hat",
        "witch hat",
        "hatsune miku",
        "hatsune \\(princess connect!\\)",
    ]
    assert search_json(capsys, small_catalog, "by", "--verdict", "unsure") == []
    assert main(["search", "by", "--verdict", "maybe", "--catalog", str(small_catalog)]) == 2
    assert "unknown verdict 'maybe'; choose one of: yes, unsure, no, unmeasured" in capsys.readouterr().err


def test_search_by_verdict_widens_past_the_first_hits(small_catalog: Path) -> None:
    connection = open_catalog(small_catalog)
    try:
        index = SearchIndex.build(connection, usage={})
    finally:
        connection.close()
    # The 4th and last hit of `hat`; keyed by the unescaped trigger text.
    verdicts = {"hatsune (princess connect!)": YONEYAMA}
    hits = search_by_verdict(index, "hat", verdicts, frozenset({"yes"}), limit=1)
    assert [hit.prompt for hit in hits] == ["hatsune \\(princess connect!\\)"]
    unmeasured = search_by_verdict(index, "hat", verdicts, frozenset({"unmeasured"}), limit=2)
    assert [hit.prompt for hit in unmeasured] == ["hat", "witch hat"]


def test_parse_verdicts() -> None:
    assert parse_verdicts(None) is None
    assert parse_verdicts(["Yes, no", "unmeasured"]) == frozenset({"yes", "no", "unmeasured"})
    assert parse_verdicts([" , "]) is None
    with pytest.raises(SearchError, match="unknown verdict 'maybe'"):
        parse_verdicts(["maybe"])


def test_json_shows_the_evidence_aidxl_discover_stored(
    small_catalog: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from kb.discover.store import StoredEvidence, record_evidence

    assert all(hit["evidence"] is None for hit in search_json(capsys, small_catalog, "by"))
    found = StoredEvidence(
        "by yoneyama mai", "m1", "aidxl", "b1", 4, 4, 0.2, 1.2, 0.05, 1, 25_000, "2026-01-01"
    )
    record_evidence([found])
    hits = {hit["prompt"]: hit["evidence"] for hit in search_json(capsys, small_catalog, "by")}
    assert hits["by yoneyama mai"] == {
        "model_hash": "m1",
        "model_name": "aidxl",
        "base_hash": "b1",
        "tokens": 4,
        "rows_changed": 4,
        "row_drift": 0.2,
        "row_score": 1.2,
        "output_drift": 0.05,
        "rank": 1,
        "candidates": 25_000,
        "measured_at": "2026-01-01",
    }
    assert search_json(capsys, small_catalog, "by", "--model-hash", "other")[0]["evidence"] is None
