"""Characters' copyrights and trained forms against the real files: a character whose tag has no
series qualifier takes the copyright its Danbooru aliases name (`raiden_shogun_(genshin_impact)`),
and an author's form naming another series (`kamisato ayaka (gigo)`, a collaboration) is a variant,
not the character's form."""

from __future__ import annotations

from collections.abc import Iterator

import duckdb
import pytest
from catalog_fixture import build_real_catalog

from ingest.linking import split_qualifiers
from kb.catalog import open_catalog
from kb.knowledge.character_info import character_info
from kb.knowledge.characters import parse_character_tag
from kb.knowledge.copyrights import character_tags_of_copyright


@pytest.fixture(scope="module")
def real_catalog(tmp_path_factory: pytest.TempPathFactory) -> Iterator[duckdb.DuckDBPyConnection]:
    connection = open_catalog(build_real_catalog(tmp_path_factory.mktemp("real") / "catalog.duckdb"))
    yield connection
    connection.close()


def test_genshin_characters_named_without_a_series_belong_to_genshin(
    real_catalog: duckdb.DuckDBPyConnection,
) -> None:
    members = character_tags_of_copyright(real_catalog, "genshin_impact")
    for tag in ("raiden_shogun", "yae_miko", "kamisato_ayaka", "ganyu_(genshin_impact)"):
        assert tag in members, tag
        info = character_info(real_catalog, tag)
        assert info is not None and info.forms.copyright == "genshin_impact", tag
        assert info.forms.sentence.endswith(" from genshin impact series")
    raiden = character_info(real_catalog, "raiden_shogun")
    assert raiden is not None and raiden.copyright_source is not None
    assert raiden.copyright_source.file_name == "danbooru.csv"  # its aliases are danbooru.csv's


def test_an_author_form_of_another_series_is_not_the_characters_form(
    real_catalog: duckdb.DuckDBPyConnection,
) -> None:
    info = character_info(real_catalog, "kamisato ayaka")
    assert info is not None
    assert (info.forms.a1111, info.forms.copyright) == ("kamisato ayaka", "genshin_impact")
    # The vocabulary's `kamisato ayaka (gigo)` stays a trigger of its own (the model saw it).
    variant = real_catalog.execute(
        "SELECT tag_id, tier FROM triggers WHERE text = 'kamisato ayaka (gigo)' AND kind = 'character'"
    ).fetchall()
    assert variant == [(None, "author")]


def test_a_copyright_no_qualifier_names_comes_from_the_characters_aliases(
    real_catalog: duckdb.DuckDBPyConnection,
) -> None:
    """Where neither the form nor the tag has a qualifier, the stored copyright is one that an alias
    of the character names (its qualifier is the copyright tag, its `_(series)` name, or an alias)."""
    copyright_aliases: dict[str, set[str]] = {}
    for alias, name in real_catalog.execute(
        "SELECT a.alias, t.name FROM aliases a JOIN tags t USING (tag_id) WHERE t.category = 3"
    ).fetchall():
        copyright_aliases.setdefault(str(name), set()).add(str(alias))
    qualifiers_of: dict[int, set[str]] = {}
    for tag_id, alias in real_catalog.execute(
        "SELECT a.tag_id, a.alias FROM aliases a JOIN characters USING (tag_id) WHERE a.alias LIKE '%)'"
    ).fetchall():
        qualifiers_of.setdefault(tag_id, set()).update(split_qualifiers(alias)[1])
    from_aliases = 0
    for tag_id, form, tag, copyright_name in real_catalog.execute(
        "SELECT c.tag_id, c.form, t.name, c.copyright FROM characters c JOIN tags t USING (tag_id) "
        "WHERE c.copyright IS NOT NULL"
    ).fetchall():
        if parse_character_tag(form).qualifiers or parse_character_tag(tag).qualifiers:
            continue
        from_aliases += 1
        names = {copyright_name, copyright_name.removesuffix("_(series)")}
        names |= copyright_aliases.get(copyright_name, set())
        assert names & qualifiers_of.get(tag_id, set()), (tag, copyright_name)
    assert from_aliases > 300  # the real data has many: raiden_shogun, yae_miko, ...
