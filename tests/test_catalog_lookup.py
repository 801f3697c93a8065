"""kb.knowledge.catalog_lookup: every answer equals the SQL point query it replaced (those queries are
kept here, verbatim, as the reference), on the real catalog and on hand-made edge cases; a rebuilt
catalog is read afresh."""

from __future__ import annotations

import os
import random
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import duckdb
import pytest
from catalog_fixture import build_real_catalog
from prompt_fixture import build_tiny_catalog

from kb.catalog import SourceRef, open_catalog, source_ref
from kb.knowledge.catalog_lookup import (
    CatalogLookup,
    TagImplications,
    TagRow,
    TriggerRow,
    shared_catalog_lookup,
)
from kb.schema import Category

SAMPLE = 60  # rows per question on the real catalog (the point queries cost 1-5 ms each)

# ------------------------------------------------------------------ the reference: the old point queries


sql_source = source_ref  # kb.catalog's point query is the reference for sources


def sql_trigger(connection: duckdb.DuckDBPyConnection, text: str, kind: str) -> TriggerRow | None:
    row = connection.execute(
        "SELECT tr.tag_id, tr.description, tr.verified, tr.note, tr.tier, "
        "s.source_id, s.kind, s.name, s.file_name "
        "FROM triggers tr LEFT JOIN sources s USING (source_id) WHERE tr.text = ? AND tr.kind = ?",
        [text, kind],
    ).fetchone()
    if row is None:
        return None
    source = SourceRef(int(row[5]), str(row[6]), row[7], str(row[8])) if row[5] is not None else None
    return TriggerRow(row[0], row[1], bool(row[2]), row[3], str(row[4]), source)


def sql_tag(connection: duckdb.DuckDBPyConnection, column: str, value: Any) -> TagRow | None:
    row = connection.execute(
        f"SELECT tag_id, name, prompt, category, count FROM tags WHERE {column} = ?", [value]
    ).fetchone()
    return TagRow(int(row[0]), str(row[1]), str(row[2]), int(row[3]), int(row[4])) if row else None


TAG_FACTS_QUERY = """
    SELECT
        (SELECT list(alias ORDER BY alias) FROM (
            SELECT DISTINCT alias FROM aliases WHERE tag_id = $tag_id ORDER BY alias LIMIT 12)),
        (SELECT list((s.file_name, ts.count) ORDER BY s.source_id)
            FROM tag_sources ts JOIN sources s USING (source_id) WHERE ts.tag_id = $tag_id),
        (SELECT copyright FROM characters WHERE tag_id = $tag_id)
"""


def sql_tag_facts(
    connection: duckdb.DuckDBPyConnection, tag_id: int
) -> tuple[tuple[str, ...], tuple[tuple[str, int], ...], str | None]:
    found = connection.execute(TAG_FACTS_QUERY, {"tag_id": tag_id}).fetchone()
    aliases, counts, series = found if found is not None else (None, None, None)
    return (
        tuple(str(alias) for alias in aliases or ()),
        tuple((str(name), int(count)) for name, count in counts or ()),
        series,
    )


def sql_copyright_top(connection: duckdb.DuckDBPyConnection, copyright: str, but: int) -> list[str]:
    return [
        str(row[0])
        for row in connection.execute(
            "SELECT t.prompt FROM characters c JOIN tags t USING (tag_id) "
            "WHERE c.copyright = ? AND c.tag_id <> ? ORDER BY t.count DESC, t.name LIMIT 8",
            [copyright, but],
        ).fetchall()
    ]


def sql_copyright_count(connection: duckdb.DuckDBPyConnection, copyright: str) -> int:
    row = connection.execute("SELECT count(*) FROM characters WHERE copyright = ?", [copyright]).fetchone()
    return int(row[0]) if row else 0


def sql_character(connection: duckdb.DuckDBPyConnection, name: str) -> tuple[Any, ...] | None:
    return connection.execute(
        """
        SELECT t.tag_id, t.name, coalesce(c.form, t.name), c.form_source_id, c.copyright_source_id
        FROM tags t LEFT JOIN characters c USING (tag_id)
        WHERE t.name = ? AND t.category = ?
        """,
        [name, int(Category.CHARACTER)],
    ).fetchone()


def sql_gender(connection: duckdb.DuckDBPyConnection, tag_id: int) -> tuple[str, int] | None:
    row = connection.execute(
        "SELECT gender, source_id FROM character_genders WHERE tag_id = ? ORDER BY source_id LIMIT 1",
        [tag_id],
    ).fetchone()
    return (str(row[0]), int(row[1])) if row is not None else None


def sql_features(connection: duckdb.DuckDBPyConnection, tag_id: int) -> tuple[Any, ...] | None:
    rows = connection.execute(
        """
        SELECT source_id, part, feature FROM character_features
        WHERE tag_id = ? AND source_id = (SELECT min(source_id) FROM character_features WHERE tag_id = ?)
        ORDER BY part, position
        """,
        [tag_id, tag_id],
    ).fetchall()
    if not rows:
        return None
    appearance = tuple(feature for _, part, feature in rows if part == "appearance")
    outfit = tuple(feature for _, part, feature in rows if part == "outfit")
    return int(rows[0][0]), appearance, outfit


def sql_find_copyright(connection: duckdb.DuckDBPyConnection, qualifier: str) -> str | None:
    row = connection.execute(
        """
        SELECT name FROM (
            SELECT name, 0 AS preference, count FROM tags
            WHERE category = $copyright AND name IN ($q, $q || '_(series)')
            UNION ALL
            SELECT t.name, 1 AS preference, t.count FROM aliases a JOIN tags t USING (tag_id)
            WHERE t.category = $copyright AND a.alias = $q
        ) ORDER BY preference, count DESC, name LIMIT 1
        """,
        {"copyright": int(Category.COPYRIGHT), "q": qualifier},
    ).fetchone()
    return str(row[0]) if row is not None else None


def sql_implications(connection: duckdb.DuckDBPyConnection, key: str) -> TagImplications:
    if connection.execute("SELECT 1 FROM tags WHERE name = ?", [key]).fetchone() is None:
        alias = connection.execute(
            "SELECT t.name FROM aliases a JOIN tags t USING (tag_id) WHERE a.alias = ? "
            "ORDER BY t.count DESC, t.name LIMIT 1",
            [key],
        ).fetchone()
        if alias is not None:
            key = str(alias[0])
    implies = connection.execute(
        "SELECT i.implied, i.source_id FROM implications i LEFT JOIN tags t ON t.name = i.implied "
        "WHERE i.tag = ? AND i.implied <> i.tag ORDER BY t.count DESC NULLS LAST, i.implied",
        [key],
    ).fetchall()
    implied_by = connection.execute(
        "SELECT i.tag, i.source_id FROM implications i LEFT JOIN tags t ON t.name = i.tag "
        "WHERE i.implied = ? AND i.implied <> i.tag ORDER BY t.count DESC NULLS LAST, i.tag",
        [key],
    ).fetchall()
    source_ids = sorted({int(row[1]) for row in (*implies, *implied_by)})
    sources = tuple(ref for ref in (sql_source(connection, source_id) for source_id in source_ids) if ref)
    return TagImplications(
        key, tuple(str(row[0]) for row in implies), tuple(str(row[0]) for row in implied_by), sources
    )


def assert_same_answers(connection: duckdb.DuckDBPyConnection, lookup: CatalogLookup, seed: int = 12) -> None:
    """Every question the lookup answers, asked of a sample of the catalog's rows and of names it
    lacks, answered as the SQL answers it."""
    pick = random.Random(seed)

    def sample(sql: str) -> list[Any]:
        rows = connection.execute(sql).fetchall()
        return pick.sample(rows, min(SAMPLE, len(rows)))

    for (source_id,) in connection.execute("SELECT source_id FROM sources").fetchall():
        assert lookup.source(source_id) == sql_source(connection, source_id)
    assert lookup.source(None) is None and lookup.source(10_000) is None

    triggers = sample("SELECT text, kind FROM triggers")
    triggers += connection.execute(
        "SELECT text, kind FROM triggers WHERE description IS NOT NULL OR note IS NOT NULL OR tag_id IS NULL"
    ).fetchall()[:SAMPLE]
    triggers += [(text, "general") for text, _ in triggers[:20]] + [("no such trigger", "general"), ("", "")]
    for text, kind in triggers:
        assert lookup.trigger(text, kind) == sql_trigger(connection, text, kind), (text, kind)

    for tag_id, name in sample("SELECT tag_id, name FROM tags"):
        assert lookup.tag(name) == sql_tag(connection, "name", name) is not None
        assert lookup.tag_by_id(tag_id) == sql_tag(connection, "tag_id", tag_id)
        aliases, counts, series = sql_tag_facts(connection, tag_id)
        assert (lookup.aliases_of(tag_id), lookup.posts_per_source(tag_id), lookup.series_of(tag_id)) == (
            aliases,
            counts,
            series,
        ), name
    for missing in ("no_such_tag", "", "zzzz\U0010ffff", "\x1f"):
        assert lookup.tag(missing) is None and sql_tag(connection, "name", missing) is None
    assert lookup.tag_by_id(0) is None and lookup.tag_by_id(10**9) is None

    aliased = "SELECT DISTINCT a.tag_id FROM aliases a"
    for (tag_id,) in sample(aliased):
        assert lookup.aliases_of(tag_id) == sql_tag_facts(connection, tag_id)[0]

    for (copyright,) in sample("SELECT DISTINCT copyright FROM characters WHERE copyright IS NOT NULL"):
        members = lookup.copyright_members(copyright)
        assert members is not None and members.count == sql_copyright_count(connection, copyright)
        top_id = members.top[0][0]
        shown = [prompt for tag_id, prompt in members.top if tag_id != top_id][:8]
        assert shown == sql_copyright_top(connection, copyright, top_id)
        assert [prompt for _, prompt in members.top][:8] == sql_copyright_top(connection, copyright, -1)
    assert lookup.copyright_members("no_such_copyright") is None

    characters = sample("SELECT name FROM tags WHERE category = 4")
    characters += connection.execute(
        "SELECT t.name FROM tags t WHERE t.tag_id IN (SELECT tag_id FROM character_features) "
        "OR t.tag_id IN (SELECT tag_id FROM character_genders) LIMIT 60"
    ).fetchall()
    for (name,) in [*characters, ("long_hair",), ("no_such_character",)]:
        expected = sql_character(connection, name)
        found = lookup.character(name)
        if expected is None:
            assert found is None, name
            continue
        assert found is not None
        assert (
            found.tag_id,
            found.name,
            found.form,
            found.form_source_id,
            found.copyright_source_id,
        ) == tuple(expected)
        assert lookup.gender(found.tag_id) == sql_gender(connection, found.tag_id)
        features = lookup.features(found.tag_id)
        expected_features = sql_features(connection, found.tag_id)
        assert (
            None if features is None else (features.source_id, features.appearance, features.outfit)
        ) == expected_features

    qualifiers = [str(row[0]) for row in sample("SELECT name FROM tags WHERE category = 3")]
    qualifiers += [name.removesuffix("_(series)") for name in qualifiers if name.endswith("_(series)")]
    qualifiers += [str(row[0]) for row in sample("SELECT alias FROM aliases")]
    qualifiers += [
        str(row[0]) for row in sample("SELECT qualifier FROM characters WHERE qualifier IS NOT NULL")
    ]
    qualifiers += ["no such series", ""]
    for qualifier in qualifiers:
        assert lookup.find_copyright(qualifier) == sql_find_copyright(connection, qualifier), qualifier

    keys = [str(row[0]) for row in sample("SELECT tag FROM implications")]
    keys += [str(row[0]) for row in sample("SELECT implied FROM implications")]
    keys += [str(row[0]) for row in sample("SELECT alias FROM aliases")][:20]
    keys += [*[str(row[0]) for row in sample("SELECT name FROM tags")][:20], "no_such_tag"]
    for key in keys:
        assert lookup.implications(key) == sql_implications(connection, key), key


# ----------------------------------------------------------------------------- the tests


@pytest.fixture(scope="module")
def real_catalog(tmp_path_factory: pytest.TempPathFactory) -> Iterator[duckdb.DuckDBPyConnection]:
    connection = open_catalog(build_real_catalog(tmp_path_factory.mktemp("real") / "catalog.duckdb"))
    yield connection
    connection.close()


@pytest.mark.slow
def test_the_real_catalog_answers_as_its_queries(real_catalog: duckdb.DuckDBPyConnection) -> None:
    lookup = shared_catalog_lookup(real_catalog)
    lookup.warm()
    assert_same_answers(real_catalog, lookup)


def test_names_are_bisected_in_byte_order(tmp_path: Path) -> None:
    """Names past ASCII, a separator byte inside a name, names that prefix each other, an alias of a
    copyright, a character without a `characters` row: as the queries answer."""
    catalog = build_tiny_catalog(tmp_path / "catalog.duckdb", knowledge=True)
    writer = duckdb.connect(str(catalog))
    try:
        extra = [
            ("é_cat", 0, 5),
            ("z_cat", 0, 5),
            ("ζ", 0, 1),
            ("a\x1fb", 0, 2),
            ("a", 0, 3),
            ("ab", 0, 3),
            ("my_series", 3, 10),
            ("my_series_(series)", 3, 99),
            ("lonely_(my_series)", 4, 7),
        ]
        (next_id,) = writer.execute("SELECT max(tag_id) + 1 FROM tags").fetchone() or (1,)
        for offset, (name, category, count) in enumerate(extra):
            writer.execute(
                "INSERT INTO tags VALUES (?, ?, ?, ?, ?)", [next_id + offset, name, name, category, count]
            )
        writer.execute("INSERT INTO aliases VALUES ('myser', ?, 1)", [next_id + 6])
    finally:
        writer.close()
    connection = open_catalog(catalog)
    try:
        lookup = shared_catalog_lookup(connection)
        assert_same_answers(connection, lookup)
        for name, *_ in extra:
            found = lookup.tag(name)
            assert found is not None and found.name == name
        assert lookup.find_copyright("my_series") == "my_series_(series)"  # more posts, as the SQL orders
        assert lookup.find_copyright("myser") == "my_series"
        lonely = lookup.character("lonely_(my_series)")
        assert lonely is not None and lonely.form == "lonely_(my_series)" and lonely.form_source_id is None
    finally:
        connection.close()


def test_a_rebuilt_catalog_is_read_afresh(tmp_path: Path) -> None:
    catalog = build_tiny_catalog(tmp_path / "catalog.duckdb", knowledge=True)
    connection = open_catalog(catalog)
    try:
        first = shared_catalog_lookup(connection)
        tag = first.tag("long_hair")
        assert tag is not None
        assert shared_catalog_lookup(connection).tag("long_hair") is not None
        assert shared_catalog_lookup(connection).parts is first.parts  # one read per catalog build
    finally:
        connection.close()
    rebuilt = build_tiny_catalog(tmp_path / "next.duckdb", knowledge=True)
    writer = duckdb.connect(str(rebuilt))
    try:
        writer.execute("UPDATE tags SET count = count + 1000 WHERE name = 'long_hair'")
    finally:
        writer.close()
    os.replace(rebuilt, catalog)
    connection = open_catalog(catalog)
    try:
        again = shared_catalog_lookup(connection)
        assert again.parts is not first.parts
        found = again.tag("long_hair")
        assert found is not None and found.count == tag.count + 1000
    finally:
        connection.close()
