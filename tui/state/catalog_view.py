"""What the detail pane shows about one catalog entry, read from the catalog in one go.

Runs in a worker thread on the explorer's read-only connection (a cursor per call, since a
DuckDB connection object is not shared across threads without one). Characters come from
`kb.knowledge.character_info` (the form AIDXL knows, gender, appearance and outfit, each with its source),
implications from `kb.knowledge.author_tables.implications_of` (the model author's table).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import duckdb

from kb.knowledge.tagforms import to_canonical, unescape_a1111

if TYPE_CHECKING:
    from kb.catalog import SourceRef
    from kb.knowledge.author_tables import AuthorTables, TagImplications
    from kb.knowledge.character_info import CharacterInfo

RELATED_LIMIT = 8


@dataclass(frozen=True)
class SyntaxForm:
    label: str  # "A1111", "plain", "sentence", "1 prefix"
    text: str


@dataclass(frozen=True)
class EntryDetail:
    """Everything the detail pane lists for one entry."""

    prompt: str  # A1111 form to paste
    kind: str
    tag: str | None
    category: int | None
    count: int | None
    verified: bool
    description: str | None
    note: str | None
    forms: tuple[SyntaxForm, ...]
    forms_missing: str | None  # why character forms are not shown, when they are not
    copyright: str | None
    aliases: tuple[str, ...]
    counts_per_source: tuple[tuple[str, int], ...]
    related: tuple[str, ...] = field(default=())
    related_label: str = "related"
    tier: str | None = None  # TriggerTier of the trigger shown: verified | author | danbooru
    trigger_source: SourceRef | None = None  # the source the trigger (and its tier) comes from
    character: CharacterInfo | None = None  # forms, gender, appearance and outfit, with sources
    implications: TagImplications | None = None  # the author's: what it implies, what implies it
    copyright_tag: str | None = None  # the copyright whose characters ctrl+s lists (its own, or a
    #                                   character's series)
    copyright_characters: int = 0  # how many characters that copyright has in the catalog

    @property
    def features_known(self) -> bool:
        features = self.character.features if self.character is not None else None
        return features is not None and bool(features.appearance or features.outfit)


_TAG_FACTS_QUERY = """
    SELECT
        (SELECT list(alias ORDER BY alias) FROM (
            SELECT DISTINCT alias FROM aliases WHERE tag_id = $tag_id ORDER BY alias LIMIT 12)),
        (SELECT list((s.file_name, ts.count) ORDER BY s.source_id)
            FROM tag_sources ts JOIN sources s USING (source_id) WHERE ts.tag_id = $tag_id),
        (SELECT copyright FROM characters WHERE tag_id = $tag_id)
"""


_implication_tags_of: list[tuple[AuthorTables, frozenset[str]]] = []  # the latest catalog's


def _implication_tags(cursor: duckdb.DuckDBPyConnection) -> frozenset[str]:
    """Every tag that implies or is implied by another in the author's table (this catalog's)."""
    from kb.knowledge.author_tables import shared_author_tables

    tables = shared_author_tables(cursor)
    for known, tags in _implication_tags_of:
        if known is tables:
            return tags
    implied = (tag for targets in tables.implications.values() for tag in targets)
    tags = frozenset(tables.implications) | frozenset(implied)
    _implication_tags_of[:] = [(tables, tags)]  # one catalog at a time, as the tables themselves
    return tags


def load_detail(
    connection: duckdb.DuckDBPyConnection, prompt: str, kind: str, tag: str | None
) -> EntryDetail:
    cursor = connection.cursor()
    try:
        return _load_detail(cursor, prompt, kind, tag)
    finally:
        cursor.close()


def _load_detail(cursor: duckdb.DuckDBPyConnection, prompt: str, kind: str, tag: str | None) -> EntryDetail:
    # Imported here, in the detail worker: the explorer's start-up does not wait for them.
    from kb.catalog import SourceRef
    from kb.knowledge.author_tables import implications_of
    from kb.knowledge.character_info import character_info

    text = unescape_a1111(prompt)
    trigger_row = cursor.execute(
        "SELECT tr.tag_id, tr.description, tr.verified, tr.note, tr.tier, "
        "s.source_id, s.kind, s.name, s.file_name "
        "FROM triggers tr LEFT JOIN sources s USING (source_id) WHERE tr.text = ? AND tr.kind = ?",
        [text, kind],
    ).fetchone()
    trigger_source = (
        SourceRef(int(trigger_row[5]), str(trigger_row[6]), trigger_row[7], str(trigger_row[8]))
        if trigger_row is not None and trigger_row[5] is not None
        else None
    )
    tag_name = tag if tag is not None else (to_canonical(text) if trigger_row is None else None)
    tag_row = None
    if trigger_row is not None and trigger_row[0] is not None:
        tag_row = cursor.execute(
            "SELECT tag_id, name, category, count FROM tags WHERE tag_id = ?", [trigger_row[0]]
        ).fetchone()
    elif tag_name is not None:
        tag_row = cursor.execute(
            "SELECT tag_id, name, category, count FROM tags WHERE name = ?", [tag_name]
        ).fetchone()
    tag_id = tag_row[0] if tag_row else None
    aliases: tuple[str, ...] = ()
    counts: tuple[tuple[str, int], ...] = ()
    copyright_name: str | None = None
    related: tuple[str, ...] = ()
    related_label = "related"
    if tag_id is not None:
        # One round trip for the tag's aliases, posts per source and series (a query costs
        # milliseconds on a busy machine: the detail follows the cursor, bench/tui.py).
        found = cursor.execute(_TAG_FACTS_QUERY, {"tag_id": tag_id}).fetchone()
        alias_list, count_list, series = found if found is not None else (None, None, None)
        aliases = tuple(str(alias) for alias in alias_list or ())
        counts = tuple((str(file_name), int(count)) for file_name, count in count_list or ())
        character_row = (series,) if series is not None else None  # a series' characters relate
        if character_row is not None:
            copyright_name = character_row[0]
            if copyright_name:
                related_label = f"more from {copyright_name.replace('_', ' ')}"
                related = tuple(
                    row[0]
                    for row in cursor.execute(
                        "SELECT t.prompt FROM characters c JOIN tags t USING (tag_id) "
                        "WHERE c.copyright = ? AND c.tag_id <> ? ORDER BY t.count DESC, t.name LIMIT ?",
                        [copyright_name, tag_id, RELATED_LIMIT],
                    ).fetchall()
                )
    if kind == "copyright" and tag_row is not None:
        # Real relations only (a copyright's own characters); never a list of unrelated triggers.
        related_label = "its most posted characters"
        related = tuple(
            row[0]
            for row in cursor.execute(
                "SELECT t.prompt FROM characters c JOIN tags t USING (tag_id) "
                "WHERE c.copyright = ? ORDER BY t.count DESC, t.name LIMIT ?",
                [tag_row[1], RELATED_LIMIT],
            ).fetchall()
        )
    tag_name = tag_row[1] if tag_row else tag
    character = character_info(cursor, tag_name) if kind == "character" and tag_name else None
    forms = character_syntax_forms(character) if character is not None else base_syntax_forms(prompt)
    # Most tags (every style, most characters) are in no implication: the author's tables, read
    # once per catalog, say so without the four queries of `implications_of`.
    known_tag = tag_row is not None
    implications = (
        implications_of(cursor, tag_name)
        if tag_name and not (known_tag and tag_name not in _implication_tags(cursor))
        else None
    )
    copyright_tag = tag_name if kind == "copyright" else copyright_name
    copyright_characters = 0
    if copyright_tag:
        counted = cursor.execute(
            "SELECT count(*) FROM characters WHERE copyright = ?", [copyright_tag]
        ).fetchone()
        copyright_characters = int(counted[0]) if counted else 0
    return EntryDetail(
        prompt=prompt,
        kind=kind,
        tag=tag_row[1] if tag_row else tag,
        category=int(tag_row[2]) if tag_row else None,
        count=int(tag_row[3]) if tag_row else None,
        verified=bool(trigger_row[2]) if trigger_row else False,
        description=trigger_row[1] if trigger_row else None,
        note=trigger_row[3] if trigger_row else None,
        forms=forms,
        forms_missing=None,
        copyright=copyright_name,
        aliases=aliases,
        counts_per_source=counts,
        related=related,
        related_label=related_label,
        tier=str(trigger_row[4]) if trigger_row else None,
        trigger_source=trigger_source,
        character=character,
        implications=implications if implications is not None and not implications.empty else None,
        copyright_tag=copyright_tag if copyright_characters else None,
        copyright_characters=copyright_characters,
    )


def base_syntax_forms(prompt: str) -> tuple[SyntaxForm, ...]:
    return (SyntaxForm("A1111", prompt), SyntaxForm("plain", unescape_a1111(prompt)))


def character_syntax_forms(character: CharacterInfo) -> tuple[SyntaxForm, ...]:
    """Every form a user may paste for a character: built from the form AIDXL was trained on, the
    sentence with the character's own noun (`a boy named …` for a boy)."""
    forms = character.forms
    return (
        SyntaxForm("A1111", forms.a1111),
        SyntaxForm("plain", forms.plain),
        SyntaxForm("sentence", forms.sentence),
        SyntaxForm("1 prefix", forms.prefixed),
    )


SENTENCE_NOUNS = ("girl", "boy")


def other_noun(noun: str) -> str:
    """The sentence's other noun: girl ↔ boy."""
    return "boy" if noun == "girl" else "girl"


def sentence_with_noun(sentence: str, noun: str) -> str:
    """`a girl named ganyu …` with `noun` in place of its noun (kb.knowledge.characters builds
    every sentence as `a {noun} named …`)."""
    for known in SENTENCE_NOUNS:
        lead = f"a {known} named "
        if sentence.startswith(lead):
            return f"a {noun} named " + sentence[len(lead) :]
    return sentence


def forms_with_noun(detail: EntryDetail, noun: str | None) -> tuple[SyntaxForm, ...]:
    """The detail's forms, the sentence with `noun` (None: as the sources say)."""
    if noun is None:
        return detail.forms
    return tuple(
        SyntaxForm(form.label, sentence_with_noun(form.text, noun)) if form.label == "sentence" else form
        for form in detail.forms
    )
