"""The model author's caption tables, as prompt assembly and the linter read them.

The catalog stores two tables from the author's caption tools (waifuset, docs/catalog.md):
`implications` (`very_long_hair` → `long_hair`, already transitive; the author drops an implied tag
from a caption, keeping "the one that retains the most information") and `caption_order` (a tag's
caption group, lower = earlier; `kb.knowledge.caption_groups` names the groups). Both are keyed by canonical
Danbooru names.

With them, the characters whose trained form is not their Danbooru name (`frieren` → `frieren
(sousou no frieren)`, from `characters.form`). They are small (7k and 17k rows) and read on every
lint and assembly, so a process loads them once
per catalog build (`shared_author_tables`) and looks tags up in dictionaries. A catalog built
without them gives empty tables, and everything that reads them behaves as it did before them.
`implications_of` answers one tag's question, with the sources of its pairs (the explorer's
detail pane), from the catalog's pairs read once (`kb.knowledge.catalog_lookup`).
`choose_additions` decides which tags to add to a prompt are new: not
there already, and implied by nothing there or added with them (a character's features, in prompt
assembly and the explorer alike).
"""

from __future__ import annotations

import threading
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Protocol, runtime_checkable

from kb.knowledge.catalog_lookup import TagImplications as TagImplications  # re-exported: its old home
from kb.knowledge.catalog_lookup import catalog_identity, shared_catalog_lookup
from kb.knowledge.tagforms import to_canonical, to_plain_form

if TYPE_CHECKING:
    import duckdb


@dataclass(frozen=True)
class AuthorTables:
    """The author's caption-order groups and implications, by canonical tag name."""

    caption_groups: Mapping[str, int] = field(default_factory=dict)  # tag -> group index
    implications: Mapping[str, frozenset[str]] = field(default_factory=dict)  # tag -> tags it implies
    # Danbooru character tag -> the form AIDXL was trained on, plain, where they differ (the author's
    # caption form): frieren -> frieren (sousou no frieren)
    character_forms: Mapping[str, str] = field(default_factory=dict)

    @property
    def has_caption_order(self) -> bool:
        return bool(self.caption_groups)

    def caption_group(self, tag: str) -> int | None:
        """The group index of a canonical tag; None when the table does not list it."""
        return self.caption_groups.get(tag)

    def implied_tags(self, tag: str) -> frozenset[str]:
        """The tags that `tag` implies (`very_long_hair` → {long_hair}); empty when none."""
        return self.implications.get(tag, frozenset())

    def trained_form(self, tag: str) -> str | None:
        """The plain form AIDXL knows for a character tag, when it is not the tag's own name."""
        return self.character_forms.get(tag)

    def implies(self, tag: str, other: str) -> bool:
        """Does `tag` imply `other`? (`very_long_hair`, `long_hair` → True)."""
        return other in self.implications.get(tag, ())


EMPTY_AUTHOR_TABLES = AuthorTables()


@dataclass(frozen=True)
class AdditionChoice:
    """Which tags to add are new (canonical keys, in the order given) and why the others are not."""

    added: tuple[str, ...]
    already_there: tuple[str, ...]  # in the prompt already (or given twice)
    implied: tuple[tuple[str, str], ...]  # (skipped key, the key that implies it): `horns`, `goat_horns`


def choose_additions(
    candidates: Sequence[str], present: Collection[str], tables: AuthorTables | None
) -> AdditionChoice:
    """The candidates worth adding to a prompt that has `present` (canonical keys both): not present
    already, and implied neither by a present tag nor by another candidate (`goat_horns` makes
    `horns` redundant: the author's captions keep only the tag with the most information, and the
    linter flags the other). Of two candidates that imply each other, the first is kept."""
    present_keys = set(present)
    fresh: list[str] = []
    already: list[str] = []
    for key in candidates:
        if key in present_keys or key in fresh:
            already.append(key)
        else:
            fresh.append(key)
    if tables is None:
        return AdditionChoice(tuple(fresh), tuple(already), ())
    added: list[str] = []
    implied: list[tuple[str, str]] = []
    present_in_order = sorted(present_keys)  # which present tag is named does not depend on set order
    for position, key in enumerate(fresh):
        by_present = next((other for other in present_in_order if tables.implies(other, key)), None)
        by_candidate = next(
            (
                other
                for index, other in enumerate(fresh)
                if index != position
                and tables.implies(other, key)
                and not (index > position and tables.implies(key, other))  # a pair: keep the first
            ),
            None,
        )
        implying = by_present or by_candidate
        if implying is None:
            added.append(key)
        else:
            implied.append((key, implying))
    return AdditionChoice(tuple(added), tuple(already), tuple(implied))


@runtime_checkable
class AuthorTablesSource(Protocol):
    """Something that can hand out the author's tables: `kb.prompt.tagview.CatalogMatcher` does."""

    def author_tables(self) -> AuthorTables: ...


def author_tables_of(source: object) -> AuthorTables | None:
    """The tables a matcher carries (a `CatalogMatcher` reads its catalog's), else None."""
    return source.author_tables() if isinstance(source, AuthorTablesSource) else None


def load_author_tables(connection: duckdb.DuckDBPyConnection) -> AuthorTables:
    """Read both tables whole (about 15 ms for the real ones)."""
    groups: dict[str, int] = dict(connection.execute("SELECT tag, group_index FROM caption_order").fetchall())
    implied: dict[str, set[str]] = {}
    for tag, implied_tag in connection.execute("SELECT tag, implied FROM implications").fetchall():
        if tag != implied_tag:
            implied.setdefault(tag, set()).add(implied_tag)
    forms = {
        str(name): str(form)
        for name, form in connection.execute(
            "SELECT t.name, c.form FROM characters c JOIN tags t USING (tag_id)"
        ).fetchall()
        if to_plain_form(str(name)) != form
    }
    return AuthorTables(groups, {tag: frozenset(tags) for tag, tags in implied.items()}, forms)


_shared_lock = threading.Lock()
_shared: dict[str, AuthorTables] = {}


def shared_author_tables(connection: duckdb.DuckDBPyConnection) -> AuthorTables:
    """The process's copy of this catalog build's tables, loaded on first use.

    Keeps the latest catalog only, like the search index: a rebuilt catalog (new fingerprint, or
    another file) loads afresh.
    """
    identity = catalog_identity(connection)
    with _shared_lock:
        tables = _shared.get(identity)
        if tables is None:
            tables = load_author_tables(connection)
            _shared.clear()
            _shared[identity] = tables
        return tables


def implications_of(connection: duckdb.DuckDBPyConnection, tag: str) -> TagImplications:
    """The author's implications around one tag (any pasted form or alias): the explorer's list of
    "implies" / "implied by". Empty tuples when the catalog has no implication for it."""
    return shared_catalog_lookup(connection).implications(to_canonical(tag))
