"""One "how many of kind X" (kb/search/entries.py) for the explorer's lists, the search index and
`aidxl stats`, on the real catalog; stats shows trigger texts beside entries and says why they differ."""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import duckdb
import pytest
from catalog_fixture import build_real_catalog

from kb.catalog import open_catalog
from kb.knowledge.tagforms import unescape_a1111
from kb.schema import TriggerKind
from kb.search.entries import entries_per_kind
from kb.search.rows import read_catalog_rows
from tui.cli import main
from tui.state.searching import SearchFilter, browse_page


@pytest.fixture(scope="module")
def real_catalog_path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_real_catalog(tmp_path_factory.mktemp("real") / "catalog.duckdb")


@pytest.fixture(scope="module")
def real_catalog(real_catalog_path: Path) -> Iterator[duckdb.DuckDBPyConnection]:
    connection = open_catalog(real_catalog_path)
    yield connection
    connection.close()


@pytest.mark.slow
def test_the_explorer_the_index_and_stats_count_the_same_entries_per_kind(
    real_catalog: duckdb.DuckDBPyConnection, real_catalog_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    index_entries = Counter(read_catalog_rows(real_catalog).kinds)  # what the search index holds
    assert main(["stats", "--json", "--catalog", str(real_catalog_path)]) == 0
    stats = json.loads(capsys.readouterr().out)
    for kind in TriggerKind:
        # The explorer's list of the kind (its F key, empty box): its M of N of M.
        listed = browse_page(real_catalog, SearchFilter(kind=str(kind)), limit=1).total
        assert listed == index_entries[str(kind)] == stats["entries_per_kind"].get(str(kind), 0), kind
    assert entries_per_kind(real_catalog) == stats["entries_per_kind"]
    # The painting styles the explorer lists are the ones search finds: both model-card forms.
    painting = browse_page(real_catalog, SearchFilter(kind="painting_style"), limit=500)
    rows = read_catalog_rows(real_catalog)
    pairs = zip(rows.texts, rows.kinds, strict=True)
    searched = sorted(text for text, kind in pairs if kind == "painting_style")
    assert sorted(unescape_a1111(row.prompt) for row in painting.rows) == searched
    assert {"watercolor", "watercolor (medium)"} <= set(searched)


@pytest.mark.slow
def test_stats_shows_entries_beside_trigger_texts_and_why(
    real_catalog: duckdb.DuckDBPyConnection, real_catalog_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["stats", "--catalog", str(real_catalog_path)]) == 0
    out = capsys.readouterr().out
    assert "`by dino (dinoartforame)` finds `by dino`" in out
    table = out.split("each verified trigger is an entry of its own):\n")[1].split("\n\n")[0].splitlines()
    assert table[0].split()[:3] == ["kind", "entries", "triggers"]
    artist = next(line.split() for line in table if line.split()[0] == "artist_style")
    texts = real_catalog.execute("SELECT count(*) FROM triggers WHERE kind = 'artist_style'").fetchone()
    listed = browse_page(real_catalog, SearchFilter(kind="artist_style"), limit=1).total
    assert texts is not None and listed is not None
    assert (int(artist[1]), int(artist[2])) == (listed, texts[0])
    assert listed < texts[0]  # several texts of one tag: `by dino` and `by dino (dinoartforame)`
