"""What the catalog knows about one character: the forms AIDXL was trained on, its gender, copyright,
main characteristics and outfit, and the source of each fact.

One function (`character_info`) serves `aidxl char`, the explorer's detail pane and prompt assembly
(`--with-features`, `--outfit-of`). The forms come from the catalog's `characters.form` (the model
author's caption form when the author's vocabulary has one: `frieren (sousou no frieren)` for the
Danbooru tag `frieren`), the sentence noun from `character_genders` (a chant's `1girl` / `1boy`),
the features from `character_features`, in the author's caption order. Each of these is read
from the catalog once per process (`kb.knowledge.catalog_lookup`): the detail pane asks on every
cursor move.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from kb.catalog import SourceRef
from kb.knowledge.catalog_lookup import CatalogLookup, shared_catalog_lookup
from kb.knowledge.characters import CharacterForms, character_forms, with_copyright
from kb.knowledge.tagforms import to_canonical, to_prompt_form

if TYPE_CHECKING:
    import duckdb

DEFAULT_SENTENCE_NOUN = "girl"  # the card's own examples; used when no source gives the gender
SENTENCE_NOUN_OF_GENDER = {"girl": "girl", "boy": "boy"}


@dataclass(frozen=True)
class CharacterFeatures:
    """A character's core tags in A1111 prompt form, each part in the author's caption order."""

    appearance: tuple[str, ...]
    outfit: tuple[str, ...]
    source: SourceRef | None  # the chant file they come from; None when no source has any

    def to_json(self) -> dict[str, Any]:
        return {"appearance": list(self.appearance), "outfit": list(self.outfit)}


@dataclass(frozen=True)
class CharacterInfo:
    tag: str  # canonical Danbooru tag: frieren
    forms: CharacterForms  # built from the form the model knows
    gender: str | None  # girl | boy | other; None when no source says
    noun: str  # the sentence's noun actually used: girl | boy
    form_source: SourceRef | None  # None only in a catalog without a characters row for the tag
    copyright_source: SourceRef | None
    gender_source: SourceRef | None
    features: CharacterFeatures

    def sources_json(self) -> dict[str, Any]:
        form = _ref_json(self.form_source)
        return {
            "a1111": form,
            "plain": form,
            "prefixed": form,
            "sentence": {"form": form, "gender": _ref_json(self.gender_source)},
            "copyright": _ref_json(self.copyright_source),
            "gender": _ref_json(self.gender_source),
            "features": _ref_json(self.features.source),
        }


def _ref_json(ref: SourceRef | None) -> dict[str, Any] | None:
    return ref.to_json() if ref is not None else None


def character_features(source: duckdb.DuckDBPyConnection | CatalogLookup, tag_id: int) -> CharacterFeatures:
    """The features of the first source that has any for this character (sources in ingest order)."""
    lookup = source if isinstance(source, CatalogLookup) else shared_catalog_lookup(source)
    found = lookup.features(tag_id)
    if found is None:
        return CharacterFeatures((), (), None)
    return CharacterFeatures(
        tuple(map(to_prompt_form, found.appearance)),
        tuple(map(to_prompt_form, found.outfit)),
        lookup.source(found.source_id),
    )


def character_info(
    source: duckdb.DuckDBPyConnection | CatalogLookup, tag: str, *, noun: str | None = None
) -> CharacterInfo | None:
    """Everything known about the character tag `tag` (any pasted form), or None when it is not a
    character of the catalog. `noun` (`girl`/`boy`) overrides the gender the sources give.
    `source`: the catalog, or a lookup on it the caller keeps (the explorer: no identity check)."""
    lookup = source if isinstance(source, CatalogLookup) else shared_catalog_lookup(source)
    row = lookup.character(to_canonical(tag))
    if row is None:
        return None
    gender_row = lookup.gender(row.tag_id)
    gender = gender_row[0] if gender_row is not None else None
    chosen_noun = noun or SENTENCE_NOUN_OF_GENDER.get(gender or "", DEFAULT_SENTENCE_NOUN)
    forms = character_forms(row.form, gender=chosen_noun, series_resolver=lookup.find_copyright)
    stored_copyright = lookup.series_of(row.tag_id)
    if forms.copyright is None and stored_copyright is not None:
        forms = with_copyright(forms, stored_copyright)  # named by its aliases (ingest/writer.py)
    return CharacterInfo(
        tag=row.name,
        forms=forms,
        gender=gender,
        noun=chosen_noun,
        form_source=lookup.source(row.form_source_id),
        copyright_source=lookup.source(row.copyright_source_id) if forms.copyright else None,
        gender_source=lookup.source(gender_row[1]) if gender_row is not None else None,
        features=character_features(lookup, row.tag_id),
    )
