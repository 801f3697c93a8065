"""Point lookups into one catalog build, answered from memory.

The explorer's detail pane asks a dozen questions of the catalog for one row (the trigger, its tag,
aliases, posts per source, the character's form, gender, series and features, implications, the
copyright's characters) on every keystroke and cursor move. A DuckDB query costs a millisecond or
more even when it finds one row (planning, then a scan of the column's row groups), which put a
character's detail at 15-25 ms on a busy machine. Here each part of the catalog that those questions
read is read whole once, on first use (one query per part, under a lock), and every later question
is a dictionary look-up or a bisection:

- the big tables (tags, triggers, posts per source: about 150k rows each in the real catalog) as
  numpy arrays and UTF-8 blobs searched by bisection (`kb.search.arrays.PackedStrings`), a few MB;
- the small ones (characters, aliases, copyrights, genders, features, implications, sources) in
  dictionaries.

A process keeps the parts of the latest catalog build only (`shared_catalog_lookup`), as it does the
author's tables and the search index; a rebuilt catalog is read afresh. The answers are those of the
SQL they replace, ties broken in the same order (tests/test_catalog_lookup.py compares them on the
real catalog).
"""

from __future__ import annotations

import itertools
import os
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, TypeVar

from kb.catalog import SourceRef
from kb.schema import Category

if TYPE_CHECKING:
    import duckdb
    import numpy as np
    import numpy.typing as npt


ALIASES_SHOWN = 12  # a tag's aliases in its detail (the first in alphabetical order)
COPYRIGHT_TOP = 9  # a copyright's most posted characters kept: 8 shown, one more when a member is excluded
NO_ID = -1  # a NULL id in an int array

_Part = TypeVar("_Part")


@dataclass(frozen=True)
class TagRow:
    tag_id: int
    name: str  # canonical Danbooru name
    prompt: str  # A1111 form
    category: int
    count: int


@dataclass(frozen=True)
class TriggerRow:
    tag_id: int | None
    description: str | None
    verified: bool
    note: str | None
    tier: str
    source: SourceRef | None


@dataclass(frozen=True)
class CharacterRow:
    """A character tag and its `characters` row (None fields: the tag has no row there)."""

    tag_id: int
    name: str  # canonical tag
    form: str  # the form AIDXL knows (the tag's name without a characters row)
    form_source_id: int | None
    copyright_source_id: int | None


@dataclass(frozen=True)
class CopyrightMembers:
    """A copyright's characters: how many, and the most posted (tag_id, prompt), most posted first."""

    count: int
    top: tuple[tuple[int, str], ...]


@dataclass(frozen=True)
class CharacterFeatureRows:
    """A character's core tags (canonical) from the first source that has any."""

    source_id: int
    appearance: tuple[str, ...]
    outfit: tuple[str, ...]


@dataclass(frozen=True)
class TagImplications:
    """What one tag implies and what implies it, canonical names, most posted first."""

    tag: str  # the canonical tag asked about (an alias resolved to its tag)
    implies: tuple[str, ...]  # very_long_hair → (long_hair,)
    implied_by: tuple[str, ...]  # long_hair → (very_long_hair, absurdly_long_hair, ...)
    sources: tuple[SourceRef, ...] = field(default=())  # the catalog sources of these pairs

    @property
    def empty(self) -> bool:
        return not self.implies and not self.implied_by


# ----------------------------------------------------------------------------- parts


def _in_byte_order(texts: list[str]) -> bool:
    """Whether `texts` are sorted as PackedStrings bisects (code point order = UTF-8 byte order).
    DuckDB orders VARCHAR by their bytes; checked, so that a bisection is never silently wrong."""
    return all(earlier <= later for earlier, later in itertools.pairwise(texts))


class _Tags:
    """Every tag: arrays in tag_id order, names also in byte order (for bisection)."""

    def __init__(self, cursor: duckdb.DuckDBPyConnection) -> None:
        # Imported here: a one-shot question (`aidxl char`) reads none of the big parts.
        import numpy as np

        from kb.search.arrays import PackedStrings, pack_strings

        columns = cursor.execute(
            "SELECT tag_id, prompt, category, count FROM tags ORDER BY tag_id"
        ).fetchnumpy()
        self.ids: npt.NDArray[np.int64] = np.asarray(columns["tag_id"], dtype=np.int64)
        self.categories: npt.NDArray[np.int8] = np.asarray(columns["category"], dtype=np.int8)
        self.counts: npt.NDArray[np.int64] = np.asarray(columns["count"], dtype=np.int64)
        self.prompts = PackedStrings(*pack_strings(columns["prompt"].tolist()))
        named = cursor.execute("SELECT tag_id, name FROM tags ORDER BY name").fetchnumpy()
        names: list[str] = named["name"].tolist()
        name_ids = np.asarray(named["tag_id"], dtype=np.int64)
        if not _in_byte_order(names):
            order = sorted(range(len(names)), key=names.__getitem__)
            names, name_ids = [names[row] for row in order], name_ids[order]
        self.names = PackedStrings(*pack_strings(names))
        self.position_of_name: npt.NDArray[np.int32] = np.searchsorted(self.ids, name_ids).astype(np.int32)
        self.name_rank: npt.NDArray[np.int32] = np.empty(len(names), dtype=np.int32)
        self.name_rank[self.position_of_name] = np.arange(len(names), dtype=np.int32)

    def row(self, position: int) -> TagRow:
        return TagRow(
            int(self.ids[position]),
            self.names[int(self.name_rank[position])],
            self.prompts[position],
            int(self.categories[position]),
            int(self.counts[position]),
        )

    def by_id(self, tag_id: int) -> TagRow | None:
        import numpy as np

        position = int(np.searchsorted(self.ids, tag_id))
        if position < self.ids.size and int(self.ids[position]) == tag_id:
            return self.row(position)
        return None

    def by_name(self, name: str) -> TagRow | None:
        rank = self.names.bisect_left(name)
        if rank < len(self.names) and self.names[rank] == name:
            return self.row(int(self.position_of_name[rank]))
        return None


class _Triggers:
    """Every trigger, by (unescaped text, kind): texts in byte order, the rest in arrays."""

    def __init__(self, cursor: duckdb.DuckDBPyConnection) -> None:
        import numpy as np

        from kb.search.arrays import PackedStrings, pack_strings

        self.kind_names, self.tier_names = (
            [
                str(row[0])
                for row in cursor.execute(f"SELECT DISTINCT {column} FROM triggers ORDER BY 1").fetchall()
            ]
            for column in ("kind", "tier")
        )
        columns = cursor.execute(
            f"""
            SELECT text, list_position($kinds, kind) - 1 AS kind, coalesce(tag_id, {NO_ID}) AS tag_id,
                   verified, list_position($tiers, tier) - 1 AS tier, source_id, description, note
            FROM triggers ORDER BY text, kind
            """,
            {"kinds": self.kind_names, "tiers": self.tier_names},
        ).fetchnumpy()
        texts: list[str] = columns["text"].tolist()
        order: npt.NDArray[np.int64] | None = None
        if not _in_byte_order(texts):
            order = np.asarray(sorted(range(len(texts)), key=lambda row: (texts[row], columns["kind"][row])))
            texts = [texts[row] for row in order.tolist()]

        def column(name: str, dtype: type[np.generic]) -> Any:
            values = np.asarray(columns[name], dtype=dtype)
            return values if order is None else values[order]

        self.texts = PackedStrings(*pack_strings(texts))
        self.kinds: npt.NDArray[np.int16] = column("kind", np.int16)
        self.tiers: npt.NDArray[np.int16] = column("tier", np.int16)
        self.tag_ids: npt.NDArray[np.int64] = column("tag_id", np.int64)
        self.verified: npt.NDArray[np.bool_] = column("verified", np.bool_)
        self.source_ids: npt.NDArray[np.int64] = column("source_id", np.int64)
        descriptions, notes = column("description", np.object_), column("note", np.object_)
        # Only curated triggers carry words of their own (a few hundred of 150k).
        with_words = np.flatnonzero(
            np.not_equal(descriptions, None) | np.not_equal(notes, None)  # type: ignore[call-overload]
        ).tolist()
        self.words: dict[int, tuple[str | None, str | None]] = {
            position: (descriptions[position], notes[position]) for position in with_words
        }

    def find(self, text: str, kind: str) -> int | None:
        low = self.texts.bisect_left(text)
        high = self.texts.bisect_right(text, low)
        for position in range(low, high):
            if self.kind_names[int(self.kinds[position])] == kind:
                return position
        return None


class _PostsPerSource:
    """tag_sources as three arrays sorted by (tag_id, source_id)."""

    def __init__(self, cursor: duckdb.DuckDBPyConnection) -> None:
        import numpy as np

        columns = cursor.execute(
            "SELECT tag_id, source_id, count FROM tag_sources ORDER BY tag_id, source_id"
        ).fetchnumpy()
        self.tag_ids = np.asarray(columns["tag_id"], dtype=np.int64)
        self.source_ids = np.asarray(columns["source_id"], dtype=np.int64)
        self.counts = np.asarray(columns["count"], dtype=np.int64)

    def of(self, tag_id: int) -> list[tuple[int, int]]:
        import numpy as np

        low, high = np.searchsorted(self.tag_ids, [tag_id, tag_id + 1]).tolist()
        return list(zip(self.source_ids[low:high].tolist(), self.counts[low:high].tolist(), strict=True))


class _Aliases:
    """Each tag's aliases, and each alias's tag (the most posted, then by name, as the SQL orders)."""

    def __init__(self, cursor: duckdb.DuckDBPyConnection) -> None:
        of_tag: dict[int, set[str]] = {}
        self.tag_of_alias: dict[str, str] = {}
        self.copyright_of_alias: dict[str, str] = {}
        copyright_category = int(Category.COPYRIGHT)
        for alias, tag_id, name, category in cursor.execute(
            "SELECT a.alias, a.tag_id, t.name, t.category FROM aliases a JOIN tags t USING (tag_id) "
            "ORDER BY t.count DESC, t.name"
        ).fetchall():
            of_tag.setdefault(int(tag_id), set()).add(str(alias))
            self.tag_of_alias.setdefault(str(alias), str(name))
            if int(category) == copyright_category:
                self.copyright_of_alias.setdefault(str(alias), str(name))
        self.of_tag: dict[int, tuple[str, ...]] = {
            tag_id: tuple(sorted(aliases)[:ALIASES_SHOWN]) for tag_id, aliases in of_tag.items()
        }


class _Characters:
    """Every character tag with its `characters` row (the form AIDXL knows and its sources)."""

    def __init__(self, cursor: duckdb.DuckDBPyConnection) -> None:
        # name -> (tag_id, form or None when it is the name, form source, copyright source)
        self.by_name: dict[str, tuple[int, str | None, int | None, int | None]] = {}
        for tag_id, name, form, form_source_id, copyright_source_id in cursor.execute(
            "SELECT t.tag_id, t.name, c.form, c.form_source_id, c.copyright_source_id "
            "FROM tags t LEFT JOIN characters c USING (tag_id) WHERE t.category = ?",
            [int(Category.CHARACTER)],
        ).fetchall():
            kept_form = None if form is None or form == name else form
            self.by_name[name] = (tag_id, kept_form, form_source_id, copyright_source_id)

    def row(self, name: str) -> CharacterRow | None:
        found = self.by_name.get(name)
        if found is None:
            return None
        tag_id, form, form_source_id, copyright_source_id = found
        return CharacterRow(tag_id, name, form or name, form_source_id, copyright_source_id)


class _CopyrightMembers:
    """Each `characters` row's copyright (whatever the tag's category), and each copyright's
    characters, most posted first."""

    def __init__(self, cursor: duckdb.DuckDBPyConnection) -> None:
        series_names: dict[str, str] = {}  # one str per copyright, not one per character
        self.series_of_tag: dict[int, str] = {}
        counts: dict[str, int] = {}
        tops: dict[str, list[tuple[int, str]]] = {}
        for tag_id, copyright, prompt in cursor.execute(
            "SELECT c.tag_id, c.copyright, t.prompt FROM characters c JOIN tags t USING (tag_id) "
            "WHERE c.copyright IS NOT NULL ORDER BY t.count DESC, t.name"
        ).fetchall():
            series = series_names.setdefault(copyright, copyright)
            self.series_of_tag[tag_id] = series
            counts[series] = counts.get(series, 0) + 1
            top = tops.setdefault(series, [])
            if len(top) < COPYRIGHT_TOP:
                top.append((tag_id, prompt))
        self.copyrights: dict[str, CopyrightMembers] = {
            series: CopyrightMembers(count, tuple(tops[series])) for series, count in counts.items()
        }


class _Copyrights:
    """Copyright tags by name with their posts (what a character's qualifier may name)."""

    def __init__(self, cursor: duckdb.DuckDBPyConnection) -> None:
        self.counts: dict[str, int] = {
            str(name): int(count)
            for name, count in cursor.execute(
                "SELECT name, count FROM tags WHERE category = ?", [int(Category.COPYRIGHT)]
            ).fetchall()
        }


class _CharacterFacts:
    """Genders and features of the characters a chant file describes (the first source's)."""

    def __init__(self, cursor: duckdb.DuckDBPyConnection) -> None:
        self.genders: dict[int, tuple[str, int]] = {}
        for tag_id, gender, source_id in cursor.execute(
            "SELECT tag_id, gender, source_id FROM character_genders ORDER BY tag_id, source_id"
        ).fetchall():
            self.genders.setdefault(int(tag_id), (str(gender), int(source_id)))
        parts: dict[int, tuple[int, list[str], list[str]]] = {}
        for tag_id, source_id, part, feature in cursor.execute(
            """
            SELECT tag_id, source_id, part, feature FROM character_features f
            WHERE source_id = (SELECT min(source_id) FROM character_features m WHERE m.tag_id = f.tag_id)
            ORDER BY tag_id, part, position
            """
        ).fetchall():
            _, appearance, outfit = parts.setdefault(int(tag_id), (int(source_id), [], []))
            (appearance if part == "appearance" else outfit).append(str(feature))
        self.features: dict[int, CharacterFeatureRows] = {
            tag_id: CharacterFeatureRows(source_id, tuple(appearance), tuple(outfit))
            for tag_id, (source_id, appearance, outfit) in parts.items()
        }


class _Implications:
    """The author's implication pairs both ways, most posted first (as `implications_of` orders)."""

    def __init__(self, cursor: duckdb.DuckDBPyConnection) -> None:
        self.implies: dict[str, list[tuple[str, int]]] = {}
        for tag, implied, source_id in cursor.execute(
            "SELECT i.tag, i.implied, i.source_id FROM implications i LEFT JOIN tags t ON t.name = i.implied "
            "WHERE i.implied <> i.tag ORDER BY i.tag, t.count DESC NULLS LAST, i.implied"
        ).fetchall():
            self.implies.setdefault(str(tag), []).append((str(implied), int(source_id)))
        self.implied_by: dict[str, list[tuple[str, int]]] = {}
        for implied, tag, source_id in cursor.execute(
            "SELECT i.implied, i.tag, i.source_id FROM implications i LEFT JOIN tags t ON t.name = i.tag "
            "WHERE i.implied <> i.tag ORDER BY i.implied, t.count DESC NULLS LAST, i.tag"
        ).fetchall():
            self.implied_by.setdefault(str(implied), []).append((str(tag), int(source_id)))


def _read_sources(cursor: duckdb.DuckDBPyConnection) -> dict[int, SourceRef]:
    return {
        int(source_id): SourceRef(int(source_id), str(kind), name, str(file_name))
        for source_id, kind, name, file_name in cursor.execute(
            "SELECT source_id, kind, name, file_name FROM sources"
        ).fetchall()
    }


PART_READERS: dict[str, Callable[[Any], object]] = {
    "sources": _read_sources,
    "tags": _Tags,
    "triggers": _Triggers,
    "posts": _PostsPerSource,
    "aliases": _Aliases,
    "characters": _Characters,
    "copyright_members": _CopyrightMembers,
    "copyrights": _Copyrights,
    "character_facts": _CharacterFacts,
    "implications": _Implications,
}


class LoadedParts:
    """The parts of one catalog build read so far (shared by every lookup of that build)."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.parts: dict[str, object] = {}


# ----------------------------------------------------------------------------- the lookup


class CatalogLookup:
    """The questions the detail pane (and `aidxl char`) ask, answered from parts read once.

    Thread-safe: parts are read under a lock through a cursor of `connection`, then only read.
    """

    def __init__(self, connection: duckdb.DuckDBPyConnection, parts: LoadedParts | None = None) -> None:
        self._connection = connection
        self._loaded = parts if parts is not None else LoadedParts()

    @property
    def parts(self) -> LoadedParts:
        """The parts read so far, shared by every lookup on this catalog build."""
        return self._loaded

    def _part(self, name: str, kind: type[_Part]) -> _Part:
        found = self._loaded.parts.get(name)
        if found is None:
            with self._loaded.lock:
                found = self._loaded.parts.get(name)
                if found is None:
                    cursor = self._connection.cursor()
                    try:
                        found = PART_READERS[name](cursor)
                    finally:
                        cursor.close()
                    self._loaded.parts[name] = found
        assert isinstance(found, kind)
        return found

    def warm(self) -> None:
        """Read every part now (the explorer does, in a worker, once its search is ready)."""
        self._part("sources", dict)
        self._part("tags", _Tags)
        self._part("triggers", _Triggers)
        self._part("posts", _PostsPerSource)
        self._part("aliases", _Aliases)
        self._part("characters", _Characters)
        self._part("copyright_members", _CopyrightMembers)
        self._part("copyrights", _Copyrights)
        self._part("character_facts", _CharacterFacts)
        self._part("implications", _Implications)

    # -- sources, tags, triggers

    def source(self, source_id: int | None) -> SourceRef | None:
        """The source with this id; None for None or an unknown id (`kb.catalog.source_ref`)."""
        if source_id is None:
            return None
        sources: dict[int, SourceRef] = self._part("sources", dict)
        return sources.get(int(source_id))

    def tag(self, name: str) -> TagRow | None:
        """The tag with this canonical name."""
        return self._part("tags", _Tags).by_name(name)

    def tag_by_id(self, tag_id: int) -> TagRow | None:
        return self._part("tags", _Tags).by_id(int(tag_id))

    def trigger(self, text: str, kind: str) -> TriggerRow | None:
        """The trigger (unescaped text, kind), with its source."""
        triggers = self._part("triggers", _Triggers)
        position = triggers.find(text, kind)
        if position is None:
            return None
        description, note = triggers.words.get(position, (None, None))
        tag_id = int(triggers.tag_ids[position])
        return TriggerRow(
            tag_id=None if tag_id == NO_ID else tag_id,
            description=description,
            verified=bool(triggers.verified[position]),
            note=note,
            tier=triggers.tier_names[int(triggers.tiers[position])],
            source=self.source(int(triggers.source_ids[position])),
        )

    def aliases_of(self, tag_id: int) -> tuple[str, ...]:
        """The tag's first aliases in alphabetical order (ALIASES_SHOWN), distinct."""
        return self._part("aliases", _Aliases).of_tag.get(int(tag_id), ())

    def posts_per_source(self, tag_id: int) -> tuple[tuple[str, int], ...]:
        """(file name, posts) of each source that lists the tag, in source order."""
        found = []
        for source_id, count in self._part("posts", _PostsPerSource).of(int(tag_id)):
            source = self.source(source_id)
            if source is not None:
                found.append((source.file_name, count))
        return tuple(found)

    # -- characters and copyrights

    def character(self, name: str) -> CharacterRow | None:
        """The character tag with this canonical name (None: not a character of the catalog)."""
        return self._part("characters", _Characters).row(name)

    def series_of(self, tag_id: int) -> str | None:
        """The copyright of a tag's `characters` row, when it names one."""
        return self._part("copyright_members", _CopyrightMembers).series_of_tag.get(int(tag_id))

    def copyright_members(self, copyright: str) -> CopyrightMembers | None:
        """How many characters name this copyright, and the most posted of them."""
        return self._part("copyright_members", _CopyrightMembers).copyrights.get(copyright)

    def find_copyright(self, qualifier: str) -> str | None:
        """The copyright tag a qualifier names: exactly, as `<q>_(series)`, or by alias; else None."""
        counts = self._part("copyrights", _Copyrights).counts
        named = [(name, counts[name]) for name in (qualifier, f"{qualifier}_(series)") if name in counts]
        if named:
            return min(named, key=lambda found: (-found[1], found[0].encode("utf-8", "surrogatepass")))[0]
        return self._part("aliases", _Aliases).copyright_of_alias.get(qualifier)

    def gender(self, tag_id: int) -> tuple[str, int] | None:
        """(girl | boy | other, source id) from the first source that says."""
        return self._part("character_facts", _CharacterFacts).genders.get(int(tag_id))

    def features(self, tag_id: int) -> CharacterFeatureRows | None:
        return self._part("character_facts", _CharacterFacts).features.get(int(tag_id))

    # -- implications

    def implications(self, tag: str) -> TagImplications:
        """The author's implications around the canonical `tag` (an alias resolved to its tag)."""
        key = tag
        if self.tag(key) is None:
            key = self._part("aliases", _Aliases).tag_of_alias.get(key, key)
        pairs = self._part("implications", _Implications)
        implies = pairs.implies.get(key, [])
        implied_by = pairs.implied_by.get(key, [])
        source_ids = sorted({source_id for _, source_id in (*implies, *implied_by)})
        sources = tuple(ref for ref in map(self.source, source_ids) if ref is not None)
        return TagImplications(
            key, tuple(name for name, _ in implies), tuple(name for name, _ in implied_by), sources
        )


def catalog_identity(connection: duckdb.DuckDBPyConnection) -> str:
    """This catalog build: its file and meta rows (fingerprint, build time); size and mtime of a
    file without a fingerprint (hand-made test catalogs)."""
    meta = sorted(
        (str(key), str(value)) for key, value in connection.execute("SELECT key, value FROM meta").fetchall()
    )
    row = connection.execute(
        "SELECT path FROM duckdb_databases() WHERE database_name = current_database()"
    ).fetchone()
    path = str(row[0]) if row is not None and row[0] else ""
    identity = f"{path}\n{meta}"
    if path and not any(key == "fingerprint" for key, _ in meta):
        try:
            stat = os.stat(path)
        except OSError:
            return identity
        identity += f"\n{stat.st_size} {stat.st_mtime_ns}"
    return identity


_shared_lock = threading.Lock()
_shared: dict[str, LoadedParts] = {}


def shared_catalog_lookup(connection: duckdb.DuckDBPyConnection) -> CatalogLookup:
    """A lookup on the process's parts of this catalog build (the latest build only: a rebuilt
    catalog, or another file, is read afresh)."""
    cursor = connection.cursor()  # the caller's connection may be another thread's too
    try:
        identity = catalog_identity(cursor)
    finally:
        cursor.close()
    with _shared_lock:
        parts = _shared.get(identity)
        if parts is None:
            parts = LoadedParts()
            _shared.clear()
            _shared[identity] = parts
    return CatalogLookup(connection, parts)
