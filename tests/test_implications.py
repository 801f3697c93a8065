"""kb.knowledge.author_tables.implications_of on a hand-made catalog: both directions, most posted first,
an alias resolved, and the source of the pairs (the explorer's detail pane names it)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import duckdb
import pytest
from prompt_fixture import build_tiny_catalog

from kb.catalog import open_catalog
from kb.knowledge.author_tables import implications_of


@pytest.fixture(scope="module")
def connection(tmp_path_factory: pytest.TempPathFactory) -> Iterator[duckdb.DuckDBPyConnection]:
    catalog: Path = build_tiny_catalog(tmp_path_factory.mktemp("implications") / "c.duckdb", knowledge=True)
    opened = open_catalog(catalog)
    yield opened
    opened.close()


@pytest.mark.parametrize("written", ["very_long_hair", "very long hair", "Very Long Hair"])
def test_both_directions_in_any_written_form(connection: duckdb.DuckDBPyConnection, written: str) -> None:
    found = implications_of(connection, written)
    assert (found.tag, found.implies, found.implied_by) == (
        "very_long_hair",
        ("long_hair",),
        ("absurdly_long_hair",),
    )
    assert [source.name for source in found.sources] == ["author-implications"]
    assert not found.empty


def test_most_posted_first_and_an_alias_resolves(connection: duckdb.DuckDBPyConnection) -> None:
    found = implications_of(connection, "longhair")  # an alias of long_hair
    assert found.tag == "long_hair"
    assert found.implied_by == ("very_long_hair", "absurdly_long_hair")  # 1.8M posts, then 100k
    assert found.implies == ()


def test_a_tag_without_implications(connection: duckdb.DuckDBPyConnection) -> None:
    found = implications_of(connection, "smile")
    assert found.empty and found.sources == ()
